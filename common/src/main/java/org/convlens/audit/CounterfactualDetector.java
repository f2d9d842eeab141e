package org.convlens.audit;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.convlens.config.SettingsSpec;
import org.convlens.data.HadoopConf;
import org.convlens.data.ImageSource;
import org.convlens.data.ImageSources;
import org.convlens.data.InputSchema;
import org.convlens.spark.ProgressReporter;

/**
 * The counterfactual detector — the tank test: make the sky sunny and see whether the "tank"
 * disappears. Every sampled image is classified as it is and after each of a fixed set of
 * label-preserving global edits ({@link ImageEdit}: brighten, darken, contrast, desaturate, hue
 * shift, grey-world white balance, blur, JPEG, flip, border crop), on the executors, forward
 * only ({@link Counterfactuals}). A class whose predictions an edit moves — other images flipping <i>to</i>
 * it, or its own predictions flipping <i>away</i> — far more than it moves the other classes'
 * relies on what the edit changed: the edit's {@link Cue} ({@link FlipTest} has the statistics) —
 * unless global edits of many cue kinds all flip it away, which makes the class fragile rather
 * than shortcut-driven ({@link FlipTest#fragility}, {@code audit.counterfactual.fragile-kinds}).
 *
 * <p>A flagged class gets one {@link Finding} per cue kind; its strongest flagged test (largest
 * difference) names the cue. Score: that difference (c's rate minus the other classes' mean
 * rate), with its 95% bootstrap interval. Suspects: images of another known class predicted as
 * c whose prediction leaves c under an edit of that kind, the largest drop of c's probability
 * first. docs/audit.md explains the edits, the mapping to cues and its limits.
 */
public final class CounterfactualDetector implements ShortcutDetector {
  public static final String IMAGES = "counterfactual_images";
  public static final String CLASSES = "counterfactual_classes";

