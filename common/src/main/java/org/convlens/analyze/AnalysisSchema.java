package org.convlens.analyze;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.convlens.attribution.Attributions;
import org.apache.spark.sql.types.StructType;

/**
 * The analysis output ({@code <out>/analysis/}, Parquet): exactly one row per input, errors
 * included. Documented in {@code docs/parquet-schema.md}; bump {@link #VERSION} on any change
 * that is not a pure addition of a nullable column.
 */
public final class AnalysisSchema {
  /**
   * 3: ids are {@code <dataset>/<path relative to the dataset root>} (2 used absolute CIFAR paths
   * and unqualified relative paths).
   */
  public static final int VERSION = 3;

  public static final String STATUS_OK = "ok";
  public static final String STATUS_ERROR = "error";

  private static final StructType BASE =
      new StructType()
          .add("schema_version", DataTypes.IntegerType, false)
          .add("run_id", DataTypes.StringType, false)
          .add("model_id", DataTypes.StringType, false)
          .add("dataset", DataTypes.StringType, false)
          .add("id", DataTypes.StringType, false)
          .add("source", DataTypes.StringType, false)
          .add("record_index", DataTypes.LongType, false)
          .add("label", DataTypes.IntegerType, false)
          .add("label_name", DataTypes.StringType, true)
          .add("status", DataTypes.StringType, false)
          .add("error_kind", DataTypes.StringType, true)
          .add("error", DataTypes.StringType, true)
          .add("image_format", DataTypes.StringType, true)
          .add("width", DataTypes.IntegerType, true)
          .add("height", DataTypes.IntegerType, true)
          .add("predicted", DataTypes.IntegerType, true)
          .add("predicted_name", DataTypes.StringType, true)
          .add("correct", DataTypes.BooleanType, true)
          .add("top_k_index", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
          .add("top_k_name", DataTypes.createArrayType(DataTypes.StringType, false), true)
          .add("top_k_prob", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("target", DataTypes.IntegerType, true)
          .add("target_name", DataTypes.StringType, true)
          .add("target_source", DataTypes.StringType, true)
          .add("target_prob", DataTypes.FloatType, true);

  /** Columns before the attribution methods' ones. */
  public static final int BASE_WIDTH = BASE.fields().length;

  /**
   * The preview column: the model's input (after resize and crop, before normalisation) as PNG,
   * longer side at most {@code analyze.thumbnail-side}. Added in place in version 2.
   */
  public static final String INPUT_PNG = "input_png";

  /**
   * Every column: the base ones, each attribution method's in registry order, the preview, then
   * the {@link ImageStatistics} (nullable, added in place in version 3: older version-3 outputs
   * lack them).
   */
  public static final StructType SCHEMA = withStatistics(withMethods().add(INPUT_PNG, DataTypes.BinaryType, true));

  private AnalysisSchema() {}

  /**
   * Fails, naming {@code key}, when {@code schema} (read from {@code path}) lacks one of the
   * columns a stage reads: the folder is not an analysis output.
   */
  public static void requireColumns(StructType schema, String path, String key, String... columns) {
    for (String c : columns) {
      if (!java.util.List.of(schema.fieldNames()).contains(c)) {
        throw new org.convlens.config.InvalidConfigException(key, path + " is not a ConvLens analysis output (no"
            + " column '" + c + "'): point " + key + " (or --analysis) at the analysis/ folder analyze wrote");
      }
    }
  }

  private static StructType withStatistics(StructType t) {
    for (StructField f : ImageStatistics.FIELDS) {
      t = t.add(f);
    }
    return t;
  }

  private static StructType withMethods() {
    StructType t = BASE;
    for (StructField f : Attributions.fields()) {
      t = t.add(f);
    }
    return t;
  }
}
