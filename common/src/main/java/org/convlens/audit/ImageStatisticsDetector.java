package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.analyze.ImageStatistics;
import org.convlens.config.ConfigValues;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Settings;
import smile.math.special.Erf;

/**
 * The statistics detector: a class whose predictions follow a cheap image statistic (brightness,
 * contrast, colourfulness, tint, sharpness, border uniformity, size, file size, JPEG quality;
 * {@link ImageStatistics}) rather than its object — the tank detector that learned the weather.
 *
 * <p>For class {@code c} and statistic {@code s}, among the images <em>not labelled</em> {@code
 * c}: the AUC of {@code s} separating those predicted {@code c} from those not ({@link
 * StatisticSeparation}), with a seeded stratified bootstrap. Looking only at other classes' images
 * controls for the class itself: a class whose photos are genuinely bright does not make the
 * bright photos of <em>other</em> classes be called by its name, unless the model learned
 * brightness. The same AUC of images labelled {@code c} against the rest is reported as context
 * (how the dataset differs).
 *
 * <p>A pair is <em>judged</em> when at least {@code audit.statistics.min-images} images of other
 * classes are predicted {@code c} (and as many are not), and the statistic varies. It is
 * <em>flagged</em> when {@code |AUC - 0.5| >= min-effect} and the Bonferroni-adjusted interval
 * {@code AUC ± z(1 - alpha / 2m) × SE} excludes 0.5, where {@code m} is the number of pairs judged
 * and {@code SE} the bootstrap standard error (a normal interval: the percentile interval at
 * level {@code 1 - alpha/m} would need tens of thousands of replicates to be stable in its tails).
 * The 95% percentile interval is what a finding quotes.
 *
 * <p>Score of a finding: {@code max(AUC, 1 - AUC)}, 0.5 (no separation) to 1 (complete), with its
 * 95% interval folded the same way.
 */
public final class ImageStatisticsDetector implements ShortcutDetector {
  public static final String NAME = "statistics";
  public static final String AUC_TABLE = "statistics_auc";
  public static final String SUSPECTS_TABLE = "statistics_suspects";
  /** Bins of the evidence histograms. */
  static final int BINS = 20;

  /** A statistic the detector tests: its column, the cue it stands for, its two directions in words. */
  enum Statistic {
    BRIGHTNESS(ImageStatistics.BRIGHTNESS, Cue.ILLUMINATION, "darker", "brighter"),
    CONTRAST(ImageStatistics.CONTRAST, Cue.ILLUMINATION, "lower in contrast", "higher in contrast"),
    COLOURFULNESS(ImageStatistics.COLOURFULNESS, Cue.TINT, "less colourful", "more colourful"),
    SATURATION(ImageStatistics.SATURATION, Cue.TINT, "less saturated", "more saturated"),
    TINT_RG(ImageStatistics.TINT_RG, Cue.TINT, "greener", "redder"),
    TINT_YB(ImageStatistics.TINT_YB, Cue.TINT, "bluer", "yellower"),
    SHARPNESS(ImageStatistics.SHARPNESS, Cue.BACKGROUND, "blurrier", "sharper"),
    BORDER_VARIATION(ImageStatistics.BORDER_VARIATION, Cue.BACKGROUND, "framed by more uniform borders",
        "framed by busier borders"),
    WIDTH("width", Cue.SOURCE, "narrower", "wider"),
    HEIGHT("height", Cue.SOURCE, "shorter", "taller"),
    ASPECT("aspect", Cue.SOURCE, "taller in shape (lower width/height)", "wider in shape (higher width/height)"),
    FILE_BYTES(ImageStatistics.FILE_BYTES, Cue.SOURCE, "stored in smaller files", "stored in larger files"),
    JPEG_QUALITY(ImageStatistics.JPEG_QUALITY, Cue.SOURCE, "more compressed (lower JPEG quality)",
        "less compressed (higher JPEG quality)");

    final String code;
    final Cue cue;
    final String lower;
    final String higher;

    Statistic(String code, Cue cue, String lower, String higher) {
      this.code = code;
      this.cue = cue;
      this.lower = lower;
      this.higher = higher;
    }

    static List<String> codes() {
      return Arrays.stream(values()).map(s -> s.code).toList();
    }

