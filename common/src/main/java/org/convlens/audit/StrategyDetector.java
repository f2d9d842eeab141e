package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.attribution.Attributions;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * Explanation strategies, after SpRAy (Lapuschkin et al., "Unmasking Clever Hans predictors and
 * assessing what machines really learn", Nature Communications 10, 2019): per predicted class,
 * the normalised attention maps of one method are clustered ({@link SpectralClustering}, number
 * of clusters by eigengap), each cluster is a "strategy" the model uses for that class, and a
 * strategy whose maps look unlike other classes' strategies is a suspect: small spots that move
 * from image to image ({@link Cue#WATERMARK}), a fixed place off the centre ({@link Cue#MARKER}),
 * or mass spread over the border ({@link Cue#BACKGROUND}).
 *
 * <p>Departure from SpRAy: the clustered features are the map's square roots (so that squared
 * distances are the Hellinger distance between the two distributions, which does not let one
 * peaked map sit closer to flat maps than to another peaked map) plus two numbers of the map's
 * shape, its top-cells concentration and its entropy, weighted by {@code shape-weight}. SpRAy
 * clusters the downsized maps alone; there, two watermarks at different places are as far apart
 * as a watermark and an object, and a moving cue never forms a cluster.
 *
 * <p>The measures and the test are in docs/audit.md ("Explanation strategies"): every judged
 * strategy's image concentration, border mass and mass at its own place are compared with the
 * median of the same measure over the other classes' strategies, with a seeded percentile
 * bootstrap (the strategy's images and the reference strategies resampled) whose interval is
 * Bonferroni-corrected over the class's tests; a kind is flagged when the interval's lower end
 * is at least {@code min-lift}.
 */
public final class StrategyDetector implements ShortcutDetector {
  public static final String NAME = "strategies";
  public static final String STRATEGIES = "strategies";
  public static final String STRATEGY_IMAGES = "strategy_images";
  /** The methods {@code method = ""} picks from, first available first. */
  public static final List<String> PREFERRED = Attributions.byAttentionRank();

  private static final Map<String, StructType> TABLES = Map.of(
      STRATEGIES, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, true)
          .add("method", DataTypes.StringType, false)
          .add("strategy", DataTypes.IntegerType, false)
          .add("strategies", DataTypes.IntegerType, false)
          .add("images", DataTypes.LongType, false)
          .add("share", DataTypes.DoubleType, false)
          .add("grid", DataTypes.IntegerType, false)
          .add("map", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("image_concentration", DataTypes.DoubleType, false)
          .add("mean_concentration", DataTypes.DoubleType, false)
          .add("agreement", DataTypes.DoubleType, false)
          .add("peak_spread", DataTypes.DoubleType, false)
          .add("entropy", DataTypes.DoubleType, false)
          .add("border_mass", DataTypes.DoubleType, false)
          .add("place", DataTypes.StringType, false)
          .add("marker_lift", DataTypes.DoubleType, true)
          .add("marker_lo", DataTypes.DoubleType, true)
          .add("marker_hi", DataTypes.DoubleType, true)
          .add("watermark_lift", DataTypes.DoubleType, true)
          .add("watermark_lo", DataTypes.DoubleType, true)
          .add("watermark_hi", DataTypes.DoubleType, true)
          .add("background_lift", DataTypes.DoubleType, true)
          .add("background_lo", DataTypes.DoubleType, true)
          .add("background_hi", DataTypes.DoubleType, true)
          .add("judged", DataTypes.BooleanType, false)
          .add("kind", DataTypes.StringType, true)
          .add("flagged", DataTypes.BooleanType, false),
      STRATEGY_IMAGES, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("strategy", DataTypes.IntegerType, false)
          .add("id", DataTypes.StringType, false)
          .add("true_class", DataTypes.IntegerType, true)
          .add("confidence", DataTypes.FloatType, false)
          .add("concentration", DataTypes.DoubleType, false)
          .add("peak_x", DataTypes.DoubleType, false)
          .add("peak_y", DataTypes.DoubleType, false)
          .add("border_mass", DataTypes.DoubleType, false)
          .add("example", DataTypes.BooleanType, false)
          .add("suspect", DataTypes.BooleanType, false)
          .add("input_png", DataTypes.BinaryType, true));

  /**
   * {@code audit.strategies.*}; ranges and meanings in conf/convlens.conf and docs/audit.md.
   *
   * @param method the map method; empty = the first of {@link #PREFERRED} the analysis holds
   * @param grid cells per side the maps are resampled to before clustering (SpRAy downsizes)
   * @param maxImages images per predicted class at most, a sample seeded by the id's hash
   * @param neighbours neighbours per image in the clustering graph (CoRelAy's default: 10)
   * @param maxK the most strategies per class the eigengap may choose
   * @param shapeWeight weight of the concentration and entropy features against the map's
   * @param topShare the share of cells that are an image's "top" cells
   * @param border the border band's width, as a fraction of the side
   * @param minShare a strategy is judged when it holds at least this share of its class
   * @param minImages and at least this many images (also the least a reference strategy has)
   * @param minLift a kind is flagged when the lower end of its lift's interval is at least this
   * @param fixedAgreement a strategy's images share a place when its agreement is at least this
   * @param bootstrap bootstrap replicates per strategy
   * @param alpha family-wise error rate per class (Bonferroni over its strategies × 3 kinds)
   * @param seed seed of the sample, the k-means draws and the bootstrap
   * @param examples example images per strategy
   */
  public record Options(String method, int grid, int maxImages, int neighbours, int maxK, double shapeWeight,
      double topShare, double border, double minShare, int minImages, double minLift, double fixedAgreement,
      int bootstrap, double alpha, long seed, int examples) implements Serializable {
    static final String P = "audit.strategies.";
    public static final Key<String> METHOD = Key.string(P + "method", "",
        "the map method clustered; \"\" = the first of " + String.join(", ", PREFERRED) + " the analysis holds")
        .normalised(m -> m.strip().toLowerCase(Locale.ROOT))
        .allow(m -> m.isEmpty() || AttentionMaps.METHODS.contains(m),
            AttentionMaps.METHODS + " or \"\" (the first of " + PREFERRED + " the analysis holds)");
    public static final Key<Integer> GRID = Key.integer(P + "grid", 8,
        "maps are resampled to grid x grid cells before clustering").within(4, 32);
    public static final Key<Integer> MAX_IMAGES = Key.integer(P + "max-images", 500,
        "images per predicted class at most (smallest xxhash64(seed, id))").within(10, 100_000);
    public static final Key<Integer> NEIGHBOURS = Key.integer(P + "neighbours", 10,
        "neighbours per image in the k-nearest-neighbour graph (CoRelAy's default is 10)").within(2, 100);
    public static final Key<Integer> MAX_K = Key.integer(P + "max-k", 6,
        "the most strategies per class the eigengap may choose (1 = no clustering)").within(1, 20);
    public static final Key<Double> SHAPE_WEIGHT = Key.number(P + "shape-weight", 4.0,
        "weight of the two shape features against the map's square roots (0 = the map alone, as SpRAy)")
        .between(0, 100);
    public static final Key<Double> TOP_SHARE = Key.number(P + "top-share", 0.03125,
        "an image's top cells: this share of the grid, at least one cell")
        .aboveUpTo(0, 0.5);
    public static final Key<Double> BORDER = Key.number(P + "border", 0.125,
        "width of the border band as a fraction of the side, at least one cell").between(0.05, 0.25);
    public static final Key<Double> MIN_SHARE = Key.number(P + "min-share", 0.1,
        "a strategy is judged when it holds at least this share of its class").between(0, 1);
    public static final Key<Integer> MIN_IMAGES = Key.integer(P + "min-images", 10,
        "and at least this many images (reference strategies too)").within(3, 100_000);
    public static final Key<Double> MIN_LIFT = Key.number(P + "min-lift", 1.5,
        "a kind is flagged when the lower bootstrap end of its lift is at least this").between(1, 100);
    public static final Key<Double> FIXED_AGREEMENT = Key.number(P + "fixed-agreement", 0.5,
        "a strategy's images share one place when its mean map's top cells hold at least this share")
        .between(0, 1);
    public static final Key<Integer> BOOTSTRAP = Key.integer(P + "bootstrap", 1000,
        "bootstrap replicates per strategy").within(100, 100_000);
    public static final Key<Double> ALPHA = Key.number(P + "alpha", 0.05,
        "family-wise error rate per class (Bonferroni over its judged strategies x 3 kinds)")
        .aboveUpTo(0, 0.5);
    public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611,
        "seed of the sample, the k-means draws and the bootstrap");
    public static final Key<Integer> EXAMPLES = Key.integer(P + "examples", 6,
        "example images per strategy, those nearest its mean map").within(0, 100);
    public static final SettingsSpec<Options> SPEC = SettingsSpec.of(Options.class, METHOD, GRID, MAX_IMAGES,
        NEIGHBOURS, MAX_K, SHAPE_WEIGHT, TOP_SHARE, BORDER, MIN_SHARE, MIN_IMAGES, MIN_LIFT, FIXED_AGREEMENT,
        BOOTSTRAP, ALPHA, SEED, EXAMPLES);

    public Options {
      method = METHOD.check(method);
      GRID.check(grid);
      MAX_IMAGES.check(maxImages);
      NEIGHBOURS.check(neighbours);
      MAX_K.check(maxK);
      SHAPE_WEIGHT.check(shapeWeight);
      TOP_SHARE.check(topShare);
      BORDER.check(border);
      MIN_SHARE.check(minShare);
      MIN_IMAGES.check(minImages);
      MIN_LIFT.check(minLift);
      FIXED_AGREEMENT.check(fixedAgreement);
      BOOTSTRAP.check(bootstrap);
      ALPHA.check(alpha);
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

    AttentionShape shape() {
      return new AttentionShape(grid, topShare, border);
    }
  }

  /** One sampled image predicted as {@code cls}, with its normalised map. */
  public record Image(int cls, String id, long hash, Integer trueClass, float confidence, float[] map)
      implements Serializable {
    /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
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
      private float[] map;

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

      public Builder map(float[] map) {
        this.map = map;
        return this;
      }

      public Image build() {
        return new Image(cls, id, hash, trueClass, confidence, map);
      }
    }
  }

  /** A strategy's measure over the reference's median: the point value and its interval. */
  public record Lift(double value, double lo, double hi) {}

  /**
   * One strategy of one class.
   *
   * @param index 0-based, largest first
   * @param of the class's number of strategies
   * @param images the strategy's images, in sample order
   * @param measures their shape measures, in the same order
   * @param place the mean map's top cells
   * @param marker mass at {@code place} over the reference strategies' median mass there (null
   *     when not judged)
   * @param watermark image concentration over the reference median
   * @param background border mass over the reference median
   * @param kind the cue of a flagged strategy, else null
   */
  public record Strategy(int cls, int index, int of, List<Image> images, List<AttentionShape.Measures> measures,
      double share, double[] meanMap, double imageConcentration, double meanConcentration, double agreement,
      double peakSpread, double entropy, double border, int[] place, boolean judged, Lift marker, Lift watermark,
      Lift background, Cue kind) {
    public boolean flagged() {
      return kind != null;
    }

    Strategy judged(Lift m, Lift w, Lift b, Cue k) {
      return new Strategy(cls, index, of, images, measures, share, meanMap, imageConcentration, meanConcentration,
          agreement, peakSpread, entropy, border, place, true, m, w, b, k);
    }

    /** A builder, so that a caller names each of the 19 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private int cls;
      private int index;
      private int of;
      private List<Image> images;
      private List<AttentionShape.Measures> measures;
      private double share;
      private double[] meanMap;
      private double imageConcentration;
      private double meanConcentration;
      private double agreement;
      private double peakSpread;
      private double entropy;
      private double border;
      private int[] place;
      private boolean judged;
      private Lift marker;
      private Lift watermark;
      private Lift background;
      private Cue kind;

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

      public Builder measures(List<AttentionShape.Measures> measures) {
        this.measures = measures;
        return this;
      }

      public Builder share(double share) {
        this.share = share;
        return this;
      }

      public Builder meanMap(double[] meanMap) {
        this.meanMap = meanMap;
        return this;
      }

      public Builder imageConcentration(double imageConcentration) {
        this.imageConcentration = imageConcentration;
        return this;
      }

      public Builder meanConcentration(double meanConcentration) {
        this.meanConcentration = meanConcentration;
        return this;
      }

      public Builder agreement(double agreement) {
        this.agreement = agreement;
        return this;
      }

      public Builder peakSpread(double peakSpread) {
        this.peakSpread = peakSpread;
        return this;
      }

      public Builder entropy(double entropy) {
        this.entropy = entropy;
        return this;
      }

      public Builder border(double border) {
        this.border = border;
        return this;
      }

      public Builder place(int[] place) {
        this.place = place;
        return this;
      }

      public Builder judged(boolean judged) {
        this.judged = judged;
        return this;
      }

      public Builder marker(Lift marker) {
        this.marker = marker;
        return this;
      }

      public Builder watermark(Lift watermark) {
        this.watermark = watermark;
        return this;
      }

      public Builder background(Lift background) {
        this.background = background;
        return this;
      }

      public Builder kind(Cue kind) {
        this.kind = kind;
        return this;
      }

      public Strategy build() {
        return new Strategy(cls, index, of, images, measures, share, meanMap, imageConcentration, meanConcentration,
            agreement, peakSpread, entropy, border, place, judged, marker, watermark, background, kind);
      }
    }
  }

  /** A class's clustering. */
  public record ClassStrategies(int cls, int images, double[] eigenvalues, double intervalLevel) {}

  /** What {@link #analyse} found. */
  public record Outcome(List<ClassStrategies> classes, List<Strategy> strategies) {
    public List<Strategy> flagged() {
      return strategies.stream().filter(Strategy::flagged).toList();
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Explanation strategies";
  }

  @Override
  public Map<String, StructType> tables() {
    return TABLES;
  }

  @Override
  public SettingsSpec<Options> settingsSpec() {
    return Options.SPEC;
  }

  /** The method to cluster: the configured one, or the first of {@link #PREFERRED} available. */
  static String method(String configured, List<String> available, String key) {
    if (!configured.isEmpty()) {
      if (!available.contains(configured)) {
        throw new InvalidConfigException(key, key + " names " + configured + " but the audit has maps of "
            + available + " only: pick one of those, or \"\" for the first of " + PREFERRED);
      }
      return configured;
    }
    for (String m : PREFERRED) {
      if (available.contains(m)) {
        return m;
      }
    }
    return available.isEmpty() ? null : available.get(0);
  }

  /**
   * The per-class samples: at most {@code maxImages} images per predicted class, those of
   * smallest {@code xxhash64(seed, id)}, each with its normalised map; sorted by class, hash, id
   * (so that the result does not depend on partitions).
   */
  static List<Image> sample(Dataset<Row> rows, String method, int grid, int inputH, int inputW, int maxImages,
      long seed) {
    Dataset<Row> sampled = rows.filter(col(method).isNotNull())
        .select(col("id"), col("predicted"), col(AuditRows.TRUE_CLASS), col("top_k_prob"), col(method))
        .withColumn("_h", xxhash64(lit(seed), col("id")))
        .withColumn("_rank", row_number().over(Window.partitionBy("predicted").orderBy(col("_h"), col("id"))))
        .filter(col("_rank").leq(maxImages));
    List<Image> out = new ArrayList<>(sampled.javaRDD().map(r -> {
      float[] map = AttentionMaps.of(r, method, grid, inputH, inputW);
      Integer label = AuditRows.trueClass(r);
      float[] probs = AttentionMaps.floats(r.get(r.fieldIndex("top_k_prob")));
      return map == null ? null : Image.builder()
          .cls(r.getInt(r.fieldIndex("predicted")))
          .id(r.getString(r.fieldIndex("id")))
          .hash(r.getLong(r.fieldIndex("_h")))
          .trueClass(label)
          .confidence(probs.length == 0 ? Float.NaN : probs[0])
          .map(map)
          .build();
    }).filter(java.util.Objects::nonNull).collect());
    out.sort(java.util.Comparator.comparingInt(Image::cls).thenComparingLong(Image::hash).thenComparing(Image::id));
    return out;
  }

  /** Clusters every class's images and judges each strategy against the other classes'. */
  public static Outcome analyse(List<Image> images, Options o) {
    AttentionShape shape = o.shape();
    Map<Integer, List<Image>> byClass = new TreeMap<>();
    for (Image i : images) {
      byClass.computeIfAbsent(i.cls(), k -> new ArrayList<>()).add(i);
    }
    List<Strategy> strategies = new ArrayList<>();
    Map<Integer, double[]> eigen = new HashMap<>();
    for (var e : byClass.entrySet()) {
      int cls = e.getKey();
      List<Image> members = e.getValue();
      List<AttentionShape.Measures> measures = members.stream().map(i -> shape.measure(i.map())).toList();
      SpectralClustering sc = members.size() < o.minImages()
          ? new SpectralClustering(new int[members.size()], 1, new double[0])
          : SpectralClustering.fit(features(members, measures, o.shapeWeight()), o.neighbours(), o.maxK(),
              mix(o.seed(), cls, -1));
      eigen.put(cls, sc.eigenvalues());
      for (int s = 0; s < sc.k(); s++) {
        List<Image> in = new ArrayList<>();
        List<AttentionShape.Measures> inMeasures = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
          if (sc.labels()[i] == s) {
            in.add(members.get(i));
            inMeasures.add(measures.get(i));
          }
        }
        strategies.add(describe(cls, s, sc.k(), in, inMeasures, members.size(), shape));
      }
    }
    // Judge each class's strategies against the other classes' (those with enough images).
    List<Strategy> judged = new ArrayList<>();
    List<ClassStrategies> classes = new ArrayList<>();
    for (var e : byClass.entrySet()) {
      int cls = e.getKey();
      List<Strategy> own = strategies.stream().filter(s -> s.cls() == cls).toList();
      List<Strategy> reference = strategies.stream()
          .filter(s -> s.cls() != cls && s.images().size() >= o.minImages()).toList();
      long tests = reference.isEmpty() ? 0
          : own.stream().filter(s -> s.images().size() >= o.minImages() && s.share() >= o.minShare()).count() * 3;
      double level = tests == 0 ? Double.NaN : 1 - o.alpha() / tests;
      for (Strategy s : own) {
        boolean judge = tests > 0 && s.images().size() >= o.minImages() && s.share() >= o.minShare();
        judged.add(judge ? judge(s, reference, level, o, shape) : s);
      }
      classes.add(new ClassStrategies(cls, e.getValue().size(), eigen.get(cls), level));
    }
    return new Outcome(classes, judged);
  }

  /** The clustering features: √map, then the concentration and entropy times √shapeWeight. */
  static double[][] features(List<Image> images, List<AttentionShape.Measures> measures, double shapeWeight) {
    double w = Math.sqrt(shapeWeight);
    double[][] x = new double[images.size()][];
    for (int i = 0; i < x.length; i++) {
      float[] map = images.get(i).map();
      double[] f = new double[map.length + 2];
      for (int c = 0; c < map.length; c++) {
        f[c] = Math.sqrt(Math.max(0, map[c]));
      }
      f[map.length] = w * measures.get(i).concentration();
      f[map.length + 1] = w * measures.get(i).entropy();
      x[i] = f;
    }
    return x;
  }

  private static Strategy describe(int cls, int index, int of, List<Image> images,
      List<AttentionShape.Measures> measures, int classImages, AttentionShape shape) {
    double[] mean = AttentionShape.mean(images.stream().map(Image::map).toList());
    double conc = 0;
    double entropy = 0;
    double border = 0;
    for (AttentionShape.Measures m : measures) {
      conc += m.concentration();
      entropy += m.entropy();
      border += m.border();
    }
    int n = images.size();
    conc /= n;
    entropy /= n;
    border /= n;
    int[] place = shape.topCells(mean);
    return Strategy.builder()
        .cls(cls)
        .index(index)
        .of(of)
        .images(List.copyOf(images))
        .measures(List.copyOf(measures))
        .share((double) n / classImages)
        .meanMap(mean)
        .imageConcentration(conc)
        .meanConcentration(AttentionShape.mass(mean, place))
        .agreement(shape.agreement(mean, conc))
        .peakSpread(AttentionShape.peakSpread(measures))
        .entropy(entropy)
        .border(border)
        .place(place)
        .judged(false)
        .marker(null)
        .watermark(null)
        .background(null)
        .kind(null)
        .build();
  }

  /** The three lifts with their bootstrap intervals, and the kind they flag (or none). */
  private static Strategy judge(Strategy s, List<Strategy> reference, double level, Options o, AttentionShape shape) {
    int n = s.images().size();
    int m = reference.size();
    double[] refConc = new double[m];
    double[] refBorder = new double[m];
    for (int j = 0; j < m; j++) {
      refConc[j] = reference.get(j).imageConcentration();
      refBorder[j] = reference.get(j).border();
    }
    double medConc = median(refConc);
    Lift watermark = new Lift(ratio(s.imageConcentration(), medConc), 0, 0);
    Lift background = new Lift(ratio(s.border(), median(refBorder)), 0, 0);
    Lift marker = new Lift(ratio(s.meanConcentration(), upperQuartileAt(reference, s.place(), null)), 0, 0);

    int b = o.bootstrap();
    double[] wm = new double[b];
    double[] bg = new double[b];
    double[] mk = new double[b];
    SplittableRandom random = new SplittableRandom(mix(o.seed(), s.cls(), s.index()));
    int cells = s.meanMap().length;
    int[] pick = new int[m];
    for (int r = 0; r < b; r++) {
      double conc = 0;
      double border = 0;
      double[] mean = new double[cells];
      for (int i = 0; i < n; i++) {
        int k = random.nextInt(n);
        conc += s.measures().get(k).concentration();
        border += s.measures().get(k).border();
        float[] map = s.images().get(k).map();
        for (int c = 0; c < cells; c++) {
          mean[c] += map[c];
        }
      }
      for (int j = 0; j < m; j++) {
        pick[j] = random.nextInt(m);
      }
      double[] rc = new double[m];
      double[] rb = new double[m];
      for (int j = 0; j < m; j++) {
        rc[j] = refConc[pick[j]];
        rb[j] = refBorder[pick[j]];
      }
      // The place is chosen again in each replicate, so that its choice is part of the uncertainty.
      int[] place = shape.topCells(mean);
      wm[r] = ratio(conc / n, median(rc));
      bg[r] = ratio(border / n, median(rb));
      mk[r] = ratio(AttentionShape.mass(mean, place) / n, upperQuartileAt(reference, place, pick));
    }
    watermark = interval(watermark.value(), wm, level);
    background = interval(background.value(), bg, level);
    marker = interval(marker.value(), mk, level);

    boolean fixed = s.agreement() >= o.fixedAgreement();
    Cue kind = null;
    // A marker's images are peaked (at least as concentrated as a typical strategy's): a diffuse
    // strategy's "place" is just its largest cells, and agrees with itself trivially.
    if (fixed && shape.offCentre(s.place(), s.meanMap()) && s.imageConcentration() >= medConc
        && marker.lo() >= o.minLift()) {
      kind = Cue.MARKER;
    } else if (!fixed && watermark.lo() >= o.minLift()) {
      kind = Cue.WATERMARK;
    } else if (background.lo() >= o.minLift() && s.imageConcentration() <= medConc) {
      kind = Cue.BACKGROUND;
    }
    return s.judged(marker, watermark, background, kind);
  }

  /**
   * The upper quartile over reference strategies (all, or those {@code pick} draws) of their mean
   * map's mass at {@code place}. Not the median: a class whose objects often sit on the left has a
   * strategy "on the left", and most other classes' strategies look elsewhere; a marker's place is
   * one that hardly any other class's strategy uses.
   */
  private static double upperQuartileAt(List<Strategy> reference, int[] place, int[] pick) {
    int m = pick == null ? reference.size() : pick.length;
    double[] v = new double[m];
    for (int j = 0; j < m; j++) {
      v[j] = AttentionShape.mass(reference.get(pick == null ? j : pick[j]).meanMap(), place);
    }
    return quantile(v, 0.75);
  }

  private static Lift interval(double value, double[] replicates, double level) {
    double[] sorted = replicates.clone();
    Arrays.sort(sorted);
    double tail = (1 - level) / 2;
    int lo = (int) Math.floor(tail * sorted.length);
    int hi = (int) Math.ceil((1 - tail) * sorted.length) - 1;
    return new Lift(value, sorted[Math.max(0, Math.min(sorted.length - 1, lo))],
        sorted[Math.max(0, Math.min(sorted.length - 1, hi))]);
  }

  /** a / b, with b floored so that a reference holding no mass gives a large, finite lift. */
  static double ratio(double a, double b) {
    return a / Math.max(b, 1e-6);
  }

  /** The q-quantile of v, linear between order statistics (type 7, as R's and NumPy's default). */
  static double quantile(double[] v, double q) {
    double[] s = v.clone();
    Arrays.sort(s);
    if (s.length == 0) {
      return Double.NaN;
    }
    double h = (s.length - 1) * q;
    int lo = (int) Math.floor(h);
    int hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (h - lo) * (s[hi] - s[lo]);
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** A seed for one class (and strategy) from the configured one, the same on every run. */
  static long mix(long seed, int cls, int strategy) {
    long h = seed * 0x9E3779B97F4A7C15L + cls;
    h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + strategy;
    return h ^ (h >>> 29);
  }

  /**
   * The strategies detector's part of {@code audit.json}: why it was skipped, or what it measured
   * (the keys of the other absent).
   *
   * @param method the attention maps clustered; {@code grid} their side in cells; {@code topCells}
   *     the cells counted as an image's peak
   * @param images the images sampled
   * @param classes each class's peak check; {@code strategies} each strategy; {@code suspects} the
   *     flagged strategies' strongest suspects (at most {@code audit.shortcut.max-suspects} each)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Section(String skipped, String method, Integer grid, Integer topCells, Long seed, Integer images,
      List<ClassEntry> classes, List<StrategyEntry> strategies, List<SuspectEntry> suspects, List<Flag> flagged)
      implements ShortcutDetector.Section {
    static Section skipped(String why) {
      return new Section(why, null, null, null, null, null, null, null, null, null);
    }

    static Section measured(String method, Options o, AttentionShape shape, int images, List<ClassEntry> classes,
        List<StrategyEntry> strategies, List<SuspectEntry> suspects, List<Flag> flagged) {
      return new Section(null, method, o.grid(), shape.top(), o.seed(), images, classes, strategies, suspects,
          flagged);
    }
  }

  /**
   * A class's peak check: how concentrated its images' attention is, and whether the peaks move.
   *
   * @param strategies the class's strategies; {@code eigenvalues} the spectral clustering's; {@code
   *     intervalLevel} the bootstrap interval's level (null when not judged)
   */
  public record ClassEntry(@JsonProperty("class") int cls, int images, long strategies, double[] eigenvalues,
      Double intervalLevel, double imageConcentration, double meanConcentration, double agreement,
      double peakSpread) {
    static ClassEntry of(ClassStrategies c, long strategies, double imageConcentration, double meanConcentration,
        double agreement, double peakSpread) {
      return new ClassEntry(c.cls(), c.images(), strategies, c.eigenvalues(),
          Double.isNaN(c.intervalLevel()) ? null : c.intervalLevel(), imageConcentration, meanConcentration,
          agreement, peakSpread);
    }
  }

  /**
   * One strategy (a cluster of a class's maps): its size, mean map (rounded), shape measures, the
   * three kinds' lifts (null when not judged) and, when flagged, its kind.
   *
   * @param strategy its number within the class, from 1 (largest first); {@code of} the class's count
   * @param otherClassImages its images of other classes
   * @param examples a flagged strategy's example images ({@link ImageEntry}); an unflagged one's example ids
   */
  public record StrategyEntry(@JsonProperty("class") int cls, int strategy, int of, int images, double share,
      int otherClassImages, float[] map, double imageConcentration, double meanConcentration, double agreement,
      double peakSpread, double entropy, double borderMass, String place, boolean judged, LiftEntry marker,
      LiftEntry watermark, LiftEntry background, String kind, List<?> examples) implements Serializable {
    static StrategyEntry of(Strategy s, AttentionShape shape, List<?> examples) {
      return new StrategyEntry(s.cls(), s.index() + 1, s.of(), s.images().size(), s.share(), suspects(s).size(),
          AuditRun.round(floats(s.meanMap())), s.imageConcentration(), s.meanConcentration(), s.agreement(),
          s.peakSpread(), s.entropy(), s.border(), shape.describe(s.place(), s.meanMap()), s.judged(),
          LiftEntry.of(s.marker()), LiftEntry.of(s.watermark()), LiftEntry.of(s.background()),
          s.flagged() ? s.kind().code() : null, examples);
    }
  }

  /** A lift and its interval. */
  public record LiftEntry(double lift, double lo, double hi) implements Serializable {
    static LiftEntry of(Lift l) {
      return l == null ? null : new LiftEntry(l.value(), l.lo(), l.hi());
    }
  }

  /**
   * An image shown with a strategy.
   *
   * @param predicted the class predicted (the strategy's class)
   * @param png its preview, base64 PNG (null without one)
   */
  public record ImageEntry(String id, Integer trueClass, int predicted, float confidence, String png)
      implements Serializable {
    static ImageEntry of(Image i, Map<String, byte[]> previews) {
      return new ImageEntry(i.id(), i.trueClass(), i.cls(), i.confidence(), AuditRun.png(previews.get(i.id())));
    }
  }

  /** A flagged strategy's suspect: an {@link ImageEntry} with its class and strategy. */
  public record SuspectEntry(String id, Integer trueClass, int predicted, float confidence, String png,
      @JsonProperty("class") int cls, int strategy) {
    static SuspectEntry of(ImageEntry i, Strategy s) {
      return new SuspectEntry(i.id(), i.trueClass(), i.predicted(), i.confidence(), i.png(), s.cls(), s.index() + 1);
    }
  }

  /** A flagged strategy and its kind. */
  public record Flag(@JsonProperty("class") int cls, int strategy, String kind) {}

  /**
   * A strategies finding's evidence: the method, the flagged strategies' share and images
   * together, and those strategies.
   */
  public record Evidence(String method, double share, int images, List<StrategyEntry> strategies)
      implements Finding.Evidence {}

  @Override
  public Result detect(DetectorContext ctx) {
    Options o = ctx.settings(this);
    int maxSuspects = ctx.settings().maxSuspects();
    String method = method(o.method(), ctx.methods(), Options.P + "method");
    if (method == null) {
      ctx.console().println("audit: strategies: skipped, the analysis has no attention maps");
      ctx.tables().write(STRATEGIES, List.of());
      ctx.tables().write(STRATEGY_IMAGES, List.of());
      return new Result(List.of(), Section.skipped("the analysis has no attention maps"));
    }
    List<Image> images = sample(ctx.rows(), method, o.grid(), ctx.model().input().height(),
        ctx.model().input().width(), o.maxImages(), o.seed());
    Outcome out = analyse(images, o);
    AttentionShape shape = o.shape();

    // Examples (the images nearest their strategy's mean map) and suspects (other classes' images),
    // in the order of out.strategies().
    List<List<Image>> examples = new ArrayList<>();
    List<List<Image>> suspects = new ArrayList<>();
    Set<String> previewIds = new LinkedHashSet<>();
    for (Strategy s : out.strategies()) {
      List<Image> ex = examples(s, o.examples());
      List<Image> sus = s.flagged() ? suspects(s) : List.of();
      examples.add(ex);
      suspects.add(sus);
      if (s.flagged()) {
        ex.forEach(i -> previewIds.add(i.id()));
        sus.stream().limit(maxSuspects).forEach(i -> previewIds.add(i.id()));
      }
    }
    Map<String, byte[]> previews = previews(ctx.rows(), previewIds);

    List<Row> table = new ArrayList<>();
    List<Row> imageRows = new ArrayList<>();
    List<StrategyEntry> strategiesJson = new ArrayList<>();
    List<SuspectEntry> suspectsJson = new ArrayList<>();
    List<StrategyEntry> flaggedJson = new ArrayList<>();
    List<List<Image>> flaggedSuspects = new ArrayList<>();
    for (int n = 0; n < out.strategies().size(); n++) {
      Strategy s = out.strategies().get(n);
      List<Image> ex = examples.get(n);
      List<Image> sus = suspects.get(n);
      Set<String> exampleIds = new LinkedHashSet<>(ex.stream().map(Image::id).toList());
      Set<String> suspectIds = new LinkedHashSet<>(sus.stream().map(Image::id).toList());
      String className = ctx.className(s.cls());
      table.add(RowFactory.create(s.cls(), className, method, s.index() + 1, s.of(), (long) s.images().size(),
          s.share(), o.grid(), floats(s.meanMap()), s.imageConcentration(), s.meanConcentration(), s.agreement(),
          s.peakSpread(), s.entropy(), s.border(), shape.describe(s.place(), s.meanMap()), value(s.marker(), 0),
          value(s.marker(), 1), value(s.marker(), 2), value(s.watermark(), 0), value(s.watermark(), 1),
          value(s.watermark(), 2), value(s.background(), 0), value(s.background(), 1), value(s.background(), 2),
          s.judged(), s.flagged() ? s.kind().code() : null, s.flagged()));
      for (int i = 0; i < s.images().size(); i++) {
        Image img = s.images().get(i);
        AttentionShape.Measures m = s.measures().get(i);
        boolean example = exampleIds.contains(img.id());
        boolean suspect = suspectIds.contains(img.id());
        imageRows.add(RowFactory.create(s.cls(), s.index() + 1, img.id(), img.trueClass(), img.confidence(),
            m.concentration(), m.peakX(), m.peakY(), m.border(), example, suspect,
            s.flagged() && (example || suspect) ? previews.get(img.id()) : null));
      }
      StrategyEntry j = StrategyEntry.of(s, shape, s.flagged()
          ? ex.stream().map(i -> ImageEntry.of(i, previews)).toList() : List.copyOf(exampleIds));
      strategiesJson.add(j);
      if (s.flagged()) {
        flaggedJson.add(j);
        flaggedSuspects.add(sus);
        for (Image i : sus.stream().limit(maxSuspects).toList()) {
          suspectsJson.add(SuspectEntry.of(ImageEntry.of(i, previews), s));
        }
      }
    }
    List<Finding> findings = findings(ctx, out.flagged(), flaggedJson, flaggedSuspects, method, shape, maxSuspects);
    ctx.tables().write(STRATEGIES, table);
    ctx.tables().write(STRATEGY_IMAGES, imageRows);

    List<ClassEntry> classesJson = new ArrayList<>();
    for (ClassStrategies c : out.classes()) {
      classesJson.add(classJson(c, out.strategies(), shape));
    }
    Section section = Section.measured(method, o, shape, images.size(), classesJson, strategiesJson, suspectsJson,
        out.flagged().stream().map(s -> new Flag(s.cls(), s.index() + 1, s.kind().code())).toList());
    ctx.console().printf(Locale.ROOT, "audit: strategies: %s maps of %,d images in %d classes, %d strategies,"
        + " %d flagged%s%n", method, images.size(), out.classes().size(), out.strategies().size(),
        out.flagged().size(), out.flagged().isEmpty() ? "" : ": " + String.join(", ", out.flagged().stream()
            .map(s -> ctx.className(s.cls()) + " " + (s.index() + 1) + "/" + s.of() + " " + s.kind().code())
            .toList()));
    return new Result(findings, section);
  }

  /** Up to {@code count} images closest (Hellinger) to the strategy's mean map. */
  static List<Image> examples(Strategy s, int count) {
    double[] root = new double[s.meanMap().length];
    for (int c = 0; c < root.length; c++) {
      root[c] = Math.sqrt(s.meanMap()[c]);
    }
    double[] dist = new double[s.images().size()];
    Integer[] order = new Integer[dist.length];
    for (int i = 0; i < dist.length; i++) {
      float[] map = s.images().get(i).map();
      double d = 0;
      for (int c = 0; c < root.length; c++) {
        double diff = Math.sqrt(Math.max(0, map[c])) - root[c];
        d += diff * diff;
      }
      dist[i] = d;
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> dist[a] != dist[b] ? Double.compare(dist[a], dist[b]) : Integer.compare(a, b));
    List<Image> out = new ArrayList<>();
    for (int i = 0; i < Math.min(count, order.length); i++) {
      out.add(s.images().get(order[i]));
    }
    return out;
  }

  /** The strategy's images of other (known) classes, most confident first. */
  static List<Image> suspects(Strategy s) {
    return s.images().stream().filter(i -> i.trueClass() != null && i.trueClass() != s.cls())
        .sorted(java.util.Comparator.comparingDouble((Image i) -> -i.confidence()).thenComparing(Image::id))
        .toList();
  }

  /** The previews of {@code ids}, read back from the rows (bounded: examples and capped suspects). */
  static Map<String, byte[]> previews(Dataset<Row> rows, Set<String> ids) {
    Map<String, byte[]> out = new HashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    for (Row r : rows.filter(col("id").isin(ids.toArray())).select(col("id"), col(AnalysisSchema.INPUT_PNG))
        .collectAsList()) {
      out.put(r.getString(0), r.isNullAt(1) ? null : (byte[]) r.get(1));
    }
    return out;
  }

  /** The class-level peak check: how concentrated each image is, and whether its peaks move. */
  private static ClassEntry classJson(ClassStrategies c, List<Strategy> strategies, AttentionShape shape) {
    List<AttentionShape.Measures> all = new ArrayList<>();
    List<float[]> maps = new ArrayList<>();
    for (Strategy s : strategies) {
      if (s.cls() == c.cls()) {
        all.addAll(s.measures());
        s.images().forEach(i -> maps.add(i.map()));
      }
    }
    double conc = all.stream().mapToDouble(AttentionShape.Measures::concentration).average().orElse(0);
    double[] mean = AttentionShape.mean(maps);
    return ClassEntry.of(c, strategies.stream().filter(s -> s.cls() == c.cls()).count(), conc,
        AttentionShape.mass(mean, shape.topCells(mean)), shape.agreement(mean, conc), AttentionShape.peakSpread(all));
  }

  private static Double value(Lift l, int which) {
    return l == null ? null : which == 0 ? l.value() : which == 1 ? l.lo() : l.hi();
  }

  static float[] floats(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }

  /**
   * One finding per class and kind: a class's flagged strategies of the same kind are one cue (the
   * eigengap may cut one way of looking into several clusters), their shares and suspects added;
   * the score, interval and measures are those of the largest of them.
   */
  private static List<Finding> findings(DetectorContext ctx, List<Strategy> flagged, List<StrategyEntry> json,
      List<List<Image>> suspects, String method, AttentionShape shape, int maxSuspects) {
    List<Finding> out = new ArrayList<>();
    Set<String> done = new java.util.HashSet<>();
    for (int i = 0; i < flagged.size(); i++) {
      Strategy s = flagged.get(i);
      if (!done.add(s.cls() + "/" + s.kind())) {
        continue;
      }
      List<Integer> group = new ArrayList<>();
      for (int j = i; j < flagged.size(); j++) {
        if (flagged.get(j).cls() == s.cls() && flagged.get(j).kind() == s.kind()) {
          group.add(j);
        }
      }
      out.add(finding(ctx, flagged, group, json, suspects, method, shape, maxSuspects));
    }
    return out;
  }

  private static Finding finding(DetectorContext ctx, List<Strategy> flagged, List<Integer> group,
      List<StrategyEntry> json, List<List<Image>> suspects, String method, AttentionShape shape,
      int maxSuspects) {
    Strategy s = flagged.get(group.get(0)); // the largest: strategies are numbered by size
    double share = 0;
    int images = 0;
    List<Image> fooled = new ArrayList<>();
    List<String> numbers = new ArrayList<>();
    List<StrategyEntry> strategies = new ArrayList<>();
    for (int g : group) {
      Strategy t = flagged.get(g);
      share += t.share();
      images += t.images().size();
      fooled.addAll(suspects.get(g));
      numbers.add(String.valueOf(t.index() + 1));
      strategies.add(json.get(g));
    }
    fooled.sort(java.util.Comparator.comparingDouble((Image i) -> -i.confidence()).thenComparing(Image::id));
    String name = ctx.className(s.cls());
    Lift lift = switch (s.kind()) {
      case MARKER -> s.marker();
      case WATERMARK -> s.watermark();
      default -> s.background();
    };
    String what = switch (s.kind()) {
      case MARKER -> String.format(Locale.ROOT, "looks at one fixed place, the %s: %.0f%% of the attention sits in"
          + " its top %d of %d cells, %.1f× (interval %.1f–%.1f) what other classes' strategies put there (their"
          + " upper quartile)",
          shape.describe(s.place(), s.meanMap()), 100 * s.meanConcentration(), shape.top(),
          shape.grid() * shape.grid(), lift.value(), lift.lo(), lift.hi());
      case WATERMARK -> String.format(Locale.ROOT, "looks at a small spot that moves from image to image: each"
          + " image's top %d of %d cells hold %.0f%% of its attention, %.1f× (interval %.1f–%.1f) the median of"
          + " other classes' strategies, while the mean map holds only %.0f%% in its own top cells (peaks spread %.2f of"
          + " the side)", shape.top(), shape.grid() * shape.grid(), 100 * s.imageConcentration(), lift.value(),
          lift.lo(), lift.hi(), 100 * s.meanConcentration(), s.peakSpread());
      default -> String.format(Locale.ROOT, "spreads its attention over the border: %.0f%% of each image's"
          + " attention lies in the outer band, %.1f× (interval %.1f–%.1f) the median of other classes' strategies"
          + " (entropy %.2f)", 100 * s.border(), lift.value(), lift.lo(), lift.hi(), s.entropy());
    };
    String which = group.size() == 1 ? "strategy " + numbers.get(0) + " of " + s.of()
        : "strategies " + String.join(", ", numbers) + " of " + s.of();
    String statement = String.format(Locale.ROOT, "%s: %.0f%% of its predictions (%d images) follow an explanation"
        + " strategy (%s maps, %s) that %s; the suspected cue: %s; %d of those images are of other classes", name,
        100 * share, images, method, which, what, s.kind().words(), fooled.size());
    Evidence evidence = new Evidence(method, share, images, strategies);
    return Finding.builder()
        .cls(s.cls())
        .className(name)
        .kind(s.kind())
        .detector(NAME)
        .cue(which)
        .score(lift.value())
        .lo(lift.lo())
        .hi(lift.hi())
        .statement(statement)
        .suspectCount(fooled.size())
        .suspects(fooled.stream().limit(maxSuspects).map(Image::id).toList())
        .evidence(evidence)
        .build();
  }
}
