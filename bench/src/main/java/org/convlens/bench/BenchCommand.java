package org.convlens.bench;

import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.InvalidConfigException;
import org.convlens.jobs.CliExtension;
import org.convlens.jobs.ConvLensCli;
import org.convlens.pipeline.ConvLensConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code convlens bench}: the figures of docs/benchmarks.md, measured side by side in one run.
 * The CLI finds this command through {@link CliExtension} when the bench module is on the
 * classpath (the launcher of a source checkout puts it there).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Print throughput side by side (raw engine vs the Spark jobs: forward, forward+backward,"
        + " saliency + Grad-CAM, occlusion by perturbation batch, input maximisation) for the bundled model and a"
        + " ResNet-18 TorchScript model, and t-SNE speed and quality against scikit-learn and Smile.")
public final class BenchCommand extends ConvLensCli.SparkCommand implements CliExtension {
  @Option(names = "--cifar-images", defaultValue = "20000", description = "Images for the 32² forward-path rows (default ${DEFAULT-VALUE}).")
  int cifarImages;

  @Option(names = "--imagenet-images", defaultValue = "600", description = "Images for the 224² forward-path rows (default ${DEFAULT-VALUE}).")
  int imagenetImages;

  @Option(names = "--torchscript", paramLabel = "PT", defaultValue = "bench-models/resnet18.pt",
      description = "ResNet-18-layout TorchScript model with sidecar .json (made by tools/make_resnet18.py; default ${DEFAULT-VALUE}).")
  java.nio.file.Path torchscript;

  @Option(names = "--perturbations", split = ",", defaultValue = "16,32,64,128",
      description = "perturbations-per-eval values to time for occlusion; 1 is always timed (default ${DEFAULT-VALUE}).")
  java.util.List<Integer> perturbations;

  @Option(names = "--occlusion-images", defaultValue = "2", description = "Images per thread per occlusion row (default ${DEFAULT-VALUE}).")
  int occlusionImages;

  @Option(names = "--tsne-points", split = ",", defaultValue = "5000,50000",
      description = "Sizes for the t-SNE rows (ConvLens vs scikit-learn; default ${DEFAULT-VALUE}).")
  java.util.List<Integer> tsnePoints;

  @Option(names = "--smile-points", defaultValue = "3000",
      description = "Points for the exact Smile t-SNE reference row, 0 = skip (default ${DEFAULT-VALUE}).")
  int smilePoints;

  @Option(names = "--report-points", defaultValue = "50000",
      description = "Generated images for the report row (analyze, model-viz, then the report job; default ${DEFAULT-VALUE}).")
  int reportPoints;

  @Option(names = "--soak-images", defaultValue = "20000",
      description = "Generated images for the memory soak through one executor of a local standalone cluster (default ${DEFAULT-VALUE}).")
  int soakImages;

  @Option(names = "--audit-images", defaultValue = "20000",
      description = "Generated images for the audit row (analyze with saliency, Grad-CAM and CAM, then the audit; default ${DEFAULT-VALUE}).")
  int auditImages;

  @Option(names = "--shortcut-rates", split = ",", defaultValue = "0.01,0.05,0.2",
      description = "Shares of other classes' test images that carry each planted cue, one generated test set each,"
          + " in (0, 1] (section shortcuts; default ${DEFAULT-VALUE}).")
  java.util.List<Double> shortcutRates;

  @Option(names = "--shortcut-images", defaultValue = "" + ShortcutBenchmark.DEFAULT_IMAGES,
      description = "Generated test images per rate, at least 100 (section shortcuts; default ${DEFAULT-VALUE}).")
  int shortcutImages;

  @Option(names = "--python", paramLabel = "CMD", defaultValue = "${env:CONVLENS_PYTHON:-python3}",
      description = "The Python (a path, or a name on PATH) that runs the scikit-learn t-SNE reference (needs"
          + " scikit-learn) and the PyTorch rows beside the TorchScript model's (tools/torch_bench.py, needs"
          + " PyTorch); default $CONVLENS_PYTHON, else python3: ${DEFAULT-VALUE}.")
  String python;

  @Option(names = "--section", defaultValue = "all",
      description = "all, models (analyze and model-viz rows), tsne; or, not in all: report (the report job at scale),"
          + " audit (the audit job at scale), shortcuts (the audit against planted shortcuts at several rates),"
          + " soak (executor memory over a long analyze on a local standalone cluster) (default ${DEFAULT-VALUE}).")
  String section;

  @Override
  public Object command() {
    return this;
  }

  /** The options, checked before Spark starts. */
  @Override
  public Integer call() throws Exception {
    if (!java.util.List.of("all", "models", "tsne", "report", "audit", "shortcuts", "soak").contains(section)) {
      throw new InvalidConfigException("--section", "invalid value '" + section
          + "' for --section: allowed values are all, models, tsne, report, audit, shortcuts, soak");
    }
    shortcutOptions();
    return super.call();
  }

  private ShortcutBenchmark.Options shortcutOptions() {
    return new ShortcutBenchmark.Options(shortcutRates, shortcutImages);
  }

  @Override
  protected void run(ConvLensConfig config, SparkSession spark, PrintStream console) throws Exception {
    if (cifarImages < 1 || imagenetImages < 1 || occlusionImages < 1) {
      throw new InvalidConfigException("--cifar-images", "image counts must be at least 1");
    }
    if (auditImages < 100) {
      throw new InvalidConfigException("--audit-images", "--audit-images must be at least 100");
    }
    if (soakImages < 100) {
      throw new InvalidConfigException("--soak-images", "--soak-images must be at least 100");
    }
    if (reportPoints < 100) {
      throw new InvalidConfigException("--report-points", "--report-points must be at least 100");
    }
    if (smilePoints < 0 || (smilePoints > 0 && smilePoints < 100) || tsnePoints.stream().anyMatch(n -> n < 100)) {
      throw new InvalidConfigException("--tsne-points", "t-SNE sizes must be at least 100 points (--smile-points: 0 or at least 100)");
    }
    java.nio.file.Path scratch = java.nio.file.Path.of(config.output().dir(), "bench");
    if (section.equals("soak")) {
      new SoakBenchmark(console, scratch.toAbsolutePath()).run(soakImages, spark);
      return;
    }
    if (section.equals("audit")) {
      new AuditBenchmark(spark, console, scratch).run(auditImages);
      return;
    }
    if (section.equals("shortcuts")) {
      new ShortcutBenchmark(spark, console, scratch).run(shortcutOptions());
      return;
    }
    if (section.equals("report")) {
      new ReportBenchmark(spark, console, scratch).run(reportPoints);
      return;
    }
    if (!section.equals("tsne")) {
      Benchmark.run(config, spark, Benchmark.Options.builder()
          .cifarImages(cifarImages)
          .imagenetImages(imagenetImages)
          .torchscript(torchscript)
          .perturbationBatches(perturbations)
          .occlusionImages(occlusionImages)
          .scratch(scratch)
          .python(python)
          .build(), console);
    }
    if (!section.equals("models")) {
      new TsneBenchmark(console, spark.sparkContext().defaultParallelism(), scratch, python)
          .run(tsnePoints, smilePoints);
    }
  }
}