    static Statistic of(String code) {
      for (Statistic s : values()) {
        if (s.code.equals(code)) {
          return s;
        }
      }
      return null;
    }

    /** The analysis columns it is computed from. */
    List<String> columns() {
      return this == ASPECT ? List.of("width", "height") : List.of(code);
    }

    Column column() {
      return this == ASPECT ? col("width").cast(DataTypes.DoubleType).divide(col("height").cast(DataTypes.DoubleType))
          : col(code).cast(DataTypes.DoubleType);
    }
  }

  /**
   * {@code audit.statistics.*}.
   *
   * @param statistics the statistics tested (codes of {@link Statistic}); empty = the detector is off
   * @param minEffect a pair is flagged only when {@code |AUC - 0.5|} is at least this
   * @param alpha family-wise error rate over all judged pairs (Bonferroni)
   * @param minImages pairs with fewer images of other classes predicted as the class are not judged
   * @param replicates bootstrap replicates
   * @param seed seed of the bootstrap and of the per-cell sample
   * @param maxPerCell rows kept per (true class, predicted class) cell; beyond, a seeded sample
   *     weighted up to the cell's size
   * @param examples example images (the strongest suspects, with previews) per finding
   */
  public record Options(List<String> statistics, double minEffect, double alpha, int minImages, int replicates,
      long seed, int maxPerCell, int examples) implements Serializable {
    private static final String P = "audit." + NAME + ".";

    public Options {
      statistics = List.copyOf(statistics);
      for (String s : statistics) {
        if (Statistic.of(s) == null) {
          throw new InvalidConfigException(P + "statistics", "invalid value '" + s + "' in " + P + "statistics:"
              + " allowed values are " + Statistic.codes() + " (or [] to skip the detector)");
        }
      }
      if (!(minEffect >= 0 && minEffect <= 0.5)) {
        throw InvalidConfigException.range(P + "min-effect", minEffect, "numbers from 0 to 0.5");
      }
      if (!(alpha > 0 && alpha <= 0.5)) {
        throw InvalidConfigException.range(P + "alpha", alpha, "numbers above 0, up to 0.5");
      }
      Settings.between(P + "min-images", minImages, 1, 1_000_000);
      Settings.between(P + "bootstrap", replicates, 100, 100_000);
      Settings.between(P + "max-per-cell", maxPerCell, 100, 10_000_000);
      Settings.between(P + "examples", examples, 0, 100);
    }

    static Options from(Config c) {
      return new Options(ConfigValues.strings(c, P + "statistics"), ConfigValues.dbl(c, P + "min-effect"),
          ConfigValues.dbl(c, P + "alpha"), (int) ConfigValues.num(c, P + "min-images"),
          (int) ConfigValues.num(c, P + "bootstrap"), ConfigValues.num(c, P + "seed"),
          (int) ConfigValues.num(c, P + "max-per-cell"), (int) ConfigValues.num(c, P + "examples"));
    }
  }

