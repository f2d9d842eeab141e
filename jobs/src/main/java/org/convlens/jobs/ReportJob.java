package org.convlens.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;
import org.convlens.report.Projections;
import org.convlens.report.ReportRun;

/** Report: one self-contained HTML file from the analyze and model-viz outputs. */
public final class ReportJob {
  private ReportJob() {}

  public static ReportRun.Summary run(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    ReportRun.Summary s = Stages.report(config, spark, console);
    StringBuilder views = new StringBuilder();
    for (Projections.View v : s.views()) {
      views.append(views.isEmpty() ? "" : ", ")
          .append(v.kind().equals("pca") ? "PCA" : "t-SNE p" + v.perplexity())
          .append(v.trustworthiness() == null ? "" : String.format(Locale.ROOT, " T=%.3f", v.trustworthiness()));
    }
    console.printf(Locale.ROOT, "report: %,d rows; %,d of %,d usable images drawn (%s); %d gallery images;"
            + " model sections %s; audit section %s; %.1f MB in %.1f s -> %s%n",
        s.rows(), s.points(), s.available(), views.isEmpty() ? "no projections" : views, s.galleryImages(),
        s.modelSection() ? "included" : "missing (run model-viz)",
        s.auditSection() ? "included" : "missing (run audit)", s.bytes() / 1e6, s.seconds(),
        AnalyzeJob.display(s.file()));
    return s;
  }
}
