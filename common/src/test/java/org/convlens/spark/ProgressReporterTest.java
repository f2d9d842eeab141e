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
