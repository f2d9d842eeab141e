package org.convlens.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {
  @Test
  void lineShowsDoneTotalRateAndEta() {
    LongAccumulator acc = new LongAccumulator();
    try (ProgressReporter p = new ProgressReporter("analyze", 1000, acc, 0, new PrintStream(new ByteArrayOutputStream()))) {
      String half = p.line(500);
      assertTrue(half.matches("analyze: 500/1000 images \\(50%\\), [0-9.]+ img/s, ETA \\d+:\\d\\d"), half);
      assertTrue(p.line(1000).endsWith("ETA 0:00"));
      assertTrue(p.line(0).endsWith("ETA ?"));
    }
  }

  @Test
  void durationsFormatAsMinutesOrHours() {
    assertEquals("0:05", ProgressReporter.formatDuration(4.6));
    assertEquals("2:05", ProgressReporter.formatDuration(125));
    assertEquals("1:01:01", ProgressReporter.formatDuration(3661));
  }

  @Test
  void countsOfRunningTasksArriveBeforeTheTasksEnd() throws Exception {
    org.apache.spark.sql.SparkSession spark = org.convlens.testing.SharedSpark.get();
    LongAccumulator acc = spark.sparkContext().longAccumulator("progress-test");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ProgressReporter p = new ProgressReporter("stage", 10, acc, 60, new PrintStream(out, true))) {
      // One task counting to 10 over 10 s: the driver's merged value stays 0 until it ends.
      var job = java.util.concurrent.CompletableFuture.supplyAsync(() -> org.apache.spark.api.java.JavaSparkContext
          .fromSparkContext(spark.sparkContext()).parallelize(java.util.List.of(1), 1).map(x -> {
            for (int i = 0; i < 10; i++) {
              acc.add(1);
              Thread.sleep(1000);
            }
            return x;
          }).count());
      long seen = 0;
      long deadline = System.nanoTime() + 9_000_000_000L;
      while (seen == 0 && System.nanoTime() < deadline) {
        Thread.sleep(200);
        seen = p.current();
      }
      boolean early = !job.isDone();
      assertEquals(0L, acc.value(), "nothing merged while the task runs");
      assertTrue(early && seen > 0, "a running task's count, from its heartbeat: " + seen);
      job.get();
      assertEquals(10L, p.current());
      // More than a 5% step was done since the start: lines were printed although the interval is 60 s.
      assertTrue(out.toString().contains("stage: "), out.toString());
    }
  }

  @Test
  void printsPeriodicallyUntilClosed() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LongAccumulator acc = new LongAccumulator();
    acc.add(3);
    try (ProgressReporter p = new ProgressReporter("stage", 10, acc, 1, new PrintStream(out, true))) {
      Thread.sleep(2500);
    }
    assertTrue(out.toString().contains("stage: 3/10 images (30%)"), out.toString());
  }
}
