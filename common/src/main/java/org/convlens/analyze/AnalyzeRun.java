package org.convlens.analyze;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.convlens.attribution.AttributionSettings;
import org.convlens.attribution.Attributions;
import org.convlens.config.Choice;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.Settings.InputSettings;
import org.convlens.config.Settings.ModelSettings;
import org.convlens.config.Settings.WriteMode;
import org.convlens.config.SettingsSpec;
import org.convlens.config.StageContext;
import org.convlens.data.HadoopConf;
import org.convlens.data.HadoopPaths;
import org.convlens.data.ImageSource;
import org.convlens.data.ImageSources;
import org.convlens.data.InputSchema;
import org.convlens.model.Classifier;
import org.convlens.model.ModelCache;
import org.convlens.model.ModelSpec;
import org.convlens.spark.OutputFiles;
import org.convlens.spark.OutputJson;
import org.convlens.spark.OutputLayout;
import org.convlens.spark.OutputLock;
import org.convlens.spark.ProgressReporter;
import org.convlens.spark.StagedOutput;

/**
 * One analysis run: list every input dataset, classify every input on the executors, write
 * {@code <out>/analysis/} (Parquet, {@link AnalysisSchema}), then {@code <out>/run.json} (the
 * run summary) and {@code <out>/effective.conf} (the configuration actually used). Checks that
 * output rows = input rows.
 */
public final class AnalyzeRun {
  /** The run summary's file name, beside {@code analysis/}: {@link RunRecord}. */
  public static final String RUN_FILE = "run.json";

