package org.convlens.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.Stages;
import org.convlens.report.Projections;
import org.convlens.report.ReportRun;
import org.convlens.sampledata.SampleSpec;

/**
 * The report at scale: generates {@code n} fresh sample images (a CIFAR-format batch with the
 * sample data's 10 classes and planted shortcut, a new seed), analyses them with the bundled model
 * (saliency and Grad-CAM, so the galleries have maps), runs model-viz, then times the report job
 * with its defaults (all {@code n} points, perplexities 5/30/50, thumbnails) and prints each
 * phase, the views' trustworthiness and the file size.
 */
public final class ReportBenchmark {
  private final SparkSession spark;
  private final PrintStream out;
  private final Path scratch;

  public ReportBenchmark(SparkSession spark, PrintStream out, Path scratch) {
    this.spark = spark;
    this.out = out;
    this.scratch = scratch;
  }

  public void run(int n) throws Exception {
    out.println();
    out.printf(Locale.ROOT, "== report job on %,d generated images (bundled model, 128-d embeddings) ==%n", n);
    long t0 = System.nanoTime();
    Path batch = GeneratedData.cifarBatch(7L, n, scratch.resolve("report-bench-data"));
    out.printf(Locale.ROOT, "generated %,d images in %.1f s%n", SampleSpec.cifarTestOnly(7L, n).cifarTestPerClass()
        * SampleSpec.classCount(), secs(t0));
    Path outDir = scratch.resolve("report-bench-out");
    Map<String, Object> options = GeneratedData.options(batch, outDir);
    List<String> sets = List.of("analyze.methods=[saliency, gradcam]", "model-viz.maximize.steps=64");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    long t1 = System.nanoTime();
    AnalyzeRun.Summary a = Stages.analyze(ConfigLoader.load(null, options, sets), spark, quiet);
    out.printf(Locale.ROOT, "analyze: %,d rows in %.1f s%n", a.inputs(), secs(t1));
    Stages.modelViz(ConfigLoader.load(null, options, sets), spark, quiet);

    long t2 = System.nanoTime();
    ReportRun.Summary r = Stages.report(ConfigLoader.load(null, options, sets), spark, out);
    double seconds = secs(t2);
    out.printf(Locale.ROOT, "%-44s %10s %10s%n", "report view", "T(10)", "seconds");
    for (Projections.View v : r.views()) {
      out.printf(Locale.ROOT, "%-44s %10.4f %10.1f%n",
          v.kind().equals("pca") ? "PCA" : "t-SNE perplexity " + v.perplexity(),
          v.trustworthiness() == null ? Double.NaN : v.trustworthiness(), v.seconds());
    }
    out.printf(Locale.ROOT, "report job: %,d points, %d gallery images, %.1f MB HTML, %.1f s in all -> %s%n",
        r.points(), r.galleryImages(), r.bytes() / 1e6, seconds, r.file());
  }

  private static double secs(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
