package org.convlens.jobs;

/** Failures the command line explains in its own words rather than the engine's. */
final class Failures {
  private Failures() {}

  /**
   * One sentence when {@code e} was caused by a full disk or quota (Spark reports it as {@code
   * [TASK_WRITE_FAILED] ... SQLSTATE: 58030} around the operating system's message), else null.
   */
  static String diskFull(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (m.contains("No space left on device") || m.contains("Disk quota exceeded")) {
        String out = Interruption.outputFolder();
        return "the disk is full (" + (m.contains("quota") ? "Disk quota exceeded" : "No space left on device")
            + ") while writing" + (out == null ? "" : " to " + out) + ": free some space or choose another --out;"
            + " nothing of this run was kept, and the outputs of earlier runs there are unchanged";
      }
    }
    return null;
  }
}
