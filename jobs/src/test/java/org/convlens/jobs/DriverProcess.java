package org.convlens.jobs;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.convlens.config.ConvLensHome;

/**
 * {@code convlens} in a JVM of its own, as the launcher runs it: for tests that kill a driver, send
 * it SIGTERM, or run two at once.
 */
final class DriverProcess {
  private final Process process;
  private final Path log;

  private DriverProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static DriverProcess start(Path log, List<String> args) throws IOException {
    return start(log, args, java.util.Map.of());
  }

  /** As {@link #start(Path, List)}, with environment variables set (or removed, for an empty value). */
  static DriverProcess start(Path log, List<String> args, java.util.Map<String, String> env) throws IOException {
    Path target = Path.of("target").toAbsolutePath();
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx2g",
        "@" + target.resolve("jvm.options"), "-Dai.djl.offline=true",
        "-Dconvlens.home=" + ConvLensHome.find(),
        "-Dlog4j2.configurationFile=" + ConvLensHome.find().resolve("conf/log4j2.properties"),
        // As ./convlens: the engine's log to a file, the console for ConvLens's lines.
        "-Dconvlens.engine.appender=engine", "-Dconvlens.engine.log=" + engineLog(log),
        "-cp", target.resolve("classes") + File.pathSeparator + target.resolve("lib") + "/*" + File.pathSeparator
            + target.resolve("spark-home/jars") + "/*",
        "org.convlens.jobs.ConvLensCli"));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    env.forEach((k, v) -> {
      if (v.isEmpty()) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    return new DriverProcess(pb.start(), log);
  }

  /** Where a driver logging to {@code log} writes the engine's log. */
  static Path engineLog(Path log) {
    return log.resolveSibling(log.getFileName() + ".engine");
  }

  /** What it printed so far (stdout and stderr). */
  String output() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /** Waits until its output matches {@code regex} (true), or it ends or {@code seconds} pass (false). */
  boolean awaitOutput(String regex, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (output().matches("(?s).*" + regex + ".*")) {
        return true;
      }
      if (!process.isAlive()) {
        return output().matches("(?s).*" + regex + ".*");
      }
      Thread.sleep(100);
    }
    return false;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, for it and any child: a crash that leaves everything as it was at that instant. */
  void kill() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM, as a scheduler stopping a job or a user's kill. */
  void terminate() {
    process.destroy();
  }

  /** The exit status, waiting up to {@code seconds}; the process is killed if it does not end. */
  int waitFor(int seconds) throws Exception {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      kill();
      throw new AssertionError("the driver did not end in " + seconds + " s:\n" + output());
    }
    return process.exitValue();
  }
}