  /** What a run did; {@code run.json} ({@link RunRecord}) is written from it. */
  public record Summary(
      String runId,
      String modelId,
      String device,
      List<String> datasets,
      String output,
      long inputs,
      long ok,
      Map<String, Long> errorsByKind,
      Map<String, Long> skippedByReason,
      double seconds,
      Map<String, Object> methodEntries) {
    public long errors() {
      return inputs - ok;
    }

    /** Entries under the inputs left out on purpose, all reasons together. */
    public long skippedFiles() {
      return skippedByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    public double imagesPerSecond() {
      return seconds > 0 ? inputs / seconds : 0;
    }

    /** A builder, so that a caller names each of the 11 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String runId;
      private String modelId;
      private String device;
      private List<String> datasets;
      private String output;
      private long inputs;
      private long ok;
      private Map<String, Long> errorsByKind;
      private Map<String, Long> skippedByReason;
      private double seconds;
      private Map<String, Object> methodEntries;

      private Builder() {}

      public Builder runId(String runId) {
        this.runId = runId;
        return this;
      }

      public Builder modelId(String modelId) {
        this.modelId = modelId;
        return this;
      }

      public Builder device(String device) {
        this.device = device;
        return this;
      }

      public Builder datasets(List<String> datasets) {
        this.datasets = datasets;
        return this;
      }

      public Builder output(String output) {
        this.output = output;
        return this;
      }

      public Builder inputs(long inputs) {
        this.inputs = inputs;
        return this;
      }

      public Builder ok(long ok) {
        this.ok = ok;
        return this;
      }

      public Builder errorsByKind(Map<String, Long> errorsByKind) {
        this.errorsByKind = errorsByKind;
        return this;
      }

      public Builder skippedByReason(Map<String, Long> skippedByReason) {
        this.skippedByReason = skippedByReason;
        return this;
      }

      public Builder seconds(double seconds) {
        this.seconds = seconds;
        return this;
      }

      public Builder methodEntries(Map<String, Object> methodEntries) {
        this.methodEntries = methodEntries;
        return this;
      }

      public Summary build() {
        return new Summary(runId, modelId, device, datasets, output, inputs, ok, errorsByKind, skippedByReason, seconds,
            methodEntries);
      }
    }
  }

  private AnalyzeRun() {}

  public static Summary execute(StageContext stage, AnalyzeSettings analyze, SparkSession spark,
      PrintStream console)
      throws IOException {
    long start = System.nanoTime();
    if (stage.input().paths().isEmpty()) {
      throw new InvalidConfigException("input.paths", "no input given: pass --input PATH (or set input.paths)");
    }
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path outDir = HadoopPaths.qualify(stage.output().dir(), hadoop);
    Path analysisDir = new Path(outDir, OutputLayout.ANALYSIS_DIR);
    // The output folder first: writable, and ours alone until the run ends.
    try (OutputLock lock = OutputLock.acquire(outDir, hadoop, "output.dir", "analyze",
        stage.output().lockTimeoutSeconds(), console)) {
      return execute(stage, analyze, spark, console, lock, outDir, analysisDir, start);
    }
  }

  private static Summary execute(StageContext stage, AnalyzeSettings analyze, SparkSession spark, PrintStream console,
      OutputLock lock,
      Path outDir, Path analysisDir, long start) throws IOException {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    if (stage.output().mode() == WriteMode.ERROR && HadoopPaths.statusOrNull(analysisDir, hadoop) != null) {
      throw new InvalidConfigException("output.mode",
          analysisDir + " already exists and output.mode = error: choose another --out or set output.mode=overwrite");
    }

    // Inputs first (cheap driver-side checks), then the model: both fail before any Spark job.
    List<ImageSource> sources = ImageSources.openAll(stage.input(), spark);
    ModelSpec spec = ModelSpec.of(stage.model());
    Classifier classifier = ModelCache.get(spec);
    List<String> modelClasses = classifier.description().classNames();
    // Settings that depend on the model, checked before any image is read.
    AttributionSettings attribution = analyze.attribution();
    int fixedTarget = Analyzer.fixedTarget(attribution.target(), classifier.description());
    Attributions.check(classifier, attribution);

    Dataset<Row> listing = null;
    for (ImageSource source : sources) {
      if (!source.classNames().isEmpty() && !modelClasses.containsAll(source.classNames())) {
        console.println("note: dataset '" + source.name() + "' has class names the model does not know;"
            + " 'correct' compares names, so it will be false for those labels");
      }
      Dataset<Row> rows = source.list(spark);
      if (stage.input().limit() > 0) {
        rows = rows.limit((int) Math.min(Integer.MAX_VALUE, stage.input().limit()));
      }
      listing = listing == null ? rows : listing.union(rows);
    }
    boolean resume = stage.output().mode() == WriteMode.RESUME && hasRows(analysisDir, hadoop);
    long listed = 0;
    if (resume) {
      Dataset<Row> existing = spark.read().parquet(analysisDir.toString());
      List<Integer> versions = existing.select("schema_version").distinct().as(Encoders.INT()).collectAsList();
      if (versions.stream().anyMatch(v -> v != AnalysisSchema.VERSION)) {
        throw new InvalidConfigException("output.mode", analysisDir + " holds an analysis of schema version "
            + versions.stream().filter(v -> v != AnalysisSchema.VERSION).sorted().toList() + ", whose ids differ from"
            + " this version's (" + AnalysisSchema.VERSION + "): resume cannot tell which inputs it holds; analyse"
            + " again with output.mode=overwrite, or choose another --out");
      }
      String modelId = classifier.description().id();
      List<String> others = existing.select("model_id").distinct().filter(col("model_id").notEqual(modelId))
          .as(Encoders.STRING()).collectAsList();
      if (!others.isEmpty()) {
        throw new InvalidConfigException("output.mode", analysisDir + " holds rows of model " + others
            + ", not " + modelId + ": resume needs the same model (choose another --out, or output.mode=overwrite)");
      }
      // Only ids count: an input already analysed (ok or error) is not read again.
      Dataset<Row> doneIds = existing.select(col("id").as("_done_id")).distinct();
      Dataset<Row> all = listing;
      listing = all.join(doneIds, all.col(InputSchema.ID).equalTo(doneIds.col("_done_id")), "left_anti");
      listed = all.count();
    }
    listing = listing.persist(StorageLevel.MEMORY_AND_DISK());
    long total = listing.count();
    if (resume) {
      console.printf(Locale.ROOT, "analyze: resume: %,d input(s) already in %s, %,d new%n", listed - total,
          analysisDir, total);
    }
    Map<String, Long> skipped = new TreeMap<>();
    for (ImageSource s : sources) {
      s.skipped(spark).forEach((reason, n) -> skipped.merge(reason, n, Long::sum));
    }
    int partitions = stage.input().partitions() > 0
        ? stage.input().partitions()
        : (int) Math.max(2L * spark.sparkContext().defaultParallelism(),
            Math.min(100_000, (total + 8L * analyze.batchSize() - 1) / (8L * analyze.batchSize())));

    String runId = OutputLayout.newRunId();
    Analyzer.Options options = Analyzer.Options.builder()
        .runId(runId)
        .model(spec)
        .description(classifier.description())
        .topK(analyze.topK())
        .batchSize(analyze.batchSize())
        .maxFileBytes(stage.input().maxFileBytes())
        .maxPixels(stage.input().maxPixels())
        .attribution(attribution)
        .fixedTarget(fixedTarget)
        .thumbnailSide(analyze.thumbnailSide())
        .build();
    console.printf(Locale.ROOT, "analyze: %d inputs from %d dataset(s), model %s on %s, %d partitions%n",
        total, sources.size(), classifier.description().id(), classifier.device(), partitions);
    console.printf(Locale.ROOT, "analyze: methods %s, target %s%s%n",
        attribution.methods().isEmpty() ? "none" : String.join(", ", attribution.methods()), attribution.target(),
        Attributions.consoleNotes(attribution, classifier));
    LongAccumulator done = spark.sparkContext().longAccumulator("convlens.analyzed");
    ProgressReporter progress = new ProgressReporter("analyze", total, done, stage.progress().intervalSeconds(), console);
    // Written beside analysis/ and swapped in (or, resuming, its files moved in) only when complete:
    // a failed or killed run leaves the previous analysis as it was.
    try (StagedOutput staged = StagedOutput.begin(analysisDir, hadoop, runId)) {
      try (progress) {
        Analyzer.transform(listing, options, new HadoopConf(hadoop), done, partitions)
            .write()
            .mode(SaveMode.Overwrite)
            .parquet(staged.path().toString());
      } finally {
        listing.unpersist();
      }

      long ok = 0;
      long rows = 0;
      Map<String, Long> byKind = new TreeMap<>();
      for (Row r : spark.read().parquet(staged.path().toString()).groupBy(col("status"), col("error_kind")).count()
          .collectAsList()) {
        rows += r.getLong(2);
        if (AnalysisSchema.STATUS_OK.equals(r.getString(0))) {
          ok += r.getLong(2);
        } else {
          byKind.merge(r.getString(1), r.getLong(2), Long::sum);
        }
      }
      if (rows != total) {
        throw new IllegalStateException("analysis wrote " + rows + " rows for " + total + " inputs");
      }
      if (resume) {
        staged.append(lock);
      } else {
        staged.replace(lock);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Summary summary = Summary.builder()
          .runId(runId)
          .modelId(classifier.description().id())
          .device(classifier.device())
          .datasets(sources.stream().map(ImageSource::name).toList())
          .output(analysisDir.toString())
          .inputs(total)
          .ok(ok)
          .errorsByKind(byKind)
          .skippedByReason(skipped)
          .seconds(seconds)
          .methodEntries(Attributions.recorded(attribution, classifier))
          .build();
      console.println(progress.line(total));
      writeRunFiles(outDir, stage, analyze, summary, sources, hadoop);
      return summary;
    }
  }

  /** Whether {@code dir} holds an analysis to resume (a folder with at least one data file). */
  private static boolean hasRows(Path dir, Configuration hadoop) {
    if (HadoopPaths.statusOrNull(dir, hadoop) == null) {
      return false;
    }
    return HadoopPaths.children(dir, hadoop).stream()
        .anyMatch(s -> s.getPath().getName().endsWith(".parquet"));
  }

  private static void writeRunFiles(Path outDir, StageContext stage, AnalyzeSettings analyze, Summary s,
      List<ImageSource> sources,
      Configuration hadoop) throws IOException {
    List<RunRecord.Dataset> datasets = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      ImageSource source = sources.get(i);
      datasets.add(new RunRecord.Dataset(source.name(), source.format(), stage.input().paths().get(i),
          source.classNames()));
    }
    RunRecord run = RunRecord.builder()
        .runId(s.runId())
        .finishedAt(Instant.now().toString())
        .schemaVersion(AnalysisSchema.VERSION)
        .modelId(s.modelId())
        .device(s.device())
        .datasets(datasets)
        .analysis(s.output())
        .inputs(s.inputs())
        .ok(s.ok())
        .errors(s.errors())
        .errorsByKind(s.errorsByKind())
        .skippedFiles(s.skippedFiles())
        .skippedByReason(s.skippedByReason())
        .seconds(Math.round(s.seconds() * 100) / 100.0)
        .imagesPerSecond(Math.round(s.imagesPerSecond() * 10) / 10.0)
        // Each selected method's own entries (its layer, windows, samples), as the method records them.
        .attribution(RunRecord.Attribution.of(analyze.attribution(), s.methodEntries()))
        .config(summary(stage, analyze))
        .build();
    OutputJson.write(new Path(outDir, RUN_FILE), run, hadoop);
    OutputFiles.writeText(new Path(outDir, "effective.conf"),
        "# Effective ConvLens configuration of run " + s.runId() + "\n" + stage.rendered(), hadoop);
  }

  /** The key settings as {@code run.json}'s {@code config} entry: each key's path and its value as text. */
  static Map<String, String> summary(StageContext stage, AnalyzeSettings analyze) {
    Map<String, String> m = new LinkedHashMap<>();
    put(m, InputSettings.SPEC, stage.input(), InputSettings.PATHS, InputSettings.FORMAT);
    put(m, ModelSettings.SPEC, stage.model(), ModelSettings.PATH, ModelSettings.DEVICE);
    put(m, AnalyzeSettings.SPEC, analyze, AnalyzeSettings.TOP_K, AnalyzeSettings.BATCH_SIZE);
    put(m, AttributionSettings.SPEC, analyze.attribution(), AttributionSettings.METHODS, AttributionSettings.TARGET,
        AttributionSettings.SEED);
    return m;
  }

  /** Lists as comma-separated text, choices as their code. */
  private static <R extends Record> void put(Map<String, String> m, SettingsSpec<R> spec, R settings, Key<?>... keys) {
    for (Key<?> k : keys) {
      Object v = spec.get(settings, k);
      m.put(k.path(), v instanceof List<?> l ? l.stream().map(String::valueOf).collect(Collectors.joining(","))
          : v instanceof Choice c ? c.code() : String.valueOf(v));
    }
  }
}
