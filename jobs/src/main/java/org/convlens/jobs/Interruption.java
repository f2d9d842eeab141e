package org.convlens.jobs;

/**
 * What the command line says when the JVM is asked to stop in the middle of a command (SIGTERM,
 * Ctrl-C): one sentence saying what was and was not written, instead of the failure Spark's own
 * shutdown causes in the running job ("driverEndpoint() is null", "SparkContext was shut down").
 * Every output is staged and swapped in only when complete, so an interrupted command has
 * changed nothing in the output folder.
 */
final class Interruption {
  /** The command running now. */
  private record Running(String command, String out, String mode) {}

  private static volatile Running running;
  /** The output folder of the latest command, kept after it ends for its failure message. */
  private static volatile String lastOut;
  private static volatile boolean stopping;

  /**
   * Above Spark's own hook (priority 40 in Hadoop's manager, which runs hooks one by one, highest
   * first): the sentence is printed and the engine's logging silenced before Spark stops the
   * context and the running job logs its failure.
   */
  private static final int PRIORITY = 100;

  static {
    org.apache.hadoop.util.ShutdownHookManager.get().addShutdownHook(Interruption::onShutdown, PRIORITY);
  }

  private Interruption() {}

  /** Called when a command starts; {@code out} and {@code mode} are its output folder and mode. */
  static void watch(String command, String out, String mode) {
    running = new Running(command, out, mode);
    lastOut = out;
  }

  /** Called when the command has ended, by success or failure. */
  static void done() {
    running = null;
  }

  /** The output folder of the command running now or just ended, or null. */
  static String outputFolder() {
    return lastOut;
  }

  private static void onShutdown() {
    Running r = running;
    if (r == null) {
      return;
    }
    stopping = true;
    StringBuilder m = new StringBuilder("convlens: ").append(r.command())
        .append(" was interrupted before it finished; nothing of this run was written, and ").append(r.out())
        .append(" keeps what earlier runs wrote.");
    if (r.command().equals("analyze") || r.command().equals("demo")) {
      m.append(" Run it again").append(r.mode().equals("resume") ? "" : " with --set output.mode=resume")
          .append(" to analyse only the inputs that earlier runs did not finish.");
    } else {
      m.append(" Run it again.");
    }
    System.err.println(m);
    System.err.flush();
    try {
      // The job is about to fail because the context stops: what it logs then is noise.
      org.apache.logging.log4j.core.config.Configurator.setAllLevels(
          org.apache.logging.log4j.LogManager.ROOT_LOGGER_NAME, org.apache.logging.log4j.Level.OFF);
    } catch (RuntimeException | LinkageError e) {
      // Another logging backend: its lines may show, the sentence above stands.
    }
  }

  /**
   * Whether {@code failure} is the job failing because the JVM is shutting down. Spark's shutdown
   * hook stops the context while ours runs; give ours a moment to be seen.
   */
  static boolean during(Throwable failure) {
    if (stopping || running == null) {
      return stopping;
    }
    String text = String.valueOf(failure);
    for (Throwable t = failure; t != null; t = t.getCause()) {
      text += " " + t;
    }
    if (text.contains("shut down") || text.contains("driverEndpoint") || text.contains("cancelled")
        || failure instanceof InterruptedException) {
      for (int i = 0; i < 20 && !stopping; i++) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    return stopping;
  }
}
