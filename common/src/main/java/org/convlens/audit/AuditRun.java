package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.IOException;
import java.io.PrintStream;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.analyze.AnalyzeSettings;
import org.convlens.analyze.RunRecord;
import org.convlens.attribution.AttributionSettings;
import org.convlens.attribution.Attributions;
import org.convlens.attribution.MapEncoding;
import org.convlens.attribution.PerturbationGridMethod;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.StageContext;
import org.convlens.data.HadoopConf;
import org.convlens.data.HadoopPaths;
import org.convlens.data.ImageSource;
import org.convlens.data.ImageSources;
import org.convlens.data.InputSchema;
import org.convlens.model.Classifier;
import org.convlens.model.ModelCache;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelSpec;
import org.convlens.spark.OutputJson;
import org.convlens.spark.OutputLayout;
import org.convlens.spark.OutputLock;
import org.convlens.spark.ProgressReporter;
import org.convlens.spark.StagedOutput;

/**
 * The audit stage: reads an analysis, computes where each class looks ({@link ClassAttention}),
 * shortcut candidates ({@link ShortcutFinder}), mistakes ({@link Mistakes}) and, on a sample,
 * the quality of each explanation method ({@link ExplanationQuality}); writes the Parquet tables
 * of {@link AuditSchema} under {@code <out>/audit/} and {@code audit.json}, the bounded summary
 * the report draws its Audit section from.
 */
public final class AuditRun {
  public static final String AUDIT_DIR = "audit";
  public static final String SUMMARY_FILE = "audit.json";

