package org.convlens.modelviz;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Settings.WriteMode;
import org.convlens.config.StageContext;
import org.convlens.data.HadoopPaths;
import org.convlens.data.Images;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.InferenceSession.Objective;
import org.convlens.model.ModelCache;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelParameters;
import org.convlens.model.ModelSpec;
import org.convlens.spark.OutputFiles;
import org.convlens.spark.OutputJson;
import org.convlens.spark.OutputLayout;
import org.convlens.spark.OutputLock;
import org.convlens.spark.ProgressReporter;
import org.convlens.spark.StagedOutput;

/**
 * The model-viz stage: what the model itself shows, not per image. Writes {@code <out>/model/}:
 *
 * <ul>
 *   <li>{@code model-viz.json}: the model summary (layer table, totals, diagram), the filter
 *       grids' layout, the class-vector and maximisation indexes and settings;
 *   <li>{@code architecture.svg}, {@code filters-first.png}, {@code filters-second.png};
 *   <li>{@code class_vectors/} (Parquet, {@link ClassVectorsSchema});
 *   <li>{@code maximization/} (Parquet, {@link MaximizationSchema}) and {@code
 *       maximization-png/<kind>-<index>.png}, the final image of each target.
 * </ul>
 *
 * Summary, filters and class vectors are computed on the driver from the weights (small);
 * the class means are a Spark aggregation of the analyze output; input maximisation is spread
 * over executors with one task per target, each on the executor's cached model.
 */
public final class ModelVizRun {
  public static final String MODEL_DIR = "model";
  public static final String MAXIMIZATION_DIR = "maximization";
  public static final String CLASS_VECTORS_DIR = "class_vectors";
  public static final String PNG_DIR = "maximization-png";
  public static final String INDEX_FILE = "model-viz.json";