  private static final Map<String, StructType> TABLES = Map.of(
      IMAGES, new StructType()
          .add("id", DataTypes.StringType, false)
          .add("true_class", DataTypes.IntegerType, true)
          .add("edit", DataTypes.StringType, false)
          .add("predicted_before", DataTypes.IntegerType, false)
          .add("prob_before", DataTypes.FloatType, false)
          .add("predicted_after", DataTypes.IntegerType, false)
          .add("prob_after", DataTypes.FloatType, false)
          .add("prob_after_of_before", DataTypes.FloatType, false),
      CLASSES, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, true)
          .add("edit", DataTypes.StringType, false)
          .add("cue", DataTypes.StringType, false)
          .add("direction", DataTypes.StringType, false)
          .add("images", DataTypes.LongType, false)
          .add("flips", DataTypes.LongType, false)
          .add("rate", DataTypes.DoubleType, true)
          .add("reference", DataTypes.DoubleType, true)
          .add("difference", DataTypes.DoubleType, true)
          .add("interval_lo", DataTypes.DoubleType, true)
          .add("interval_hi", DataTypes.DoubleType, true)
          .add("p_value", DataTypes.DoubleType, true)
          .add("p_adjusted", DataTypes.DoubleType, true)
          .add("mean_prob_change", DataTypes.DoubleType, true)
          .add("partner", DataTypes.IntegerType, true)
          .add("partner_share", DataTypes.DoubleType, true)
          .add("judged", DataTypes.BooleanType, false)
          .add("flagged", DataTypes.BooleanType, false)
          .add("explained_by", DataTypes.IntegerType, true)
          .add("fragile", DataTypes.BooleanType, true));

  @Override
  public String name() {
    return "counterfactual";
  }

  @Override
  public String title() {
    return "Counterfactual edits";
  }

  @Override
  public Map<String, StructType> tables() {
    return TABLES;
  }

  @Override
  public SettingsSpec<CounterfactualSettings> settingsSpec() {
    return CounterfactualSettings.SPEC;
  }


  /**
   * The counterfactual detector's part of {@code audit.json}: the edits it applies and those
   * dropped (colour edits on a grey model), then why it was skipped or what it measured (one of
   * the two, their keys in place).
   */
  public record Section(List<String> edits, List<String> droppedEdits,
      @JsonInclude(JsonInclude.Include.NON_NULL) String skipped, @JsonUnwrapped Measured measured)
      implements ShortcutDetector.Section {}

  /**
   * What the detector measured, with its settings ({@code audit.counterfactual.*}).
   *
   * @param sampledImages the rows sampled; {@code images} those still in the inputs; {@code
   *     measuredImages} those measured without error; {@code errors} the first errors ({@code id: error})
   * @param testsJudged the (edit, class, direction) tests judged
   * @param flagged the classes with a finding; {@code fragile} the classes moved by edits of at
   *     least {@code fragileKinds} cue kinds
   * @param rates per edit and direction, one value per class
   */
  public record Measured(long sampledImages, long images, long measuredImages, List<String> errors, long seed,
      int maxImages, int bootstrap, double alpha, double minDifference, int minImages, int testsJudged,
      List<Integer> flagged, int fragileKinds, List<Integer> fragile, List<EditRates> rates) {
    static Measured of(CounterfactualSettings s, long sampledImages, long images, long measuredImages,
        List<String> errors, FlipTest.Result result, List<Integer> flagged, List<EditRates> rates) {
      return new Measured(sampledImages, images, measuredImages, errors, s.seed(), s.maxImages(), s.bootstrap(),
          s.alpha(), s.minDifference(), s.minImages(), result.judged(), flagged, s.fragileKinds(),
          FlipTest.fragileClasses(result), rates);
    }
  }

  /** One edit's rates: its label, cue kind and words, then each direction's values per class. */
  public record EditRates(String edit, String cue, String words, DirectionRates to, DirectionRates away) {}

  /**
   * One direction's values per class (null where not judged): the rate, the other classes' mean,
   * the difference and its interval, the adjusted p-value, the images, the flag, the explaining
   * partner and fragility — a classes × edits picture for the report.
   */
  public record DirectionRates(List<Double> rate, List<Double> reference, List<Double> difference,
      List<Double> intervalLo, List<Double> intervalHi, List<Double> pAdjusted, List<Long> images,
      List<Boolean> flagged, List<Integer> explainedBy, List<Boolean> fragile) {
    /** From per-class arrays (rate, reference, difference, interval ends, adjusted p) with nulls. */
    static DirectionRates of(Double[][] v, Long[] images, Boolean[] flagged, Integer[] explained, Boolean[] fragile) {
      // Arrays.asList, not List.of: the classes not judged are nulls.
      return new DirectionRates(Arrays.asList(v[0]), Arrays.asList(v[1]), Arrays.asList(v[2]),
          Arrays.asList(v[3]), Arrays.asList(v[4]), Arrays.asList(v[5]), Arrays.asList(images),
          Arrays.asList(flagged), Arrays.asList(explained), Arrays.asList(fragile));
    }
  }

  /**
   * One flip test ({@link FlipTest.Test}) with its edit's cue kind and the class's mean probability
   * change; the partner and the class explaining it are null when none.
   */
  public record TestEntry(@JsonProperty("class") int cls, String edit, String cue, String direction, long images,
      long flips, double rate, double reference, double difference, List<Double> interval, double pValue,
      double pAdjusted, Double meanProbChange, Integer partner, Double partnerShare, boolean flagged,
      Integer explainedBy, boolean fragile) implements Serializable {
    static TestEntry of(FlipTest.Test t, ImageEdit edit, Double meanChange) {
      return new TestEntry(t.cls(), t.edit(), edit.cue().code(), t.direction().code(), t.images(), t.flips(),
          t.rate(), t.reference(), t.difference(), List.of(t.lo(), t.hi()), t.p(), t.pAdjusted(), meanChange,
          t.partner() < 0 ? null : t.partner(), nan(t.partnerShare()), t.flagged(),
          t.explainedBy() < 0 ? null : t.explainedBy(), t.fragile());
    }
  }

  /**
   * A before/after pair of a finding's strongest test.
   *
   * @param probAfterOfBefore the probability of the class predicted before, after the edit
   * @param beforePng the image before the edit, base64 PNG; {@code afterPng} after (null when unreadable)
   */
  public record Pair(String id, String edit, Integer trueClass, Integer predictedBefore, Float probBefore,
      Integer predictedAfter, Float probAfter, Float probAfterOfBefore, String beforePng, String afterPng)
      implements Serializable {
    /**
     * A chosen row (key, id, edit, true class, predicted and probability before, after, and the
     * before class's probability after) and its two PNGs.
     */
    static Pair of(Row r, byte[][] png) {
      return new Pair(r.getString(1), r.getString(2), (Integer) r.get(3), (Integer) r.get(4), (Float) r.get(5),
          (Integer) r.get(6), (Float) r.get(7), (Float) r.get(8), AuditRun.png(png[0]), AuditRun.png(png[1]));
    }
  }

  /**
   * A counterfactual finding's evidence: its strongest test's edit and direction, its flagged tests
   * (strongest first), every judged test of the class, the example pairs and the odds ratio with
   * its interval.
   */
  public record Evidence(String edit, String direction, List<TestEntry> flaggedTests, List<TestEntry> rates,
      List<Pair> pairs, List<Double> oddsRatio) implements Finding.Evidence {
    static Evidence of(FlipTest.Test best, List<TestEntry> flaggedTests, List<TestEntry> rates, List<Pair> pairs,
        double[] odds) {
      return new Evidence(best.edit(), best.direction().code(), flaggedTests, rates, pairs,
          List.of(odds[0], odds[1], odds[2]));
    }
  }

  @Override
  public Result detect(DetectorContext ctx) {
    CounterfactualSettings s = ctx.settings(this);
    List<ImageEdit> edits = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (ImageEdit e : s.edits()) {
      if (e.kind().needsColour() && ctx.model().input().channels() == 1) {
        dropped.add(e.label());
      } else {
        edits.add(e);
      }
    }
    String skipped = null;
    if (edits.isEmpty()) {
      skipped = dropped.isEmpty() ? "audit.counterfactual.edits is empty"
          : "the model's input is grey and every edit in audit.counterfactual.edits changes colour only";
    } else if (ctx.inputs().input().paths().isEmpty()) {
      skipped = "the analysed images are unknown: the analysis has no run.json naming its datasets; pass them"
          + " with --input (input.paths)";
    }
    if (skipped != null) {
      ctx.console().println("audit: counterfactual edits skipped: " + skipped);
      ctx.tables().write(IMAGES, List.of());
      ctx.tables().write(CLASSES, List.of());
      return new Result(List.of(), new Section(edits.stream().map(ImageEdit::label).toList(), dropped, skipped,
          null));
    }
    return run(ctx, s, edits, dropped);
  }

  private Result run(DetectorContext ctx, CounterfactualSettings s, List<ImageEdit> edits, List<String> dropped) {
    SparkSession spark = ctx.spark();
    Dataset<Row> sample = ctx.rows().select(col("id").as("_sid"), col(AuditRows.TRUE_CLASS).as("_true_class"));
    if (s.maxImages() > 0) {
      sample = sample.withColumn("_h", xxhash64(lit(s.seed()), col("_sid"))).orderBy(col("_h"), col("_sid"))
          .limit(s.maxImages()).drop("_h");
    }
    long sampled = sample.count();
    Dataset<Row> listing = listing(ctx);
    Dataset<Row> inputs = listing.join(sample, listing.col(InputSchema.ID).equalTo(sample.col("_sid")), "inner")
        .drop("_sid").persist(StorageLevel.MEMORY_AND_DISK());
    long images = inputs.count();
    if (images < sampled) {
      ctx.console().printf(Locale.ROOT, "audit: counterfactual edits: %,d of the %,d sampled images are no longer in"
          + " the inputs %s; left out%n", sampled - images, sampled, ctx.inputs().input().paths());
    }
    Counterfactuals.Options o = Counterfactuals.Options.builder()
        .model(ctx.spec())
        .description(ctx.model())
        .edits(edits)
        .maxFileBytes(ctx.stage().input().maxFileBytes())
        .maxPixels(ctx.stage().input().maxPixels())
        .batchSize(ctx.analyze().batchSize())
        .build();
    int partitions = (int) Math.max(1, Math.min(spark.sparkContext().defaultParallelism(),
        (images + o.batchSize() - 1) / o.batchSize()));
    ctx.console().printf(Locale.ROOT, "audit: counterfactual edits %s on %,d images%s, %d forwards each, %d task(s)%n",
        String.join(", ", edits.stream().map(ImageEdit::label).toList()), images,
        s.maxImages() > 0 ? " (at most " + s.maxImages() + ", seed " + s.seed() + ")" : "", edits.size() + 1,
        partitions);
    LongAccumulator done = spark.sparkContext().longAccumulator("convlens.audit.counterfactual");
    HadoopConf hadoop = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    Dataset<Row> measured = Counterfactuals.measure(inputs, o, hadoop, partitions, done)
        .persist(StorageLevel.MEMORY_AND_DISK());
    try (ProgressReporter progress = new ProgressReporter("audit: counterfactual", images, done,
        ctx.stage().progress().intervalSeconds(), ctx.console())) {
      measured.count();
    }
    Dataset<Row> ok = measured.filter(col("error").isNull());
    List<String> errors = measured.filter(col("error").isNotNull()).orderBy("id").select("id", "error").limit(20)
        .collectAsList().stream().map(r -> r.getString(0) + ": " + r.getString(1)).toList();
    long measuredImages = ok.select("id").distinct().count();
    ctx.tables().write(IMAGES, ok.select("id", "true_class", "edit", "predicted_before", "prob_before",
        "predicted_after", "prob_after", "prob_after_of_before"));

    // The statistics need only the outcome counts per edit: a few thousand numbers at most.
    List<String> labels = edits.stream().map(ImageEdit::label).toList();
    Map<String, List<FlipTest.Cell>> cells = new HashMap<>();
    for (Row r : ok.groupBy("edit", "true_class", "predicted_before", "predicted_after").count().collectAsList()) {
      cells.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(new FlipTest.Cell(r.isNullAt(1) ? -1
          : r.getInt(1), r.getInt(2), r.getInt(3), r.getLong(4)));
    }
    int k = ctx.classNames().size();
    Map<String, Cue> globalKinds = new HashMap<>();
    edits.stream().filter(e -> e.kind().global()).forEach(e -> globalKinds.put(e.label(), e.cue()));
    FlipTest.Result result = FlipTest.fragility(FlipTest.run(labels, cells, k, new FlipTest.Options(s.bootstrap(),
        s.seed(), s.minDifference(), s.alpha(), s.minImages())), globalKinds, s.fragileKinds());
    Map<String, Double> change = probabilityChanges(ok);

    Map<String, ImageEdit> byLabel = new LinkedHashMap<>();
    edits.forEach(e -> byLabel.put(e.label(), e));
    List<Row> table = new ArrayList<>();
    for (FlipTest.Test t : result.tests()) {
      Double mean = change.get(key(t.edit(), t.cls(), t.direction()));
      table.add(RowFactory.create(t.cls(), ctx.className(t.cls()), t.edit(), byLabel.get(t.edit()).cue().code(),
          t.direction().code(), t.images(), t.flips(), nan(t.rate()), nan(t.reference()), nan(t.difference()),
          nan(t.lo()), nan(t.hi()), nan(t.p()), nan(t.pAdjusted()), mean, t.partner() < 0 ? null : t.partner(),
          nan(t.partnerShare()), t.judged(), t.flagged(), t.explainedBy() < 0 ? null : t.explainedBy(),
          t.fragile()));
    }
    ctx.tables().write(CLASSES, table);

    // One finding per flagged class and cue kind, named by its most specific flagged test (the
    // largest odds ratio, FlipTest.oddsRatio): the finding's score.
    Map<Integer, Map<Cue, List<FlipTest.Test>>> flagged = new TreeMap<>();
    for (FlipTest.Test t : result.tests()) {
      if (t.finding()) {
        flagged.computeIfAbsent(t.cls(), c -> new TreeMap<>()).computeIfAbsent(byLabel.get(t.edit()).cue(),
            c -> new ArrayList<>()).add(t);
      }
    }
    List<Finding> findings = new ArrayList<>();
    List<Pending> pending = new ArrayList<>();
    for (var perClass : flagged.entrySet()) {
      for (var perCue : perClass.getValue().entrySet()) {
        List<FlipTest.Test> tests = perCue.getValue();
        tests.sort(Comparator.comparingDouble((FlipTest.Test t) -> FlipTest.oddsRatio(t, result.tests())[0]).reversed()
            .thenComparing(FlipTest.Test::edit).thenComparing(FlipTest.Test::direction));
        pending.add(new Pending(perClass.getKey(), perCue.getKey(), tests));
      }
    }
    Map<String, List<Pair>> pairs = examplePairs(ctx, ok, listing, o, s, pending, hadoop);
    for (Pending p : pending) {
      findings.add(finding(ctx, s, p, byLabel, result, ok, change, pairs.getOrDefault(p.key(), List.of())));
    }
    measured.unpersist();
    inputs.unpersist();

    Measured measuredSection = Measured.of(s, sampled, images, measuredImages, errors, result,
        new ArrayList<>(flagged.keySet()), ratesJson(result, edits, k));
    return new Result(findings, new Section(edits.stream().map(ImageEdit::label).toList(), dropped, null,
        measuredSection));
  }

  /** A flagged class and cue kind, its flagged tests strongest first. */
  private record Pending(int cls, Cue cue, List<FlipTest.Test> tests) {
    FlipTest.Test best() {
      return tests.get(0);
    }

    String key() {
      return cls + "/" + cue.code();
    }
  }

  /** Every listed input of the analysed datasets. */
  private static Dataset<Row> listing(DetectorContext ctx) {
    Dataset<Row> listing = null;
    for (ImageSource src : ImageSources.openAll(ctx.inputs().input(), ctx.spark())) {
      listing = listing == null ? src.list(ctx.spark()) : listing.union(src.list(ctx.spark()));
    }
    return listing;
  }

  static String key(String edit, int cls, FlipTest.Direction d) {
    return edit + "/" + cls + "/" + d.code();
  }

  /**
   * Mean change of a class's probability under each edit, over the same images as its rates:
   * away — the images predicted c (its probability after minus before); to — the images neither
   * labelled nor predicted c.
   */
  private static Map<String, Double> probabilityChanges(Dataset<Row> ok) {
    Map<String, Double> m = new HashMap<>();
    for (Row r : ok.groupBy("edit", "predicted_before")
        .agg(avg(col("prob_after_of_before").minus(col("prob_before")))).collectAsList()) {
      m.put(key(r.getString(0), r.getInt(1), FlipTest.Direction.AWAY), r.isNullAt(2) ? null : r.getDouble(2));
    }
    Dataset<Row> exploded = ok.select(col("edit"), col("true_class"), col("predicted_before"),
        posexplode(col("delta")));
    for (Row r : exploded.filter(col("pos").notEqual(col("predicted_before"))
            .and(col("true_class").isNull().or(col("true_class").notEqual(col("pos")))))
        .groupBy("edit", "pos").agg(avg("col")).collectAsList()) {
      m.put(key(r.getString(0), r.getInt(1), FlipTest.Direction.TO), r.isNullAt(2) ? null : r.getDouble(2));
    }
    return m;
  }

  /**
   * The before/after pairs of each finding's strongest test: for flips to the class, images of
   * others that the edit turned into it (the highest probability of the class after first); for
   * flips away, the class's predictions it undid (the largest drop first).
   */
  private static Map<String, List<Pair>> examplePairs(DetectorContext ctx, Dataset<Row> ok,
      Dataset<Row> listing, Counterfactuals.Options o, CounterfactualSettings s, List<Pending> pending,
      HadoopConf hadoop) {
    Map<String, List<Pair>> out = new HashMap<>();
    if (pending.isEmpty() || s.examples() == 0) {
      return out;
    }
    List<Row> chosen = new ArrayList<>();
    for (Pending p : pending) {
      FlipTest.Test t = p.best();
      Dataset<Row> these = ok.filter(col("edit").equalTo(t.edit()));
      Dataset<Row> ranked;
      if (t.direction() == FlipTest.Direction.TO) {
        ranked = these.filter(col("predicted_after").equalTo(t.cls()).and(col("predicted_before").notEqual(t.cls()))
                .and(col("true_class").isNull().or(col("true_class").notEqual(t.cls()))))
            .orderBy(col("prob_after").desc(), col("id"));
      } else {
        ranked = these.filter(col("predicted_before").equalTo(t.cls()).and(col("predicted_after").notEqual(t.cls())))
            .orderBy(col("prob_before").minus(col("prob_after_of_before")).desc(), col("id"));
      }
      for (Row r : ranked.limit(s.examples()).collectAsList()) {
        chosen.add(RowFactory.create(p.key(), r.getAs("id"), t.edit(), r.getAs("true_class"),
            r.getAs("predicted_before"), r.getAs("prob_before"), r.getAs("predicted_after"), r.getAs("prob_after"),
            r.getAs("prob_after_of_before")));
      }
    }
    StructType schema = new StructType().add("_key", DataTypes.StringType).add("_pid", DataTypes.StringType)
        .add("_edit", DataTypes.StringType).add("true_class", DataTypes.IntegerType)
        .add("predicted_before", DataTypes.IntegerType).add("prob_before", DataTypes.FloatType)
        .add("predicted_after", DataTypes.IntegerType).add("prob_after", DataTypes.FloatType)
        .add("prob_after_of_before", DataTypes.FloatType);
    Dataset<Row> wanted = ctx.spark().createDataFrame(chosen, schema);
    Dataset<Row> joined = listing.join(wanted, listing.col(InputSchema.ID).equalTo(wanted.col("_pid")), "inner");
    Map<String, byte[][]> pngs = new HashMap<>();
    for (Row r : Counterfactuals.pairs(joined.select(listingAndEdit(listing)), o, hadoop).collectAsList()) {
      pngs.put(r.getString(0) + "\n" + r.getString(1), new byte[][] {r.getAs("before_png"), r.getAs("after_png")});
    }
    for (Row r : chosen) {
      byte[][] png = pngs.getOrDefault(r.getString(1) + "\n" + r.getString(2), new byte[2][]);
      out.computeIfAbsent(r.getString(0), x -> new ArrayList<>()).add(Pair.of(r, png));
    }
    return out;
  }

  private static org.apache.spark.sql.Column[] listingAndEdit(Dataset<Row> listing) {
    List<org.apache.spark.sql.Column> cols = new ArrayList<>();
    for (String f : listing.columns()) {
      cols.add(listing.col(f));
    }
    cols.add(col("_edit"));
    return cols.toArray(new org.apache.spark.sql.Column[0]);
  }

  private static Finding finding(DetectorContext ctx, CounterfactualSettings s, Pending p,
      Map<String, ImageEdit> byLabel, FlipTest.Result result, Dataset<Row> ok, Map<String, Double> change,
      List<Pair> pairs) {
    FlipTest.Test best = p.best();
    ImageEdit edit = byLabel.get(best.edit());
    String name = ctx.className(p.cls());
    double[] odds = FlipTest.oddsRatio(best, result.tests());
    // Suspects: images of another known class that the model calls c, and that an edit of this
    // cue kind talks out of it — the cue, not the object, seems to carry their prediction.
    List<String> kindEdits = byLabel.values().stream().filter(e -> e.cue() == p.cue()).map(ImageEdit::label)
        .toList();
    Dataset<Row> suspects = ok.filter(col("edit").isin(kindEdits.toArray())
            .and(col("predicted_before").equalTo(p.cls())).and(col("predicted_after").notEqual(p.cls()))
            .and(col("true_class").isNotNull()).and(col("true_class").notEqual(p.cls())))
        .groupBy("id").agg(max(col("prob_before").minus(col("prob_after_of_before"))).as("drop"),
            count(lit(1)).as("edits"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    long suspectCount = suspects.count();
    List<String> ids = suspects.orderBy(col("drop").desc(), col("id")).limit(ctx.settings().maxSuspects())
        .select("id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    suspects.unpersist();

    String statement;
    if (best.direction() == FlipTest.Direction.TO) {
      statement = String.format(Locale.ROOT, "%s: predictions depend on %s — %s flips %.0f%% of other classes'"
          + " images to %s vs %.0f%% on average into each other class (95%% interval of the difference"
          + " [%.2f, %.2f], odds ratio %.1f); %d image(s) of other classes predicted as %s lose that prediction under"
          + " one of the %s edits",
          name, p.cue().words(), edit.words(), 100 * best.rate(), name, 100 * best.reference(), best.lo(), best.hi(),
          odds[0], suspectCount, name, p.cue().code());
    } else {
      statement = String.format(Locale.ROOT, "%s: predictions depend on %s — %s turns %.0f%% of the images"
          + " predicted %s into another class vs %.0f%% on average for the other classes (95%% interval of the"
          + " difference [%.2f, %.2f], odds ratio %.1f); %d image(s) of other classes predicted as %s lose that"
          + " prediction under one of the %s edits", name, p.cue().words(), edit.words(), 100 * best.rate(), name,
          100 * best.reference(), best.lo(), best.hi(), odds[0], suspectCount, name, p.cue().code());
    }
    Evidence evidence = evidence(p.cls(), p.tests(), byLabel, result, change, pairs, odds);
    return Finding.builder()
        .cls(p.cls())
        .className(name)
        .kind(p.cue())
        .detector("counterfactual")
        .cue(edit.label() + " (" + best.direction().code() + ")")
        .score(odds[0])
        .lo(odds[1])
        .hi(odds[2])
        .statement(statement)
        .suspectCount(suspectCount)
        .suspects(ids)
        .evidence(evidence)
        .build();
  }

  /**
   * A finding's evidence: its strongest test's edit and direction, its flagged tests (strongest
   * first), every judged test of the class, the example pairs and the odds ratio with its interval.
   */
  static Evidence evidence(int cls, List<FlipTest.Test> tests, Map<String, ImageEdit> byLabel,
      FlipTest.Result result, Map<String, Double> change, List<Pair> pairs, double[] odds) {
    FlipTest.Test best = tests.get(0);
    List<TestEntry> rates = new ArrayList<>();
    for (FlipTest.Test t : result.tests()) {
      if (t.cls() == cls && t.judged()) {
        rates.add(TestEntry.of(t, byLabel.get(t.edit()), change.get(key(t.edit(), t.cls(), t.direction()))));
      }
    }
    return Evidence.of(best, tests.stream().map(t -> TestEntry.of(t, byLabel.get(t.edit()),
        change.get(key(t.edit(), t.cls(), t.direction())))).toList(), rates, pairs, odds);
  }

  /**
   * Per edit and direction, one value per class (null where not judged): the rate, the other
   * classes' mean, the difference, its interval, the adjusted p-value and the flag — a classes ×
   * edits picture for the report.
   */
  static List<EditRates> ratesJson(FlipTest.Result result, List<ImageEdit> edits, int k) {
    List<EditRates> out = new ArrayList<>();
    for (ImageEdit e : edits) {
      Map<FlipTest.Direction, DirectionRates> byDirection = new java.util.EnumMap<>(FlipTest.Direction.class);
      for (FlipTest.Direction d : FlipTest.Direction.values()) {
        Double[][] v = new Double[6][k];
        Long[] images = new Long[k];
        Boolean[] flagged = new Boolean[k];
        Integer[] explained = new Integer[k];
        Boolean[] fragile = new Boolean[k];
        for (FlipTest.Test t : result.tests()) {
          if (t.edit().equals(e.label()) && t.direction() == d && t.judged()) {
            int c = t.cls();
            v[0][c] = t.rate();
            v[1][c] = t.reference();
            v[2][c] = t.difference();
            v[3][c] = t.lo();
            v[4][c] = t.hi();
            v[5][c] = t.pAdjusted();
            images[c] = t.images();
            flagged[c] = t.flagged();
            explained[c] = t.explainedBy() < 0 ? null : t.explainedBy();
            fragile[c] = t.fragile();
          }
        }
        byDirection.put(d, DirectionRates.of(v, images, flagged, explained, fragile));
      }
      out.add(new EditRates(e.label(), e.cue().code(), e.words(), byDirection.get(FlipTest.Direction.TO),
          byDirection.get(FlipTest.Direction.AWAY)));
    }
    return out;
  }

  private static Double nan(double v) {
    return Double.isNaN(v) ? null : v;
  }
}
