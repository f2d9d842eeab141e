package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
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
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
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
 * level {@code 1 - alpha/m} would need tens of thousands of replicates to be stable in its tails);
 * and, when at least {@code min-images} other images are misclassified as third classes, the
 * fooled images differ from those too, on the same side (their AUC's 95% interval excludes 0.5):
 * mistakes in general are harder images (fainter, blurrier), and a class the model falls back on
 * collects them without any shortcut. The 95% percentile interval is what a finding quotes.
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
    public static final Key<List<String>> STATISTICS = Key.strings(P + "statistics", Statistic.codes(),
        "image statistics tested (computed by analyze); [] = skip the detector");
    public static final Key<Double> MIN_EFFECT = Key.number(P + "min-effect", 0.25,
        "a pair is flagged when |AUC - 0.5| >= this").allow(v -> v >= 0 && v <= 0.5, "numbers from 0 to 0.5");
    public static final Key<Double> ALPHA = Key.number(P + "alpha", 0.05,
        "family-wise error rate (Bonferroni over every pair judged)")
        .aboveUpTo(0, 0.5);
    public static final Key<Integer> MIN_IMAGES = Key.integer(P + "min-images", 10,
        "a pair is judged only when at least this many images of other classes are predicted as the class")
        .within(1, 1_000_000);
    public static final Key<Integer> BOOTSTRAP = Key.integer(P + "bootstrap", 1000,
        "bootstrap replicates, stratified by (true class, predicted class)").within(100, 100_000);
    public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611, "seed of the bootstrap and the samples");
    public static final Key<Integer> MAX_PER_CELL = Key.integer(P + "max-per-cell", 5000,
        "rows kept per (true class, predicted class) cell; larger cells are a weighted seeded sample")
        .within(100, 10_000_000);
    public static final Key<Integer> EXAMPLES = Key.integer(P + "examples", 6,
        "example images per finding in audit.json").within(0, 100);
    public static final SettingsSpec<Options> SPEC = SettingsSpec.of(Options.class, STATISTICS, MIN_EFFECT, ALPHA,
        MIN_IMAGES, BOOTSTRAP, SEED, MAX_PER_CELL, EXAMPLES);

    public Options {
      statistics = List.copyOf(statistics);
      for (String s : statistics) {
        if (Statistic.of(s) == null) {
          throw new InvalidConfigException(P + "statistics", "invalid value '" + s + "' in " + P + "statistics:"
              + " allowed values are " + Statistic.codes() + " (or [] to skip the detector)");
        }
      }
      MIN_EFFECT.check(minEffect);
      ALPHA.check(alpha);
      MIN_IMAGES.check(minImages);
      BOOTSTRAP.check(replicates);
      MAX_PER_CELL.check(maxPerCell);
      EXAMPLES.check(examples);
    }

    static Options from(Config c) {
      return SPEC.from(c);
    }

    /** Every key at its default (those of conf/convlens.conf). */
    public static Options defaults() {
      return SPEC.defaults();
    }

    /** These options with {@code key} set to {@code value} (checked like a configured value). */
    public <T> Options with(Key<T> key, T value) {
      return SPEC.with(this, key, value);
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
  public SettingsSpec<Options> settingsSpec() {
    return Options.SPEC;
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
  record Outcome(List<Finding> findings, List<Row> aucRows, Dataset<Row> suspects, Section section,
      String summary) {}

  /**
   * The image-statistics detector's part of {@code audit.json}: its settings, the statistics it
   * tested and those the analysis lacks, then either why it was skipped or what it measured (one
   * of the two, their keys in place).
   */
  public record Section(Settings settings, List<String> statistics, List<String> missing,
      @JsonUnwrapped Skipped skipped, @JsonUnwrapped Measured measured) implements ShortcutDetector.Section {}

  /** Its settings ({@code audit.statistics.*}; {@code bootstrap} is {@code replicates}). */
  public record Settings(List<String> statistics, double minEffect, double alpha, int minImages, int bootstrap,
      long seed, int maxPerCell, int examples) {
    static Settings of(Options o) {
      return new Settings(o.statistics(), o.minEffect(), o.alpha(), o.minImages(), o.replicates(), o.seed(),
          o.maxPerCell(), o.examples());
    }
  }

  /** A skipped run: why; no tests, no results. */
  public record Skipped(String skipped, int tests, List<Judgement> results) {}

  /**
   * A run that tested.
   *
   * @param rows the sampled rows; {@code sampledCells} the (true, predicted) cells sampled down
   * @param tests the (class, statistic) pairs judged; {@code z} the Bonferroni critical value (null
   *     without tests)
   */
  public record Measured(int rows, int sampledCells, int tests, Double z, List<Judgement> results,
      List<Flag> flagged) {
    static Measured of(int rows, int sampledCells, int tests, Double z, List<Judgement> results, List<Flag> flagged) {
      return new Measured(rows, sampledCells, tests, z, results, flagged);
    }
  }

  /**
   * A judged (class, statistic) pair: the AUC of images of other classes predicted as the class
   * against the rest, its intervals (plain and Bonferroni), the control against other mistakes
   * (null when too few) and the class's own labelled images' AUC.
   */
  public record Judgement(@JsonProperty("class") int cls, String statistic, String kind, long images, long others,
      double auc, List<Double> interval, List<Double> adjustedInterval, double pAdjusted, long otherMistakes,
      Double controlAuc, List<Double> controlInterval, Double labelledAuc, boolean flagged) {
    static Judgement of(Judged pair, double labelled) {
      Statistic statistic = pair.statistic();
      return new Judgement(pair.cls(), statistic.code, statistic.cue.code(), Math.round(pair.fooled()),
          Math.round(pair.reference()), pair.auc(), List.of(pair.lo(), pair.hi()),
          List.of(pair.adjustedLo(), pair.adjustedHi()), pair.pAdjusted(), Math.round(pair.otherMistakes()),
          num(pair.control()), Double.isNaN(pair.control()) ? null : List.of(pair.controlLo(), pair.controlHi()),
          num(labelled), pair.flagged());
    }
  }

  /** A flagged class, its cue kind and the statistic that names it. */
  public record Flag(@JsonProperty("class") int cls, String kind, String statistic) {}

  /**
   * An image-statistics finding's evidence: its strongest statistic's pair (as {@link Judgement},
   * with the direction, the number of tests and the labelled AUC's interval), the two groups'
   * histograms and the first suspects.
   */
  public record Evidence(String statistic, String direction, double auc, List<Double> interval,
      List<Double> adjustedInterval, double pAdjusted, int tests, long images, long others, long otherMistakes,
      Double controlAuc, List<Double> controlInterval, Double labelledAuc, List<Double> labelledInterval,
      Histogram histogram, List<Example> examples) implements Finding.Evidence {
    static Evidence of(Judgement j, boolean lower, int tests, List<Double> labelledInterval, Histogram histogram,
        List<Example> examples) {
      return new Evidence(j.statistic(), lower ? "lower" : "higher", j.auc(), j.interval(), j.adjustedInterval(),
          j.pAdjusted(), tests, j.images(), j.others(), j.otherMistakes(), j.controlAuc(), j.controlInterval(),
          j.labelledAuc(), labelledInterval, histogram, examples);
    }
  }

  /**
   * The statistic's distribution in the two groups: shared bin edges, weighted counts of images of
   * other classes predicted as the class and of those not.
   */
  public record Histogram(double[] edges, long[] predicted, long[] others) implements Serializable {}

  /**
   * A suspect shown with a finding.
   *
   * @param value its statistic; {@code placement} the reference group's weight share as far out
   * @param png its preview, base64 PNG (null without one)
   */
  public record Example(String id, int trueClass, int predicted, Float confidence, double value, double placement,
      String png) implements Serializable {
    static Example of(Collected data, Suspect x, Map<String, byte[]> previews) {
      String id = data.ids()[x.row()];
      return new Example(id, data.sample().truth()[x.row()], data.sample().predicted()[x.row()],
          data.confidence()[x.row()], x.value(), x.placement(), AuditRun.png(previews.get(id)));
    }
  }

  /**
   * One judged (class, statistic) pair and its verdict.
   *
   * @param control the AUC of the fooled images against the other mistakes, with its 95% interval
   *     ({@code controlLo}, {@code controlHi}); NaN when there are too few other mistakes
   */
  private record Judged(int cls, Statistic statistic, int index, double auc, double lo, double hi, double se,
      double adjustedLo, double adjustedHi, double pAdjusted, double control, double controlLo, double controlHi,
      boolean flagged, double fooled, double reference, double otherMistakes) {
    double effect() {
      return Math.abs(auc - 0.5);
    }

    /** A builder, so that a caller names each of the 17 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private int cls;
      private Statistic statistic;
      private int index;
      private double auc;
      private double lo;
      private double hi;
      private double se;
      private double adjustedLo;
      private double adjustedHi;
      private double pAdjusted;
      private double control;
      private double controlLo;
      private double controlHi;
      private boolean flagged;
      private double fooled;
      private double reference;
      private double otherMistakes;

      private Builder() {}

      Builder cls(int cls) {
        this.cls = cls;
        return this;
      }

      Builder statistic(Statistic statistic) {
        this.statistic = statistic;
        return this;
      }

      Builder index(int index) {
        this.index = index;
        return this;
      }

      Builder auc(double auc) {
        this.auc = auc;
        return this;
      }

      Builder lo(double lo) {
        this.lo = lo;
        return this;
      }

      Builder hi(double hi) {
        this.hi = hi;
        return this;
      }

      Builder se(double se) {
        this.se = se;
        return this;
      }

      Builder adjustedLo(double adjustedLo) {
        this.adjustedLo = adjustedLo;
        return this;
      }

      Builder adjustedHi(double adjustedHi) {
        this.adjustedHi = adjustedHi;
        return this;
      }

      Builder pAdjusted(double pAdjusted) {
        this.pAdjusted = pAdjusted;
        return this;
      }

      Builder control(double control) {
        this.control = control;
        return this;
      }

      Builder controlLo(double controlLo) {
        this.controlLo = controlLo;
        return this;
      }

      Builder controlHi(double controlHi) {
        this.controlHi = controlHi;
        return this;
      }

      Builder flagged(boolean flagged) {
        this.flagged = flagged;
        return this;
      }

      Builder fooled(double fooled) {
        this.fooled = fooled;
        return this;
      }

      Builder reference(double reference) {
        this.reference = reference;
        return this;
      }

      Builder otherMistakes(double otherMistakes) {
        this.otherMistakes = otherMistakes;
        return this;
      }

      Judged build() {
        return new Judged(cls, statistic, index, auc, lo, hi, se, adjustedLo, adjustedHi, pAdjusted, control, controlLo,
            controlHi, flagged, fooled, reference, otherMistakes);
      }
    }
  }

  /** The test on usable analysis rows ({@link AuditRows}); writes nothing. */
  static Outcome run(Dataset<Row> rows, List<String> names, Options o, int maxSuspects) {
    List<String> present = List.of(rows.schema().fieldNames());
    List<Statistic> tested = new ArrayList<>();
    List<Statistic> missing = new ArrayList<>();
    for (String code : o.statistics()) {
      Statistic statistic = Statistic.of(code);
      (present.containsAll(statistic.columns()) ? tested : missing).add(statistic);
    }
    Settings settings = Settings.of(o);
    List<String> testedCodes = tested.stream().map(st -> st.code).toList();
    List<String> missingCodes = missing.stream().map(st -> st.code).toList();
    Dataset<Row> noSuspects = rows.sparkSession().createDataFrame(List.of(), TABLES.get(SUSPECTS_TABLE));
    String note = missing.isEmpty() ? "" : "; not in the analysis (written before they were measured: analyse again"
        + " to test them): " + String.join(", ", missing.stream().map(st -> st.code).toList());
    if (tested.isEmpty()) {
      String why = o.statistics().isEmpty() ? "audit.statistics.statistics is empty"
          : "the analysis has none of the statistics";
      Section section = new Section(settings, testedCodes, missingCodes, new Skipped(why, 0, List.of()), null);
      return new Outcome(List.of(), List.of(), noSuspects, section, "skipped: " + why + note);
    }

    Collected data = collect(rows, names.size(), tested, o);
    StatisticSeparation.Sample sample = data.sample();
    // Only classes that fool enough images can be judged: only theirs need replicates kept.
    double[] fooledWeight = new double[names.size()];
    for (int i = 0; i < sample.rows(); i++) {
      if (sample.truth()[i] != sample.predicted()[i]) {
        fooledWeight[sample.predicted()[i]] += sample.weight()[i];
      }
    }
    boolean[] tracked = new boolean[names.size()];
    for (int c = 0; c < tracked.length; c++) {
      tracked[c] = fooledWeight[c] >= o.minImages();
    }
    StatisticSeparation.Bootstrap boot = StatisticSeparation.bootstrap(sample, o.replicates(), o.seed(), tracked);
    Verdicts verdicts = judge(sample, boot, tested, tracked, o);
    List<Judgement> results = new ArrayList<>();
    List<Row> aucRows = aucRows(boot, verdicts, tested, tracked, names, results);

    // One finding per class and cue kind, named by its strongest flagged statistic.
    Map<String, Judged> strongest = new LinkedHashMap<>();
    for (Judged pair : verdicts.pairs().values()) {
      if (pair.flagged()) {
        strongest.merge(pair.cls() + "/" + pair.statistic().cue.code(), pair,
            (a, b) -> b.effect() > a.effect() ? b : a);
      }
    }
    List<Judged> flagged = new ArrayList<>(strongest.values());
    flagged.sort(Comparator.comparingInt(Judged::cls).thenComparing(pair -> pair.statistic().cue));
    List<Row> suspectRows = new ArrayList<>();
    List<List<Suspect>> suspectsOf = new ArrayList<>();
    for (Judged pair : flagged) {
      List<Suspect> suspects = suspects(sample, pair, data.ids());
      suspectsOf.add(suspects);
      for (int rank = 0; rank < suspects.size(); rank++) {
        int row = suspects.get(rank).row();
        suspectRows.add(RowFactory.create(pair.cls(), pair.statistic().cue.code(), pair.statistic().code, rank + 1,
            data.ids()[row], sample.truth()[row], sample.predicted()[row], data.confidence()[row],
            suspects.get(rank).value(), suspects.get(rank).placement()));
      }
    }
    // The suspects' own columns, then their previews: the table's column order.
    Dataset<Row> suspects = noSuspects;
    Map<String, byte[]> previews = new LinkedHashMap<>();
    if (!suspectRows.isEmpty()) {
      StructType own = TABLES.get(SUSPECTS_TABLE);
      StructType withoutPreview = new StructType(Arrays.copyOf(own.fields(), own.fields().length - 1));
      suspects = AuditRun.withPreview(rows.sparkSession().createDataFrame(suspectRows, withoutPreview),
          AuditRun.previews(rows));
      for (Row r : suspects.filter(col("rank").leq(o.examples())).select("id", AnalysisSchema.INPUT_PNG)
          .collectAsList()) {
        previews.put(r.getString(0), r.isNullAt(1) ? null : (byte[]) r.get(1));
      }
    }
    List<Finding> findings = new ArrayList<>();
    for (int f = 0; f < flagged.size(); f++) {
      findings.add(finding(flagged.get(f), suspectsOf.get(f), data, boot, names, previews, o, maxSuspects,
          verdicts.tests()));
    }

    Section section = new Section(settings, testedCodes, missingCodes, null, Measured.of(sample.rows(),
        data.sampledCells(), verdicts.tests(), verdicts.tests() == 0 ? null : verdicts.z(), results,
        flagged.stream().map(pair -> new Flag(pair.cls(), pair.statistic().cue.code(), pair.statistic().code))
            .toList()));
    String summary = String.format(Locale.ROOT, "%d statistic(s) x %d class(es), %d pair(s) judged (>= %d images of"
        + " other classes predicted as the class), Bonferroni at alpha %s: %s%s", tested.size(), names.size(),
        verdicts.tests(), o.minImages(), o.alpha(), flagged.isEmpty() ? "nothing flagged"
            : flagged.stream().map(pair -> String.format(Locale.ROOT, "%s %s (%s AUC %.2f)", names.get(pair.cls()),
                pair.statistic().cue.code(), pair.statistic().code, pair.auc())).toList().toString(), note);
    return new Outcome(findings, aucRows, suspects, section, summary);
  }

  /**
   * The rows of the test on the driver, in a fixed order (by true class, predicted class, then
   * {@code xxhash64(seed, id)}).
   *
   * @param ids each row's id
   * @param confidence each row's top-1 probability
   * @param sampledCells cells larger than {@code max-per-cell}, represented by a weighted sample
   */
  record Collected(StatisticSeparation.Sample sample, String[] ids, Float[] confidence, int sampledCells) {}

  /**
   * Brings the rows with a known true class to the driver: id, classes, confidence and the
   * statistics; a (true, predicted) cell of more than {@code max-per-cell} rows as the seeded
   * sample of that many with the smallest hashes, each weighted by the cell's size over that.
   */
  static Collected collect(Dataset<Row> rows, int classes, List<Statistic> tested, Options o) {
    List<Column> select = new ArrayList<>(List.of(col("id"), col(AuditRows.TRUE_CLASS), col("predicted"),
        col("top_k_prob").getItem(0).as("_confidence")));
    for (Statistic statistic : tested) {
      select.add(statistic.column().as("_s_" + statistic.code));
    }
    Column hash = xxhash64(lit(o.seed()), col("id"));
    Dataset<Row> known = rows.filter(col(AuditRows.TRUE_CLASS).isNotNull().and(col("predicted").isNotNull())
            .and(col("predicted").geq(0)).and(col("predicted").lt(classes)))
        .select(select.toArray(new Column[0]))
        .withColumn("_rank", row_number().over(Window.partitionBy(AuditRows.TRUE_CLASS, "predicted")
            .orderBy(hash, col("id"))))
        .withColumn("_cell", count(lit(1)).over(Window.partitionBy(AuditRows.TRUE_CLASS, "predicted")))
        .filter(col("_rank").leq(o.maxPerCell()));
    int first = 4; // the statistics' first column
    int rank = first + tested.size();
    List<Row> collected = new ArrayList<>(known.collectAsList());
    collected.sort(Comparator.<Row>comparingInt(r -> r.getInt(1)).thenComparingInt(r -> r.getInt(2))
        .thenComparingInt(r -> r.getInt(rank)));
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
      long cell = r.getLong(rank + 1);
      weight[i] = (double) cell / Math.min(cell, o.maxPerCell());
      for (int st = 0; st < tested.size(); st++) {
        values[st][i] = r.isNullAt(first + st) ? Double.NaN : r.getDouble(first + st);
      }
      if (i == 0 || truth[i] != truth[i - 1] || predicted[i] != predicted[i - 1]) {
        strata.add(i);
        sampledCells += cell > o.maxPerCell() ? 1 : 0;
      }
    }
    strata.add(n);
    return new Collected(StatisticSeparation.Sample.builder()
        .classes(classes)
        .truth(truth)
        .predicted(predicted)
        .weight(weight)
        .strata(strata.stream().mapToInt(Integer::intValue).toArray())
        .values(values)
        .build(), ids, confidence, sampledCells);
  }

  /**
   * The judged pairs and their verdicts.
   *
   * @param pairs by {@link #key}
   * @param tests the number of pairs judged (Bonferroni's m)
   * @param z the adjusted intervals' half-width in standard errors, {@code z(1 - alpha / 2m)}
   */
  private record Verdicts(Map<Long, Judged> pairs, int tests, double z) {}

  /**
   * Judges every pair with enough images and a statistic that varies: the 95% percentile
   * interval, the bootstrap standard error, the Bonferroni-adjusted normal interval and p-value,
   * and the flag.
   */
  private static Verdicts judge(StatisticSeparation.Sample sample, StatisticSeparation.Bootstrap boot,
      List<Statistic> tested, boolean[] tracked, Options o) {
    List<int[]> judged = new ArrayList<>();
    for (int st = 0; st < tested.size(); st++) {
      if (sample.constant(st)) {
        continue;
      }
      StatisticSeparation.Separation point = boot.point()[st];
      for (int c = 0; c < tracked.length; c++) {
        if (tracked[c] && point.fooled()[c] >= o.minImages() && point.reference()[c] >= o.minImages()
            && !Double.isNaN(point.predicted()[c])) {
          judged.add(new int[] {st, c});
        }
      }
    }
    int tests = judged.size();
    double z = tests == 0 ? Double.NaN : normalQuantile(1 - o.alpha() / (2.0 * tests));
    Map<Long, Judged> pairs = new LinkedHashMap<>();
    for (int[] pair : judged) {
      int st = pair[0];
      int c = pair[1];
      StatisticSeparation.Separation point = boot.point()[st];
      double auc = point.predicted()[c];
      double[] replicates = StatisticSeparation.finite(boot.predicted()[st][c]);
      double se = StatisticSeparation.standardDeviation(replicates);
      double adjustedLo = Math.max(0, auc - z * se);
      double adjustedHi = Math.min(1, auc + z * se);
      double p = se > 0 ? 2 * normalUpperTail(Math.abs(auc - 0.5) / se) : auc == 0.5 ? 1 : 0;
      boolean separates = Math.abs(auc - 0.5) >= o.minEffect() && (adjustedLo > 0.5 || adjustedHi < 0.5);
      // The hardness control, when there are enough other mistakes to compare with: the fooled
      // images must differ from them too, on the same side (95% interval).
      double control = Double.NaN;
      double controlLo = Double.NaN;
      double controlHi = Double.NaN;
      boolean controlled = true;
      if (point.otherMistakes()[c] >= o.minImages() && !Double.isNaN(point.mistaken()[c])) {
        double[] controls = StatisticSeparation.finite(boot.mistaken()[st][c]);
        control = point.mistaken()[c];
        controlLo = StatisticSeparation.quantile(controls, 0.025);
        controlHi = StatisticSeparation.quantile(controls, 0.975);
        controlled = auc < 0.5 ? controlHi < 0.5 : controlLo > 0.5;
      }
      pairs.put(key(st, c), Judged.builder()
          .cls(c)
          .statistic(tested.get(st))
          .index(st)
          .auc(auc)
          .lo(StatisticSeparation.quantile(replicates, 0.025))
          .hi(StatisticSeparation.quantile(replicates, 0.975))
          .se(se)
          .adjustedLo(adjustedLo)
          .adjustedHi(adjustedHi)
          .pAdjusted(Math.min(1, tests * p))
          .control(control)
          .controlLo(controlLo)
          .controlHi(controlHi)
          .flagged(separates && controlled)
          .fooled(point.fooled()[c])
          .reference(point.reference()[c])
          .otherMistakes(point.otherMistakes()[c])
          .build());
    }
    return new Verdicts(pairs, tests, z);
  }

  /** The {@link #AUC_TABLE} rows (every class and statistic, both comparisons); the judged pairs into {@code results}. */
  private static List<Row> aucRows(StatisticSeparation.Bootstrap boot, Verdicts verdicts, List<Statistic> tested,
      boolean[] tracked, List<String> names, List<Judgement> results) {
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < names.size(); c++) {
      for (int st = 0; st < tested.size(); st++) {
        Statistic statistic = tested.get(st);
        StatisticSeparation.Separation point = boot.point()[st];
        Judged pair = verdicts.pairs().get(key(st, c));
        rows.add(RowFactory.create(c, names.get(c), statistic.code, statistic.cue.code(), "predicted",
            Math.round(point.fooled()[c]), Math.round(point.reference()[c]), num(point.predicted()[c]),
            pair == null ? null : num(pair.lo()), pair == null ? null : num(pair.hi()),
            pair == null ? null : num(pair.se()), pair == null ? null : pair.adjustedLo(),
            pair == null ? null : pair.adjustedHi(), pair == null ? null : pair.pAdjusted(), pair != null,
            pair != null && pair.flagged()));
        double[] mistaken = tracked[c] ? StatisticSeparation.finite(boot.mistaken()[st][c]) : new double[0];
        rows.add(RowFactory.create(c, names.get(c), statistic.code, statistic.cue.code(), "mistakes",
            Math.round(point.fooled()[c]), Math.round(point.otherMistakes()[c]), num(point.mistaken()[c]),
            num(StatisticSeparation.quantile(mistaken, 0.025)), num(StatisticSeparation.quantile(mistaken, 0.975)),
            num(StatisticSeparation.standardDeviation(mistaken)), null, null, null, false, false));
        double[] labelled = tracked[c] ? StatisticSeparation.finite(boot.labelled()[st][c]) : new double[0];
        rows.add(RowFactory.create(c, names.get(c), statistic.code, statistic.cue.code(), "labelled",
            Math.round(point.labelledWeight()[c]), Math.round(point.total() - point.labelledWeight()[c]),
            num(point.labelled()[c]), num(StatisticSeparation.quantile(labelled, 0.025)),
            num(StatisticSeparation.quantile(labelled, 0.975)), num(StatisticSeparation.standardDeviation(labelled)),
            null, null, null, false, false));
        if (pair != null) {
          results.add(Judgement.of(pair, point.labelled()[c]));
        }
      }
    }
    return rows;
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
  private static List<Suspect> suspects(StatisticSeparation.Sample s, Judged t, String[] ids) {
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

  private static Finding finding(Judged pair, List<Suspect> suspects, Collected data,
      StatisticSeparation.Bootstrap boot, List<String> names, Map<String, byte[]> previews, Options o,
      int maxSuspects, int tests) {
    StatisticSeparation.Sample sample = data.sample();
    String name = names.get(pair.cls());
    Statistic statistic = pair.statistic();
    boolean lower = pair.auc() < 0.5;
    double labelled = boot.point()[pair.index()].labelled()[pair.cls()];
    double[] labelledReplicates = StatisticSeparation.finite(boot.labelled()[pair.index()][pair.cls()]);
    double suspectWeight = 0;
    for (Suspect x : suspects) {
      suspectWeight += sample.weight()[x.row()];
    }
    long suspectCount = Math.round(suspectWeight);
    String control = Double.isNaN(pair.control()) ? ", too few other mistakes to compare with"
        : String.format(Locale.ROOT, ", %.2f [%.2f, %.2f] against the %d misclassified as other classes",
            pair.control(), pair.controlLo(), pair.controlHi(), Math.round(pair.otherMistakes()));
    String statement = String.format(Locale.ROOT, "%s: predictions depend on %s — images of other classes predicted"
        + " as %s are %s (%s AUC %.2f [%.2f, %.2f] against the %d not predicted as %s%s; %d such images, %d of"
        + " them past the others' median); images labelled %s: AUC %.2f against the other classes", name,
        statistic.cue.words(), name, lower ? statistic.lower : statistic.higher, statistic.code, pair.auc(),
        pair.lo(), pair.hi(), Math.round(pair.reference()), name, control, Math.round(pair.fooled()), suspectCount,
        name, labelled);
    List<Example> examples = suspects.subList(0, Math.min(o.examples(), suspects.size())).stream()
        .map(x -> Example.of(data, x, previews)).toList();
    Evidence evidence = Evidence.of(Judgement.of(pair, labelled), lower, tests, labelledReplicates.length == 0
        ? null : List.of(StatisticSeparation.quantile(labelledReplicates, 0.025),
            StatisticSeparation.quantile(labelledReplicates, 0.975)), histogram(sample, pair), examples);
    List<String> top = suspects.stream().limit(maxSuspects).map(x -> data.ids()[x.row()]).toList();
    double score = lower ? 1 - pair.auc() : pair.auc();
    double lo = lower ? 1 - pair.hi() : pair.lo();
    double hi = lower ? 1 - pair.lo() : pair.hi();
    return Finding.builder()
        .cls(pair.cls())
        .className(name)
        .kind(statistic.cue)
        .detector(NAME)
        .cue(statistic.code)
        .score(score)
        .lo(lo)
        .hi(hi)
        .statement(statement)
        .suspectCount(suspectCount)
        .suspects(top)
        .evidence(evidence)
        .build();
  }

  /**
   * The statistic's distribution in the two groups of a pair (images of other classes predicted as
   * the class; those not), {@link #BINS} bins of equal width with shared edges over both, weighted
   * counts.
   */
  private static Histogram histogram(StatisticSeparation.Sample s, Judged t) {
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
    return new Histogram(edges, Arrays.stream(predictedCounts).mapToLong(Math::round).toArray(),
        Arrays.stream(otherCounts).mapToLong(Math::round).toArray());
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
