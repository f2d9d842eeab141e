package org.convlens.audit;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.InvalidConfigException;
import org.convlens.data.HadoopPaths;
import org.convlens.data.ImageOps;
import org.convlens.spark.OutputFiles;
import org.convlens.spark.OutputLayout;
import org.convlens.spark.OutputLock;
import org.convlens.spark.StagedOutput;

/**
 * {@code convlens audit diff BASE NEW}: what changed between two audits (two model versions, or
 * one model on two dates), read from their Parquet tables. Classes are matched by name, so two
 * models with differently ordered class lists compare correctly.
 *
 * <ul>
 *   <li>accuracy per class, before and after;
 *   <li>shifted attention: per class (true labels) and method, the total variation distance
 *       between the two mean attention maps ({@code ½·Σ|a − b|}, 0 = same, 1 = disjoint) and the
 *       move of their centre of mass, in image fractions;
 *   <li>shortcuts: classes the region detector flags only in NEW ("new"), only in BASE
 *       ("resolved"), or in both;
 *   <li>findings (every detector, one per class): classes that are a finding only in NEW
 *       ("new"), only in BASE ("resolved"), in both with the same cue ("persisting") or with
 *       another cue ("cue changed").
 * </ul>
 */
public final class AuditDiff {
  public static final String DIFF_DIR = "audit-diff";

  public static final StructType CLASS_CHANGES = new StructType()
      .add("class_name", DataTypes.StringType, false)
      .add("images_base", DataTypes.LongType, true)
      .add("images_new", DataTypes.LongType, true)
      .add("accuracy_base", DataTypes.DoubleType, true)
      .add("accuracy_new", DataTypes.DoubleType, true)
      .add("accuracy_change", DataTypes.DoubleType, true)
      .add("entropy_base", DataTypes.DoubleType, true)
      .add("entropy_new", DataTypes.DoubleType, true);
  public static final StructType ATTENTION_SHIFT = new StructType()
      .add("class_name", DataTypes.StringType, false)
      .add("method", DataTypes.StringType, false)
      .add("distance", DataTypes.DoubleType, false)
      .add("centre_dx", DataTypes.DoubleType, false)
      .add("centre_dy", DataTypes.DoubleType, false)
      .add("shifted", DataTypes.BooleanType, false);
  public static final StructType SHORTCUT_CHANGES = new StructType()
      .add("class_name", DataTypes.StringType, false)
      .add("status", DataTypes.StringType, false)
      .add("region_base", DataTypes.StringType, true)
      .add("region_new", DataTypes.StringType, true)
      .add("lift_base", DataTypes.DoubleType, true)
      .add("lift_new", DataTypes.DoubleType, true);

  public static final StructType FINDING_CHANGES = new StructType()
      .add("class_name", DataTypes.StringType, false)
      .add("status", DataTypes.StringType, false)
      .add("kind_base", DataTypes.StringType, true)
      .add("kind_new", DataTypes.StringType, true)
      .add("detectors_base", DataTypes.createArrayType(DataTypes.StringType, false), true)
      .add("detectors_new", DataTypes.createArrayType(DataTypes.StringType, false), true)
      .add("suspects_base", DataTypes.LongType, true)
      .add("suspects_new", DataTypes.LongType, true)
      .add("statement_base", DataTypes.StringType, true)
      .add("statement_new", DataTypes.StringType, true);

  /** The comparison. */
  public record Result(String dir, List<Row> classes, List<Row> attention, List<Row> shortcuts, List<Row> findings) {}

  private AuditDiff() {}

