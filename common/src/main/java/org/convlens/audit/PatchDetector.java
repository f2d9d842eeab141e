package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import com.typesafe.config.Config;
import java.io.Serializable;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.attribution.Attributions;
import org.convlens.attribution.PerturbationGridMethod;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
import smile.math.special.Erf;

/**
 * The patch detector: a class whose predictions on other classes' images hinge on one small
 * window — hide it and the prediction goes — far more often than other classes' mistaken
 * predictions do. It reads the perturbation grids the analysis stored (the registry's {@link
 * PerturbationGridMethod}; Zeiler and Fergus, "Visualizing and Understanding Convolutional
 * Networks", ECCV 2014, with the grids as Captum computes them): no new forward pass.
 *
 * <p><b>Per image</b> (rows whose attribution target is the predicted class): over the grids whose
 * window side is at most {@code max-window} of the shorter input side, the window whose
 * replacement by the baseline removes the largest share of the prediction, {@code fraction = drop
 * / target_prob} (1 = hiding it takes all of the predicted class's probability). The image
 * <em>hinges on one patch</em> when {@code fraction >= min-drop} and every window of those grids
 * that removes at least {@code min-drop} overlaps or touches that window: one place, not an image
 * whose prediction any grey square breaks (a brightness cue, a fragile low-confidence mistake).
 *
 * <p><b>Per predicted class c</b>: the images of another known class predicted c (the fooled
 * ones; at most {@code max-images}, those of smallest {@code xxhash64(seed, id)}), and r_c the
 * share of them that hinge on one patch. The effect is {@code d = r_c − mean r_o} over the other
 * judged classes (each class weighs the same, as in {@link FlipTest}). A class is judged with at
 * least {@code min-images} fooled images and at least one other judged class. Its uncertainty is
 * a seeded bootstrap stratified by predicted class (each class's fooled images drawn with
 * replacement, {@code bootstrap} times; Efron and Tibshirani 1993); the replicates' standard
 * deviation is se, the 95% interval {@code d ± 1.96 se} and the one-sided p-value {@code 1 −
 * Φ(d / se)}. Flagged when {@code d >= min-effect}, {@code r_c >= min-rate} and {@code p <= alpha / m}, m the classes
 * judged (Bonferroni). Results depend on the rows' content and the seed only: the sample is
 * chosen by hashes of ids, the bootstrap reads counts in class order.
 *
 * <p><b>Cue</b>: the flagged class's hinge windows (its suspects') either sit at one place — a
 * {@link Cue#MARKER} when at least {@code fixed-share} of them lie less than half a window side
 * from one of them — or spread over the image, a {@link Cue#WATERMARK} (a small item that moves).
 * Score: d, with its interval.
 */
public final class PatchDetector implements ShortcutDetector {
  public static final String NAME = "patch";
  public static final String CLASSES_TABLE = "patch_classes";
  public static final String IMAGES_TABLE = "patch_images";
  /** The analysis column holding the perturbation grids (docs/parquet-schema.md). */
  static final String GRID_COLUMN = Attributions.perturbationGrid().column();

  /**
   * {@code audit.patch.*}.
   *
   * @param minDrop an image hinges on a window that removes at least this share of the
   *     predicted class's probability (0..1]
   * @param maxWindow only grids whose window side is at most this fraction of the shorter input
   *     side count (0..1]
   * @param minEffect a class is flagged only when its hinge rate exceeds the other classes' mean by
   *     at least this (0..1]
   * @param minRate and only when at least this share of its fooled images hinge (0..1]: the
   *     finding says the class's fooled predictions hinge on a patch, which is its cue only when it
   *     holds for most of them
   * @param alpha family-wise error rate over the classes judged (Bonferroni)
   * @param minImages classes with fewer fooled images are not judged
   * @param replicates bootstrap replicates
   * @param seed seed of the per-class sample and of the bootstrap
   * @param maxImages fooled images per predicted class at most (a seeded sample by content)
   * @param fixedShare a flagged class's cue is a marker when at least this share of its hinge
   *     windows sit at one place, else a watermark
   * @param examples evidence images per finding
   */
  public record Options(double minDrop, double maxWindow, double minEffect, double minRate, double alpha, int minImages,
      int replicates, long seed, int maxImages, double fixedShare, int examples) implements Serializable {
    private static final String P = "audit." + NAME + ".";
    public static final Key<Double> MIN_DROP = Key.number(P + "min-drop", 0.5,
        "an image hinges on one patch when hiding one window removes at least this share of the probability")
        .aboveUpTo(0, 1);
    public static final Key<Double> MAX_WINDOW = Key.number(P + "max-window", 0.25,
        "only windows at most this fraction of the shorter input side count as small")
        .aboveUpTo(0, 1);
    public static final Key<Double> MIN_EFFECT = Key.number(P + "min-effect", 0.25,
        "a class's hinge share must exceed the other judged classes' mean share by at least this")
        .aboveUpTo(0, 1);
    public static final Key<Double> MIN_RATE = Key.number(P + "min-rate", 0.5,
        "and at least this share of its fooled images must hinge").aboveUpTo(0, 1);
    public static final Key<Double> ALPHA = Key.number(P + "alpha", 0.05,
        "family-wise error rate (Bonferroni over the classes judged)")
        .aboveUpTo(0, 0.5);
    public static final Key<Integer> MIN_IMAGES = Key.integer(P + "min-images", 10,
        "a class is judged when at least this many images of other classes are predicted as it")
        .within(2, 1_000_000);
    public static final Key<Integer> BOOTSTRAP = Key.integer(P + "bootstrap", 1000,
        "bootstrap replicates, stratified by predicted class").within(100, 100_000);
    public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611,
        "seed of the per-class sample and of the bootstrap");
    public static final Key<Integer> MAX_IMAGES = Key.integer(P + "max-images", 5000,
        "fooled images per predicted class at most (smallest xxhash64(seed, id))").within(10, 10_000_000);
    public static final Key<Double> FIXED_SHARE = Key.number(P + "fixed-share", 0.5,
        "a cue is a marker when at least this share of its hinge windows lie near one of them")
        .aboveUpTo(0, 1);
    public static final Key<Integer> EXAMPLES = Key.integer(P + "examples", 6,
        "example images per finding").within(0, 100);
    public static final SettingsSpec<Options> SPEC = SettingsSpec.of(Options.class, MIN_DROP, MAX_WINDOW, MIN_EFFECT,
        MIN_RATE, ALPHA, MIN_IMAGES, BOOTSTRAP, SEED, MAX_IMAGES, FIXED_SHARE, EXAMPLES);

