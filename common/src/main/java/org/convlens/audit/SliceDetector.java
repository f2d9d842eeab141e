package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.Key;
import org.convlens.config.Settings;
import org.convlens.config.SettingsSpec;

/**
 * Embedding slices, in the spirit of Domino (Eyuboglu et al., "Domino: discovering systematic
 * errors with cross-modal embeddings", ICLR 2022): per predicted class, the images' penultimate
 * embeddings are cut into regions (seeded k-means on the unit-length embeddings), and a region
 * whose images are far more often of other classes than the rest of the class's predictions —
 * and on which the model is confident — is the group a shortcut fools. Domino fits an
 * error-aware mixture model over the whole dataset; this uses plain k-means within each
 * predicted class, which is cheaper and needs no labels to cluster (the labels only judge).
 *
 * <p>The test: Fisher's exact test (one-sided) of the 2×2 table slice vs the rest of the class ×
 * other class vs the class itself, Bonferroni-corrected over every slice tested in the audit. A
 * slice is flagged when that p-value is below {@code alpha}, it holds at least {@code min-other}
 * images of other classes, and the model's mean confidence on them is at least {@code
 * min-error-confidence}: a shortcut fools confidently, a confusion between two similar classes
 * does not.
 *
 * <p>The slice's cue is named from what sets its other-class images apart from the other
 * classes' images the model does not call the class (docs/audit.md, "Embedding slices"): their
 * attention (a fixed place: {@link Cue#MARKER}; a small moving spot: {@link Cue#WATERMARK}),
 * else an image statistic of the analysis when it has them (brightness, contrast: {@link
 * Cue#ILLUMINATION}; colourfulness, saturation, tint: {@link Cue#TINT}; sharpness, border
 * variation: {@link Cue#BACKGROUND}), else attention on the border ({@link Cue#BACKGROUND}), else
 * {@link Cue#UNKNOWN}.
 */
public final class SliceDetector implements ShortcutDetector {
  public static final String NAME = "slices";
  public static final String SLICES = "slices";
  public static final String SLICE_IMAGES = "slice_images";
  /** The analysis's embedding column. */
  public static final String EMBEDDING = "embedding";
  /** The share of cells an image's top cells cover, and the border band's width (as the strategies' defaults). */
  static final double TOP_SHARE = 1 / 32.0;
  static final double BORDER = 0.125;
  static final double FIXED_AGREEMENT = 0.5;
  static final int RESTARTS = 5;
  static final int ITERATIONS = 100;
  /** Fewest values on each side for a statistic to describe a slice. */
  static final int MIN_VALUES = 5;

  /** An image statistic that can name a slice's cue: its column, its cue, its low and high ends in words. */
  record Statistic(String name, Cue cue, String low, String high) implements Serializable {}

  /**
   * The statistics the analysis may hold (nullable columns of that name, or with a {@code stat_}
   * prefix); the ones it lacks are skipped.
   */
  static final List<Statistic> STATISTICS = List.of(
      new Statistic("brightness", Cue.ILLUMINATION, "darker", "brighter"),
      new Statistic("contrast", Cue.ILLUMINATION, "lower in contrast", "higher in contrast"),
      new Statistic("colourfulness", Cue.TINT, "less colourful", "more colourful"),
      new Statistic("saturation", Cue.TINT, "less saturated", "more saturated"),
      new Statistic("tint_rg", Cue.TINT, "greener", "redder"),
      new Statistic("tint_yb", Cue.TINT, "bluer", "yellower"),
      new Statistic("sharpness", Cue.BACKGROUND, "blurrier", "sharper"),
      new Statistic("border_variation", Cue.BACKGROUND, "framed by more uniform borders", "framed by busier borders"));

