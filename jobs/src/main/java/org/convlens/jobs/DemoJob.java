package org.convlens.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.config.ConvLensHome;
import org.convlens.modelviz.ModelVizRun;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.report.ReportRun;

/** The whole pipeline on sample-data/: analyze, model-viz, audit, then the HTML report. */
public final class DemoJob {
  private DemoJob() {}

  /**
   * The demo's inputs: the CIFAR-format test batch, the ImageNet-style validation folder and a
   * folder of unusual and broken files (which become error rows).
   */
  public static List<String> sampleInputs() {
    Path data = ConvLensHome.sampleData();
    return List.of(
        data.resolve("cifar10/test_batch.bin").toString(),
        data.resolve("imagenet/val").toString(),
        data.resolve("odd-images").toString());
  }

  public static AnalyzeRun.Summary run(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    ConvLensConfig demo = config.input().paths().isEmpty() ? config.withInputPaths(sampleInputs()) : config;
    org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    AnalyzeRun.Summary s;
    ModelVizRun.Summary v;
    org.convlens.audit.AuditRun.Summary a;
    ReportRun.Summary r;
    // One lock over the four steps, so no other run writes into the folder between them.
    try (org.convlens.spark.OutputLock lock = org.convlens.spark.OutputLock.acquire(
        org.convlens.data.HadoopPaths.qualify(demo.output().dir(), hadoop), hadoop, "output.dir", "demo",
        demo.output().lockTimeoutSeconds(), console)) {
      s = AnalyzeJob.run(demo, spark, console);
      v = ModelVizJob.run(demo, spark, console);
      a = AuditJob.run(demo, spark, console);
      r = ReportJob.run(demo, spark, console);
    }
    console.println();
    console.println("Demo finished. Outputs:");
    console.println("  " + AnalyzeJob.display(s.output()) + "   (Parquet, one row per input; schema in docs/parquet-schema.md)");
    String dir = AnalyzeJob.display(new org.apache.hadoop.fs.Path(s.output()).getParent().toString());
    console.println("  " + dir + "/run.json   (run summary, errors by kind)");
    console.println("  " + dir + "/effective.conf   (configuration used)");
    String model = AnalyzeJob.display(v.output());
    console.println("  " + model + "/model-viz.json   (model summary, filter grids, maximisation index)");
    console.println("  " + model + "/filters-first.png, filters-second.png, architecture.svg");
    console.println("  " + model + "/maximization/ and maximization-png/   (input maximisation per class)");
    console.println("  " + model + "/class_vectors/   (Parquet: head weight rows and mean embeddings per class)");
    console.println("  " + AnalyzeJob.display(a.dir()) + "/   (audit: Parquet tables and audit.json; docs/audit.md)");
    console.println("  " + AnalyzeJob.display(r.file()) + "   (the report: open it in any browser, works offline)");
    return s;
  }
}