    public Options {
      MIN_DROP.check(minDrop);
      MAX_WINDOW.check(maxWindow);
      MIN_EFFECT.check(minEffect);
      MIN_RATE.check(minRate);
      ALPHA.check(alpha);
      MIN_IMAGES.check(minImages);
      BOOTSTRAP.check(replicates);
      MAX_IMAGES.check(maxImages);
      FIXED_SHARE.check(fixedShare);
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

  /** One image's strongest small window, in input pixels. */
  static final StructType IMAGE = new StructType()
      .add("id", DataTypes.StringType, false)
      .add(AuditRows.TRUE_CLASS, DataTypes.IntegerType, true)
      .add("predicted", DataTypes.IntegerType, false)
      .add("confidence", DataTypes.FloatType, false)
      .add("fraction", DataTypes.DoubleType, false)
      .add("window", DataTypes.IntegerType, false)
      .add("x0", DataTypes.IntegerType, false)
      .add("y0", DataTypes.IntegerType, false)
      .add("x1", DataTypes.IntegerType, false)
      .add("y1", DataTypes.IntegerType, false)
      .add("hinged", DataTypes.BooleanType, false);

  private static final Map<String, StructType> TABLES = Map.of(
      CLASSES_TABLE, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, true)
          .add("images", DataTypes.LongType, false)
          .add("images_hinged", DataTypes.LongType, false)
          .add("fooled", DataTypes.LongType, false)
          .add("fooled_sampled", DataTypes.LongType, false)
          .add("fooled_hinged", DataTypes.LongType, false)
          .add("rate", DataTypes.DoubleType, true)
          .add("reference", DataTypes.DoubleType, true)
          .add("difference", DataTypes.DoubleType, true)
          .add("se", DataTypes.DoubleType, true)
          .add("lo", DataTypes.DoubleType, true)
          .add("hi", DataTypes.DoubleType, true)
          .add("p", DataTypes.DoubleType, true)
          .add("p_adjusted", DataTypes.DoubleType, true)
          .add("judged", DataTypes.BooleanType, false)
          .add("flagged", DataTypes.BooleanType, false)
          .add("kind", DataTypes.StringType, true)
          .add("fixed_share", DataTypes.DoubleType, true)
          .add("places", DataTypes.IntegerType, true)
          .add("window", DataTypes.IntegerType, true),
      IMAGES_TABLE, new StructType()
          .add("shortcut_class", DataTypes.IntegerType, false)
          .add("kind", DataTypes.StringType, false)
          .add("rank", DataTypes.IntegerType, false)
          .add("id", DataTypes.StringType, false)
          .add("true_class", DataTypes.IntegerType, false)
          .add("predicted", DataTypes.IntegerType, false)
          .add("confidence", DataTypes.FloatType, false)
          .add("fraction", DataTypes.DoubleType, false)
          .add("window", DataTypes.IntegerType, false)
          .add("x0", DataTypes.IntegerType, false)
          .add("y0", DataTypes.IntegerType, false)
          .add("x1", DataTypes.IntegerType, false)
          .add("y1", DataTypes.IntegerType, false)
          .add("input_png", DataTypes.BinaryType, true));

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Predictions that hinge on one small patch";
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
    Outcome out = run(ctx.rows(), ctx.classNames(), o, ctx.settings().maxSuspects(), ctx.model().input().height(),
        ctx.model().input().width());
    ctx.tables().write(CLASSES_TABLE, out.classRows());
    ctx.tables().write(IMAGES_TABLE, out.suspects());
    ctx.console().println("audit: patch: " + out.summary());
    return new Result(out.findings(), out.section());
  }

  /**
   * What {@link #run} found: the findings, the {@link #CLASSES_TABLE} rows, the flagged classes'
   * suspects (with previews) in {@link #IMAGES_TABLE}'s column order, the {@code audit.json}
   * section and a console summary.
   */
  record Outcome(List<Finding> findings, List<Row> classRows, Dataset<Row> suspects, Section section,
      String summary) {}

  /**
   * The patch detector's part of {@code audit.json}: its settings, then what it measured; without
   * perturbation grids only the settings and a {@code note} (the keys after {@code seed} absent).
   *
   * @param maxWindowPx the largest window in input pixels ({@code max-window} × the shorter side)
   * @param images the images of the grids' classes measured
   * @param note why nothing was measured (absent when something was)
   * @param judged the classes judged
   * @param classes each class's counts, rates and verdict
   * @param flagged the flagged classes and their cue
   */
  public record Section(double minDrop, double maxWindowPx, double alpha, double minEffect, double minRate, long seed,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long images, @JsonInclude(JsonInclude.Include.NON_NULL) String note,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer judged,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<ClassEntry> classes,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<Flag> flagged) implements ShortcutDetector.Section {
    /** The section of an analysis without perturbation grids: the settings and why. */
    static Section withoutGrids(Options o, double maxWindowPx, String note) {
      return new Section(o.minDrop(), maxWindowPx, o.alpha(), o.minEffect(), o.minRate(), o.seed(), null, note, null,
          null, null);
    }

    /** The section of a run that measured {@code images} images ({@code note} null unless none). */
    static Section measured(Options o, double maxWindowPx, long images, String note, int judged,
        List<ClassEntry> classes, List<Flag> flagged) {
      return new Section(o.minDrop(), maxWindowPx, o.alpha(), o.minEffect(), o.minRate(), o.seed(), images, note,
          judged, classes, flagged);
    }
  }

  /**
   * One class: its images, those that hinge on one window, the fooled ones (all and sampled), the
   * hinge rate against the other classes', its interval and verdict; a flagged class adds its cue
   * kind and where its patch sits (absent otherwise). Rates are null where undefined.
   *
   * @param images images predicted as the class; {@code imagesHinged} those of them that hinge on one place
   * @param fooled images of other known classes predicted as the class; {@code fooledSampled} of them
   *     in the sample; {@code fooledHinged} of those that hinge
   */
  public record ClassEntry(@JsonProperty("class") int cls, long images, long imagesHinged, long fooled,
      long fooledSampled, long fooledHinged, Double rate, Double reference, Double difference, Double lo, Double hi,
      Double pAdjusted, boolean judged, boolean flagged, @JsonInclude(JsonInclude.Include.NON_NULL) String kind,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double fixedShare,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer places,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer window) {
    static ClassEntry of(Verdict v, long images, long imagesHinged, long fooled, Cue kind, Placement where) {
      boolean placed = kind != null;
      return new ClassEntry(v.cls(), images, imagesHinged, fooled, v.fooled(), v.hinged(), nullIfNaN(v.rate()),
          nullIfNaN(v.reference()), nullIfNaN(v.difference()), nullIfNaN(v.lo()), nullIfNaN(v.hi()),
          nullIfNaN(v.pAdjusted()), v.judged(), v.flagged(), placed ? kind.code() : null,
          placed ? where.fixedShare() : null, placed ? where.places() : null, placed ? where.window() : null);
    }
  }

  /** A flagged class and its cue kind. */
  public record Flag(@JsonProperty("class") int cls, String kind) {}

  /**
   * A patch finding's evidence: the hinge rates, where the patch sits, and the first {@code
   * examples} suspects.
   *
   * @param fixedShare the share of the suspects' windows at the most common place
   * @param places the distinct places of the windows
   * @param window the window's side in input pixels
   * @param where the mean window centre in image fractions (x, y)
   */
  public record Evidence(double rate, double reference, double fixedShare, int places, int window, double[] where,
      List<Image> images) implements Finding.Evidence {
    static Evidence of(Verdict v, Placement where, List<Image> images) {
      return new Evidence(v.rate(), v.reference(), where.fixedShare(), where.places(), where.window(), where.where(),
          images);
    }
  }

  /**
   * A suspect shown with a finding.
   *
   * @param png its preview, base64 PNG (null without one)
   * @param box the window in image fractions: x0, y0, x1, y1
   */
  public record Image(String id, String png, String caption, float[] box) implements java.io.Serializable {}

  /**
   * One image's strongest small window.
   *
   * @param fraction the share of the target's probability hiding it removes
   * @param window its side in input pixels
   * @param x0 its left edge; {@code y0} its top; {@code x1, y1} its right and bottom edges (exclusive,
   *     clipped to the image)
   * @param onePlace every window of the small grids that removes at least {@code min-drop}
   *     overlaps or touches this one
   */
  record Hinge(double fraction, int window, int x0, int y0, int x1, int y1, boolean onePlace) {
    boolean hinged(double minDrop) {
      return fraction >= minDrop && onePlace;
    }

    /** A builder, so that a caller names each of the 7 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private double fraction;
      private int window;
      private int x0;
      private int y0;
      private int x1;
      private int y1;
      private boolean onePlace;

      private Builder() {}

      Builder fraction(double fraction) {
        this.fraction = fraction;
        return this;
      }

      Builder window(int window) {
        this.window = window;
        return this;
      }

      Builder x0(int x0) {
        this.x0 = x0;
        return this;
      }

      Builder y0(int y0) {
        this.y0 = y0;
        return this;
      }

      Builder x1(int x1) {
        this.x1 = x1;
        return this;
      }

      Builder y1(int y1) {
        this.y1 = y1;
        return this;
      }

      Builder onePlace(boolean onePlace) {
        this.onePlace = onePlace;
        return this;
      }

      Hinge build() {
        return new Hinge(fraction, window, x0, y0, x1, y1, onePlace);
      }
    }
  }

  /**
   * The strongest small window of one image's perturbation grids ({@code
   * array<struct<window,stride,rows,cols,target_prob,drop,argmax>>}, docs/parquet-schema.md); null
   * when no grid's window is small enough or the probability is not positive.
   */
  static Hinge hinge(List<Row> grids, float targetProb, int height, int width, double maxWindow, double minDrop) {
    if (!(targetProb > 0)) {
      return null;
    }
    double limit = maxWindow * Math.min(height, width);
    Hinge best = null;
    double bestCx = 0;
    double bestCy = 0;
    for (Row g : grids) {
      int window = g.getInt(0);
      if (window > limit) {
        continue;
      }
      int stride = g.getInt(1);
      int cols = g.getInt(3);
      float[] drop = AttentionMaps.floats(g.get(5));
      for (int i = 0; i < drop.length; i++) {
        double f = drop[i] / targetProb;
        // Ties keep the first: the grids' order, then row-major cells.
        if (best == null || f > best.fraction()) {
          int x0 = (i % cols) * stride;
          int y0 = (i / cols) * stride;
          best = Hinge.builder()
              .fraction(f)
              .window(window)
              .x0(x0)
              .y0(y0)
              .x1(Math.min(width, x0 + window))
              .y1(Math.min(height, y0 + window))
              .onePlace(true)
              .build();
          bestCx = x0 + window / 2.0;
          bestCy = y0 + window / 2.0;
        }
      }
    }
    if (best == null || best.fraction() < minDrop) {
      return best;
    }
    for (Row g : grids) {
      int window = g.getInt(0);
      if (window > limit) {
        continue;
      }
      int stride = g.getInt(1);
      int cols = g.getInt(3);
      float[] drop = AttentionMaps.floats(g.get(5));
      double reach = (best.window() + window) / 2.0; // centres further apart than this: windows apart
      for (int i = 0; i < drop.length; i++) {
        if (drop[i] / targetProb >= minDrop) {
          double cx = (i % cols) * stride + window / 2.0;
          double cy = (i / cols) * stride + window / 2.0;
          if (Math.max(Math.abs(cx - bestCx), Math.abs(cy - bestCy)) > reach) {
            return Hinge.builder()
                .fraction(best.fraction())
                .window(best.window())
                .x0(best.x0())
                .y0(best.y0())
                .x1(best.x1())
                .y1(best.y1())
                .onePlace(false)
                .build();
          }
        }
      }
    }
    return best;
  }

  /** Each usable row's strongest small window ({@link #IMAGE}); rows explaining another class than their prediction are left out. */
  static Dataset<Row> perImage(Dataset<Row> rows, Options o, int height, int width) {
    double minDrop = o.minDrop();
    double maxWindow = o.maxWindow();
    return rows.filter(col(GRID_COLUMN).isNotNull().and(col("target").equalTo(col("predicted")))
            .and(col("target_prob").isNotNull()))
        .select(col("id"), col(AuditRows.TRUE_CLASS), col("predicted"), col("target_prob"),
            col(GRID_COLUMN))
        .mapPartitions((MapPartitionsFunction<Row, Row>) it -> {
          List<Row> out = new ArrayList<>();
          while (it.hasNext()) {
            Row r = it.next();
            float p = r.getFloat(3);
            Hinge h = hinge(AttentionMaps.rows(r.get(4)), p, height, width, maxWindow, minDrop);
            if (h != null) {
              out.add(RowFactory.create(r.getString(0), r.isNullAt(1) ? null : r.getInt(1), r.getInt(2), p,
                  h.fraction(), h.window(), h.x0(), h.y0(), h.x1(), h.y1(), h.hinged(minDrop)));
            }
          }
          return out.iterator();
        }, Encoders.row(IMAGE));
  }

  /** A fooled image of the sample: an image of another known class predicted {@code predicted}. */
  record Fooled(String id, int trueClass, int predicted, float confidence, Hinge hinge, boolean hinged) {
    /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private String id;
      private int trueClass;
      private int predicted;
      private float confidence;
      private Hinge hinge;
      private boolean hinged;

      private Builder() {}

      Builder id(String id) {
        this.id = id;
        return this;
      }

      Builder trueClass(int trueClass) {
        this.trueClass = trueClass;
        return this;
      }

      Builder predicted(int predicted) {
        this.predicted = predicted;
        return this;
      }

      Builder confidence(float confidence) {
        this.confidence = confidence;
        return this;
      }

      Builder hinge(Hinge hinge) {
        this.hinge = hinge;
        return this;
      }

      Builder hinged(boolean hinged) {
        this.hinged = hinged;
        return this;
      }

      Fooled build() {
        return new Fooled(id, trueClass, predicted, confidence, hinge, hinged);
      }
    }
  }

  /**
   * The test: per class, the fooled images' hinge rate against the other judged classes' mean,
   * with a bootstrap stratified by predicted class.
   *
   * @param rate r_c; {@code reference} the other judged classes' mean; {@code difference} their
   *     difference; {@code se} its bootstrap standard error; {@code lo, hi} its 95% interval;
   *     {@code p} the one-sided p-value (NaN where not judged)
   */
  record Verdict(int cls, long fooled, long hinged, double rate, double reference, double difference, double se,
      double lo, double hi, double p, double pAdjusted, boolean judged, boolean flagged) {
    /** A builder, so that a caller names each of the 13 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private int cls;
      private long fooled;
      private long hinged;
      private double rate;
      private double reference;
      private double difference;
      private double se;
      private double lo;
      private double hi;
      private double p;
      private double pAdjusted;
      private boolean judged;
      private boolean flagged;

      private Builder() {}

      Builder cls(int cls) {
        this.cls = cls;
        return this;
      }

      Builder fooled(long fooled) {
        this.fooled = fooled;
        return this;
      }

      Builder hinged(long hinged) {
        this.hinged = hinged;
        return this;
      }

      Builder rate(double rate) {
        this.rate = rate;
        return this;
      }

      Builder reference(double reference) {
        this.reference = reference;
        return this;
      }

      Builder difference(double difference) {
        this.difference = difference;
        return this;
      }

      Builder se(double se) {
        this.se = se;
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

      Builder p(double p) {
        this.p = p;
        return this;
      }

      Builder pAdjusted(double pAdjusted) {
        this.pAdjusted = pAdjusted;
        return this;
      }

      Builder judged(boolean judged) {
        this.judged = judged;
        return this;
      }

      Builder flagged(boolean flagged) {
        this.flagged = flagged;
        return this;
      }

      Verdict build() {
        return new Verdict(cls, fooled, hinged, rate, reference, difference, se, lo, hi, p, pAdjusted, judged, flagged);
      }
    }
  }

  /**
   * Judges every class: {@code fooled[c]} images of the sample, {@code hinged[c]} of them hinge on
   * one patch. Depends on the counts and the seed only.
   */
  static List<Verdict> judge(long[] fooled, long[] hinged, Options o) {
    int k = fooled.length;
    boolean[] judged = new boolean[k];
    int reference = 0;
    for (int c = 0; c < k; c++) {
      judged[c] = fooled[c] >= o.minImages();
      reference += judged[c] ? 1 : 0;
    }
    if (reference < 2) {
      java.util.Arrays.fill(judged, false);
    }
    int m = reference < 2 ? 0 : reference;
    double[] observed = differences(fooled, hinged, judged);
    double[] mean = new double[k];
    double[] m2 = new double[k];
    if (m > 0) {
      SplittableRandom random = new SplittableRandom(o.seed());
      long[] drawn = new long[k];
      for (int b = 0; b < o.replicates(); b++) {
        for (int c = 0; c < k; c++) {
          if (!judged[c]) {
            continue;
          }
          // Drawing n_c images with replacement from n_c of which h_c hinge: count the hinged draws.
          long h = 0;
          for (long j = 0; j < fooled[c]; j++) {
            h += random.nextLong(fooled[c]) < hinged[c] ? 1 : 0;
          }
          drawn[c] = h;
        }
        double[] d = differences(fooled, drawn, judged);
        for (int c = 0; c < k; c++) {
          if (judged[c]) {
            // Welford's running mean and sum of squares.
            double delta = d[c] - mean[c];
            mean[c] += delta / (b + 1);
            m2[c] += delta * (d[c] - mean[c]);
          }
        }
      }
    }
    List<Verdict> out = new ArrayList<>(k);
    for (int c = 0; c < k; c++) {
      double rate = fooled[c] == 0 ? Double.NaN : (double) hinged[c] / fooled[c];
      if (!judged[c]) {
        out.add(Verdict.builder()
            .cls(c)
            .fooled(fooled[c])
            .hinged(hinged[c])
            .rate(rate)
            .reference(Double.NaN)
            .difference(Double.NaN)
            .se(Double.NaN)
            .lo(Double.NaN)
            .hi(Double.NaN)
            .p(Double.NaN)
            .pAdjusted(Double.NaN)
            .judged(false)
            .flagged(false)
            .build());
        continue;
      }
      double d = observed[c];
      double se = o.replicates() > 1 ? Math.sqrt(m2[c] / (o.replicates() - 1)) : 0;
      double p = se > 0 ? 0.5 * Erf.erfc(d / se / Math.sqrt(2)) : (d > 0 ? 0 : 1);
      boolean flagged = d >= o.minEffect() && rate >= o.minRate() && p <= o.alpha() / m;
      out.add(Verdict.builder()
          .cls(c)
          .fooled(fooled[c])
          .hinged(hinged[c])
          .rate(rate)
          .reference(rate - d)
          .difference(d)
          .se(se)
          .lo(Math.max(-1, d - FlipTest.Z95 * se))
          .hi(Math.min(1, d + FlipTest.Z95 * se))
          .p(p)
          .pAdjusted(Math.min(1, p * m))
          .judged(true)
          .flagged(flagged)
          .build());
    }
    return out;
  }

  /** Each judged class's rate minus the mean rate of the other judged classes (NaN elsewhere). */
  private static double[] differences(long[] fooled, long[] hinged, boolean[] judged) {
    int k = fooled.length;
    double sum = 0;
    int classes = 0;
    double[] rate = new double[k];
    for (int c = 0; c < k; c++) {
      if (judged[c]) {
        rate[c] = (double) hinged[c] / fooled[c];
        sum += rate[c];
        classes++;
      }
    }
    double[] out = new double[k];
    for (int c = 0; c < k; c++) {
      out[c] = judged[c] ? rate[c] - (sum - rate[c]) / (classes - 1) : Double.NaN;
    }
    return out;
  }

  /**
   * Where a flagged class's hinge windows sit.
   *
   * @param fixedShare the largest share of the windows whose centres lie less than half a window
   *     side (the larger of the two) from one window's centre
   * @param places distinct window positions
   * @param window the most common window side
   * @param where the densest place's centre, in image fractions (x, y)
   */
  record Placement(double fixedShare, int places, int window, double[] where) {}

  static Placement placement(List<Hinge> windows, int height, int width) {
    int n = windows.size();
    int bestCount = 0;
    int best = 0;
    Set<List<Integer>> positions = new HashSet<>();
    Map<Integer, Integer> sides = new HashMap<>();
    for (int a = 0; a < n; a++) {
      Hinge ha = windows.get(a);
      positions.add(List.of(ha.x0(), ha.y0(), ha.window()));
      sides.merge(ha.window(), 1, Integer::sum);
      int near = 0;
      for (Hinge hb : windows) {
        double dx = Math.abs((ha.x0() + ha.window() / 2.0) - (hb.x0() + hb.window() / 2.0));
        double dy = Math.abs((ha.y0() + ha.window() / 2.0) - (hb.y0() + hb.window() / 2.0));
        near += Math.max(dx, dy) < Math.max(ha.window(), hb.window()) / 2.0 ? 1 : 0;
      }
      if (near > bestCount) {
        bestCount = near;
        best = a;
      }
    }
    int side = sides.entrySet().stream().max(Map.Entry.<Integer, Integer>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder()))).map(Map.Entry::getKey).orElse(0);
    Hinge at = n == 0 ? null : windows.get(best);
    return new Placement(n == 0 ? Double.NaN : (double) bestCount / n, positions.size(), side, at == null ? null
        : new double[] {(at.x0() + at.x1()) / 2.0 / width, (at.y0() + at.y1()) / 2.0 / height});
  }

  /** A place in words, by thirds of the image: "bottom-right", "top", "centre". */
  static String describe(double[] where) {
    String v = where[1] < 1 / 3.0 ? "top" : where[1] > 2 / 3.0 ? "bottom" : "";
    String h = where[0] < 1 / 3.0 ? "left" : where[0] > 2 / 3.0 ? "right" : "";
    return v.isEmpty() && h.isEmpty() ? "centre" : v.isEmpty() ? h : h.isEmpty() ? v : v + "-" + h;
  }

  /**
   * Runs the detector on the audit's rows.
   *
   * @param rows usable analysis rows with {@link AuditRows#TRUE_CLASS}
   * @param height the model's input height (the grids are in input pixels); {@code width} its width
   */
  static Outcome run(Dataset<Row> rows, List<String> names, Options o, int maxSuspects, int height, int width) {
    int k = names.size();
    double maxWindowPx = o.maxWindow() * Math.min(height, width);
    if (!List.of(rows.schema().fieldNames()).contains(GRID_COLUMN)) {
      String grid = Attributions.perturbationGrid().name();
      String note = "the analysis holds no " + grid + " grids: add " + grid + " to analyze.methods to run this detector";
      return new Outcome(List.of(), List.of(), emptySuspects(rows), Section.withoutGrids(o, maxWindowPx, note), note);
    }
    Dataset<Row> images = perImage(rows, o, height, width).persist();
    try {
      long[] predicted = new long[k];
      long[] predictedHinged = new long[k];
      long[] fooledAll = new long[k];
      for (Row r : images.filter(col("predicted").geq(0).and(col("predicted").lt(k)))
          .groupBy(col("predicted"), col(AuditRows.TRUE_CLASS).isNotNull()
              .and(col(AuditRows.TRUE_CLASS).notEqual(col("predicted"))).as("_fooled"))
          .agg(count(lit(1)), sum(when(col("hinged"), 1).otherwise(0))).collectAsList()) {
        int c = r.getInt(0);
        predicted[c] += r.getLong(2);
        predictedHinged[c] += r.getLong(3);
        fooledAll[c] += r.getBoolean(1) ? r.getLong(2) : 0;
      }
      List<Fooled> sample = fooledSample(images, k, o);
      long[] fooled = new long[k];
      long[] hinged = new long[k];
      Map<Integer, List<Fooled>> suspects = new HashMap<>();
      for (Fooled f : sample) {
        fooled[f.predicted()]++;
        if (f.hinged()) {
          hinged[f.predicted()]++;
          suspects.computeIfAbsent(f.predicted(), c -> new ArrayList<>()).add(f);
        }
      }
      List<Verdict> verdicts = judge(fooled, hinged, o);
      int judged = (int) verdicts.stream().filter(Verdict::judged).count();
      List<Row> classRows = new ArrayList<>();
      List<ClassEntry> classes = new ArrayList<>();
      List<Finding> findings = new ArrayList<>();
      Map<String, String> previews = previews(rows, verdicts, suspects, o.examples());
      List<Row> suspectRows = new ArrayList<>();
      Map<Integer, Placement> placements = new HashMap<>();
      for (Verdict v : verdicts) {
        int c = v.cls();
        List<Fooled> own = strongestFirst(suspects.getOrDefault(c, List.of()));
        Placement where = v.flagged() ? placement(own.stream().map(Fooled::hinge).toList(), height, width) : null;
        Cue kind = where == null ? null : where.fixedShare() >= o.fixedShare() ? Cue.MARKER : Cue.WATERMARK;
        if (where != null) {
          placements.put(c, where);
        }
        classRows.add(RowFactory.create(c, names.get(c), predicted[c], predictedHinged[c], fooledAll[c], v.fooled(),
            v.hinged(), nullIfNaN(v.rate()), nullIfNaN(v.reference()), nullIfNaN(v.difference()), nullIfNaN(v.se()),
            nullIfNaN(v.lo()), nullIfNaN(v.hi()), nullIfNaN(v.p()), nullIfNaN(v.pAdjusted()), v.judged(),
            v.flagged(), kind == null ? null : kind.code(), where == null ? null : where.fixedShare(),
            where == null ? null : where.places(), where == null ? null : where.window()));
        classes.add(ClassEntry.of(v, predicted[c], predictedHinged[c], fooledAll[c], kind, where));
        if (kind != null) {
          for (int i = 0; i < own.size(); i++) {
            Fooled f = own.get(i);
            Hinge h = f.hinge();
            suspectRows.add(RowFactory.create(c, kind.code(), i + 1, f.id(), f.trueClass(), c, f.confidence(),
                h.fraction(), h.window(), h.x0(), h.y0(), h.x1(), h.y1()));
          }
          findings.add(finding(names, v, kind, where, own, predicted[c], predictedHinged[c], o, previews,
              maxSuspects, height, width));
        }
      }
      Dataset<Row> suspectData = withPreviews(rows, suspectRows);
      long measured = java.util.Arrays.stream(predicted).sum();
      String note = measured > 0 ? null : "no row has an " + Attributions.perturbationGrid().name() + " grid of the"
          + " predicted class with a window of at most " + o.maxWindow() + " of the input side (audit.patch.max-window)";
      Section section = Section.measured(o, maxWindowPx, measured, note, judged, classes,
          findings.stream().map(f -> new Flag(f.cls(), f.kind().code())).toList());
      String summary = String.format(Locale.ROOT, "%d class(es) judged (>= %d images of other classes predicted as"
          + " the class), Bonferroni at alpha %s: %s", judged, o.minImages(), o.alpha(), findings.isEmpty()
              ? "nothing flagged" : findings.stream().map(f -> String.format(Locale.ROOT, "%s %s (%.0f%% vs %.0f%%)",
                  f.className(), f.kind().code(), 100 * verdicts.get(f.cls()).rate(),
                  100 * verdicts.get(f.cls()).reference())).toList().toString());
      return new Outcome(findings, classRows, suspectData, section, summary);
    } finally {
      images.unpersist();
    }
  }

  /**
   * The fooled images of the sample, at most {@code max-images} per predicted class: those of
   * smallest {@code xxhash64(seed, id)} (ties by id), so the sample depends on content only.
   */
  private static List<Fooled> fooledSample(Dataset<Row> images, int k, Options o) {
    Dataset<Row> fooled = images.filter(col(AuditRows.TRUE_CLASS).isNotNull()
            .and(col(AuditRows.TRUE_CLASS).notEqual(col("predicted"))).and(col("predicted").geq(0))
            .and(col("predicted").lt(k)))
        .withColumn("_rank", row_number().over(Window.partitionBy("predicted")
            .orderBy(xxhash64(lit(o.seed()), col("id")), col("id"))))
        .filter(col("_rank").leq(o.maxImages()));
    List<Fooled> out = new ArrayList<>();
    for (Row r : fooled.collectAsList()) {
      out.add(Fooled.builder()
          .id(r.getString(0))
          .trueClass(r.getInt(1))
          .predicted(r.getInt(2))
          .confidence(r.getFloat(3))
          .hinge(Hinge.builder()
              .fraction(r.getDouble(4))
              .window(r.getInt(5))
              .x0(r.getInt(6))
              .y0(r.getInt(7))
              .x1(r.getInt(8))
              .y1(r.getInt(9))
              .onePlace(r.getBoolean(10))
              .build())
          .hinged(r.getBoolean(10))
          .build());
    }
    return out;
  }

  /** A flagged class's finding: its rates, where its patch sits, its suspects and examples. */
  private static Finding finding(List<String> names, Verdict v, Cue kind, Placement where, List<Fooled> own,
      long images, long imagesHinged, Options o, Map<String, String> previews, int maxSuspects, int height,
      int width) {
    double minDrop = o.minDrop();
    String name = names.get(v.cls());
    String place = kind == Cue.MARKER
        ? String.format(Locale.ROOT, "one small patch at a fixed place (%s)", describe(where.where()))
        : "one small patch that moves";
    String spread = kind == Cue.MARKER
        ? String.format(Locale.ROOT, "%.0f%% of those windows sit at the same place", 100 * where.fixedShare())
        : String.format(Locale.ROOT, "the patch sits in %d different places, at most %.0f%% of them at one",
            where.places(), 100 * where.fixedShare());
    String share = minDrop == 0.5 ? "half" : String.format(Locale.ROOT, "%.0f%%", 100 * minDrop);
    String statement = String.format(Locale.ROOT, "%s: predictions hinge on %s — hiding one %d-px window takes away"
        + " at least %s of the prediction for %d of %d (%.0f%%) images of other classes predicted %s vs %.0f%% for"
        + " other classes' such images (%.0f%% of all images predicted %s); %s", name, place, where.window(), share,
        v.hinged(), v.fooled(), 100 * v.rate(), name, 100 * v.reference(), images == 0 ? 0.0
            : 100.0 * imagesHinged / images, name, spread);
    List<Image> shown = new ArrayList<>();
    for (Fooled f : own.subList(0, Math.min(o.examples(), own.size()))) {
      Hinge h = f.hinge();
      shown.add(new Image(f.id(), previews.get(f.id()), String.format(Locale.ROOT,
          "%s → %s: hiding the box removes %.0f%% of its probability", names.get(f.trueClass()), name,
          100 * Math.min(1, h.fraction())), new float[] {(float) h.x0() / width, (float) h.y0() / height,
              (float) h.x1() / width, (float) h.y1() / height}));
    }
    Evidence evidence = Evidence.of(v, where, shown);
    List<String> ids = own.stream().limit(maxSuspects).map(Fooled::id).toList();
    return Finding.builder()
        .cls(v.cls())
        .className(name)
        .kind(kind)
        .detector(NAME)
        .cue(kind.code() + " patch")
        .score(v.difference())
        .lo(v.lo())
        .hi(v.hi())
        .statement(statement)
        .suspectCount(own.size())
        .suspects(ids)
        .evidence(evidence)
        .build();
  }

  /** A class's suspects, the strongest first; ties by id, so the order does not depend on how the rows arrived. */
  private static List<Fooled> strongestFirst(List<Fooled> suspects) {
    List<Fooled> own = new ArrayList<>(suspects);
    own.sort(Comparator.comparingDouble((Fooled f) -> -f.hinge().fraction()).thenComparing(Fooled::id));
    return own;
  }

  /**
   * The previews (base64 PNG, by id) of each flagged class's first {@code examples} suspects: the
   * images its finding shows.
   */
  private static Map<String, String> previews(Dataset<Row> rows, List<Verdict> verdicts,
      Map<Integer, List<Fooled>> suspects, int examples) {
    Set<String> wanted = new HashSet<>();
    for (Verdict v : verdicts) {
      if (v.flagged()) {
        strongestFirst(suspects.getOrDefault(v.cls(), List.of())).stream().limit(examples)
            .forEach(f -> wanted.add(f.id()));
      }
    }
    Map<String, String> png = new HashMap<>();
    if (!wanted.isEmpty()) {
      for (Row r : AuditRun.previews(rows).filter(col("_pid").isin(wanted.toArray())).collectAsList()) {
        png.put(r.getString(0), AuditRun.png(r.isNullAt(1) ? null : (byte[]) r.get(1)));
      }
    }
    return png;
  }

  /** The suspects as a dataset with their previews, in {@link #IMAGES_TABLE}'s column order. */
  private static Dataset<Row> withPreviews(Dataset<Row> rows, List<Row> suspectRows) {
    StructType own = TABLES.get(IMAGES_TABLE);
    StructType noPreview = new StructType(java.util.Arrays.copyOf(own.fields(), own.length() - 1));
    Dataset<Row> suspects = rows.sparkSession().createDataFrame(suspectRows, noPreview);
    Dataset<Row> withPng = AuditRun.withPreview(suspects, AuditRun.previews(rows));
    return withPng.select(java.util.Arrays.stream(own.fieldNames()).map(org.apache.spark.sql.functions::col)
        .toArray(org.apache.spark.sql.Column[]::new));
  }

  private static Dataset<Row> emptySuspects(Dataset<Row> rows) {
    return rows.sparkSession().createDataFrame(List.of(), TABLES.get(IMAGES_TABLE));
  }

  private static Double nullIfNaN(double v) {
    return Double.isNaN(v) ? null : v;
  }
}
