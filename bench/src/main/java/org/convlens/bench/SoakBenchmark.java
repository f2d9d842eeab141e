package org.convlens.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.config.ConvLensHome;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;
import org.convlens.sampledata.SampleGenerator;
import org.convlens.sampledata.SampleSpec;
import org.convlens.spark.Sessions;
import org.convlens.spark.StandaloneCluster;

/**
 * Memory soak: {@code n} generated images analysed through ONE executor JVM of a real standalone
 * cluster (one Worker, 2 task slots, the application jar shipped with {@code spark.jars}), with
 * saliency, Grad-CAM, CAM and an 8-pixel occlusion grid, sampling the executor's resident set
 * size (VmRSS from /proc) every 2 seconds next to the images done. A leak (per-batch NDArrays
 * kept, sessions not closed) shows as RSS that keeps climbing with the image count.
 */
public final class SoakBenchmark {
  private static final Pattern PROGRESS = Pattern.compile("analyze: (\\d+)/(\\d+) images");

  private final PrintStream out;
  private final Path scratch;

  public SoakBenchmark(PrintStream out, Path scratch) {
    this.out = out;
    this.scratch = scratch;
  }

  /** Runs the soak; {@code local} is the caller's local session, stopped first. */
  public void run(int n, SparkSession local) throws Exception {
    out.println();
    out.printf(Locale.ROOT, "== memory soak: %,d images through one executor JVM ==%n", n);
    Path home = ConvLensHome.find().resolve("jobs/target");
    Path appJar = StandaloneCluster.applicationJar(home);
    Path data = scratch.resolve("soak-data");
    SampleGenerator.writeCifar10(SampleSpec.cifarTestOnly(11L, n), data, new PrintStream(OutputStream.nullOutputStream()));
    local.stop();

    try (StandaloneCluster cluster = StandaloneCluster.start(home.resolve("spark-home"), scratch.resolve("soak-cluster"),
        1, 2, 4096)) {
      // The heap is committed and touched up front (-Xms = -Xmx, AlwaysPreTouch), so RSS growth
      // after the start is native memory (libtorch, glibc arenas) or metaspace, not the heap.
      // Run twice: glibc's default arenas, then MALLOC_ARENA_MAX=2.
      for (String arenas : List.of("", "2")) {
        soak(n, cluster, appJar, data, arenas);
      }
    }
  }

  private void soak(int n, StandaloneCluster cluster, Path appJar, Path data, String arenas) throws Exception {
    out.println();
    out.println(arenas.isEmpty() ? "-- glibc malloc defaults --" : "-- MALLOC_ARENA_MAX=" + arenas + " --");
    Map<String, Object> options = Map.of(
        "input.paths", List.of(data.resolve(SampleGenerator.TEST_BATCH).toString()),
        "output.dir", scratch.resolve("soak-out" + arenas).toString(),
        "spark.master", cluster.masterUrl());
    List<String> sets = List.of("analyze.methods=[saliency, gradcam, cam, occlusion]",
        "analyze.occlusion.windows=[8]", "progress.interval-seconds=2", "input.partitions=40",
        "spark.conf.spark.jars=" + appJar, "spark.conf.spark.executor.memory=2g",
        "spark.conf.spark.executor.cores=2", "spark.conf.spark.driver.host=127.0.0.1",
        "spark.conf.spark.driver.bindAddress=127.0.0.1", "spark.conf.spark.ui.enabled=false",
        "spark.conf.spark.executor.extraJavaOptions=-Dai.djl.offline=true -Xms2g -XX:+AlwaysPreTouch",
        "spark.conf.spark.executorEnv.OMP_WAIT_POLICY=PASSIVE");
    if (!arenas.isEmpty()) {
      sets = new ArrayList<>(sets);
      sets.add("spark.conf.spark.executorEnv.MALLOC_ARENA_MAX=" + arenas);
    }
    ConvLensConfig config = ConfigLoader.load(null, options, sets);
    AtomicLong done = new AtomicLong();
    PrintStream progress = new PrintStream(new LineWatcher(done), true, StandardCharsets.UTF_8);
    SparkSession spark = Sessions.create(config.spark(), true);
    List<long[]> samples = new ArrayList<>(); // seconds, images, RSS kB
    long t0 = System.nanoTime();
    Thread sampler = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          long rss = 0;
          for (ProcessHandle e : cluster.executors()) {
            rss += rssKb(e.pid());
          }
          if (rss > 0) {
            synchronized (samples) {
              samples.add(new long[] {(System.nanoTime() - t0) / 1_000_000_000L, done.get(), rss});
            }
          }
          Thread.sleep(2000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "convlens-soak-sampler");
    sampler.setDaemon(true);
    sampler.start();
    AnalyzeRun.Summary s;
    try {
      s = Stages.analyze(config, spark, progress);
    } finally {
      sampler.interrupt();
      sampler.join();
      spark.stop();
    }
    out.printf(Locale.ROOT, "analyze: %,d rows (%,d ok) in %.1f s, %.1f img/s%n",
        s.inputs(), s.ok(), s.seconds(), s.imagesPerSecond());
    print(samples, n);
  }

  private void print(List<long[]> samples, int n) {
    out.printf(Locale.ROOT, "%10s %12s %16s%n", "seconds", "images done", "executor RSS MB");
    long step = Math.max(1, samples.size() / 20);
    for (int i = 0; i < samples.size(); i++) {
      if (i % step == 0 || i == samples.size() - 1) {
        long[] x = samples.get(i);
        out.printf(Locale.ROOT, "%10d %12d %16.0f%n", x[0], x[1], x[2] / 1024.0);
      }
    }
    // Growth between the first and the last quarter of the images, after warm-up.
    long q1 = 0;
    long q4 = 0;
    long max = 0;
    int c1 = 0;
    int c4 = 0;
    for (long[] x : samples) {
      max = Math.max(max, x[2]);
      if (x[1] > 0 && x[1] <= n / 4) {
        q1 += x[2];
        c1++;
      } else if (x[1] >= 3L * n / 4) {
        q4 += x[2];
        c4++;
      }
    }
    if (c1 > 0 && c4 > 0) {
      out.printf(Locale.ROOT, "executor RSS: mean %.0f MB over the first quarter of the images, %.0f MB over the last;"
          + " peak %.0f MB%n", q1 / 1024.0 / c1, q4 / 1024.0 / c4, max / 1024.0);
    }
  }

  /** VmRSS of a process in kB, 0 when it is gone. */
  static long rssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  /** Keeps the latest "analyze: N/M images" count from the progress lines. */
  private static final class LineWatcher extends OutputStream {
    private final AtomicLong done;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LineWatcher(AtomicLong done) {
      this.done = done;
    }

    @Override
    public void write(int b) {
      if (b == '\n') {
        Matcher m = PROGRESS.matcher(line.toString(StandardCharsets.UTF_8));
        if (m.find()) {
          done.set(Long.parseLong(m.group(1)));
        }
        line.reset();
      } else {
        line.write(b);
      }
    }
  }
}