  /** What a run found. */
  public record Summary(String dir, String auditId, String modelId, long images, List<String> methods,
      List<String> flaggedClasses, Map<String, Long> suspects, List<Finding> signals,
      List<Verdicts.Verdict> findings, Double accuracy, long labelIssues,
      Map<String, Estimate> finalSpearman, Map<String, Double> phaseSeconds, double seconds) {
    /** A builder, so that a caller names each of the 14 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String dir;
      private String auditId;
      private String modelId;
      private long images;
      private List<String> methods;
      private List<String> flaggedClasses;
      private Map<String, Long> suspects;
      private List<Finding> signals;
      private List<Verdicts.Verdict> findings;
      private Double accuracy;
      private long labelIssues;
      private Map<String, Estimate> finalSpearman;
      private Map<String, Double> phaseSeconds;
      private double seconds;

      private Builder() {}

      public Builder dir(String dir) {
        this.dir = dir;
        return this;
      }

      public Builder auditId(String auditId) {
        this.auditId = auditId;
        return this;
      }

      public Builder modelId(String modelId) {
        this.modelId = modelId;
        return this;
      }

      public Builder images(long images) {
        this.images = images;
        return this;
      }

      public Builder methods(List<String> methods) {
        this.methods = methods;
        return this;
      }

      public Builder flaggedClasses(List<String> flaggedClasses) {
        this.flaggedClasses = flaggedClasses;
        return this;
      }

      public Builder suspects(Map<String, Long> suspects) {
        this.suspects = suspects;
        return this;
      }

      public Builder signals(List<Finding> signals) {
        this.signals = signals;
        return this;
      }

      public Builder findings(List<Verdicts.Verdict> findings) {
        this.findings = findings;
        return this;
      }

      public Builder accuracy(Double accuracy) {
        this.accuracy = accuracy;
        return this;
      }

      public Builder labelIssues(long labelIssues) {
        this.labelIssues = labelIssues;
        return this;
      }

      public Builder finalSpearman(Map<String, Estimate> finalSpearman) {
        this.finalSpearman = finalSpearman;
        return this;
      }

      public Builder phaseSeconds(Map<String, Double> phaseSeconds) {
        this.phaseSeconds = phaseSeconds;
        return this;
      }

      public Builder seconds(double seconds) {
        this.seconds = seconds;
        return this;
      }

      public Summary build() {
        return new Summary(dir, auditId, modelId, images, methods, flaggedClasses, suspects, signals, findings,
            accuracy, labelIssues, finalSpearman, phaseSeconds, seconds);
      }
    }
  }

  /** A sample's figure and its 95% interval (nulls where there is none). */
  public record Estimate(Double mean, Double lo, Double hi) {}

  private AuditRun() {}

  /** Seconds per phase, printed as each one ends. */
  private static final class Phases {
    private final PrintStream console;
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private long start = System.nanoTime();

    Phases(PrintStream console) {
      this.console = console;
    }

    void done(String phase) {
      double s = (System.nanoTime() - start) / 1e9;
      seconds.put(phase, s);
      console.printf(Locale.ROOT, "audit: %s in %.1f s%n", phase, s);
      start = System.nanoTime();
    }
  }

  public static Summary execute(StageContext stage, AnalyzeSettings analyze, AuditSettings settings, SparkSession spark,
      PrintStream console) throws IOException {
    long start = System.nanoTime();
    AuditSettings s = settings;
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path outDir = HadoopPaths.qualify(stage.output().dir(), hadoop);
    Path analysisDir = s.analysis().isEmpty() ? new Path(outDir, OutputLayout.ANALYSIS_DIR)
        : HadoopPaths.qualify(s.analysis(), hadoop);
    if (HadoopPaths.statusOrNull(analysisDir, hadoop) == null) {
      throw new InvalidConfigException("audit.analysis", "no analysis output at " + analysisDir
          + ": run `convlens analyze` first, or point --analysis (audit.analysis) at one");
    }
    Path auditDir = s.dir().isEmpty() ? new Path(outDir, AUDIT_DIR) : HadoopPaths.qualify(s.dir(), hadoop);
    try (OutputLock lock = OutputLock.acquire(auditDir.getParent(), hadoop, s.dir().isEmpty() ? "output.dir"
        : "audit.dir", "audit", stage.output().lockTimeoutSeconds(), console)) {
      return audit(stage, analyze, s, spark, console, lock, analysisDir, auditDir, start);
    }
  }

  private static Summary audit(StageContext stage, AnalyzeSettings analyze, AuditSettings s, SparkSession spark,
      PrintStream console, OutputLock lock, Path analysisDir, Path auditDir, long start) throws IOException {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    // The quality checks read the sampled images again: know where from before any work.
    // (By the same dataset names as the analysis used, since ids start with them.)
    StageContext inputs = stage.input().paths().isEmpty()
        ? inputsOf(stage, new Path(analysisDir.getParent(), AnalyzeRun.RUN_FILE), hadoop) : stage;
    if (s.qualitySamples() > 0) {
      if (inputs.input().paths().isEmpty()) {
        throw new InvalidConfigException("input.paths", "the explanation-quality checks re-read "
            + s.qualitySamples() + " sampled images, but " + analysisDir.getParent() + " has no run.json naming the"
            + " analysed datasets: pass them with --input (input.paths), or set audit.quality.samples=0");
      }
    }

    Dataset<Row> analysis = spark.read().parquet(analysisDir.toString());
    AnalysisSchema.requireColumns(analysis.schema(), analysisDir.toString(), "audit.analysis", "status", "model_id",
        "id", "label", "label_name", "predicted", "probabilities", "top_k_prob", "target");
    List<String> models = analysis.select("model_id").distinct().orderBy("model_id")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    ModelSpec spec = ModelSpec.of(stage.model());
    Classifier classifier = ModelCache.get(spec);
    ModelDescription d = classifier.description();
    if (!models.contains(d.id())) {
      throw new InvalidConfigException("model.path", analysisDir + " holds rows of model(s) " + models + ", not "
          + d.id() + " (model.path = '" + stage.model().path() + "'): audit with the model that was analysed");
    }
    if (models.size() > 1) {
      console.println("audit: " + analysisDir + " holds several models " + models + "; auditing " + d.id());
      analysis = analysis.filter(col("model_id").equalTo(d.id()));
    }
    List<String> names = d.classNames();
    int h = d.input().height();
    int w = d.input().width();
    Dataset<Row> rows = AuditRows.usable(analysis, names, spark).persist(StorageLevel.MEMORY_AND_DISK());
    long images = rows.count();
    if (images == 0) {
      throw new IllegalArgumentException(analysisDir + " holds no usable rows of model " + d.id() + ": nothing to audit");
    }
    List<String> methods = methodsWithMaps(rows, s.methods());
    String auditId = OutputLayout.newRunId();
    Timestamp created = Timestamp.from(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    // Written beside the audit folder and swapped in when complete.
    AuditSummary.Mistakes mistakes;
    AuditSummary.Quality quality = null;
    List<Finding> findings = new ArrayList<>();
    Verdicts.Result verdicts;
    Phases phases = new Phases(console);
    try (StagedOutput staged = StagedOutput.begin(auditDir, hadoop, auditId)) {
      Tables tables = new Tables(spark, staged.path(), auditId, d.id(), created);
      console.printf(Locale.ROOT, "audit: %,d usable images of model %s; attention of %s on a %d×%d grid%n", images,
          d.id(), methods.isEmpty() ? "no methods (the analysis has no maps)" : String.join(", ", methods), s.grid(),
          s.grid());

      AuditSummary.Builder json = AuditSummary.builder()
          .auditId(auditId)
          .modelId(d.id())
          .createdAt(created.toInstant().toString())
          .analysis(analysisDir.toString())
          .images(images)
          .classes(names)
          .settings(s.toMap())
          .methods(methods);

      // Where each class looks, and shortcuts.
      List<ClassAttention.Mean> means = methods.isEmpty() ? List.of() : ClassAttention.compute(rows, methods, s.grid(), h, w);
      List<Row> attention = new ArrayList<>();
      List<AuditSummary.Attention> attentionJson = new ArrayList<>();
      for (ClassAttention.Mean m : means) {
        String name = m.key().cls() >= 0 && m.key().cls() < names.size() ? names.get(m.key().cls()) : null;
        attention.add(RowFactory.create(m.key().scope(), m.key().cls(), name, m.key().method(), m.images(), s.grid(),
            m.map()));
        attentionJson.add(AuditSummary.Attention.of(m));
      }
      tables.write(AuditSchema.ATTENTION, attention);

      phases.done("attention");

      // Shortcut detectors, each its own section; their findings together.
      DetectorContext context = DetectorContext.builder()
          .spark(spark)
          .stage(stage)
          .analyze(analyze)
          .audit(s)
          .inputs(inputs)
          .rows(rows)
          .classNames(names)
          .spec(spec)
          .model(d)
          .methods(methods)
          .means(means)
          .tables(tables)
          .console(console)
          .build();
      Map<String, Object> sections = new LinkedHashMap<>();
      for (ShortcutDetector detector : ShortcutDetectors.all()) {
        ShortcutDetector.Result found = detector.detect(context);
        sections.put(detector.name(), found.section());
        findings.addAll(found.findings());
        phases.done(detector.name());
      }
      findings.sort(java.util.Comparator.comparingInt(Finding::cls).thenComparing(Finding::detector));
      // One finding per class that enough detectors signal (Verdicts says why).
      verdicts = Verdicts.decide(findings, (Verdicts.Settings) s.detectors().get(Verdicts.NAME), s.maxSuspects());
      Set<Finding> unconfirmed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      unconfirmed.addAll(verdicts.unconfirmed());
      tables.write(AuditSchema.FINDINGS, verdicts.findings().stream().map(AuditRun::verdictRow).toList());
      tables.write(AuditSchema.SIGNALS, findings.stream().map(f -> signalRow(f, !unconfirmed.contains(f))).toList());
      json.detectors(sections)
          .findings(verdicts.findings().stream().map(AuditSummary.VerdictEntry::of).toList())
          .signals(findings.stream().map(f -> AuditSummary.SignalEntry.of(f, !unconfirmed.contains(f))).toList());

      // Mistakes.
      mistakes = mistakesSection(rows, names, s, tables);
      json.mistakes(mistakes);
      phases.done("mistakes");

      // Explanation quality on a sample.
      List<String> qualityMethods = methods.stream().filter(Attributions.NAMES::contains).toList();
      if (s.qualitySamples() > 0 && !qualityMethods.isEmpty()) {
        quality = qualitySection(stage, analyze, s, spark, rows, spec, d, org.convlens.model.ParameterRandomizer.layerCount(classifier),
            qualityMethods, inputs, analysisDir, tables, console);
      } else {
        tables.write(AuditSchema.RANDOMIZATION, List.of());
        tables.write(AuditSchema.FAITHFULNESS, List.of());
        tables.write(AuditSchema.SANITY, List.of());
      }
      json.quality(quality);
      // Each mean map carries its method's sanity mark.
      Map<String, String> marks = quality == null || quality.sanity() == null ? Map.of()
          : MethodSanity.marks(quality.sanity());
      json.attention(attentionJson.stream().map(a -> a.marked(marks)).toList());
      phases.done("explanation quality");
      rows.unpersist();

      // OutputJson's mapper: every record of the summary, the detectors' typed sections and evidence
      // included, names its keys in snake_case.
      OutputJson.write(new Path(staged.path(), SUMMARY_FILE), json.build(), hadoop);

      staged.replace(lock);
    }

    List<String> flagged = new ArrayList<>();
    Map<String, Long> suspects = new LinkedHashMap<>();
    for (Verdicts.Verdict v : verdicts.findings()) {
      flagged.add(v.className());
      suspects.put(v.className(), v.suspectCount());
    }
    Map<String, Estimate> finalSpearman = new LinkedHashMap<>();
    if (quality != null) {
      for (AuditSummary.RandomizationEntry r : quality.randomization()) { // by method, then step: the last step stays
        finalSpearman.put(r.method(), new Estimate(r.spearmanMean(), r.spearmanLo(), r.spearmanHi()));
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Summary summary = Summary.builder()
        .dir(auditDir.toString())
        .auditId(auditId)
        .modelId(d.id())
        .images(images)
        .methods(methods)
        .flaggedClasses(flagged)
        .suspects(suspects)
        .signals(findings)
        .findings(verdicts.findings())
        .accuracy(mistakes.accuracy())
        .labelIssues(mistakes.labelIssueCount())
        .finalSpearman(finalSpearman)
        .phaseSeconds(phases.seconds)
        .seconds(seconds)
        .build();
    console.printf(Locale.ROOT, "audit: %s in %.1f s%n", auditDir, seconds);
    return summary;
  }

  /** The configured methods, or every map method with at least one map in the rows. */
  static List<String> methodsWithMaps(Dataset<Row> rows, List<String> configured) {
    List<String> present = AttentionMaps.available(rows.schema());
    if (present.isEmpty()) {
      return List.of();
    }
    List<org.apache.spark.sql.Column> counts = new ArrayList<>();
    for (String m : present) {
      counts.add(count(col(m)).as(m));
    }
    Row r = rows.agg(counts.get(0), counts.subList(1, counts.size()).toArray(new org.apache.spark.sql.Column[0]))
        .first();
    List<String> withMaps = new ArrayList<>();
    for (int i = 0; i < present.size(); i++) {
      if (r.getLong(i) > 0) {
        withMaps.add(present.get(i));
      }
    }
    if (configured.isEmpty()) {
      return withMaps;
    }
    for (String m : configured) {
      if (!withMaps.contains(m)) {
        throw new InvalidConfigException("audit.methods", "audit.methods names " + m + " but the analysis has no "
            + m + " maps (it has " + withMaps + "): run analyze with it in analyze.methods, or remove it");
      }
    }
    return configured;
  }

  /** A {@link AuditSchema#FINDINGS} row: the lead signal's figures, the detectors, the suspects of all. */
  static Row verdictRow(Verdicts.Verdict v) {
    Finding f = v.lead();
    return RowFactory.create(f.cls(), f.className(), f.kind().code(), f.detector(), f.cue(), f.score(),
        Double.isNaN(f.lo()) ? null : f.lo(), Double.isNaN(f.hi()) ? null : f.hi(), f.statement(), v.suspectCount(),
        v.suspects().toArray(new String[0]), v.detectors().toArray(new String[0]));
  }

  /** A {@link AuditSchema#SIGNALS} row. */
  static Row signalRow(Finding f, boolean confirmed) {
    return RowFactory.create(f.cls(), f.className(), f.kind().code(), f.detector(), f.cue(), f.score(),
        Double.isNaN(f.lo()) ? null : f.lo(), Double.isNaN(f.hi()) ? null : f.hi(), f.statement(), f.suspectCount(),
        f.suspects().toArray(new String[0]), confirmed);
  }

  /** Each usable row's preview, keyed by id, for {@link #withPreview}. */
  static Dataset<Row> previews(Dataset<Row> rows) {
    return rows.select(col("id").as("_pid"), col(AnalysisSchema.INPUT_PNG));
  }

  static Dataset<Row> withPreview(Dataset<Row> d, Dataset<Row> previews) {
    return d.join(previews, d.col("id").equalTo(previews.col("_pid")), "left").drop("_pid");
  }

  static Map<String, Object> imageJson(Row e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", e.getAs("id"));
    m.put("true_class", e.getAs("true_class"));
    m.put("predicted", e.getAs("predicted"));
    m.put("confidence", e.getAs("predicted_prob"));
    m.put("lift", e.getAs("lift"));
    m.put("png", png(e.getAs(AnalysisSchema.INPUT_PNG)));
    return m;
  }

  static String png(byte[] bytes) {
    return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
  }

  private static AuditSummary.Mistakes mistakesSection(Dataset<Row> rows, List<String> names, AuditSettings s,
      Tables tables) {
    List<Row> confusion = new ArrayList<>();
    List<long[]> confusionJson = new ArrayList<>();
    for (Row r : Mistakes.confusion(rows).collectAsList()) {
      confusion.add(RowFactory.create(r.getInt(0), r.getInt(1), r.getLong(2)));
      confusionJson.add(new long[] {r.getInt(0), r.getInt(1), r.getLong(2)});
    }
    tables.write(AuditSchema.CONFUSION, confusion);

    Map<Integer, Long> predicted = new HashMap<>();
    for (Row r : Mistakes.predictedCounts(rows).collectAsList()) {
      predicted.put(r.getInt(0), r.getLong(1));
    }
    float[] thresholds = new float[names.size()];
    java.util.Arrays.fill(thresholds, Float.NaN);
    List<Row> classes = new ArrayList<>();
    List<AuditSummary.ClassFigures> classesJson = new ArrayList<>();
    long labelled = 0;
    long correct = 0;
    Map<Integer, Row> perClass = new TreeMap<>();
    for (Row r : Mistakes.perClass(rows).collectAsList()) {
      perClass.put(r.getInt(0), r);
    }
    for (int c = 0; c < names.size(); c++) {
      AuditSummary.ClassFigures f = AuditSummary.ClassFigures.of(c, perClass.get(c), predicted.getOrDefault(c, 0L));
      if (f.threshold() != null) {
        thresholds[c] = f.threshold().floatValue();
      }
      labelled += f.images();
      correct += f.correct();
      classes.add(RowFactory.create(c, names.get(c), f.images(), f.correct(), f.accuracy(), f.meanConfidence(),
          f.meanEntropy(), f.threshold(), f.predictedImages()));
      classesJson.add(f);
    }
    tables.write(AuditSchema.CLASSES, classes);

    Dataset<Row> previews = previews(rows);
    List<Row> table = new ArrayList<>();
    List<AuditSummary.Mistake> confident = new ArrayList<>();
    int rank = 0;
    for (Row r : withPreview(Mistakes.confidentMistakes(rows, s.mistakes()), previews)
        .orderBy(col("confidence").desc(), col("id")).collectAsList()) {
      confident.add(mistake("confident_mistake", ++rank, r, table));
    }

    Dataset<Row> issues = Mistakes.labelIssues(rows, thresholds, s.labelIssueMinConfidence())
        .persist(StorageLevel.MEMORY_AND_DISK());
    long issueCount = issues.count();
    List<AuditSummary.Mistake> issuesJson = new ArrayList<>();
    rank = 0;
    for (Row r : withPreview(issues.orderBy(col("label_prob"), col("id")).limit(s.labelIssues()), previews)
        .orderBy(col("label_prob"), col("id")).collectAsList()) {
      issuesJson.add(mistake("label_issue", ++rank, r, table));
    }
    issues.unpersist();
    tables.write(AuditSchema.MISTAKES, table);
    return AuditSummary.Mistakes.of(confusionJson, classesJson, labelled, correct, confident, issuesJson, issueCount);
  }

  /**
   * One {@code mistakes} row (added to {@code table}) and its JSON: a confident mistake (from
   * {@link Mistakes#confidentMistakes}) or a label issue (from {@link Mistakes#labelIssues}, whose
   * confidence is the suggested class's probability).
   */
  private static AuditSummary.Mistake mistake(String kind, int rank, Row r, List<Row> table) {
    boolean issue = kind.equals("label_issue");
    AuditSummary.Mistake m = AuditSummary.Mistake.of(r, issue);
    table.add(RowFactory.create(kind, rank, m.id(), m.trueClass(), m.predicted(), m.suggested(), m.confidence(),
        m.labelProb(), issue ? null : r.getAs("entropy"), r.getAs(AnalysisSchema.INPUT_PNG)));
    return m;
  }

  private static AuditSummary.Quality qualitySection(StageContext stage, AnalyzeSettings analyze, AuditSettings s,
      SparkSession spark, Dataset<Row> rows, ModelSpec spec, ModelDescription d, int modelLayers, List<String> methods,
      StageContext analysed, Path analysisDir, Tables tables, PrintStream console) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    AttributionSettings a = analyze.attribution();
    PerturbationGridMethod gridMethod = Attributions.perturbationGrid();
    // The trained model's perturbation grid is the analysis's own (float32, as analysed) when
    // run.json says which baseline made it: the check does not spend its forwards again. Its window
    // and stride are the grid's; without that baseline the grid is computed afresh as configured.
    AttributionSettings analysedSettings = methods.contains(gridMethod.name())
        ? withAnalysedBaseline(a, new Path(analysisDir.getParent(), AnalyzeRun.RUN_FILE), hadoop) : null;
    List<org.apache.spark.sql.Column> picked = new ArrayList<>(List.of(col("id").as("_sid"), col("target").as("_target")));
    if (analysedSettings != null) {
      picked.add(col(gridMethod.column()));
    }
    // Ranked by a hash of the seed and the id: the same images whatever their order or location.
    List<Row> ranked = rows.filter(col("target").isNotNull())
        .withColumn("_h", xxhash64(lit(s.qualitySeed()), col("id")))
        .orderBy(col("_h"), col("id")).limit(s.qualityOffset() + s.qualitySamples())
        .select(picked.toArray(new org.apache.spark.sql.Column[0])).collectAsList();
    List<Row> chosen = ranked.subList(Math.min(s.qualityOffset(), ranked.size()), ranked.size());
    if (chosen.isEmpty()) {
      throw new InvalidConfigException("audit.quality.sample-offset", "audit.quality.sample-offset = "
          + s.qualityOffset() + " skips all " + ranked.size() + " images with a target: lower it");
    }
    StructType sampleSchema = new StructType()
        .add("_sid", DataTypes.StringType, false).add("_target", DataTypes.IntegerType, false);
    Row storedGrid = null;
    if (analysedSettings != null) {
      // Each image's grid of the largest window the analysis ran, where it is the first image's window and stride.
      List<Row> withGrids = new ArrayList<>();
      for (Row r : chosen) {
        Row grid = r.isNullAt(2) ? null : ExplanationQuality.largestWindow(r.getList(2));
        storedGrid = storedGrid == null ? grid : storedGrid;
        boolean same = grid != null && grid.getInt(0) == storedGrid.getInt(0) && grid.getInt(1) == storedGrid.getInt(1);
        withGrids.add(RowFactory.create(r.get(0), r.get(1), same ? grid : null));
      }
      chosen = withGrids;
      sampleSchema = sampleSchema.add(ExplanationQuality.STORED_GRID, gridMethod.gridSchema(), true);
    }
    Dataset<Row> sample = spark.createDataFrame(chosen, sampleSchema);
    Dataset<Row> listing = null;
    for (ImageSource src : ImageSources.openAll(analysed.input(), spark)) {
      listing = listing == null ? src.list(spark) : listing.union(src.list(spark));
    }
    Dataset<Row> inputs = listing.join(sample, listing.col(InputSchema.ID).equalTo(sample.col("_sid")), "inner")
        .drop("_sid");
    // Full precision and size: 8-bit maps would turn the flat parts of a map into ties for Spearman and
    // for the deletion order.
    // The grid method only at its largest window, the cheapest grid (49 forwards per image instead of
    // 274 on the demo); its cascade re-runs lay that window as tiles. docs/audit.md says so.
    List<Integer> windows = gridMethod.windows(a);
    int coarsest = 0;
    for (int k = 1; k < windows.size(); k++) {
      coarsest = windows.get(k) > windows.get(coarsest) ? k : coarsest;
    }
    int window = storedGrid != null ? storedGrid.getInt(0) : windows.get(coarsest);
    int stride = storedGrid != null ? storedGrid.getInt(1) : gridMethod.stride(a, coarsest);
    AttributionSettings checked = gridMethod.withPerturbationsPerEval(gridMethod.withGrid(
        (storedGrid != null ? analysedSettings : a).withMethods(methods)
            .with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.F16)
            .with(AttributionSettings.MAP_MAX_SIDE, 0), window, stride), s.qualityBatchSize());
    // Every forward of the check, the grid's tiles included, in batches of audit.quality.batch-size.
    ExplanationQuality.Options o = ExplanationQuality.Options.builder()
        .model(spec)
        .description(d)
        .attribution(checked)
        .maxFileBytes(stage.input().maxFileBytes())
        .maxPixels(stage.input().maxPixels())
        .batchSize(s.qualityBatchSize())
        .cascadeLayers(s.cascadeLayers())
        .gridSteps(s.gridSteps())
        .curveSteps(s.curveSteps())
        .blurSigma(s.insertionBlur())
        .seed(s.qualitySeed())
        .build();
    int partitions = (int) Math.max(1, Math.min(spark.sparkContext().defaultParallelism(),
        (s.qualitySamples() + 7) / 8));
    console.printf(Locale.ROOT, "audit: explanation quality of %s on %d sampled images (seed %d%s), %d task(s)%n",
        String.join(", ", methods), s.qualitySamples(), s.qualitySeed(),
        s.qualityOffset() > 0 ? ", after the first " + s.qualityOffset() : "", partitions);
    org.apache.spark.util.LongAccumulator maps = spark.sparkContext().longAccumulator("convlens.audit.quality");
    long units = ExplanationQuality.units(o, modelLayers);
    long total = units * s.qualitySamples();
    List<Row> measured;
    long started = System.nanoTime();
    try (ProgressReporter progress = new ProgressReporter("audit: quality",
        new ProgressReporter.Total(total, "maps", "maps"), maps, stage.progress().intervalSeconds(), console)) {
      // A few rows per image, method and step: small enough for the driver, where the bootstrap runs.
      measured = ExplanationQuality.measure(inputs, o, new HadoopConf(hadoop), partitions, maps).collectAsList();
    }
    double measureSeconds = (System.nanoTime() - started) / 1e9;
    QualityFigures.Result figures = QualityFigures.of(measured, new Bootstrap(s.bootstrap(), s.qualitySeed()));
    if (!figures.ids().isEmpty()) {
      StringBuilder parts = new StringBuilder();
      figures.cpuSeconds().forEach((part, sec) -> parts.append(String.format(Locale.ROOT, "%s%s %.3f",
          parts.length() == 0 ? "" : ", ", part, sec / figures.ids().size())));
      console.printf(Locale.ROOT, "audit: quality measured %d images in %.1f s; CPU seconds per image: %s%n",
          figures.ids().size(), measureSeconds, parts);
    }

    List<Row> cascade = new ArrayList<>();
    List<AuditSummary.RandomizationEntry> cascadeJson = new ArrayList<>();
    for (QualityFigures.Cascade c : figures.cascade()) {
      AuditSummary.RandomizationEntry e = AuditSummary.RandomizationEntry.of(c);
      cascade.add(RowFactory.create(c.method(), c.step(), c.layer(), c.images(), c.mean(), c.std(), e.spearmanLo(),
          e.spearmanHi()));
      cascadeJson.add(e);
    }
    tables.write(AuditSchema.RANDOMIZATION, cascade);
    List<Row> faith = new ArrayList<>();
    List<AuditSummary.FaithfulnessEntry> faithJson = new ArrayList<>();
    for (QualityFigures.Curve c : figures.curves()) {
      AuditSummary.FaithfulnessEntry e = AuditSummary.FaithfulnessEntry.of(c);
      faith.add(RowFactory.create(c.method(), c.kind(), c.images(), c.mean(), c.std(), c.curve(), e.aucLo(),
          e.aucHi()));
      faithJson.add(e);
    }
    tables.write(AuditSchema.FAITHFULNESS, faith);
    // The grid method's own entries, under its names: its steps key and which grid it used.
    Map<String, Object> grid = new LinkedHashMap<>();
    grid.put(AuditSettings.GRID_STEPS.jsonName(), s.gridSteps());
    if (methods.contains(gridMethod.name())) {
      grid.put(gridMethod.name() + "_grid", new AuditSummary.GridSource(storedGrid != null ? "analysis" : "computed",
          window, stride, gridMethod.baseline(checked)));
    }
    Map<String, Double> cpu = new LinkedHashMap<>();
    figures.cpuSeconds().forEach((part, sec) -> cpu.put(part, Math.round(sec * 100) / 100.0));
    List<MethodSanity.Verdict> sanity = MethodSanity.judge(methods, figures.cascade(), figures.curves(),
        (MethodSanity.Settings) s.detectors().get(MethodSanity.NAME));
    tables.write(AuditSchema.SANITY, sanity.stream().map(v -> RowFactory.create(v.method(), v.rank(), v.verdict(),
        v.failed().toArray(new String[0]), v.unmeasured().toArray(new String[0]), v.randomizedRho(),
        v.randomizedRhoLo(), v.randomizedRhoHi(), v.deletionGain(), v.insertionGain())).toList());
    for (MethodSanity.Verdict v : sanity) {
      console.printf(Locale.ROOT, "audit: sanity %d. %s: %s%s%n", v.rank(), v.method(), v.verdict(),
          v.failed().isEmpty() ? "" : " (" + String.join(", ", v.failed()) + ")");
    }
    return AuditSummary.Quality.builder()
        .samples(s.qualitySamples())
        .sampleOffset(s.qualityOffset())
        .measuredImages(figures.ids().size())
        .ids(figures.ids())
        .errors(figures.errors().subList(0, Math.min(20, figures.errors().size())))
        .methods(methods)
        .bootstrap(new AuditSummary.BootstrapEntry("percentile", Bootstrap.LEVEL, s.bootstrap(), s.qualitySeed()))
        .gridMethod(grid)
        .seconds(Math.round(measureSeconds * 10) / 10.0)
        .cpuSeconds(cpu)
        .randomization(cascadeJson)
        .faithfulness(faithJson)
        .sanity(sanity)
        .build();
  }

  /**
   * {@code a} with the perturbation-grid baseline run.json records the analysis ran with; null when
   * it records none, or one this version does not know (the grid is then computed afresh).
   */
  static AttributionSettings withAnalysedBaseline(AttributionSettings a, Path runJson, Configuration hadoop) {
    PerturbationGridMethod gridMethod = Attributions.perturbationGrid();
    RunRecord run = OutputJson.read(runJson, RunRecord.class, hadoop);
    Object code = run == null || run.attribution() == null ? null
        : run.attribution().entries().get(gridMethod.baselineEntry());
    if (!(code instanceof String text)) {
      return null;
    }
    return gridMethod.withBaseline(a, text);
  }

  /** {@code stage} with the inputs (paths and dataset names) run.json records; none without one. */
  static StageContext inputsOf(StageContext stage, Path runJson, Configuration hadoop) {
    List<String> paths = new ArrayList<>();
    List<String> names = new ArrayList<>();
    RunRecord run = OutputJson.read(runJson, RunRecord.class, hadoop);
    if (run != null && run.datasets() != null) {
      for (RunRecord.Dataset ds : run.datasets()) {
        if (ds.path() != null) {
          paths.add(ds.path());
          names.add(ds.name() == null ? "" : ds.name());
        }
      }
    }
    return stage.withInputs(paths, names.contains("") ? List.of() : names);
  }

  static float[] round(float[] v) {
    if (v == null) {
      return null;
    }
    float[] r = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = Math.round(v[i] * 1e5f) / 1e5f;
    }
    return r;
  }

  /** Writes the audit's tables, each with the {@link AuditSchema#COMMON} columns filled. */
  public static final class Tables {
    private final SparkSession spark;
    private final Path dir;
    private final Object[] common;

    Tables(SparkSession spark, Path dir, String auditId, String modelId, Timestamp created) {
      this.spark = spark;
      this.dir = dir;
      this.common = new Object[] {AuditSchema.VERSION, auditId, modelId, created};
    }

    /** A table computed on the executors: {@code d}'s columns in the table's order, written by Spark. */
    public void write(String table, Dataset<Row> d) {
      StructType own = AuditSchema.TABLES.get(table);
      List<org.apache.spark.sql.Column> cols = new ArrayList<>();
      String[] names = AuditSchema.COMMON.fieldNames();
      for (int i = 0; i < names.length; i++) {
        cols.add(lit(common[i]).cast(AuditSchema.COMMON.fields()[i].dataType()).as(names[i]));
      }
      Dataset<Row> named = d.toDF(own.fieldNames()); // by position
      for (StructField f : own.fields()) {
        cols.add(named.col(f.name()).cast(f.dataType()));
      }
      named.select(cols.toArray(new org.apache.spark.sql.Column[0])).write().mode(SaveMode.Overwrite)
          .parquet(new Path(dir, table).toString());
    }

    public void write(String table, List<Row> rows) {
      List<Row> full = new ArrayList<>(rows.size());
      for (Row r : rows) {
        Object[] v = new Object[common.length + r.length()];
        System.arraycopy(common, 0, v, 0, common.length);
        for (int i = 0; i < r.length(); i++) {
          v[common.length + i] = r.get(i);
        }
        full.add(RowFactory.create(v));
      }
      spark.createDataFrame(full, AuditSchema.of(table)).coalesce(1).write().mode(SaveMode.Overwrite)
          .parquet(new Path(dir, table).toString());
    }
  }
}
