package org.convlens.spark;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The layout every stage shares in an output folder: where the analysis lives (the audit, model
 * viz and the report read it there unless told otherwise), and the run ids that name each run's
 * staged folders and records.
 */
public final class OutputLayout {
  /** {@code <output.dir>/analysis}: the analyze stage's Parquet output. */
  public static final String ANALYSIS_DIR = "analysis";

  private OutputLayout() {}

  /**
   * A new run id: the UTC start second and four random hex digits ({@code 20261205T200601Z-1a2b}),
   * so ids sort by time and two runs started in the same second still differ.
   */
  public static String newRunId() {
    return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.now())
        + "-" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
  }
}
