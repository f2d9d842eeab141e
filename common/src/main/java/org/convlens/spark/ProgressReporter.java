package org.convlens.spark;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A console progress line for a long stage: items done / total, throughput and ETA. A line is
 * printed whenever another 5% of the work is done and at least every {@code intervalSeconds}
 * while it runs.
 *
 * <p>The count comes from an accumulator that executors add to. Spark merges a task's
 * accumulator into the driver's value only when the task ends, so with a few large partitions a
 * plain accumulator would sit at 0% for minutes and then jump. Running tasks also report their
 * accumulators with every executor heartbeat ({@code spark.executor.heartbeatInterval}, which
 * {@link Sessions} lowers to 2 s); a listener keeps the latest partial count of each running task
 * and adds it to the merged value, dropping a task's partial count when it ends (its final count
 * is then merged, or, for a failed attempt, discarded). The line never goes backwards.
 */
public final class ProgressReporter implements AutoCloseable {
  private static final long POLL_MILLIS = 250;

  private final String stage;
  private final String unit;
  private final String rateUnit;
  private final long total;
  private final LongAccumulator done;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private final RunningTasks running;
  private long shown = -1;

  /**
   * How much work the line counts down: {@code total} of {@code unit}, shown as {@code rateUnit}/s.
   *
   * @param unit what is counted, e.g. {@code images} or {@code steps}
   * @param rateUnit its short form in the rate, e.g. {@code img} for {@code img/s}
   */
  public record Total(long total, String unit, String rateUnit) {
    /** {@code total} images, the unit of every stage that reads images. */
    public static Total images(long total) {
      return new Total(total, "images", "img");
    }
  }

  public ProgressReporter(String stage, long total, LongAccumulator done, int intervalSeconds, PrintStream out) {
    this(stage, Total.images(total), done, intervalSeconds, out);
  }

  /** @param intervalSeconds longest time between two lines; 0 = no periodic lines at all */
  public ProgressReporter(String stage, Total total, LongAccumulator done, int intervalSeconds, PrintStream out) {
    this.stage = stage;
    this.unit = total.unit();
    this.rateUnit = total.rateUnit();
    this.total = total.total();
    this.done = done;
    this.out = out;
    // A registered accumulator belongs to the running context, which getOrCreate returns.
    SparkContext sc = intervalSeconds > 0 && done.isRegistered() ? SparkContext.getOrCreate() : null;
    running = sc == null ? null : new RunningTasks(done.id());
    if (running != null) {
      sc.addSparkListener(running);
    }
    if (intervalSeconds > 0) {
      thread = new Thread(() -> loop(intervalSeconds * 1000L, sc), "convlens-progress");
      thread.setDaemon(true);
      thread.start();
    } else {
      thread = null;
    }
  }

  /** The count so far: merged (finished tasks) plus the latest partial counts of running ones. */
  public long current() {
    long n = done.value() + (running == null ? 0 : running.partial());
    return Math.max(0, Math.min(total, n));
  }

  private void loop(long intervalMillis, SparkContext sc) {
    long last = System.nanoTime();
    int bucket = 0;
    try {
      while (true) {
        Thread.sleep(POLL_MILLIS);
        long n = Math.max(shown, current());
        int nowBucket = total == 0 ? 20 : (int) (20 * n / total);
        if (nowBucket > bucket || System.nanoTime() - last >= intervalMillis * 1_000_000L) {
          synchronized (this) {
            shown = n;
            out.println(line(n));
          }
          bucket = nowBucket;
          last = System.nanoTime();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (running != null && sc != null) {
        sc.removeSparkListener(running);
      }
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
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Partial accumulator values of running tasks, from executor heartbeats. */
  static final class RunningTasks extends SparkListener {
    private final long accumulatorId;
    private final Map<Long, Long> byTask = new ConcurrentHashMap<>();

    RunningTasks(long accumulatorId) {
      this.accumulatorId = accumulatorId;
    }

    long partial() {
      long sum = 0;
      for (long v : byTask.values()) {
        sum += v;
      }
      return sum;
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
      for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
          : CollectionConverters.asJava(update.accumUpdates())) {
        for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
          if (info.id() == accumulatorId && info.update().isDefined()
              && info.update().get() instanceof Number value) {
            byTask.put((Long) task._1(), value.longValue());
          }
        }
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      byTask.remove(end.taskInfo().taskId());
    }
  }
}
