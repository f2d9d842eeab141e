package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.analyze.AnalysisSchema;

/**
 * The region detector: a class whose explanations pile their mass into one small fixed region or
 * along a border, far more than the other classes' explanations do there ({@link ShortcutFinder}
 * has the maths). It finds cues at a fixed place ({@link Cue#MARKER}); a cue that moves, or that
 * covers the whole image, spreads its mass and passes it by — the other detectors cover those.
 *
 * <p>Score: the lift of the class's region (its share of the class's mean attention over the
 * share the other classes' mean map puts there), highest over the methods that flag it.
 */
public final class RegionDetector implements ShortcutDetector {
  public static final String SHORTCUTS = "shortcuts";
  public static final String SHORTCUT_IMAGES = "shortcut_images";

  private static final Map<String, StructType> TABLES = Map.of(
      SHORTCUTS, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, true)
          .add("method", DataTypes.StringType, false)
          .add("region_kind", DataTypes.StringType, false)
          .add("region_name", DataTypes.StringType, false)
          .add("x0", DataTypes.FloatType, false)
          .add("y0", DataTypes.FloatType, false)
          .add("x1", DataTypes.FloatType, false)
          .add("y1", DataTypes.FloatType, false)
          .add("images", DataTypes.LongType, false)
          .add("mass", DataTypes.DoubleType, false)
          .add("background", DataTypes.DoubleType, false)
          .add("lift", DataTypes.DoubleType, false)
          .add("consistency", DataTypes.DoubleType, false)
          .add("method_flagged", DataTypes.BooleanType, false)
          .add("class_flagged", DataTypes.BooleanType, false),
      SHORTCUT_IMAGES, new StructType()
          .add("role", DataTypes.StringType, false)
          .add("shortcut_class", DataTypes.IntegerType, false)
          .add("method", DataTypes.StringType, true)
          .add("id", DataTypes.StringType, false)
          .add("true_class", DataTypes.IntegerType, true)
          .add("predicted", DataTypes.IntegerType, false)
          .add("confidence", DataTypes.FloatType, false)
          .add("mass", DataTypes.DoubleType, true)
          .add("lift", DataTypes.DoubleType, false)
          .add("methods", DataTypes.IntegerType, true)
          .add("input_png", DataTypes.BinaryType, true));

  /** Suspect images shown as a finding's evidence. */
  private static final int EVIDENCE_IMAGES = 6;

  @Override
  public String name() {
    return "region";
  }

  @Override
  public String title() {
    return "Attention in a fixed region";
  }

  @Override
  public Map<String, StructType> tables() {
    return TABLES;
  }

  /**
   * The region detector's part of {@code audit.json}.
   *
   * @param flagged the flagged classes
   * @param candidates each class and method's strongest region
   * @param examples each flagged class and method's images of the class with the most mass there
   * @param suspects each flagged class's strongest suspects, at most {@code audit.shortcut.max-suspects}
   * @param suspectCounts each flagged class's suspects in all
   */
  public record Section(List<Integer> flagged, List<Candidate> candidates, List<Example> examples,
      List<Suspect> suspects, Map<Integer, Long> suspectCounts) implements ShortcutDetector.Section {}

  /**
   * A class and method's strongest region ({@link ShortcutFinder.Candidate}).
   *
   * @param box the region in image fractions: x0, y0, x1, y1
   * @param methodFlagged this method flags the region; {@code classFlagged}: enough methods flag the class
   */
  public record Candidate(@JsonProperty("class") int cls, String method, String region, String kind, float[] box,
      long images, double mass, double background, double lift, double consistency, boolean methodFlagged,
      boolean classFlagged) {
    static Candidate of(ShortcutFinder.Candidate c, boolean classFlagged) {
      return new Candidate(c.cls(), c.method(), c.region().describe(), c.region().kind(), c.region().box(),
          c.images(), c.mass(), c.background(), c.lift(), c.consistency(), c.flagged(), classFlagged);
    }
  }

  /**
   * An image of a flagged class with much of its attention in the class's region.
   *
   * @param png the image's preview, base64 PNG (null without one)
   * @param cls the flagged class; {@code method} the method flagging it; {@code mass} the image's mass there
   */
  public record Example(String id, Integer trueClass, Integer predicted, Float confidence, Double lift, String png,
      @JsonProperty("class") Integer cls, String method, Double mass) {
    static Example of(Row e) {
      return new Example(e.getAs("id"), e.getAs("true_class"), e.getAs("predicted"), e.getAs("predicted_prob"),
          e.getAs("lift"), AuditRun.png(e.getAs(AnalysisSchema.INPUT_PNG)), e.getAs("region_class"), e.getAs("method"),
          e.getAs("mass"));
    }
  }

  /**
   * An image of another class predicted as a flagged class that looks at its region.
   *
   * @param methods the methods that see it look there
   */
  public record Suspect(String id, Integer trueClass, Integer predicted, Float confidence, Double lift, String png,
      @JsonProperty("class") Integer cls, Integer methods) {
    static Suspect of(Row e) {
      return new Suspect(e.getAs("id"), e.getAs("true_class"), e.getAs("predicted"), e.getAs("predicted_prob"),
          e.getAs("lift"), AuditRun.png(e.getAs(AnalysisSchema.INPUT_PNG)), e.getAs("region_class"),
          e.getAs("methods"));
    }
  }

  /**
   * A region finding's evidence: its strongest flagging method's region and some suspects.
   *
   * @param box the region in image fractions
   */
  public record Evidence(String method, String region, float[] box, double mass, double background,
      double consistency, List<Image> images) implements Finding.Evidence {
    static Evidence of(ShortcutFinder.Candidate best, List<Image> images) {
      return new Evidence(best.method(), best.region().describe(), best.region().box(), best.mass(), best.background(),
          best.consistency(), images);
    }
  }

  /** A suspect shown with a finding: its preview, a caption and the region's box. */
  public record Image(String id, String png, String caption, float[] box) implements java.io.Serializable {}

  @Override
  public Result detect(DetectorContext ctx) {
    AuditSettings s = ctx.settings();
    AuditRun.Tables tables = ctx.tables();
    Dataset<Row> rows = ctx.rows();
    List<String> names = ctx.classNames();
    ShortcutFinder.Result r = ctx.means().isEmpty() ? null
        : ShortcutFinder.find(rows, ctx.means(), s, ctx.model().input().height(), ctx.model().input().width());
    List<Row> table = new ArrayList<>();
    List<Candidate> candidates = new ArrayList<>();
    List<Example> examples = new ArrayList<>();
    List<Suspect> suspects = new ArrayList<>();
    List<Finding> findings = new ArrayList<>();
    if (r != null) {
      for (ShortcutFinder.Candidate c : r.candidates()) {
        float[] box = c.region().box();
        table.add(RowFactory.create(c.cls(), names.get(c.cls()), c.method(), c.region().kind(), c.region().describe(),
            box[0], box[1], box[2], box[3], c.images(), c.mass(), c.background(), c.lift(), c.consistency(),
            c.flagged(), r.flagged(c.cls())));
        candidates.add(Candidate.of(c, r.flagged(c.cls())));
      }
      Dataset<Row> previews = AuditRun.previews(rows);
      // The table gets every example and suspect (written by the executors); the report's JSON gets
      // the examples and at most audit.shortcut.max-suspects suspects per class, the highest lift first.
      Dataset<Row> ex = AuditRun.withPreview(r.examples(), previews);
      Dataset<Row> sus = AuditRun.withPreview(r.suspects(), previews);
      tables.write(SHORTCUT_IMAGES, ex.select(lit("example"), col("region_class"), col("method"), col("id"),
          col("true_class"), col("predicted"), col("predicted_prob"), col("mass"), col("lift"),
          lit(null).cast(DataTypes.IntegerType), col(AnalysisSchema.INPUT_PNG))
          .union(sus.select(lit("suspect"), col("region_class"), lit(null).cast(DataTypes.StringType), col("id"),
              col("true_class"), col("predicted"), col("predicted_prob"), lit(null).cast(DataTypes.DoubleType),
              col("lift"), col("methods"), col(AnalysisSchema.INPUT_PNG))));
      for (Row e : ex.orderBy(col("region_class"), col("method"), col("mass").desc(), col("id")).collectAsList()) {
        examples.add(Example.of(e));
      }
      Dataset<Row> top = sus.withColumn("_rank", row_number().over(Window.partitionBy("region_class")
          .orderBy(col("lift").desc(), col("id")))).filter(col("_rank").leq(s.maxSuspects()));
      Map<Integer, List<String>> topIds = new LinkedHashMap<>();
      for (Row e : top.orderBy(col("region_class"), col("_rank")).collectAsList()) {
        suspects.add(Suspect.of(e));
        topIds.computeIfAbsent(e.<Integer>getAs("region_class"), k -> new ArrayList<>()).add(e.getAs("id"));
      }
      for (int cls : r.flaggedMethods().keySet()) {
        List<Suspect> shown = new ArrayList<>();
        for (Suspect e : suspects) {
          if (e.cls() == cls && shown.size() < EVIDENCE_IMAGES) {
            shown.add(e);
          }
        }
        findings.add(finding(ctx, r, cls, topIds.getOrDefault(cls, List.of()), shown));
      }
      r.release();
    } else {
      tables.write(SHORTCUT_IMAGES, List.of());
    }
    tables.write(SHORTCUTS, table);
    return new Result(findings, new Section(r == null ? List.of() : List.copyOf(r.flaggedMethods().keySet()),
        candidates, examples, suspects, r == null ? Map.of() : r.suspectCounts()));
  }

  /** The finding of a flagged class: its strongest flagging method's region. */
  private static Finding finding(DetectorContext ctx, ShortcutFinder.Result r, int cls, List<String> suspects,
      List<Suspect> shown) {
    ShortcutFinder.Candidate best = null;
    int flagging = 0;
    int judged = 0;
    for (ShortcutFinder.Candidate c : r.candidates()) {
      if (c.cls() != cls) {
        continue;
      }
      judged++;
      if (c.flagged()) {
        flagging++;
        if (best == null || c.lift() > best.lift()) {
          best = c;
        }
      }
    }
    long count = r.suspectCounts().getOrDefault(cls, 0L);
    String name = ctx.className(cls);
    String statement = String.format(Locale.ROOT, "%s: predictions depend on a marker in the %s — %d of %d"
        + " methods put %.0f%% of the class's attention there, %.1f× the share other classes put there, in %.0f%%"
        + " of its images; %d image(s) of other classes predicted as %s look there", name,
        best.region().describe(), flagging, judged, 100 * best.mass(), best.lift(), 100 * best.consistency(), count,
        name);
    List<Image> images = new ArrayList<>();
    for (Suspect e : shown) {
      images.add(new Image(e.id(), e.png(), String.format(Locale.ROOT, "suspect: %s → %s, lift %.1f",
          ctx.className(e.trueClass()), name, e.lift()), best.region().box()));
    }
    Evidence evidence = Evidence.of(best, images);
    return Finding.builder()
        .cls(cls)
        .className(name)
        .kind(Cue.MARKER)
        .detector("region")
        .cue(best.region().describe())
        .score(best.lift())
        .lo(Double.NaN)
        .hi(Double.NaN)
        .statement(statement)
        .suspectCount(count)
        .suspects(suspects)
        .evidence(evidence)
        .build();
  }
}
