package org.convlens.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.ConvLensHome;
import org.convlens.spark.StandaloneCluster;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jobs on a real Spark standalone cluster: a Master and two Workers on 127.0.0.1, each a
 * JVM started from {@code target/spark-home} (Spark only), executors as JVMs the Workers launch,
 * ConvLens reaching them only through the application jar ({@code spark.jars}), as spark-submit
 * would ship it. Checks that results equal a local-mode run, that the model loads once per
 * executor JVM, and that killing an executor mid-run loses and duplicates nothing.
 */
class ClusterIT {
  static final Path TARGET = Path.of("target").toAbsolutePath();
  static StandaloneCluster cluster;
  static Path dir;

  @BeforeAll
  static void startCluster() throws Exception {
    dir = Files.createTempDirectory("convlens-cluster");
    cluster = StandaloneCluster.start(TARGET.resolve("spark-home"), dir, 2, 1, 1536);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The application jar the build made (what spark-submit would be given). */
  static Path appJar() throws IOException {
    return StandaloneCluster.applicationJar(TARGET);
  }

  /** analyze on the cluster, the driver in this JVM. */
  static CliRun analyzeOnCluster(Path out, String... extra) throws IOException {
    stopLocalSessions();
    List<String> args = new ArrayList<>(List.of("analyze", "--master", cluster.masterUrl(), "--out", out.toString(),
        "--set", "spark.conf.spark.jars=" + appJar(),
        "--set", "spark.conf.spark.driver.host=127.0.0.1",
        "--set", "spark.conf.spark.driver.bindAddress=127.0.0.1",
        "--set", "spark.conf.spark.executor.memory=1g",
        "--set", "spark.conf.spark.executor.cores=1",
        "--set", "spark.conf.spark.executor.extraJavaOptions=-Dai.djl.offline=true",
        "--set", "spark.conf.spark.executorEnv.OMP_WAIT_POLICY=PASSIVE",
        "--set", "spark.conf.spark.ui.enabled=false"));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(new String[0]));
  }

  /** A CLI run with a cluster master must not pick up the tests' shared local session. */
  static void stopLocalSessions() {
    SparkSession.getDefaultSession().foreach(s -> {
      s.stop();
      return null;
    });
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  private static Dataset<Row> analysis(Path out) {
    return SharedSpark.get().read().parquet(out.resolve("analysis").toString());
  }

  @Test
  void clusterRunEqualsLocalRunAndLoadsTheModelOncePerExecutor(@TempDir Path tmp) throws Exception {
    String input = ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString();
    String[] common = {"--input", input, "--set", "input.limit=300", "--set", "input.partitions=6",
        "--set", "analyze.methods=[saliency, gradcam]"};
    List<Path> logsBefore = cluster.executorLogs();
    CliRun onCluster = analyzeOnCluster(tmp.resolve("cluster"), common);
    assertEquals(0, onCluster.code(), onCluster.err() + onCluster.out());

    List<String> local = new ArrayList<>(List.of("analyze", "--master", "local[2]", "--out", tmp.resolve("local").toString()));
    local.addAll(List.of(common));
    stopLocalSessions();
    CliRun onLocal = CliRun.of(local.toArray(new String[0]));
    assertEquals(0, onLocal.code(), onLocal.err());

    // Same rows: same ids, predictions, probabilities and maps to float tolerance.
    Map<String, Row> byId = new HashMap<>();
    for (Row r : analysis(tmp.resolve("local")).select("id", "predicted", "top_k_prob", "embedding", "gradcam").collectAsList()) {
      byId.put(r.getString(0), r);
    }
    List<Row> clusterRows = analysis(tmp.resolve("cluster")).select("id", "predicted", "top_k_prob", "embedding", "gradcam")
        .collectAsList();
    assertEquals(300, clusterRows.size());
    assertEquals(300, byId.size());
    for (Row c : clusterRows) {
      Row l = byId.get(c.getString(0));
      assertEquals(l.getInt(1), c.getInt(1), c.getString(0));
      assertClose(l.getList(2), c.getList(2), 1e-5, c.getString(0));
      assertClose(l.getList(3), c.getList(3), 1e-4, c.getString(0));
      assertEquals(l.getStruct(4).getString(3), c.getStruct(4).getString(3));
    }

    // Two executor JVMs did the work, each loaded the model exactly once (6 tasks between them).
    List<Path> logs = new ArrayList<>(cluster.executorLogs());
    logs.removeAll(logsBefore);
    assertEquals(2, logs.size(), "executor logs " + logs);
    for (Path log : logs) {
      List<String> lines = Files.readAllLines(log);
      long loads = lines.stream().filter(l -> l.contains("ModelCache: loaded model")).count();
      assertEquals(1, loads, "model loads in " + log);
      // libtorch's C++ warnings are off in the executor too (on some CPUs it warns per convolution).
      assertTrue(lines.stream().anyMatch(l -> l.contains("libtorch C++ log level ERROR")), "log level in " + log);
      assertEquals(List.of(), lines.stream().filter(l -> l.matches("^\\[[WIE]\\d{4} .*")).toList(),
          "libtorch lines in " + log);
    }
  }

  @Test
  void killingAnExecutorMidRunLosesAndDuplicatesNothing(@TempDir Path tmp) throws Exception {
    String input = ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString();
    List<Path> logsBefore = cluster.executorLogs();
    CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> {
      try {
        // Occlusion at one coarse window: tasks long enough to kill one mid-run, 5× cheaper than the default grid.
        return analyzeOnCluster(tmp.resolve("out"), "--input", input, "--set", "input.limit=400",
            "--set", "input.partitions=8", "--set", "analyze.methods=[occlusion]", "--set", "analyze.occlusion.windows=[8]",
            "--set", "analyze.occlusion.strides=[4]");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    // Wait until both executors have the model (tasks are running), then kill one.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    List<ProcessHandle> executors = List.of();
    while (System.nanoTime() < deadline) {
      List<Path> logs = new ArrayList<>(cluster.executorLogs());
      logs.removeAll(logsBefore);
      long loaded = 0;
      for (Path log : logs) {
        loaded += Files.readString(log).contains("ModelCache: loaded model") ? 1 : 0;
      }
      executors = cluster.executors();
      if (loaded >= 2 && executors.size() == 2) {
        break;
      }
      Thread.sleep(200);
    }
    assertEquals(2, executors.size(), "two executors running");
    Thread.sleep(2000);
    ProcessHandle victim = executors.get(0);
    assertTrue(victim.destroyForcibly(), "SIGKILL executor " + victim.pid());
    CliRun done = run.get(300, TimeUnit.SECONDS);
    assertEquals(0, done.code(), done.err() + done.out());

    Dataset<Row> rows = analysis(tmp.resolve("out"));
    assertEquals(400, rows.count(), "one row per input");
    assertEquals(400, rows.select("id").distinct().count(), "no input twice");
    assertEquals(400, rows.filter(col("status").equalTo("ok")).count());
    List<Path> logs = new ArrayList<>(cluster.executorLogs());
    logs.removeAll(logsBefore);
    assertTrue(logs.size() >= 3, "the Worker replaced the killed executor: " + logs);
  }

  private static void assertClose(List<Float> a, List<Float> b, double tol, String what) {
    assertEquals(a.size(), b.size(), what);
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i), b.get(i), tol * Math.max(1, Math.abs(a.get(i))), what + "[" + i + "]");
    }
  }
}
