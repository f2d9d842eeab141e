package org.convlens.modelviz;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The class-vector output ({@code <out>/model/class_vectors/}, Parquet): one row per class of the
 * model, with the final linear layer's weight row and the class's mean embeddings from an
 * analyze output. Documented in {@code docs/parquet-schema.md}.
 */
public final class ClassVectorsSchema {
  public static final int VERSION = 1;

  public static final StructType SCHEMA =
      new StructType()
          .add("schema_version", DataTypes.IntegerType, false)
          .add("model_id", DataTypes.StringType, false)
          .add("class_index", DataTypes.IntegerType, false)
          .add("class_name", DataTypes.StringType, false)
          .add("weight", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("bias", DataTypes.FloatType, true)
          .add("label_count", DataTypes.LongType, false)
          .add("label_mean_embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("predicted_count", DataTypes.LongType, false)
          .add("predicted_mean_embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true);

  private ClassVectorsSchema() {}
}