  private static final Map<String, StructType> TABLES = Map.of(
      SLICES, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, true)
          .add("slice", DataTypes.IntegerType, false)
          .add("slices", DataTypes.IntegerType, false)
          .add("images", DataTypes.LongType, false)
          .add("labelled", DataTypes.LongType, false)
          .add("other_class_images", DataTypes.LongType, false)
          .add("error_rate", DataTypes.DoubleType, true)
          .add("lo", DataTypes.DoubleType, true)
          .add("hi", DataTypes.DoubleType, true)
          .add("rest_error_rate", DataTypes.DoubleType, true)
          .add("p_value", DataTypes.DoubleType, true)
          .add("p_adjusted", DataTypes.DoubleType, true)
          .add("mean_confidence", DataTypes.DoubleType, false)
          .add("error_confidence", DataTypes.DoubleType, true)
          .add("label_mix", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType, false), false)
          .add("kind", DataTypes.StringType, true)
          .add("cue", DataTypes.StringType, true)
          .add("flagged", DataTypes.BooleanType, false),
      SLICE_IMAGES, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("slice", DataTypes.IntegerType, false)
          .add("id", DataTypes.StringType, false)
          .add("true_class", DataTypes.IntegerType, true)
          .add("confidence", DataTypes.FloatType, false)
          .add("other_class", DataTypes.BooleanType, false)
          .add("example", DataTypes.BooleanType, false)
          .add("suspect", DataTypes.BooleanType, false)
          .add("input_png", DataTypes.BinaryType, true));

  /**
   * {@code audit.slices.*}; ranges and meanings in conf/convlens.conf and docs/audit.md.
   *
   * @param maxImages images per predicted class at most, a sample seeded by the id's hash
   * @param k slices per class; 0 = {@code round(images / imagesPerSlice)} within [2, maxK]
   * @param maxK the most slices per class
   * @param imagesPerSlice the automatic k's images per slice
   * @param minImages a slice is tested when it holds at least this many labelled images
   * @param minOther and flagged only with at least this many images of other classes
   * @param alpha family-wise error rate (Bonferroni over every slice tested)
   * @param minErrorConfidence and only when the model's mean confidence on those is at least this
   * @param describeEffect a statistic names the cue when its AUC is at least this far from 0.5
   * @param method the map method that describes a slice's attention; empty = the first of
   *     {@link StrategyDetector#PREFERRED} the analysis holds
   * @param grid cells per side of the attention maps
   * @param minLift an attention measure names the cue when the slice's is this many times the reference's
   * @param seed seed of the sample and k-means
   * @param examples example images per flagged slice
   */
  public record Options(int maxImages, int k, int maxK, int imagesPerSlice, int minImages, int minOther,
      double alpha, double minErrorConfidence, double describeEffect, String method, int grid, double minLift,
      long seed, int examples) implements Serializable {
    static final String P = "audit.slices.";
    public static final Key<Integer> MAX_IMAGES = Key.integer(P + "max-images", 1000,
        "images per predicted class at most (smallest xxhash64(seed, id))").within(10, 100_000);
    public static final Key<Integer> K = Key.integer(P + "k", 0,
        "slices per class (2..max-k); 0 = round(images / images-per-slice), within 2..max-k");
    public static final Key<Integer> MAX_K = Key.integer(P + "max-k", 8, "the most slices per class").within(2, 50);
    public static final Key<Integer> IMAGES_PER_SLICE = Key.integer(P + "images-per-slice", 25,
        "images per slice when k = 0").within(2, 100_000);
    public static final Key<Integer> MIN_IMAGES = Key.integer(P + "min-images", 10,
        "a slice is tested when it holds at least this many labelled images").within(2, 100_000);
    public static final Key<Integer> MIN_OTHER = Key.integer(P + "min-other", 5,
        "a significant slice is flagged when it holds at least this many images of other classes")
        .within(1, 100_000);
    public static final Key<Double> ALPHA = Key.number(P + "alpha", 0.05,
        "family-wise error rate: Fisher's exact test, Bonferroni over every slice tested")
        .aboveUpTo(0, 0.5);
    public static final Key<Double> MIN_ERROR_CONFIDENCE = Key.number(P + "min-error-confidence", 0.7,
        "and the model's mean confidence on them is at least this").allow(v -> v >= 0 && v <= 1,
        "numbers from 0 to 1");
    public static final Key<Double> DESCRIBE_EFFECT = Key.number(P + "describe-effect", 0.2,
        "an image statistic names the cue when its AUC is at least this far from 0.5")
        .aboveUpTo(0, 0.5);
    public static final Key<String> METHOD = Key.string(P + "method", "",
        "the map method describing a slice's attention; \"\" = the first of "
            + String.join(", ", StrategyDetector.PREFERRED))
        .normalised(m -> m.strip().toLowerCase(Locale.ROOT))
        .allow(m -> m.isEmpty() || AttentionMaps.METHODS.contains(m), AttentionMaps.METHODS + " or \"\"");
    public static final Key<Integer> GRID = Key.integer(P + "grid", 8,
        "maps are resampled to grid x grid cells").within(4, 32);
    public static final Key<Double> MIN_LIFT = Key.number(P + "min-lift", 1.5,
        "an attention measure names the cue at this lift over other classes' images")
        .allow(v -> v >= 1 && v <= 100, "numbers from 1 to 100");
    public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611, "seed of the sample and of k-means");
    public static final Key<Integer> EXAMPLES = Key.integer(P + "examples", 6,
        "example images per flagged slice, those nearest its centre").within(0, 100);
    public static final SettingsSpec<Options> SPEC = SettingsSpec.of(Options.class, MAX_IMAGES, K, MAX_K,
        IMAGES_PER_SLICE, MIN_IMAGES, MIN_OTHER, ALPHA, MIN_ERROR_CONFIDENCE, DESCRIBE_EFFECT, METHOD, GRID, MIN_LIFT,
        SEED, EXAMPLES);

    public Options {
      MAX_IMAGES.check(maxImages);
      MAX_K.check(maxK);
      if (k != 0) {
        Settings.between(K.path(), k, 2, maxK);
      }
      IMAGES_PER_SLICE.check(imagesPerSlice);
      MIN_IMAGES.check(minImages);
      MIN_OTHER.check(minOther);
      ALPHA.check(alpha);
      MIN_ERROR_CONFIDENCE.check(minErrorConfidence);
      DESCRIBE_EFFECT.check(describeEffect);
      method = METHOD.check(method);
      GRID.check(grid);
      MIN_LIFT.check(minLift);
      EXAMPLES.check(examples);
    }

    static Options of(Config c) {
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

    /** The slices of a class of {@code n} images. */
    int slices(int n) {
      int wanted = k > 0 ? k : (int) Math.round((double) n / imagesPerSlice);
      return Math.max(2, Math.min(maxK, Math.min(wanted, n)));
    }

    AttentionShape shape() {
      return new AttentionShape(grid, TOP_SHARE, BORDER);
    }
  }

  /**
   * One sampled image predicted as {@code cls}.
   *
   * @param map its normalised attention map, or null
   * @param statistics the values of the analysis's statistics (NaN where null), in the order
   *     {@link #sample} found them
   */
  public record Image(int cls, String id, long hash, Integer trueClass, float confidence, float[] embedding,
      float[] map, double[] statistics) implements Serializable {
    boolean otherClass() {
      return trueClass != null && trueClass != cls;
    }

    /** A builder, so that a caller names each of the 8 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private int cls;
      private String id;
      private long hash;
      private Integer trueClass;
      private float confidence;
      private float[] embedding;
      private float[] map;
      private double[] statistics;

      private Builder() {}

      public Builder cls(int cls) {
        this.cls = cls;
        return this;
      }

      public Builder id(String id) {
        this.id = id;
        return this;
      }

      public Builder hash(long hash) {
        this.hash = hash;
        return this;
      }

      public Builder trueClass(Integer trueClass) {
        this.trueClass = trueClass;
        return this;
      }

      public Builder confidence(float confidence) {
        this.confidence = confidence;
        return this;
      }

      public Builder embedding(float[] embedding) {
        this.embedding = embedding;
        return this;
      }

      public Builder map(float[] map) {
        this.map = map;
        return this;
      }

      public Builder statistics(double[] statistics) {
        this.statistics = statistics;
        return this;
      }

      public Image build() {
        return new Image(cls, id, hash, trueClass, confidence, embedding, map, statistics);
      }
    }
  }

  /** What names a slice's cue: the kind, the detector's words for it, and the measure. */
  public record Description(Cue kind, String cue, String words, double value) {}

  /**
   * One slice of one class.
   *
   * @param index 0-based, largest first
   * @param errorRate share of the labelled images of other classes (NaN when none is labelled)
   * @param lo Wilson 95% interval of the error rate
   * @param restErrorRate the same in the class's other slices
   * @param p Fisher's one-sided p-value (NaN when not tested)
   * @param pAdjusted p times the slices tested, at most 1
   * @param errorConfidence the model's mean confidence on the slice's other-class images
   * @param labelMix images per true class (null key: no known true class)
   * @param description the cue of a flagged slice, else null
   */
  public record Slice(int cls, int index, int of, List<Image> images, long labelled, long others, double errorRate,
      double lo, double hi, double restErrorRate, double p, double pAdjusted, double meanConfidence,
      double errorConfidence, Map<Integer, Long> labelMix, boolean flagged, Description description) {
    /** A builder, so that a caller names each of the 17 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private int cls;
      private int index;
      private int of;
      private List<Image> images;
      private long labelled;
      private long others;
      private double errorRate;
      private double lo;
      private double hi;
      private double restErrorRate;
      private double p;
      private double pAdjusted;
      private double meanConfidence;
      private double errorConfidence;
      private Map<Integer, Long> labelMix;
      private boolean flagged;
      private Description description;

      private Builder() {}

      public Builder cls(int cls) {
        this.cls = cls;
        return this;
      }

      public Builder index(int index) {
        this.index = index;
        return this;
      }

      public Builder of(int of) {
        this.of = of;
        return this;
      }

      public Builder images(List<Image> images) {
        this.images = images;
        return this;
      }

      public Builder labelled(long labelled) {
        this.labelled = labelled;
        return this;
      }

      public Builder others(long others) {
        this.others = others;
        return this;
      }

      public Builder errorRate(double errorRate) {
        this.errorRate = errorRate;
        return this;
      }

      public Builder lo(double lo) {
        this.lo = lo;
        return this;
      }

      public Builder hi(double hi) {
        this.hi = hi;
        return this;
      }

      public Builder restErrorRate(double restErrorRate) {
        this.restErrorRate = restErrorRate;
        return this;
      }

      public Builder p(double p) {
        this.p = p;
        return this;
      }

      public Builder pAdjusted(double pAdjusted) {
        this.pAdjusted = pAdjusted;
        return this;
      }

      public Builder meanConfidence(double meanConfidence) {
        this.meanConfidence = meanConfidence;
        return this;
      }

      public Builder errorConfidence(double errorConfidence) {
        this.errorConfidence = errorConfidence;
        return this;
      }

      public Builder labelMix(Map<Integer, Long> labelMix) {
        this.labelMix = labelMix;
        return this;
      }

      public Builder flagged(boolean flagged) {
        this.flagged = flagged;
        return this;
      }

      public Builder description(Description description) {
        this.description = description;
        return this;
      }

      public Slice build() {
        return new Slice(cls, index, of, images, labelled, others, errorRate, lo, hi, restErrorRate, p, pAdjusted,
            meanConfidence, errorConfidence, labelMix, flagged, description);
      }
    }
  }

  /** What {@link #analyse} found. */
  public record Outcome(List<Slice> slices, int tested, List<String> statistics, boolean attention) {
    public List<Slice> flagged() {
      return slices.stream().filter(Slice::flagged).toList();
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Embedding slices";
  }

  @Override
  public Map<String, StructType> tables() {
    return TABLES;
  }

  @Override
  public SettingsSpec<Options> settingsSpec() {
    return Options.SPEC;
  }

  /** The statistic columns of {@code schema} ({@link #STATISTICS}, plain or {@code stat_}-prefixed). */
  static Map<Statistic, String> statisticColumns(StructType schema) {
    Map<Statistic, String> out = new LinkedHashMap<>();
    List<String> fields = List.of(schema.fieldNames());
    for (Statistic s : STATISTICS) {
      if (fields.contains(s.name())) {
        out.put(s, s.name());
      } else if (fields.contains("stat_" + s.name())) {
        out.put(s, "stat_" + s.name());
      }
    }
    return out;
  }

  /**
   * At most {@code maxImages} images per predicted class (those of smallest {@code xxhash64(seed,
   * id)}) with an embedding, sorted by class, hash, id.
   *
   * @param method the attention method, or null for none
   * @param statistics the statistic columns to read
   */
  static List<Image> sample(Dataset<Row> rows, String method, List<String> statistics, int grid, int inputH,
      int inputW, int maxImages, long seed) {
    List<Column> cols = new ArrayList<>(List.of(col("id"), col("predicted"), col(AuditRows.TRUE_CLASS),
        col("top_k_prob"), col(EMBEDDING)));
    if (method != null) {
      cols.add(col(method));
    }
    statistics.forEach(s -> cols.add(col(s)));
    Dataset<Row> sampled = rows.filter(col(EMBEDDING).isNotNull()).select(cols.toArray(new Column[0]))
        .withColumn("_h", xxhash64(lit(seed), col("id")))
        .withColumn("_rank", row_number().over(Window.partitionBy("predicted").orderBy(col("_h"), col("id"))))
        .filter(col("_rank").leq(maxImages));
    List<Image> out = new ArrayList<>(sampled.javaRDD().map(r -> {
      float[] probs = AttentionMaps.floats(r.get(r.fieldIndex("top_k_prob")));
      float[] map = method == null ? null : AttentionMaps.of(r, method, grid, inputH, inputW);
      double[] stats = new double[statistics.size()];
      for (int i = 0; i < stats.length; i++) {
        int f = r.fieldIndex(statistics.get(i));
        stats[i] = r.isNullAt(f) ? Double.NaN : ((Number) r.get(f)).doubleValue();
      }
      return Image.builder()
          .cls(r.getInt(r.fieldIndex("predicted")))
          .id(r.getString(r.fieldIndex("id")))
          .hash(r.getLong(r.fieldIndex("_h")))
          .trueClass(AuditRows.trueClass(r))
          .confidence(probs.length == 0 ? Float.NaN : probs[0])
          .embedding(AttentionMaps.floats(r.get(r.fieldIndex(EMBEDDING))))
          .map(map)
          .statistics(stats)
          .build();
    }).collect());
    out.sort(java.util.Comparator.comparingInt(Image::cls).thenComparingLong(Image::hash).thenComparing(Image::id));
    return out;
  }

  /**
   * Slices every class's images, tests each slice, and names the cue of the flagged ones.
   *
   * @param statistics the statistics whose values {@link Image#statistics()} holds, in order
   */
  public static Outcome analyse(List<Image> images, List<Statistic> statistics, Options o) {
    Map<Integer, List<Image>> byClass = new TreeMap<>();
    for (Image i : images) {
      byClass.computeIfAbsent(i.cls(), k -> new ArrayList<>()).add(i);
    }
    List<Slice> slices = new ArrayList<>();
    for (var e : byClass.entrySet()) {
      slices.addAll(slice(e.getKey(), e.getValue(), o));
    }
    int tested = (int) slices.stream().filter(s -> !Double.isNaN(s.p())).count();
    AttentionShape shape = o.shape();
    boolean attention = images.stream().anyMatch(i -> i.map() != null);
    List<Slice> judged = new ArrayList<>();
    for (Slice s : slices) {
      double adjusted = Double.isNaN(s.p()) ? Double.NaN : Math.min(1, s.p() * tested);
      boolean flagged = !Double.isNaN(adjusted) && adjusted < o.alpha() && s.others() >= o.minOther()
          && s.errorConfidence() >= o.minErrorConfidence();
      Description d = flagged ? describe(s, images, statistics, o, shape) : null;
      judged.add(Slice.builder()
          .cls(s.cls())
          .index(s.index())
          .of(s.of())
          .images(s.images())
          .labelled(s.labelled())
          .others(s.others())
          .errorRate(s.errorRate())
          .lo(s.lo())
          .hi(s.hi())
          .restErrorRate(s.restErrorRate())
          .p(s.p())
          .pAdjusted(adjusted)
          .meanConfidence(s.meanConfidence())
          .errorConfidence(s.errorConfidence())
          .labelMix(s.labelMix())
          .flagged(flagged)
          .description(d)
          .build());
    }
    return new Outcome(judged, tested, statistics.stream().map(Statistic::name).toList(), attention);
  }

  /** One class's slices with their counts and Fisher p-values (not yet adjusted). */
  private static List<Slice> slice(int cls, List<Image> members, Options o) {
    int n = members.size();
    if (n < 2 * o.minImages()) {
      return List.of();
    }
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      x[i] = unit(members.get(i).embedding());
    }
    KMeans km = KMeans.fit(x, o.slices(n), StrategyDetector.mix(o.seed(), cls, -2), RESTARTS, ITERATIONS);
    long classLabelled = members.stream().filter(i -> i.trueClass() != null).count();
    long classErrors = members.stream().filter(Image::otherClass).count();
    List<Slice> out = new ArrayList<>();
    for (int s = 0; s < km.k(); s++) {
      List<Image> in = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (km.labels()[i] == s) {
          in.add(members.get(i));
        }
      }
      long labelled = in.stream().filter(i -> i.trueClass() != null).count();
      List<Image> other = in.stream().filter(Image::otherClass).toList();
      long errors = other.size();
      double rate = labelled == 0 ? Double.NaN : (double) errors / labelled;
      double[] wilson = wilson(errors, labelled);
      long restLabelled = classLabelled - labelled;
      double rest = restLabelled == 0 ? Double.NaN : (double) (classErrors - errors) / restLabelled;
      double p = labelled >= o.minImages() && restLabelled > 0
          ? fisherGreater(errors, labelled, classErrors, classLabelled) : Double.NaN;
      Map<Integer, Long> mix = new TreeMap<>(java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder()));
      for (Image i : in) {
        mix.merge(i.trueClass(), 1L, Long::sum);
      }
      double conf = in.stream().mapToDouble(Image::confidence).average().orElse(Double.NaN);
      double errConf = other.stream().mapToDouble(Image::confidence).average().orElse(Double.NaN);
      out.add(Slice.builder()
          .cls(cls)
          .index(s)
          .of(km.k())
          .images(List.copyOf(in))
          .labelled(labelled)
          .others(errors)
          .errorRate(rate)
          .lo(wilson[0])
          .hi(wilson[1])
          .restErrorRate(rest)
          .p(p)
          .pAdjusted(Double.NaN)
          .meanConfidence(conf)
          .errorConfidence(errConf)
          .labelMix(mix)
          .flagged(false)
          .description(null)
          .build());
    }
    return out;
  }

  static double[] unit(float[] v) {
    double norm = 0;
    for (float f : v) {
      norm += (double) f * f;
    }
    norm = Math.sqrt(norm);
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = norm > 0 ? v[i] / norm : 0;
    }
    return out;
  }

  /**
   * Fisher's exact test, one-sided: the probability, drawing {@code n} of {@code total} items of
   * which {@code marked} are marked, of drawing at least {@code x} marked ones (hypergeometric
   * upper tail).
   */
  static double fisherGreater(long x, long n, long marked, long total) {
    double[] logFact = new double[(int) total + 1];
    for (int i = 1; i <= total; i++) {
      logFact[i] = logFact[i - 1] + Math.log(i);
    }
    double logAll = logChoose(logFact, total, n);
    double p = 0;
    for (long i = x; i <= Math.min(n, marked); i++) {
      if (n - i > total - marked) {
        continue;
      }
      p += Math.exp(logChoose(logFact, marked, i) + logChoose(logFact, total - marked, n - i) - logAll);
    }
    return Math.min(1, p);
  }

  private static double logChoose(double[] logFact, long n, long k) {
    return logFact[(int) n] - logFact[(int) k] - logFact[(int) (n - k)];
  }

  /** The Wilson score interval (95%) of a proportion; NaNs when n is 0. */
  static double[] wilson(long k, long n) {
    if (n == 0) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double z = 1.959963984540054;
    double p = (double) k / n;
    double z2n = z * z / n;
    double centre = (p + z2n / 2) / (1 + z2n);
    double half = z / (1 + z2n) * Math.sqrt(p * (1 - p) / n + z2n / (4 * n));
    // At k = 0 or k = n one end is exactly 0 or 1; rounding would leave it a hair inside.
    return new double[] {k == 0 ? 0 : Math.max(0, centre - half), k == n ? 1 : Math.min(1, centre + half)};
  }

  /**
   * What sets a flagged slice's other-class images apart from the reference: the sampled images of
   * other classes that the model does not call the slice's class.
   */
  static Description describe(Slice s, List<Image> all, List<Statistic> statistics, Options o, AttentionShape shape) {
    List<Image> fooled = s.images().stream().filter(Image::otherClass).toList();
    List<Image> reference = all.stream().filter(i -> i.trueClass() != null && i.trueClass() != s.cls()
        && i.cls() != s.cls()).toList();
    Description attention = attention(fooled, reference, o, shape);
    if (attention != null && attention.kind() != Cue.BACKGROUND) {
      return attention;
    }
    Description best = null;
    for (int k = 0; k < statistics.size(); k++) {
      int at = k;
      double[] a = fooled.stream().mapToDouble(i -> i.statistics()[at]).filter(v -> !Double.isNaN(v)).toArray();
      double[] b = reference.stream().mapToDouble(i -> i.statistics()[at]).filter(v -> !Double.isNaN(v)).toArray();
      if (a.length < MIN_VALUES || b.length < MIN_VALUES) {
        continue;
      }
      double auc = auc(a, b);
      if (Math.abs(auc - 0.5) >= o.describeEffect() && (best == null || Math.abs(auc - 0.5) > Math.abs(best.value()
          - 0.5))) {
        Statistic st = statistics.get(k);
        best = new Description(st.cue(), st.name(), String.format(Locale.ROOT, "are %s than other classes' images"
            + " the model does not call {class} (%s AUC %.2f)", auc < 0.5 ? st.low() : st.high(), st.name(), auc), auc);
      }
    }
    if (best != null) {
      return best;
    }
    if (attention != null) {
      return attention;
    }
    return new Description(Cue.UNKNOWN, "unnamed", "differ from other classes' images in no measured statistic"
        + " or attention pattern, so the audit cannot name what the model sees in them", Double.NaN);
  }

  /** The attention-based description, or null when the maps show nothing (or there are none). */
  static Description attention(List<Image> fooled, List<Image> reference, Options o, AttentionShape shape) {
    List<float[]> f = fooled.stream().map(Image::map).filter(java.util.Objects::nonNull).toList();
    List<float[]> r = reference.stream().map(Image::map).filter(java.util.Objects::nonNull).toList();
    if (f.size() < MIN_VALUES || r.size() < MIN_VALUES) {
      return null;
    }
    double concF = f.stream().mapToDouble(shape::concentration).average().orElse(0);
    double concR = r.stream().mapToDouble(shape::concentration).average().orElse(0);
    double borderF = f.stream().mapToDouble(shape::border).average().orElse(0);
    double borderR = r.stream().mapToDouble(shape::border).average().orElse(0);
    double[] meanF = AttentionShape.mean(f);
    double[] meanR = AttentionShape.mean(r);
    int[] place = shape.topCells(meanF);
    double atPlace = AttentionShape.mass(meanF, place);
    double placeLift = StrategyDetector.ratio(atPlace, AttentionShape.mass(meanR, place));
    double agreement = shape.agreement(meanF, concF);
    if (agreement >= FIXED_AGREEMENT && shape.offCentre(place, meanF) && concF >= concR
        && placeLift >= o.minLift()) {
      return new Description(Cue.MARKER, "attention at " + shape.describe(place, meanF), String.format(Locale.ROOT,
          "draw the model's attention to one fixed place, the %s: %.0f%% of it, %.1f× the share other classes'"
          + " images put there", shape.describe(place, meanF), 100 * atPlace, placeLift), placeLift);
    }
    double concLift = StrategyDetector.ratio(concF, concR);
    if (agreement < FIXED_AGREEMENT && concLift >= o.minLift()) {
      return new Description(Cue.WATERMARK, "attention on a moving spot", String.format(Locale.ROOT, "draw the"
          + " model's attention to a small spot that moves from image to image: %.0f%% of each image's attention in"
          + " its top %d of %d cells, %.1f× other classes' images", 100 * concF, shape.top(),
          shape.grid() * shape.grid(), concLift), concLift);
    }
    double borderLift = StrategyDetector.ratio(borderF, borderR);
    if (borderLift >= o.minLift() && concF <= concR) {
      return new Description(Cue.BACKGROUND, "attention on the border", String.format(Locale.ROOT, "spread the"
          + " model's attention over the border: %.0f%% of it in the outer band, %.1f× other classes' images",
          100 * borderF, borderLift), borderLift);
    }
    return null;
  }

  /** P(a > b) + P(a = b)/2 for a drawn from {@code a}, b from {@code b} (Mann–Whitney, midranks). */
  static double auc(double[] a, double[] b) {
    int n = a.length + b.length;
    double[] v = new double[n];
    boolean[] isA = new boolean[n];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      v[i] = i < a.length ? a[i] : b[i - a.length];
      isA[i] = i < a.length;
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(v[x], v[y]));
    double rankSumA = 0;
    for (int i = 0; i < n; ) {
      int j = i;
      while (j + 1 < n && v[order[j + 1]] == v[order[i]]) {
        j++;
      }
      double mid = (i + j) / 2.0 + 1;
      for (int t = i; t <= j; t++) {
        if (isA[order[t]]) {
          rankSumA += mid;
        }
      }
      i = j + 1;
    }
    return (rankSumA - a.length * (a.length + 1) / 2.0) / ((double) a.length * b.length);
  }

  /**
   * The slices detector's part of {@code audit.json}: why it was skipped, or what it measured (one
   * of the two, their keys in place).
   */
  public record Section(@JsonInclude(JsonInclude.Include.NON_NULL) String skipped,
      @JsonUnwrapped Measured measured) implements ShortcutDetector.Section {}

  /**
   * What the detector measured.
   *
   * @param images the images sampled
   * @param tested the slices tested; {@code statistics} the image statistics that describe a slice
   * @param attentionMethod the attention maps that describe a slice (null without any)
   * @param suspects the flagged slices' strongest suspects, at most {@code audit.shortcut.max-suspects} each
   */
  public record Measured(int images, long seed, int tested, List<String> statistics, String attentionMethod,
      List<SliceEntry> slices, List<SuspectEntry> suspects, List<Flag> flagged) {
    static Measured of(int images, Options o, Outcome out, String attentionMethod, List<SliceEntry> slices,
        List<SuspectEntry> suspects) {
      return new Measured(images, o.seed(), out.tested(), out.statistics(), attentionMethod, slices, suspects,
          out.flagged().stream().map(s -> new Flag(s.cls(), s.index() + 1, s.description().kind().code())).toList());
    }
  }

  /**
   * One slice (a cluster of a class's embeddings): its size, how many of its images are of other
   * classes against the rest of the class's predictions (null where undefined), the true-class mix,
   * and, when flagged, its description and examples.
   *
   * @param slice its number within the class, from 1; {@code of} the class's count
   * @param interval the error rate's 95% interval (null when undefined)
   * @param labelMix images per true class name ({@code unlabelled} for none), the most first
   * @param description a flagged slice's cue and examples (absent otherwise)
   */
  public record SliceEntry(@JsonProperty("class") int cls, int slice, int of, int images, long labelled,
      long otherClassImages, Double errorRate, List<Double> interval, Double restErrorRate, Double pValue,
      Double pAdjusted, Double meanConfidence, Double errorConfidence, Map<String, Long> labelMix, boolean flagged,
      @JsonUnwrapped FlaggedSlice description) implements Serializable {
    static SliceEntry of(Slice s, Map<String, Long> mix, FlaggedSlice description) {
      return new SliceEntry(s.cls(), s.index() + 1, s.of(), s.images().size(), s.labelled(), s.others(),
          nan(s.errorRate()), Double.isNaN(s.lo()) ? null : List.of(s.lo(), s.hi()), nan(s.restErrorRate()),
          nan(s.p()), nan(s.pAdjusted()), nan(s.meanConfidence()), nan(s.errorConfidence()), mix, s.flagged(),
          description);
    }
  }

  /**
   * A flagged slice's cue kind, cue and its value (null when undefined), and the images nearest
   * its centre.
   */
  public record FlaggedSlice(String kind, String cue, Double cueValue, List<ImageEntry> examples)
      implements Serializable {}

  /**
   * An image shown with a slice.
   *
   * @param predicted the class predicted (the slice's class)
   * @param png its preview, base64 PNG (null without one)
   */
  public record ImageEntry(String id, Integer trueClass, int predicted, float confidence, String png)
      implements Serializable {
    static ImageEntry of(Image i, Map<String, byte[]> previews) {
      return new ImageEntry(i.id(), i.trueClass(), i.cls(), i.confidence(), AuditRun.png(previews.get(i.id())));
    }
  }

  /** A flagged slice's suspect: an {@link ImageEntry} with its class and slice. */
  public record SuspectEntry(String id, Integer trueClass, int predicted, float confidence, String png,
      @JsonProperty("class") int cls, int slice) {
    static SuspectEntry of(ImageEntry i, Slice s) {
      return new SuspectEntry(i.id(), i.trueClass(), i.predicted(), i.confidence(), i.png(), s.cls(), s.index() + 1);
    }
  }

  /** A flagged slice and its cue kind. */
  public record Flag(@JsonProperty("class") int cls, int slice, String kind) {}

  /** A slices finding's evidence: its flagged slice, as in the section. */
  public record Evidence(@JsonUnwrapped SliceEntry slice) implements Finding.Evidence {}

  @Override
  public Result detect(DetectorContext ctx) {
    Options o = ctx.settings(this);
    int maxSuspects = ctx.settings().maxSuspects();
    if (!List.of(ctx.rows().schema().fieldNames()).contains(EMBEDDING)) {
      ctx.console().println("audit: slices: skipped, the analysis has no embedding column");
      ctx.tables().write(SLICES, List.of());
      ctx.tables().write(SLICE_IMAGES, List.of());
      return new Result(List.of(), new Section("the analysis has no embedding column", null));
    }
    String method = StrategyDetector.method(o.method(), ctx.methods(), Options.P + "method");
    Map<Statistic, String> columns = statisticColumns(ctx.rows().schema());
    List<Image> images = sample(ctx.rows(), method, List.copyOf(columns.values()), o.grid(),
        ctx.model().input().height(), ctx.model().input().width(), o.maxImages(), o.seed());
    Outcome out = analyse(images, List.copyOf(columns.keySet()), o);

    List<List<Image>> examples = new ArrayList<>();
    List<List<Image>> suspects = new ArrayList<>();
    Set<String> previewIds = new LinkedHashSet<>();
    for (Slice s : out.slices()) {
      List<Image> ex = s.flagged() ? examples(s, o.examples()) : List.of();
      List<Image> sus = s.flagged() ? suspects(s) : List.of();
      examples.add(ex);
      suspects.add(sus);
      ex.forEach(i -> previewIds.add(i.id()));
      sus.stream().limit(maxSuspects).forEach(i -> previewIds.add(i.id()));
    }
    Map<String, byte[]> previews = StrategyDetector.previews(ctx.rows(), previewIds);

    List<Row> table = new ArrayList<>();
    List<Row> imageRows = new ArrayList<>();
    List<SliceEntry> slicesJson = new ArrayList<>();
    List<SuspectEntry> suspectsJson = new ArrayList<>();
    List<Finding> findings = new ArrayList<>();
    for (int n = 0; n < out.slices().size(); n++) {
      Slice s = out.slices().get(n);
      Set<String> exampleIds = new LinkedHashSet<>(examples.get(n).stream().map(Image::id).toList());
      Set<String> suspectIds = new LinkedHashSet<>(suspects.get(n).stream().map(Image::id).toList());
      Map<String, Long> mix = labelMix(ctx, s);
      table.add(RowFactory.create(s.cls(), ctx.className(s.cls()), s.index() + 1, s.of(), (long) s.images().size(),
          s.labelled(), s.others(), nan(s.errorRate()), nan(s.lo()), nan(s.hi()), nan(s.restErrorRate()), nan(s.p()),
          nan(s.pAdjusted()), s.meanConfidence(), nan(s.errorConfidence()), mix,
          s.flagged() ? s.description().kind().code() : null, s.flagged() ? s.description().cue() : null,
          s.flagged()));
      for (Image i : s.images()) {
        boolean example = exampleIds.contains(i.id());
        boolean suspect = suspectIds.contains(i.id());
        imageRows.add(RowFactory.create(s.cls(), s.index() + 1, i.id(), i.trueClass(), i.confidence(),
            i.otherClass(), example, suspect, example || suspect ? previews.get(i.id()) : null));
      }
      SliceEntry j = SliceEntry.of(s, mix, s.flagged() ? new FlaggedSlice(s.description().kind().code(),
          s.description().cue(), nan(s.description().value()),
          examples.get(n).stream().map(i -> ImageEntry.of(i, previews)).toList()) : null);
      if (s.flagged()) {
        findings.add(finding(ctx, s, out.tested(), j, suspects.get(n), maxSuspects));
        for (Image i : suspects.get(n).stream().limit(maxSuspects).toList()) {
          suspectsJson.add(SuspectEntry.of(ImageEntry.of(i, previews), s));
        }
      }
      slicesJson.add(j);
    }
    ctx.tables().write(SLICES, table);
    ctx.tables().write(SLICE_IMAGES, imageRows);
    Section section = new Section(null, Measured.of(images.size(), o, out, method, slicesJson, suspectsJson));
    ctx.console().printf(Locale.ROOT, "audit: slices: embeddings of %,d images, %d slices (%d tested), %d flagged%s%n",
        images.size(), out.slices().size(), out.tested(), out.flagged().size(), out.flagged().isEmpty() ? ""
            : ": " + String.join(", ", out.flagged().stream().map(s -> ctx.className(s.cls()) + " " + (s.index() + 1)
                + "/" + s.of() + " " + s.description().kind().code()).toList()));
    return new Result(findings, section);
  }

  /** Images per true class by name ("unlabelled" for none), the most first. */
  private static Map<String, Long> labelMix(DetectorContext ctx, Slice s) {
    List<Map.Entry<Integer, Long>> entries = new ArrayList<>(s.labelMix().entrySet());
    entries.sort(Map.Entry.<Integer, Long>comparingByValue().reversed());
    Map<String, Long> out = new LinkedHashMap<>();
    for (var e : entries) {
      out.put(e.getKey() == null ? "unlabelled" : ctx.className(e.getKey()), e.getValue());
    }
    return out;
  }

  /** The slice's images nearest its centre (unit embeddings). */
  static List<Image> examples(Slice s, int count) {
    int d = s.images().get(0).embedding().length;
    double[] centre = new double[d];
    List<double[]> units = s.images().stream().map(i -> unit(i.embedding())).toList();
    for (double[] u : units) {
      for (int j = 0; j < d; j++) {
        centre[j] += u[j] / units.size();
      }
    }
    Integer[] order = new Integer[units.size()];
    double[] dist = new double[units.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
      dist[i] = KMeans.squared(units.get(i), centre);
    }
    Arrays.sort(order, (a, b) -> dist[a] != dist[b] ? Double.compare(dist[a], dist[b]) : Integer.compare(a, b));
    List<Image> out = new ArrayList<>();
    for (int i = 0; i < Math.min(count, order.length); i++) {
      out.add(s.images().get(order[i]));
    }
    return out;
  }

  /** The slice's images of other classes, most confident first. */
  static List<Image> suspects(Slice s) {
    return s.images().stream().filter(Image::otherClass)
        .sorted(java.util.Comparator.comparingDouble((Image i) -> -i.confidence()).thenComparing(Image::id))
        .toList();
  }

  private static Double nan(double v) {
    return Double.isNaN(v) ? null : v;
  }

  private static Finding finding(DetectorContext ctx, Slice s, int tested, SliceEntry json,
      List<Image> suspects, int maxSuspects) {
    String name = ctx.className(s.cls());
    List<String> mix = new ArrayList<>();
    labelMix(ctx, s).forEach((k, v) -> mix.add(k + " " + v));
    String statement = String.format(Locale.ROOT, "%s: a group of %d images the model calls %s (embedding slice %d"
        + " of %d) is %.0f%% other classes' images (%s) against %.0f%% in the rest of its %s predictions (Fisher p ="
        + " %.1e, Bonferroni over %d slices), and the model is %.0f%% confident on them; they %s; the suspected"
        + " cue: %s",
        name, s.images().size(), name, s.index() + 1, s.of(), 100 * s.errorRate(), String.join(", ", mix),
        100 * s.restErrorRate(), name, s.pAdjusted(), tested, 100 * s.errorConfidence(),
        s.description().words().replace("{class}", name), s.description().kind().words());
    Evidence evidence = new Evidence(json);
    return Finding.builder()
        .cls(s.cls())
        .className(name)
        .kind(s.description().kind())
        .detector(NAME)
        .cue("slice " + (s.index() + 1) + " of " + s.of()
        + ": " + s.description().cue())
        .score(s.errorRate())
        .lo(s.lo())
        .hi(s.hi())
        .statement(statement)
        .suspectCount(suspects.size())
        .suspects(suspects.stream().limit(maxSuspects).map(Image::id).toList())
        .evidence(evidence)
        .build();
  }
}