  public static Result execute(String base, String next, String out, AuditSettings s, SparkSession spark,
      PrintStream console, int lockTimeoutSeconds) throws IOException {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path a = HadoopPaths.qualify(base, hadoop);
    Path b = HadoopPaths.qualify(next, hadoop);
    for (Path p : List.of(a, b)) {
      if (HadoopPaths.statusOrNull(new Path(p, AuditSchema.CLASSES), hadoop) == null) {
        throw new InvalidConfigException("audit diff", p + " is not an audit (no " + AuditSchema.CLASSES
            + "/ table): give two folders written by `convlens audit` (e.g. out-v1/audit out-v2/audit)");
      }
    }
    Path dir = HadoopPaths.qualify(out, hadoop);

    // Accuracy per class.
    Map<String, Row> ca = byName(spark.read().parquet(new Path(a, AuditSchema.CLASSES).toString()));
    Map<String, Row> cb = byName(spark.read().parquet(new Path(b, AuditSchema.CLASSES).toString()));
    TreeSet<String> names = new TreeSet<>(ca.keySet());
    names.addAll(cb.keySet());
    List<Row> classes = new ArrayList<>();
    for (String n : names) {
      Row x = ca.get(n);
      Row y = cb.get(n);
      Double accA = value(x, "accuracy");
      Double accB = value(y, "accuracy");
      classes.add(RowFactory.create(n, x == null ? null : x.<Long>getAs("images"),
          y == null ? null : y.<Long>getAs("images"), accA, accB,
          accA == null || accB == null ? null : accB - accA, value(x, "mean_entropy"), value(y, "mean_entropy")));
    }

    // Attention per class and method.
    Map<String, Row> aa = attention(spark, a);
    Map<String, Row> ab = attention(spark, b);
    List<Row> shifts = new ArrayList<>();
    for (String key : new TreeSet<>(aa.keySet())) {
      Row x = aa.get(key);
      Row y = ab.get(key);
      if (y == null) {
        continue;
      }
      int ga = x.getAs("grid");
      int gb = y.getAs("grid");
      int g = Math.min(ga, gb);
      float[] ma = resampled(x.getList(x.fieldIndex("map")), ga, g);
      float[] mb = resampled(y.getList(y.fieldIndex("map")), gb, g);
      double tv = 0;
      for (int i = 0; i < ma.length; i++) {
        tv += Math.abs(ma[i] - mb[i]);
      }
      tv /= 2;
      double[] pa = centre(ma, g);
      double[] pb = centre(mb, g);
      String[] parts = key.split("\u0000");
      shifts.add(RowFactory.create(parts[0], parts[1], tv, pb[0] - pa[0], pb[1] - pa[1], tv >= s.diffShift()));
    }

    // Shortcuts.
    Map<String, Row> sa = flagged(spark, a);
    Map<String, Row> sb = flagged(spark, b);
    TreeSet<String> flaggedNames = new TreeSet<>(sa.keySet());
    flaggedNames.addAll(sb.keySet());
    List<Row> shortcuts = new ArrayList<>();
    for (String n : flaggedNames) {
      Row x = sa.get(n);
      Row y = sb.get(n);
      String status = x == null ? "new" : y == null ? "resolved" : "persisting";
      shortcuts.add(RowFactory.create(n, status, x == null ? null : x.<String>getAs("region_name"),
          y == null ? null : y.<String>getAs("region_name"), x == null ? null : x.<Double>getAs("lift"),
          y == null ? null : y.<Double>getAs("lift")));
    }

    // Findings, one per class in each audit.
    Map<String, Row> fa = findings(spark, a, hadoop, console);
    Map<String, Row> fb = findings(spark, b, hadoop, console);
    TreeSet<String> findingNames = new TreeSet<>(fa.keySet());
    findingNames.addAll(fb.keySet());
    List<Row> findings = new ArrayList<>();
    for (String n : findingNames) {
      Row x = fa.get(n);
      Row y = fb.get(n);
      String status = x == null ? "new" : y == null ? "resolved"
          : x.<String>getAs("kind").equals(y.<String>getAs("kind")) ? "persisting" : "cue changed";
      findings.add(RowFactory.create(n, status, x == null ? null : x.getAs("kind"), y == null ? null : y.getAs("kind"),
          x == null ? null : x.getList(x.fieldIndex("detectors")).toArray(new String[0]),
          y == null ? null : y.getList(y.fieldIndex("detectors")).toArray(new String[0]),
          x == null ? null : x.getAs("suspect_count"), y == null ? null : y.getAs("suspect_count"),
          x == null ? null : x.getAs("statement"), y == null ? null : y.getAs("statement")));
    }

    // Written beside the diff folder and swapped in when complete.
    try (OutputLock lock = OutputLock.acquire(dir.getParent(), hadoop, "output.dir", "audit diff", lockTimeoutSeconds,
            console);
        StagedOutput staged = StagedOutput.begin(dir, hadoop, OutputLayout.newRunId())) {
      Path into = staged.path();
      write(spark, classes, CLASS_CHANGES, new Path(into, "class_changes"));
      write(spark, shifts, ATTENTION_SHIFT, new Path(into, "attention_shift"));
      write(spark, shortcuts, SHORTCUT_CHANGES, new Path(into, "shortcut_changes"));
      write(spark, findings, FINDING_CHANGES, new Path(into, "finding_changes"));
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("base", a.toString());
      json.put("new", b.toString());
      json.put("attention_shift_threshold", s.diffShift());
      json.put("classes", rowsJson(classes, CLASS_CHANGES));
      json.put("attention", rowsJson(shifts, ATTENTION_SHIFT));
      json.put("shortcuts", rowsJson(shortcuts, SHORTCUT_CHANGES));
      json.put("findings", rowsJson(findings, FINDING_CHANGES));
      OutputFiles.writeText(new Path(into, "diff.json"),
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json) + "\n", hadoop);
      staged.replace(lock);
    }

