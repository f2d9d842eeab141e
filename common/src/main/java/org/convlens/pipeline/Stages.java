package org.convlens.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.audit.AuditRun;
import org.convlens.modelviz.ModelVizRun;
import org.convlens.report.ReportRun;

/**
 * Each stage run from the whole configuration: hands a stage the sections it reads ({@link
 * ConvLensConfig#stage()} and its own settings) and nothing else. The CLI, the benchmarks and
 * tests start stages here; the stages themselves never see {@link ConvLensConfig}.
 */
public final class Stages {
  private Stages() {}

  public static AnalyzeRun.Summary analyze(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    return AnalyzeRun.execute(config.stage(), config.analyze(), spark, console);
  }

  public static ModelVizRun.Summary modelViz(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    return ModelVizRun.execute(config.stage(), config.modelViz(), spark, console);
  }

  public static AuditRun.Summary audit(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    return AuditRun.execute(config.stage(), config.analyze(), config.audit(), spark, console);
  }

  public static ReportRun.Summary report(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    return ReportRun.execute(config.stage(), config.report(), config.audit(), spark, console);
  }
}
