package org.convlens.audit;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The audit's Parquet tables under {@code <out>/audit/<table>/} (documented in {@code
 * docs/parquet-schema.md}). Every table starts with {@link #COMMON}, so that audits of many runs
 * can be appended to one history and queried over time (by {@code created_at}, {@code
 * model_id}). Bump {@link #VERSION} on any change that is not an added nullable column.
 */
public final class AuditSchema {
  /**
   * 2: the quality tables' interval columns ({@code spearman_lo/hi}, {@code auc_lo/hi}),
   * the perturbation-grid method's cascade ρ measured on its tiles, a different figure from version 1's, and
   * {@code findings} one row per class with its {@code detectors} (each detector's rows moved to
   * {@code signals}).
   */
  public static final int VERSION = 2;

  public static final StructType COMMON = new StructType()
      .add("schema_version", DataTypes.IntegerType, false)
      .add("audit_id", DataTypes.StringType, false)
      .add("model_id", DataTypes.StringType, false)
      .add("created_at", DataTypes.TimestampType, false);

  public static final String ATTENTION = "attention";
  public static final String SHORTCUTS = RegionDetector.SHORTCUTS;
  public static final String SHORTCUT_IMAGES = RegionDetector.SHORTCUT_IMAGES;
  public static final String CONFUSION = "confusion";
  public static final String CLASSES = "classes";
  public static final String MISTAKES = "mistakes";
  public static final String RANDOMIZATION = "quality_randomization";
  public static final String FAITHFULNESS = "quality_faithfulness";
  public static final String SANITY = "quality_sanity";
  public static final String FINDINGS = "findings";
  public static final String SIGNALS = "signals";

  /** Each table's own columns (after {@link #COMMON}): the audit's own, then each detector's. */
  public static final Map<String, StructType> TABLES = tables();

  private static Map<String, StructType> tables() {
    // Inserted one by one: Map.of's iteration order changes from one JVM to the next, and the
    // order in which the tables are written must not.
    Map<String, StructType> t = new LinkedHashMap<>();
    t.put(ATTENTION, new StructType()
        .add("scope", DataTypes.StringType, false)
        .add("class", DataTypes.IntegerType, false)
        .add("class_name", DataTypes.StringType, true)
        .add("method", DataTypes.StringType, false)
        .add("images", DataTypes.LongType, false)
        .add("grid", DataTypes.IntegerType, false)
        .add("map", DataTypes.createArrayType(DataTypes.FloatType, false), false));
    t.put(CONFUSION, new StructType()
        .add("true_class", DataTypes.IntegerType, false)
        .add("predicted", DataTypes.IntegerType, false)
        .add("images", DataTypes.LongType, false));
    t.put(CLASSES, new StructType()
        .add("class", DataTypes.IntegerType, false)
        .add("class_name", DataTypes.StringType, true)
        .add("images", DataTypes.LongType, false)
        .add("correct", DataTypes.LongType, false)
        .add("accuracy", DataTypes.DoubleType, true)
        .add("mean_confidence", DataTypes.DoubleType, true)
        .add("mean_entropy", DataTypes.DoubleType, true)
        .add("threshold", DataTypes.DoubleType, true)
        .add("predicted_images", DataTypes.LongType, false));
    t.put(MISTAKES, new StructType()
        .add("kind", DataTypes.StringType, false)
        .add("rank", DataTypes.IntegerType, false)
        .add("id", DataTypes.StringType, false)
        .add("true_class", DataTypes.IntegerType, false)
        .add("predicted", DataTypes.IntegerType, false)
        .add("suggested", DataTypes.IntegerType, true)
        .add("confidence", DataTypes.FloatType, false)
        .add("label_prob", DataTypes.FloatType, false)
        .add("entropy", DataTypes.DoubleType, true)
        .add("input_png", DataTypes.BinaryType, true));
    t.put(RANDOMIZATION, new StructType()
        .add("method", DataTypes.StringType, false)
        .add("step", DataTypes.IntegerType, false)
        .add("layer", DataTypes.StringType, false)
        .add("images", DataTypes.LongType, false)
        .add("spearman_mean", DataTypes.DoubleType, true)
        .add("spearman_std", DataTypes.DoubleType, true)
        .add("spearman_lo", DataTypes.DoubleType, true)
        .add("spearman_hi", DataTypes.DoubleType, true));
    t.put(FAITHFULNESS, new StructType()
        .add("method", DataTypes.StringType, false)
        .add("kind", DataTypes.StringType, false)
        .add("images", DataTypes.LongType, false)
        .add("auc_mean", DataTypes.DoubleType, true)
        .add("auc_std", DataTypes.DoubleType, true)
        .add("curve", DataTypes.createArrayType(DataTypes.FloatType, false), true)
        .add("auc_lo", DataTypes.DoubleType, true)
        .add("auc_hi", DataTypes.DoubleType, true));
    t.put(FINDINGS, new StructType()
        .add("class", DataTypes.IntegerType, false)
        .add("class_name", DataTypes.StringType, true)
        .add("kind", DataTypes.StringType, false)
        .add("detector", DataTypes.StringType, false)
        .add("cue", DataTypes.StringType, false)
        .add("score", DataTypes.DoubleType, false)
        .add("interval_lo", DataTypes.DoubleType, true)
        .add("interval_hi", DataTypes.DoubleType, true)
        .add("statement", DataTypes.StringType, false)
        .add("suspect_count", DataTypes.LongType, false)
        .add("suspects", DataTypes.createArrayType(DataTypes.StringType, false), false)
        .add("detectors", DataTypes.createArrayType(DataTypes.StringType, false), false));
    t.put(SANITY, new StructType()
        .add("method", DataTypes.StringType, false)
        .add("rank", DataTypes.IntegerType, false)
        .add("verdict", DataTypes.StringType, false)
        .add("failed", DataTypes.createArrayType(DataTypes.StringType, false), false)
        .add("unmeasured", DataTypes.createArrayType(DataTypes.StringType, false), false)
        .add("randomized_rho", DataTypes.DoubleType, true)
        .add("randomized_rho_lo", DataTypes.DoubleType, true)
        .add("randomized_rho_hi", DataTypes.DoubleType, true)
        .add("deletion_gain", DataTypes.DoubleType, true)
        .add("insertion_gain", DataTypes.DoubleType, true));
    t.put(SIGNALS, new StructType(java.util.Arrays.copyOf(t.get(FINDINGS).fields(), t.get(FINDINGS).fields().length - 1))
        .add("confirmed", DataTypes.BooleanType, false));
    t.putAll(ShortcutDetectors.tables());
    return java.util.Collections.unmodifiableMap(t);
  }

  private AuditSchema() {}

  /** The full schema of a table: {@link #COMMON} then its own columns. */
  public static StructType of(String table) {
    StructType t = COMMON;
    for (StructField f : TABLES.get(table).fields()) {
      t = t.add(f);
    }
    return t;
  }
}