  /**
   * What a run did.
   *
   * @param targets maximisation targets run; {@code failed} of them ended in an error row
   * @param classMeansFrom the analyze output whose embeddings were averaged, or null
   */
  public record Summary(String runId, String modelId, String output, ModelSummary model,
      List<FilterGrid> filters, int targets, int failed, String classMeansFrom, long classMeanRows,
      double seconds) {
    /** A builder, so that a caller names each of the 10 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String runId;
      private String modelId;
      private String output;
      private ModelSummary model;
      private List<FilterGrid> filters;
      private int targets;
      private int failed;
      private String classMeansFrom;
      private long classMeanRows;
      private double seconds;

      private Builder() {}

      public Builder runId(String runId) {
        this.runId = runId;
        return this;
      }

      public Builder modelId(String modelId) {
        this.modelId = modelId;
        return this;
      }

      public Builder output(String output) {
        this.output = output;
        return this;
      }

      public Builder model(ModelSummary model) {
        this.model = model;
        return this;
      }

      public Builder filters(List<FilterGrid> filters) {
        this.filters = filters;
        return this;
      }

      public Builder targets(int targets) {
        this.targets = targets;
        return this;
      }

      public Builder failed(int failed) {
        this.failed = failed;
        return this;
      }

      public Builder classMeansFrom(String classMeansFrom) {
        this.classMeansFrom = classMeansFrom;
        return this;
      }

      public Builder classMeanRows(long classMeanRows) {
        this.classMeanRows = classMeanRows;
        return this;
      }

      public Builder seconds(double seconds) {
        this.seconds = seconds;
        return this;
      }

      public Summary build() {
        return new Summary(runId, modelId, output, model, filters, targets, failed, classMeansFrom, classMeanRows,
            seconds);
      }
    }
  }

  private ModelVizRun() {}

  public static Summary execute(StageContext stage, ModelVizSettings settings, SparkSession spark,
      PrintStream console)
      throws IOException {
    long start = System.nanoTime();
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path outDir = HadoopPaths.qualify(stage.output().dir(), hadoop);
    Path modelDir = new Path(outDir, MODEL_DIR);
    try (OutputLock lock = OutputLock.acquire(outDir, hadoop, "output.dir", "model-viz",
        stage.output().lockTimeoutSeconds(), console)) {
      if (stage.output().mode() == WriteMode.ERROR && HadoopPaths.statusOrNull(modelDir, hadoop) != null) {
        throw new InvalidConfigException("output.mode", modelDir
            + " already exists and output.mode = error: choose another --out or set output.mode=overwrite");
      }
      // Written beside model/ and swapped in whole when complete: no target of an earlier run
      // lingers, and a failed run leaves the earlier output as it was.
      String runId = OutputLayout.newRunId();
      try (StagedOutput staged = StagedOutput.begin(modelDir, hadoop, runId)) {
        Summary done = write(stage, settings, spark, console, staged.path(), modelDir, runId, start);
        staged.replace(lock);
        return done;
      }
    }
  }

  private static Summary write(StageContext stage, ModelVizSettings settings, SparkSession spark, PrintStream console,
      Path writeDir,
      Path modelDir, String runId, long start) throws IOException {
    MaximizeSettings max = settings.maximize();
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path outDir = modelDir.getParent();
    // Everything that depends on the model is checked before any Spark job.
    ModelSpec spec = ModelSpec.of(stage.model());
    Classifier classifier = ModelCache.get(spec);
    ModelDescription d = classifier.description();
    ModelParameters params = ModelParameters.of(classifier);
    List<ModelParameters.Param> convs = FilterGrid.chooseLayers(params, settings.firstLayer(),
        settings.secondLayer());
    List<InputMaximizer.Target> targets = targets(max, classifier);
    Path analysis = analysisPath(settings, outDir, hadoop);
    console.printf(Locale.ROOT, "model-viz: model %s (%s) on %s, %d maximisation target(s)%n",
        d.id(), d.engine(), classifier.device(), targets.size());

    ModelSummary summary = ModelSummary.of(classifier, params);
    OutputFiles.writeText(new Path(writeDir, "architecture.svg"),
        ArchitectureSvg.render(summary.diagram()), hadoop);
    List<FilterGrid> grids = new ArrayList<>();
    List<ModelVizIndex.FilterEntry> filterIndex = new ArrayList<>();
    for (int i = 0; i < convs.size(); i++) {
      FilterGrid g = FilterGrid.of(params, convs.get(i), i == 0);
      String file = i == 0 ? "filters-first.png" : "filters-second.png";
      OutputFiles.writeBytes(new Path(writeDir, file), Images.png(g.render()), hadoop);
      grids.add(g);
      filterIndex.add(ModelVizIndex.FilterEntry.of(g, file, i == 0 ? "first" : "second"));
    }

    ClassVectors.Head head = ClassVectors.head(params, d.numClasses(), classifier.embeddingDim());
    ClassVectors.Means means = null;
    if (analysis != null) {
      means = ClassVectors.means(spark.read().parquet(analysis.toString()), d,
          classifier.embeddingDim());
    }
    // The rows travel inside the tasks (three D-float vectors per class): keep each task under
    // about 512 KB, Spark's comfortable task size (1000 ImageNet classes × 512 floats ≈ 6 MB).
    long bytes = 12L * d.numClasses() * classifier.embeddingDim();
    int slices = (int) Math.max(1, Math.min(d.numClasses(), (bytes + (512 << 10) - 1) / (512 << 10)));
    JavaRDD<Row> vectorRows = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(ClassVectors.rows(d, head, means), slices);
    spark.createDataFrame(vectorRows, ClassVectorsSchema.SCHEMA).write().mode(SaveMode.Overwrite)
        .parquet(new Path(writeDir, CLASS_VECTORS_DIR).toString());

    List<ModelVizIndex.TargetEntry> targetIndex = new ArrayList<>();
    int failed = 0;
    Path maxDir = new Path(writeDir, MAXIMIZATION_DIR);
    if (!targets.isEmpty()) {
      LongAccumulator steps = spark.sparkContext().longAccumulator("convlens.maximize.steps");
      long totalSteps = (long) targets.size() * max.steps();
      ProgressReporter progress = new ProgressReporter("model-viz",
          new ProgressReporter.Total(totalSteps, "steps", "steps"), steps, stage.progress().intervalSeconds(), console);
      try (progress) {
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(targets, targets.size())
            .mapPartitions(new MaximizeTask(runId, spec, d, max, steps));
        spark.createDataFrame(rows, MaximizationSchema.SCHEMA).write().mode(SaveMode.Overwrite)
            .parquet(maxDir.toString());
      }
      console.println(progress.line(totalSteps));
      Dataset<Row> written = spark.read().parquet(maxDir.toString())
          .select(Arrays.stream(ModelVizIndex.TargetEntry.COLUMNS).map(c -> col(c)).toArray(Column[]::new))
          .orderBy("target_kind", "target_index");
      Iterator<Row> it = written.toLocalIterator();
      while (it.hasNext()) {
        Row r = it.next();
        String file = null;
        if (r.isNullAt(6)) {
          failed++;
        } else {
          file = PNG_DIR + "/" + r.getString(0) + "-" + r.getInt(1) + ".png";
          OutputFiles.writeBytes(new Path(writeDir, file), (byte[]) r.get(6), hadoop);
        }
        targetIndex.add(ModelVizIndex.TargetEntry.of(r, file));
      }
      if (targetIndex.size() != targets.size()) {
        throw new IllegalStateException("model-viz wrote " + targetIndex.size() + " rows for "
            + targets.size() + " targets");
      }
    }

    double seconds = (System.nanoTime() - start) / 1e9;
    ModelVizIndex index = ModelVizIndex.builder()
        .runId(runId)
        .finishedAt(Instant.now().toString())
        .modelId(d.id())
        .engine(d.engine())
        .device(classifier.device())
        .seconds(Math.round(seconds * 100) / 100.0)
        .summary(OutputJson.tree(summary))
        .architecture("architecture.svg")
        .filters(filterIndex)
        .classVectors(new ModelVizIndex.ClassVectorsEntry(CLASS_VECTORS_DIR, ClassVectorsSchema.VERSION,
            head == null ? null : head.weight(), analysis == null ? null : analysis.toString(),
            means == null ? 0 : means.rowsUsed()))
        .maximization(new ModelVizIndex.MaximizationEntry(targets.isEmpty() ? null : MAXIMIZATION_DIR,
            MaximizationSchema.VERSION, OutputJson.tree(max), targetIndex))
        .build();
    OutputJson.write(new Path(writeDir, INDEX_FILE), index, hadoop);
    return Summary.builder()
        .runId(runId)
        .modelId(d.id())
        .output(modelDir.toString())
        .model(summary)
        .filters(grids)
        .targets(targets.size())
        .failed(failed)
        .classMeansFrom(analysis == null ? null : analysis.toString())
        .classMeanRows(means == null ? 0 : means.rowsUsed())
        .seconds(seconds)
        .build();
  }

  /**
   * The analyze output to average: {@code model-viz.analysis}, which must exist when given, or
   * {@code <out>/analysis} when it exists; null when there is none.
   */
  static Path analysisPath(ModelVizSettings s, Path outDir, Configuration hadoop) throws IOException {
    if (!s.analysis().isEmpty()) {
      Path p = HadoopPaths.qualify(s.analysis(), hadoop);
      if (HadoopPaths.statusOrNull(p, hadoop) == null) {
        throw new InvalidConfigException("model-viz.analysis", "model-viz.analysis = " + s.analysis()
            + " does not exist: give an analyze output folder (<out>/analysis) or leave it empty");
      }
      return p;
    }
    Path p = new Path(outDir, OutputLayout.ANALYSIS_DIR);
    return HadoopPaths.statusOrNull(p, hadoop) != null ? p : null;
  }

  /** The targets the settings name, checked against the model (fails naming the key). */
  public static List<InputMaximizer.Target> targets(MaximizeSettings s, Classifier classifier) {
    ModelDescription d = classifier.description();
    List<InputMaximizer.Target> out = new ArrayList<>();
    Set<Integer> classes = new LinkedHashSet<>();
    if (s.allClasses()) {
      for (int i = 0; i < d.numClasses(); i++) {
        classes.add(i);
      }
    } else {
      for (String c : s.classes()) {
        int i = d.classIndex(c);
        if (i < 0) {
          throw InvalidConfigException.range("model-viz.maximize.classes", c, "\"all\", or class names"
              + " or indices 0.." + (d.numClasses() - 1) + " of model " + d.id() + " " + d.classNames());
        }
        if (!classes.add(i)) {
          throw new InvalidConfigException("model-viz.maximize.classes",
              "model-viz.maximize.classes names class " + d.classNames().get(i) + " twice");
        }
      }
    }
    for (int i : classes) {
      out.add(new InputMaximizer.Target(Objective.Kind.CLASS, i, d.classNames().get(i), null));
    }
    if (!s.channels().isEmpty()) {
      String layer = s.layer().isEmpty() ? classifier.defaultGradientLayer() : s.layer();
      int[] shape = layer == null ? null : classifier.gradientLayers().get(layer);
      if (shape == null) {
        throw InvalidConfigException.range("model-viz.maximize.layer",
            s.layer().isEmpty() ? "(default)" : s.layer(),
            "a layer of model " + d.id() + ": " + classifier.gradientLayers().keySet());
      }
      Set<Integer> seen = new LinkedHashSet<>();
      for (int ch : s.channels()) {
        if (ch >= shape[0]) {
          throw InvalidConfigException.range("model-viz.maximize.channels", ch,
              "channels 0.." + (shape[0] - 1) + " of layer " + layer);
        }
        if (seen.add(ch)) {
          out.add(new InputMaximizer.Target(Objective.Kind.CHANNEL, ch, layer + ":" + ch, layer));
        }
      }
    }
    return out;
  }

  /** One partition = one target (usually): optimise it on this executor's cached model. */
  static final class MaximizeTask implements FlatMapFunction<Iterator<InputMaximizer.Target>, Row> {
    private final String runId;
    private final ModelSpec spec;
    private final ModelDescription description;
    private final MaximizeSettings settings;
    private final LongAccumulator steps;

    MaximizeTask(String runId, ModelSpec spec, ModelDescription description,
        MaximizeSettings settings, LongAccumulator steps) {
      this.runId = runId;
      this.spec = spec;
      this.description = description;
      this.settings = settings;
      this.steps = steps;
    }

    @Override
    public Iterator<Row> call(Iterator<InputMaximizer.Target> targets) throws Exception {
      List<Row> rows = new ArrayList<>();
      Classifier classifier = ModelCache.get(spec);
      try (InferenceSession session = classifier.newSession()) {
        while (targets.hasNext()) {
          InputMaximizer.Target t = targets.next();
          try {
            InputMaximizer.Result r = InputMaximizer.run(session, description, t, settings,
                () -> steps.add(1));
            rows.add(MaximizationSchema.row(runId, description, settings, r));
          } catch (RuntimeException e) {
            // One target failing (e.g. out of memory on a huge input) must not lose the others.
            rows.add(MaximizationSchema.errorRow(runId, description, settings, t,
                e.getClass().getSimpleName() + ": " + e.getMessage()));
          }
        }
      }
      // A retried task recomputes its targets from the same seed, so it writes the same images.
      return rows.iterator();
    }
  }
}
