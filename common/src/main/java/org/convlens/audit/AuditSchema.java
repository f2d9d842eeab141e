package org.convlens.audit;

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
   * 2: the quality tables' interval columns ({@code spearman_lo/hi}, {@code auc_lo/hi}), and
   * occlusion's cascade ρ measured on its tiles, a different figure from version 1's.
   */
  public static final int VERSION = 2;

  public static final StructType COMMON = new StructType()
      .add("schema_version", DataTypes.IntegerType, false)
      .add("audit_id", DataTypes.StringType, false)
      .add("model_id", DataTypes.StringType, false)
      .add("created_at", DataTypes.TimestampType, false);

  public static final String ATTENTION = "attention";
  public static final String SHORTCUTS = "shortcuts";
  public static final String SHORTCUT_IMAGES = "shortcut_images";
  public static final String CONFUSION = "confusion";
  public static final String CLASSES = "classes";
  public static final String MISTAKES = "mistakes";
  public static final String RANDOMIZATION = "quality_randomization";
  public static final String FAITHFULNESS = "quality_faithfulness";

  /** Each table's own columns (after {@link #COMMON}). */
  public static final Map<String, StructType> TABLES = Map.of(
      ATTENTION, new StructType()
          .add("scope", DataTypes.StringType, false)
          .add("class", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, true)
          .add("method", DataTypes.StringType, false)
          .add("images", DataTypes.LongType, false)
          .add("grid", DataTypes.IntegerType, false)
          .add("map", DataTypes.createArrayType(DataTypes.FloatType, false), false),
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
          .add("input_png", DataTypes.BinaryType, true),
      CONFUSION, new StructType()
          .add("true_class", DataTypes.IntegerType, false)
          .add("predicted", DataTypes.IntegerType, false)
          .add("images", DataTypes.LongType, false),
      CLASSES, new StructType()
          .add("class", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, true)
          .add("images", DataTypes.LongType, false)
          .add("correct", DataTypes.LongType, false)
          .add("accuracy", DataTypes.DoubleType, true)
          .add("mean_confidence", DataTypes.DoubleType, true)
          .add("mean_entropy", DataTypes.DoubleType, true)
          .add("threshold", DataTypes.DoubleType, true)
          .add("predicted_images", DataTypes.LongType, false),
      MISTAKES, new StructType()
          .add("kind", DataTypes.StringType, false)
          .add("rank", DataTypes.IntegerType, false)
          .add("id", DataTypes.StringType, false)
          .add("true_class", DataTypes.IntegerType, false)
          .add("predicted", DataTypes.IntegerType, false)
          .add("suggested", DataTypes.IntegerType, true)
          .add("confidence", DataTypes.FloatType, false)
          .add("label_prob", DataTypes.FloatType, false)
          .add("entropy", DataTypes.DoubleType, true)
          .add("input_png", DataTypes.BinaryType, true),
      RANDOMIZATION, new StructType()
          .add("method", DataTypes.StringType, false)
          .add("step", DataTypes.IntegerType, false)
          .add("layer", DataTypes.StringType, false)
          .add("images", DataTypes.LongType, false)
          .add("spearman_mean", DataTypes.DoubleType, true)
          .add("spearman_std", DataTypes.DoubleType, true)
          .add("spearman_lo", DataTypes.DoubleType, true)
          .add("spearman_hi", DataTypes.DoubleType, true),
      FAITHFULNESS, new StructType()
          .add("method", DataTypes.StringType, false)
          .add("kind", DataTypes.StringType, false)
          .add("images", DataTypes.LongType, false)
          .add("auc_mean", DataTypes.DoubleType, true)
          .add("auc_std", DataTypes.DoubleType, true)
          .add("curve", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("auc_lo", DataTypes.DoubleType, true)
          .add("auc_hi", DataTypes.DoubleType, true));

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
