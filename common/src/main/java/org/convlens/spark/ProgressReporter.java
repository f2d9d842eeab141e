package org.convlens.spark;

import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.util.LongAccumulator;

/**
 * Prints a console progress line for a long stage every few seconds: items done / total,
 * throughput and ETA. The count comes from an accumulator that executors add to; Spark merges
 * accumulator updates when tasks finish, so the line advances task by task.
 */
public final class ProgressReporter implements AutoCloseable {
  private final String stage;
  private final String unit;
  private final String rateUnit;
  private final long total;
  private final LongAccumulator done;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final Thread thread;

  public ProgressReporter(String stage, long total, LongAccumulator done, int intervalSeconds, PrintStream out) {
    this(stage, "images", "img", total, done, intervalSeconds, out);
  }

  /**
   * @param unit what is counted, e.g. {@code images} or {@code steps}
   * @param rateUnit its short form in the rate, e.g. {@code img} for {@code img/s}
   */
  public ProgressReporter(String stage, String unit, String rateUnit, long total, LongAccumulator done,
      int intervalSeconds, PrintStream out) {
    this.stage = stage;
    this.unit = unit;
    this.rateUnit = rateUnit;
    this.total = total;
    this.done = done;
    this.out = out;
    if (intervalSeconds > 0) {
      thread = new Thread(() -> loop(intervalSeconds * 1000L), "convlens-progress");
      thread.setDaemon(true);
      thread.start();
    } else {
      thread = null;
    }
  }

  private void loop(long intervalMillis) {
    try {
      while (true) {
        Thread.sleep(intervalMillis);
        out.println(line(done.value()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** e.g. {@code analyze: 512/1000 images (51%), 230.4 img/s, ETA 0:02}. */
  public String line(long n) {
    double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    double rate = n / seconds;
    String eta = rate > 0 && n < total ? formatDuration((total - n) / rate) : n >= total ? "0:00" : "?";
    return String.format(Locale.ROOT, "%s: %d/%d %s (%d%%), %.1f %s/s, ETA %s",
        stage, n, total, unit, total == 0 ? 100 : (int) (100 * n / total), rate, rateUnit, eta);
  }

  static String formatDuration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  @Override
  public void close() {
    if (thread != null) {
      thread.interrupt();
    }
  }
}