  private static final Map<String, StructType> TABLES = Map.of(
      AUC_TABLE, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, true)
          .add("statistic", DataTypes.StringType, false)
          .add("kind", DataTypes.StringType, false)
          .add("comparison", DataTypes.StringType, false)
          .add("images", DataTypes.LongType, false)
          .add("others", DataTypes.LongType, false)
          .add("auc", DataTypes.DoubleType, true)
          .add("lo", DataTypes.DoubleType, true)
          .add("hi", DataTypes.DoubleType, true)
          .add("se", DataTypes.DoubleType, true)
          .add("adjusted_lo", DataTypes.DoubleType, true)
          .add("adjusted_hi", DataTypes.DoubleType, true)
          .add("p_adjusted", DataTypes.DoubleType, true)
          .add("judged", DataTypes.BooleanType, false)
          .add("flagged", DataTypes.BooleanType, false),
      SUSPECTS_TABLE, new StructType()
          .add("shortcut_class", DataTypes.IntegerType, false)
          .add("kind", DataTypes.StringType, false)
          .add("statistic", DataTypes.StringType, false)
          .add("rank", DataTypes.IntegerType, false)
          .add("id", DataTypes.StringType, false)
          .add("true_class", DataTypes.IntegerType, false)
          .add("predicted", DataTypes.IntegerType, false)
          .add("confidence", DataTypes.FloatType, true)
          .add("value", DataTypes.DoubleType, false)
          .add("placement", DataTypes.DoubleType, false)
          .add("input_png", DataTypes.BinaryType, true));

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Image statistics that predictions follow";
  }

  @Override
  public Map<String, StructType> tables() {
    return TABLES;
  }

  @Override
  public Serializable settings(Config config) {
    return Options.from(config);
  }

  @Override
  public Result detect(DetectorContext ctx) {
    Options o = ctx.settings(this);
    Outcome out = run(ctx.rows(), ctx.classNames(), o, ctx.settings().maxSuspects());
    ctx.tables().write(AUC_TABLE, out.aucRows());
    ctx.tables().write(SUSPECTS_TABLE, out.suspects());
    ctx.console().println("audit: statistics: " + out.summary());
    return new Result(out.findings(), out.section());
  }

  /**
   * What {@link #run} found: the findings, the {@link #AUC_TABLE} rows, the suspects (with
   * previews) as a dataset in {@link #SUSPECTS_TABLE}'s column order, the {@code audit.json}
   * section and a console summary.
   */
  record Outcome(List<Finding> findings, List<Row> aucRows, Dataset<Row> suspects, Map<String, Object> section,
      String summary) {}

  /** One judged (class, statistic) pair. */
  private record Test(int cls, Statistic statistic, int index, double auc, double lo, double hi, double se,
      double adjustedLo, double adjustedHi, double pAdjusted, boolean flagged, double fooled, double reference) {
    double effect() {
      return Math.abs(auc - 0.5);
    }
  }

  /** The test on usable analysis rows ({@link AuditRows}); writes nothing. */
  static Outcome run(Dataset<Row> rows, List<String> names, Options o, int maxSuspects) {
    int k = names.size();
    List<String> present = List.of(rows.schema().fieldNames());
    List<Statistic> tested = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String code : o.statistics()) {
      Statistic s = Statistic.of(code);
      if (present.containsAll(s.columns())) {
        tested.add(s);
      } else {
        missing.add(code);
      }
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("settings", settingsJson(o));
    section.put("statistics", tested.stream().map(s -> s.code).toList());
    section.put("missing", missing);
    Dataset<Row> noSuspects = rows.sparkSession().createDataFrame(List.of(), TABLES.get(SUSPECTS_TABLE));
    String note = missing.isEmpty() ? "" : "; not in the analysis (written before they were measured: analyse again"
        + " to test them): " + String.join(", ", missing);
    if (tested.isEmpty()) {
      section.put("skipped", o.statistics().isEmpty() ? "audit.statistics.statistics is empty"
          : "the analysis has none of the statistics");
      section.put("tests", 0);
      section.put("results", List.of());
      return new Outcome(List.of(), List.of(), noSuspects, section, "skipped: "
          + section.get("skipped") + note);
    }

    // One row per image with a known true class, sampled per (true, predicted) cell beyond max-per-cell.
    List<Column> select = new ArrayList<>(List.of(col("id"), col(AuditRows.TRUE_CLASS), col("predicted"),
        col("top_k_prob").getItem(0).as("_confidence")));
    for (Statistic s : tested) {
      select.add(s.column().as("_s_" + s.code));
    }
    Column hash = xxhash64(lit(o.seed()), col("id"));
    Dataset<Row> known = rows.filter(col(AuditRows.TRUE_CLASS).isNotNull().and(col("predicted").isNotNull())
            .and(col("predicted").geq(0)).and(col("predicted").lt(k)))
        .select(select.toArray(new Column[0]))
        .withColumn("_rank", row_number().over(Window.partitionBy(AuditRows.TRUE_CLASS, "predicted")
            .orderBy(hash, col("id"))))
        .withColumn("_cell", count(lit(1)).over(Window.partitionBy(AuditRows.TRUE_CLASS, "predicted")))
        .filter(col("_rank").leq(o.maxPerCell()));
    List<Row> collected = new ArrayList<>(known.collectAsList());
    collected.sort(Comparator.<Row>comparingInt(r -> r.getInt(1)).thenComparingInt(r -> r.getInt(2))
        .thenComparingInt(r -> r.getInt(r.length() - 2)));
    int n = collected.size();
    int[] truth = new int[n];
    int[] predicted = new int[n];
    double[] weight = new double[n];
    String[] ids = new String[n];
    Float[] confidence = new Float[n];
    double[][] values = new double[tested.size()][n];
    List<Integer> strata = new ArrayList<>();
    int sampledCells = 0;
    for (int i = 0; i < n; i++) {
      Row r = collected.get(i);
      ids[i] = r.getString(0);
      truth[i] = r.getInt(1);
      predicted[i] = r.getInt(2);
      confidence[i] = r.isNullAt(3) ? null : r.getFloat(3);
      long cell = r.getLong(r.length() - 1);
      weight[i] = (double) cell / Math.min(cell, o.maxPerCell());
      for (int s = 0; s < tested.size(); s++) {
        values[s][i] = r.isNullAt(4 + s) ? Double.NaN : r.getDouble(4 + s);
      }
      if (i == 0 || truth[i] != truth[i - 1] || predicted[i] != predicted[i - 1]) {
        strata.add(i);
        sampledCells += cell > o.maxPerCell() ? 1 : 0;
      }
    }
    strata.add(n);
    StatisticSeparation.Sample sample = new StatisticSeparation.Sample(k, truth, predicted, weight,
        strata.stream().mapToInt(Integer::intValue).toArray(), values);
    double[] fooledTotal = new double[k];
    for (int i = 0; i < n; i++) {
      if (truth[i] != predicted[i]) {
        fooledTotal[predicted[i]] += weight[i];
      }
    }
    boolean[] tracked = new boolean[k];
    for (int c = 0; c < k; c++) {
      tracked[c] = fooledTotal[c] >= o.minImages();
    }
    StatisticSeparation.Bootstrap boot = StatisticSeparation.bootstrap(sample, o.replicates(), o.seed(), tracked);

    // Judged pairs, then the Bonferroni adjustment over all of them.
    List<int[]> judged = new ArrayList<>();
    for (int s = 0; s < tested.size(); s++) {
      if (sample.constant(s)) {
        continue;
      }
      StatisticSeparation.Separation p = boot.point()[s];
      for (int c = 0; c < k; c++) {
        if (tracked[c] && p.fooled()[c] >= o.minImages() && p.reference()[c] >= o.minImages()
            && !Double.isNaN(p.predicted()[c])) {
          judged.add(new int[] {s, c});
        }
      }
    }
    int m = judged.size();
    double z = m == 0 ? Double.NaN : normalQuantile(1 - o.alpha() / (2.0 * m));
    Map<Long, Test> tests = new LinkedHashMap<>();
    for (int[] sc : judged) {
      int s = sc[0];
      int c = sc[1];
      StatisticSeparation.Separation p = boot.point()[s];
      double auc = p.predicted()[c];
      double[] reps = StatisticSeparation.finite(boot.predicted()[s][c]);
      double se = StatisticSeparation.standardDeviation(reps);
      double lo = StatisticSeparation.quantile(reps, 0.025);
      double hi = StatisticSeparation.quantile(reps, 0.975);
      double adjLo = Math.max(0, auc - z * se);
      double adjHi = Math.min(1, auc + z * se);
      double pValue = se > 0 ? 2 * normalUpperTail(Math.abs(auc - 0.5) / se) : auc == 0.5 ? 1 : 0;
      boolean flagged = Math.abs(auc - 0.5) >= o.minEffect() && (adjLo > 0.5 || adjHi < 0.5);
      tests.put(key(s, c), new Test(c, tested.get(s), s, auc, lo, hi, se, adjLo, adjHi, Math.min(1, m * pValue),
          flagged, p.fooled()[c], p.reference()[c]));
    }

    List<Row> aucRows = new ArrayList<>();
    List<Map<String, Object>> results = new ArrayList<>();
    for (int c = 0; c < k; c++) {
      for (int s = 0; s < tested.size(); s++) {
        Statistic st = tested.get(s);
        StatisticSeparation.Separation p = boot.point()[s];
        Test t = tests.get(key(s, c));
        aucRows.add(RowFactory.create(c, names.get(c), st.code, st.cue.code(), "predicted",
            Math.round(p.fooled()[c]), Math.round(p.reference()[c]), num(p.predicted()[c]),
            t == null ? null : num(t.lo()), t == null ? null : num(t.hi()), t == null ? null : num(t.se()),
            t == null ? null : t.adjustedLo(), t == null ? null : t.adjustedHi(), t == null ? null : t.pAdjusted(),
            t != null, t != null && t.flagged()));
        Double lLo = null;
        Double lHi = null;
        Double lSe = null;
        if (tracked[c]) {
          double[] reps = StatisticSeparation.finite(boot.labelled()[s][c]);
          lLo = num(StatisticSeparation.quantile(reps, 0.025));
          lHi = num(StatisticSeparation.quantile(reps, 0.975));
          lSe = num(StatisticSeparation.standardDeviation(reps));
        }
        aucRows.add(RowFactory.create(c, names.get(c), st.code, st.cue.code(), "labelled",
            Math.round(p.labelledWeight()[c]), Math.round(p.total() - p.labelledWeight()[c]),
            num(p.labelled()[c]), lLo, lHi, lSe, null, null, null, false, false));
        if (t != null) {
          Map<String, Object> j = new LinkedHashMap<>();
          j.put("class", c);
          j.put("statistic", st.code);
          j.put("kind", st.cue.code());
          j.put("images", Math.round(t.fooled()));
          j.put("others", Math.round(t.reference()));
          j.put("auc", t.auc());
          j.put("interval", List.of(t.lo(), t.hi()));
          j.put("adjusted_interval", List.of(t.adjustedLo(), t.adjustedHi()));
          j.put("p_adjusted", t.pAdjusted());
          j.put("labelled_auc", num(p.labelled()[c]));
          j.put("flagged", t.flagged());
          results.add(j);
        }
      }
    }

    // One finding per class and cue kind, named by its strongest flagged statistic.
    Map<String, Test> strongest = new LinkedHashMap<>();
    for (Test t : tests.values()) {
      if (t.flagged()) {
        strongest.merge(t.cls() + "/" + t.statistic().cue.code(), t,
            (a, b) -> b.effect() > a.effect() ? b : a);
      }
    }
    List<Test> flagged = new ArrayList<>(strongest.values());
    flagged.sort(Comparator.comparingInt(Test::cls).thenComparing(t -> t.statistic().cue));
    List<Finding> findings = new ArrayList<>();
    List<Row> suspectRows = new ArrayList<>();
    List<List<Suspect>> suspectsOf = new ArrayList<>();
    for (Test t : flagged) {
      List<Suspect> suspects = suspects(sample, t, ids, confidence);
      suspectsOf.add(suspects);
      for (int r = 0; r < suspects.size(); r++) {
        Suspect x = suspects.get(r);
        suspectRows.add(RowFactory.create(t.cls(), t.statistic().cue.code(), t.statistic().code, r + 1, ids[x.row()],
            truth[x.row()], predicted[x.row()], confidence[x.row()], x.value(), x.placement()));
      }
    }
    Dataset<Row> suspects = noSuspects;
    Map<String, byte[]> previews = Map.of();
    if (!suspectRows.isEmpty()) {
      StructType own = TABLES.get(SUSPECTS_TABLE);
      StructType noPng = new StructType(Arrays.copyOf(own.fields(), own.fields().length - 1));
      Dataset<Row> list = rows.sparkSession().createDataFrame(suspectRows, noPng);
      suspects = AuditRun.withPreview(list, AuditRun.previews(rows));
      previews = new LinkedHashMap<>();
      for (Row r : suspects.filter(col("rank").leq(o.examples())).select("id", AnalysisSchema.INPUT_PNG)
          .collectAsList()) {
        previews.put(r.getString(0), r.isNullAt(1) ? null : (byte[]) r.get(1));
      }
    }
    for (int f = 0; f < flagged.size(); f++) {
      findings.add(finding(flagged.get(f), suspectsOf.get(f), sample, boot, names, ids, confidence, previews, o,
          maxSuspects, m));
    }

    section.put("rows", n);
    section.put("sampled_cells", sampledCells);
    section.put("tests", m);
    section.put("z", m == 0 ? null : z);
    section.put("results", results);
    section.put("flagged", flagged.stream().map(t -> Map.of("class", t.cls(), "kind", t.statistic().cue.code(),
        "statistic", t.statistic().code)).toList());
    String summary = String.format(Locale.ROOT, "%d statistic(s) x %d class(es), %d pair(s) judged (with >= %d images"
        + " of other classes predicted as the class), Bonferroni over them at alpha %s: %s%s", tested.size(), k, m,
        o.minImages(), o.alpha(), flagged.isEmpty() ? "nothing flagged"
            : flagged.stream().map(t -> names.get(t.cls()) + " " + t.statistic().cue.code() + " (" + t.statistic().code
                + String.format(Locale.ROOT, " AUC %.2f", t.auc()) + ")").toList().toString(), note);
    return new Outcome(findings, aucRows, suspects.select(TABLES.get(SUSPECTS_TABLE).fieldNames()[0],
        Arrays.copyOfRange(TABLES.get(SUSPECTS_TABLE).fieldNames(), 1, TABLES.get(SUSPECTS_TABLE).size())),
        section, summary);
  }

  /**
   * A suspect: an image of another class predicted as the flagged class whose value lies beyond
   * the median of the reference group on the cue's side.
   *
   * @param placement the weight share of the reference group as far out as it or farther (ties
   *     half): small = extreme; below 0.5 = past the median
   */
  record Suspect(int row, double value, double placement) {}

  /** The suspects of a flagged pair, the most extreme first (ties by id). */
  private static List<Suspect> suspects(StatisticSeparation.Sample s, Test t, String[] ids, Float[] confidence) {
    int c = t.cls();
    double[] v = s.values()[t.index()];
    boolean lower = t.auc() < 0.5;
    // The reference group (neither labelled nor predicted c), sorted, with cumulative weights.
    List<double[]> ref = new ArrayList<>();
    for (int i = 0; i < s.rows(); i++) {
      if (s.truth()[i] != c && s.predicted()[i] != c && !Double.isNaN(v[i])) {
        ref.add(new double[] {v[i], s.weight()[i]});
      }
    }
    ref.sort(Comparator.comparingDouble(a -> a[0]));
    double[] refValues = new double[ref.size()];
    double[] cumulative = new double[ref.size() + 1];
    for (int i = 0; i < ref.size(); i++) {
      refValues[i] = ref.get(i)[0];
      cumulative[i + 1] = cumulative[i] + ref.get(i)[1];
    }
    double total = cumulative[ref.size()];
    List<Suspect> out = new ArrayList<>();
    for (int i = 0; i < s.rows(); i++) {
      if (s.truth()[i] == c || s.predicted()[i] != c || Double.isNaN(v[i])) {
        continue;
      }
      int below = lowerBound(refValues, v[i]);
      int upTo = upperBound(refValues, v[i]);
      double under = cumulative[below];
      double tied = cumulative[upTo] - cumulative[below];
      double over = total - cumulative[upTo];
      double placement = ((lower ? under : over) + 0.5 * tied) / total;
      if (placement < 0.5) {
        out.add(new Suspect(i, v[i], placement));
      }
    }
    out.sort(Comparator.comparingDouble(Suspect::placement).thenComparing(x -> ids[x.row()]));
    return out;
  }

  private static int lowerBound(double[] sorted, double x) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static int upperBound(double[] sorted, double x) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static Finding finding(Test t, List<Suspect> suspects, StatisticSeparation.Sample s,
      StatisticSeparation.Bootstrap boot, List<String> names, String[] ids, Float[] confidence,
      Map<String, byte[]> previews, Options o, int maxSuspects, int tests) {
    String name = names.get(t.cls());
    Statistic st = t.statistic();
    boolean lower = t.auc() < 0.5;
    double labelled = boot.point()[t.index()].labelled()[t.cls()];
    double[] labelledReps = StatisticSeparation.finite(boot.labelled()[t.index()][t.cls()]);
    double suspectWeight = 0;
    for (Suspect x : suspects) {
      suspectWeight += s.weight()[x.row()];
    }
    long suspectCount = Math.round(suspectWeight);
    String statement = String.format(Locale.ROOT, "%s: predictions depend on %s — images of other classes predicted"
        + " as %s are %s (%s AUC %.2f [%.2f, %.2f] against the %d not predicted as %s; %d such images, %d of them"
        + " past the others' median); images labelled %s: AUC %.2f against the other classes", name,
        st.cue.words(), name, lower ? st.lower : st.higher, st.code, t.auc(), t.lo(), t.hi(),
        Math.round(t.reference()), name, Math.round(t.fooled()), suspectCount, name, labelled);
    Map<String, Object> evidence = new LinkedHashMap<>();
    evidence.put("statistic", st.code);
    evidence.put("direction", lower ? "lower" : "higher");
    evidence.put("auc", t.auc());
    evidence.put("interval", List.of(t.lo(), t.hi()));
    evidence.put("adjusted_interval", List.of(t.adjustedLo(), t.adjustedHi()));
    evidence.put("p_adjusted", t.pAdjusted());
    evidence.put("tests", tests);
    evidence.put("images", Math.round(t.fooled()));
    evidence.put("others", Math.round(t.reference()));
    evidence.put("labelled_auc", num(labelled));
    evidence.put("labelled_interval", labelledReps.length == 0 ? null
        : List.of(StatisticSeparation.quantile(labelledReps, 0.025), StatisticSeparation.quantile(labelledReps, 0.975)));
    evidence.put("histogram", histogram(s, t));
    List<Map<String, Object>> examples = new ArrayList<>();
    for (Suspect x : suspects.subList(0, Math.min(o.examples(), suspects.size()))) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("id", ids[x.row()]);
      e.put("true_class", s.truth()[x.row()]);
      e.put("predicted", s.predicted()[x.row()]);
      e.put("confidence", confidence[x.row()]);
      e.put("value", x.value());
      e.put("placement", x.placement());
      e.put("png", AuditRun.png(previews.get(ids[x.row()])));
      examples.add(e);
    }
    evidence.put("examples", examples);
    List<String> top = suspects.stream().limit(maxSuspects).map(x -> ids[x.row()]).toList();
    double score = lower ? 1 - t.auc() : t.auc();
    double lo = lower ? 1 - t.hi() : t.lo();
    double hi = lower ? 1 - t.lo() : t.hi();
    return new Finding(t.cls(), name, st.cue, NAME, st.code, score, lo, hi, statement, suspectCount, top, evidence);
  }

  /**
   * The statistic's distribution in the two groups of a pair (images of other classes predicted as
   * the class; those not), {@link #BINS} bins of equal width with shared edges over both, weighted
   * counts.
   */
  private static Map<String, Object> histogram(StatisticSeparation.Sample s, Test t) {
    int c = t.cls();
    double[] v = s.values()[t.index()];
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < s.rows(); i++) {
      if (s.truth()[i] != c && !Double.isNaN(v[i])) {
        min = Math.min(min, v[i]);
        max = Math.max(max, v[i]);
      }
    }
    double[] edges = new double[BINS + 1];
    for (int b = 0; b <= BINS; b++) {
      edges[b] = min + (max - min) * b / BINS;
    }
    double[] predictedCounts = new double[BINS];
    double[] otherCounts = new double[BINS];
    for (int i = 0; i < s.rows(); i++) {
      if (s.truth()[i] == c || Double.isNaN(v[i])) {
        continue;
      }
      int b = max > min ? Math.min(BINS - 1, (int) ((v[i] - min) / (max - min) * BINS)) : 0;
      (s.predicted()[i] == c ? predictedCounts : otherCounts)[b] += s.weight()[i];
    }
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("edges", edges);
    h.put("predicted", Arrays.stream(predictedCounts).mapToLong(Math::round).toArray());
    h.put("others", Arrays.stream(otherCounts).mapToLong(Math::round).toArray());
    return h;
  }

  private static Map<String, Object> settingsJson(Options o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("statistics", o.statistics());
    m.put("min_effect", o.minEffect());
    m.put("alpha", o.alpha());
    m.put("min_images", o.minImages());
    m.put("bootstrap", o.replicates());
    m.put("seed", o.seed());
    m.put("max_per_cell", o.maxPerCell());
    m.put("examples", o.examples());
    return m;
  }

  private static long key(int statistic, int cls) {
    return (long) statistic << 32 | cls;
  }

  /** NaN as null, for Parquet and JSON. */
  private static Double num(double x) {
    return Double.isNaN(x) ? null : x;
  }

  /** {@code P(Z > x)} for a standard normal Z. */
  static double normalUpperTail(double x) {
    return 0.5 * Erf.erfc(x / Math.sqrt(2));
  }

  /** The standard normal quantile of {@code p} (0 < p < 1). */
  static double normalQuantile(double p) {
    return -Math.sqrt(2) * Erf.inverfc(2 * p);
  }
}
