package org.convlens.jobs;

import java.io.IOException;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;

/** Analyze: per input image, top-k predictions and the embedding, as Parquet. */
public final class AnalyzeJob {
  private AnalyzeJob() {}

  public static AnalyzeRun.Summary run(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    AnalyzeRun.Summary s = Stages.analyze(config, spark, console);
    console.printf("analysis: %d rows (%d ok, %d errors%s) in %.1f s -> %s%n",
        s.inputs(), s.ok(), s.errors(), s.errorsByKind().isEmpty() ? "" : " " + s.errorsByKind(),
        s.seconds(), display(s.output()));
    if (s.skippedFiles() > 0) {
      console.printf("skipped %d entries on purpose: %s%n", s.skippedFiles(),
          org.convlens.data.ImageSources.describeSkipped(s.skippedByReason()));
    }
    return s;
  }

  /** A local output path without its {@code file:} scheme, as users typed it; others as is. */
  static String display(String path) {
    return org.convlens.data.HadoopPaths.display(path);
  }
}
