package org.convlens.audit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

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

  @Override
  public Result detect(DetectorContext ctx) {
    AuditSettings s = ctx.settings();
    AuditRun.Tables tables = ctx.tables();
    Dataset<Row> rows = ctx.rows();
    List<String> names = ctx.classNames();
    ShortcutFinder.Result r = ctx.means().isEmpty() ? null
        : ShortcutFinder.find(rows, ctx.means(), s, ctx.model().input().height(), ctx.model().input().width());
    Map<String, Object> out = new LinkedHashMap<>();
    List<Row> table = new ArrayList<>();
    List<Map<String, Object>> candidates = new ArrayList<>();
    List<Map<String, Object>> examples = new ArrayList<>();
    List<Map<String, Object>> suspects = new ArrayList<>();
    List<Finding> findings = new ArrayList<>();
    if (r != null) {
      for (ShortcutFinder.Candidate c : r.candidates()) {
        float[] box = c.region().box();
        table.add(RowFactory.create(c.cls(), names.get(c.cls()), c.method(), c.region().kind(), c.region().describe(),
            box[0], box[1], box[2], box[3], c.images(), c.mass(), c.background(), c.lift(), c.consistency(),
            c.flagged(), r.flagged(c.cls())));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class", c.cls());
        m.put("method", c.method());
        m.put("region", c.region().describe());
        m.put("kind", c.region().kind());
        m.put("box", box);
        m.put("images", c.images());
        m.put("mass", c.mass());
        m.put("background", c.background());
        m.put("lift", c.lift());
        m.put("consistency", c.consistency());
        m.put("method_flagged", c.flagged());
        m.put("class_flagged", r.flagged(c.cls()));
        candidates.add(m);
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
        Map<String, Object> m = AuditRun.imageJson(e);
        m.put("class", e.getAs("region_class"));
        m.put("method", e.getAs("method"));
        m.put("mass", e.getAs("mass"));
        examples.add(m);
      }
      Dataset<Row> top = sus.withColumn("_rank", row_number().over(Window.partitionBy("region_class")
          .orderBy(col("lift").desc(), col("id")))).filter(col("_rank").leq(s.maxSuspects()));
      Map<Integer, List<String>> topIds = new LinkedHashMap<>();
      for (Row e : top.orderBy(col("region_class"), col("_rank")).collectAsList()) {
        Map<String, Object> m = AuditRun.imageJson(e);
        m.put("class", e.getAs("region_class"));
        m.put("methods", e.getAs("methods"));
        suspects.add(m);
        topIds.computeIfAbsent(e.<Integer>getAs("region_class"), k -> new ArrayList<>()).add(e.getAs("id"));
      }
      for (int cls : r.flaggedMethods().keySet()) {
        List<Map<String, Object>> shown = new ArrayList<>();
        for (Map<String, Object> e : suspects) {
          if (e.get("class").equals(cls) && shown.size() < EVIDENCE_IMAGES) {
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
    out.put("flagged", r == null ? List.of() : r.flaggedMethods().keySet());
    out.put("candidates", candidates);
    out.put("examples", examples);
    out.put("suspects", suspects);
    out.put("suspect_counts", r == null ? Map.of() : r.suspectCounts());
    return new Result(findings, out);
  }

  /** The finding of a flagged class: its strongest flagging method's region. */
  private static Finding finding(DetectorContext ctx, ShortcutFinder.Result r, int cls, List<String> suspects,
      List<Map<String, Object>> shown) {
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
    Map<String, Object> evidence = new LinkedHashMap<>();
    evidence.put("method", best.method());
    evidence.put("region", best.region().describe());
    evidence.put("box", best.region().box());
    evidence.put("mass", best.mass());
    evidence.put("background", best.background());
    evidence.put("consistency", best.consistency());
    List<Map<String, Object>> images = new ArrayList<>();
    for (Map<String, Object> e : shown) {
      Map<String, Object> i = new LinkedHashMap<>();
      i.put("id", e.get("id"));
      i.put("png", e.get("png"));
      i.put("caption", String.format(Locale.ROOT, "suspect: %s → %s, lift %.1f", ctx.className((Integer) e.get(
          "true_class")), name, (Double) e.get("lift")));
      i.put("box", best.region().box());
      images.add(i);
    }
    evidence.put("images", images);
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
