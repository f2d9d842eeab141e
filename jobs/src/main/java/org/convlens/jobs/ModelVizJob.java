package org.convlens.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.convlens.modelviz.ModelVizRun;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;

/** Model-viz: filter grids, model summary, class vectors and input maximisation, to <out>/model. */
public final class ModelVizJob {
  private ModelVizJob() {}

  public static ModelVizRun.Summary run(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    ModelVizRun.Summary s = Stages.modelViz(config, spark, console);
    console.printf(Locale.ROOT, "model-viz: %,d parameters (%,d trainable) in %d layers; %d filter grid(s);"
            + " %d maximisation target(s)%s; class means from %s; %.1f s -> %s%n",
        s.model().totalParameters(), s.model().trainableParameters(), s.model().layers().size(),
        s.filters().size(), s.targets(), s.failed() > 0 ? " (" + s.failed() + " failed)" : "",
        s.classMeansFrom() == null ? "no analysis (run analyze first)"
            : s.classMeanRows() + " analysed images",
        s.seconds(), AnalyzeJob.display(s.output()));
    return s;
  }
}