    console.printf("audit diff: %s -> %s%n", a, b);
    console.printf("  %-22s %9s %9s %8s%n", "class", "acc base", "acc new", "change");
    for (Row r : classes) {
      console.printf(Locale.ROOT, "  %-22s %9s %9s %8s%n", r.getString(0), pct(r.get(3)), pct(r.get(4)),
          r.get(5) == null ? "" : String.format(Locale.ROOT, "%+.1f", 100 * r.getDouble(5)));
    }
    List<Row> moved = shifts.stream().filter(r -> r.getBoolean(5)).toList();
    console.printf(Locale.ROOT, "  attention shifted (distance >= %.2f): %s%n", s.diffShift(), moved.isEmpty() ? "none"
        : String.join(", ", moved.stream().map(r -> String.format(Locale.ROOT, "%s/%s %.2f", r.getString(0),
            r.getString(1), r.getDouble(2))).toList()));
    for (String status : List.of("new", "resolved", "persisting")) {
      List<String> n = shortcuts.stream().filter(r -> r.getString(1).equals(status)).map(r -> r.getString(0)).toList();
      console.printf("  shortcuts %s: %s%n", status, n.isEmpty() ? "none" : String.join(", ", n));
    }
    for (String status : List.of("new", "resolved", "cue changed", "persisting")) {
      List<String> n = findings.stream().filter(r -> r.getString(1).equals(status))
          .map(r -> r.getString(0) + " (" + switch (status) {
            case "new" -> r.getString(3);
            case "cue changed" -> r.getString(2) + " -> " + r.getString(3);
            default -> r.getString(2);
          } + ")").toList();
      console.printf("  findings %s: %s%n", status, n.isEmpty() ? "none" : String.join(", ", n));
    }
    console.println("audit diff: written to " + dir);
    return new Result(dir.toString(), classes, shifts, shortcuts, findings);
  }

  private static Map<String, Row> byName(Dataset<Row> d) {
    Map<String, Row> m = new TreeMap<>();
    for (Row r : d.collectAsList()) {
      String n = r.getAs("class_name");
      m.put(n == null ? String.valueOf(r.<Integer>getAs("class")) : n, r);
    }
    return m;
  }

  private static Double value(Row r, String column) {
    return r == null || r.isNullAt(r.fieldIndex(column)) ? null : r.getDouble(r.fieldIndex(column));
  }

  private static Map<String, Row> attention(SparkSession spark, Path audit) {
    Map<String, Row> m = new TreeMap<>();
    for (Row r : spark.read().parquet(new Path(audit, AuditSchema.ATTENTION).toString())
        .filter(col("scope").equalTo(ClassAttention.BY_LABEL)).collectAsList()) {
      String n = r.getAs("class_name");
      m.put((n == null ? String.valueOf(r.<Integer>getAs("class")) : n) + "\u0000" + r.getAs("method"), r);
    }
    return m;
  }

  /**
   * The findings table's rows by class name; none (with a note) for an audit written before
   * findings had one row per class with its detectors.
   */
  private static Map<String, Row> findings(SparkSession spark, Path audit, Configuration hadoop, PrintStream console)
      throws IOException {
    Map<String, Row> m = new TreeMap<>();
    Path table = new Path(audit, AuditSchema.FINDINGS);
    if (HadoopPaths.statusOrNull(table, hadoop) == null) {
      console.println("audit diff: " + audit + " has no findings table (audited before findings existed): its"
          + " findings count as none");
      return m;
    }
    Dataset<Row> d = spark.read().parquet(table.toString());
    if (!java.util.Arrays.asList(d.columns()).contains("detectors")) {
      console.println("audit diff: " + audit + "'s findings are one per detector (audited before findings were"
          + " one per class): its findings count as none; audit it again to compare them");
      return m;
    }
    for (Row r : d.collectAsList()) {
      String n = r.getAs("class_name");
      m.put(n == null ? String.valueOf(r.<Integer>getAs("class")) : n, r);
    }
    return m;
  }

  /** The flagged classes' strongest method row of the shortcuts table, by class name. */
  private static Map<String, Row> flagged(SparkSession spark, Path audit) {
    Map<String, Row> m = new TreeMap<>();
    for (Row r : spark.read().parquet(new Path(audit, AuditSchema.SHORTCUTS).toString())
        .filter(col("class_flagged").and(col("method_flagged"))).orderBy(col("lift").desc()).collectAsList()) {
      String n = r.getAs("class_name");
      m.putIfAbsent(n == null ? String.valueOf(r.<Integer>getAs("class")) : n, r);
    }
    return m;
  }

  private static float[] resampled(List<Float> map, int from, int to) {
    float[] v = new float[map.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = map.get(i);
    }
    if (from == to) {
      return v;
    }
    float[] r = ImageOps.area(v, 1, from, from, to, to);
    double sum = 0;
    for (float x : r) {
      sum += x;
    }
    for (int i = 0; i < r.length; i++) {
      r[i] = (float) (r[i] / sum);
    }
    return r;
  }

  /** Centre of mass (x, y) in image fractions. */
  static double[] centre(float[] map, int g) {
    double x = 0;
    double y = 0;
    double m = 0;
    for (int r = 0; r < g; r++) {
      for (int c = 0; c < g; c++) {
        double v = map[r * g + c];
        x += v * (c + 0.5) / g;
        y += v * (r + 0.5) / g;
        m += v;
      }
    }
    return m == 0 ? new double[] {0.5, 0.5} : new double[] {x / m, y / m};
  }

  private static void write(SparkSession spark, List<Row> rows, StructType schema, Path path) {
    spark.createDataFrame(rows, schema).coalesce(1).write().mode(SaveMode.Overwrite).parquet(path.toString());
  }

  private static List<Map<String, Object>> rowsJson(List<Row> rows, StructType schema) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < schema.fields().length; i++) {
        m.put(schema.fields()[i].name(), r.get(i));
      }
      out.add(m);
    }
    return out;
  }

  private static String pct(Object v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * (Double) v);
  }
}
