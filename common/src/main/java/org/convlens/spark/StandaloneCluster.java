package org.convlens.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A real Spark standalone cluster on 127.0.0.1: one Master and {@code n} Workers, each its own
 * JVM, started from a Spark "installation" that is just a folder with {@code jars/} (the jobs
 * module builds one at {@code jobs/target/spark-home}: Spark, Scala and Hadoop, nothing of
 * ConvLens). Executors are JVMs the Workers launch; the application's classes reach them through
 * {@code spark.jars} (the application jar), as on a real cluster. Used by the cluster tests and
 * the memory-soak benchmark.
 */
public final class StandaloneCluster implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path home;
  private final Path dir;
  private final Process master;
  private final List<Process> workers = new ArrayList<>();
  private final String url;

  private StandaloneCluster(Path home, Path dir, Process master, String url) {
    this.home = home;
    this.dir = dir;
    this.master = master;
    this.url = url;
  }

  /**
   * Starts the Master and the Workers and waits until every Worker has registered.
   *
   * @param sparkHome a folder whose {@code jars/} holds Spark's classpath
   * @param dir where the daemons' logs and the Workers' work folders go
   * @param workers number of Worker JVMs
   * @param cores cores each Worker offers
   * @param memoryMb memory each Worker offers to executors
   */
  public static StandaloneCluster start(Path sparkHome, Path dir, int workers, int cores, int memoryMb)
      throws IOException, InterruptedException {
    if (!Files.isDirectory(sparkHome.resolve("jars"))) {
      throw new IllegalArgumentException(sparkHome + " has no jars/ folder (build the jobs module first)");
    }
    Files.createDirectories(dir);
    int port = freePort();
    Path masterLog = dir.resolve("master.log");
    Process master = launch(sparkHome, masterLog, "org.apache.spark.deploy.master.Master",
        "--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(freePort()));
    StandaloneCluster c = new StandaloneCluster(sparkHome, dir, master, "spark://127.0.0.1:" + port);
    try {
      awaitLine(masterLog, "I have been elected leader", master);
      for (int i = 0; i < workers; i++) {
        Path work = c.workDir(i);
        Files.createDirectories(work);
        Path log = dir.resolve("worker-" + i + ".log");
        Process w = launch(sparkHome, log, "org.apache.spark.deploy.worker.Worker",
            "--host", "127.0.0.1", "--cores", String.valueOf(cores), "--memory", memoryMb + "m",
            "--webui-port", String.valueOf(freePort()), "--work-dir", work.toString(), c.url);
        c.workers.add(w);
        awaitLine(log, "Successfully registered with master", w);
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** The application jar {@code mvn package} left in {@code jobsTarget} (the jobs module's target/). */
  public static Path applicationJar(Path jobsTarget) throws IOException {
    try (Stream<Path> s = Files.list(jobsTarget)) {
      return s.filter(p -> p.getFileName().toString().endsWith("-app.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no *-app.jar in " + jobsTarget
              + ": build it with mvn -B -DskipTests package"));
    }
  }

  /** e.g. {@code spark://127.0.0.1:40123}. */
  public String masterUrl() {
    return url;
  }

  /** Worker {@code i}'s work folder: {@code <app id>/<executor id>/stderr} are executor logs. */
  public Path workDir(int i) {
    return dir.resolve("work-" + i);
  }

  /** The executor JVMs running now (children of the Workers). */
  public List<ProcessHandle> executors() {
    List<ProcessHandle> out = new ArrayList<>();
    for (Process w : workers) {
      w.descendants()
          .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
          .forEach(out::add);
    }
    return out;
  }

  /** Every executor log ({@code stderr}) the Workers have written so far. */
  public List<Path> executorLogs() throws IOException {
    List<Path> logs = new ArrayList<>();
    for (int i = 0; i < workers.size(); i++) {
      if (!Files.isDirectory(workDir(i))) {
        continue;
      }
      try (Stream<Path> s = Files.walk(workDir(i), 3)) {
        s.filter(p -> p.getFileName().toString().equals("stderr")).sorted().forEach(logs::add);
      }
    }
    return logs;
  }

  @Override
  public void close() {
    for (Process w : workers) {
      w.descendants().forEach(ProcessHandle::destroyForcibly);
      w.destroyForcibly();
    }
    master.destroyForcibly();
    for (Process p : workers) {
      waitQuietly(p);
    }
    waitQuietly(master);
  }

  private static void waitQuietly(Process p) {
    try {
      p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Process launch(Path home, Path log, String main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-Xmx512m");
    for (String o : JavaModuleOptions.defaultModuleOptions().split(" ")) {
      if (!o.isBlank()) {
        cmd.add(o);
      }
    }
    cmd.add("-Dspark.master.rest.enabled=false");
    cmd.add("-cp");
    cmd.add(home.resolve("jars").toAbsolutePath() + "/*");
    cmd.add(main);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", home.toAbsolutePath().toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("OMP_WAIT_POLICY", "PASSIVE");
    return pb.start();
  }

  private static void awaitLine(Path log, String line, Process p) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(line)) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("a Spark daemon exited before '" + line + "'; see " + log);
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("no '" + line + "' in " + log + " after " + START_TIMEOUT.toSeconds() + " s");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
