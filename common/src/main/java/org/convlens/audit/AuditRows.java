package org.convlens.audit;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.analyze.AnalysisSchema;

/**
 * The analysis rows an audit reads: usable rows only, with {@link #TRUE_CLASS}, the given label
 * as an index of the model's classes. Labels are matched by name as the analysis's {@code
 * correct} column is (a dataset's label indices need not be the model's); a row without a label
 * name keeps its index when the model has that class; anything else has no true class (null) and
 * counts only where the label does not matter.
 */
public final class AuditRows {
  public static final String TRUE_CLASS = "true_class";

  private AuditRows() {}

  public static Dataset<Row> usable(Dataset<Row> analysis, List<String> classNames, SparkSession spark) {
    List<Row> names = new ArrayList<>();
    for (int i = 0; i < classNames.size(); i++) {
      names.add(RowFactory.create(classNames.get(i), i));
    }
    Dataset<Row> index = spark.createDataFrame(names, new StructType()
        .add("_class_name", DataTypes.StringType, false).add("_class_index", DataTypes.IntegerType, false));
    Dataset<Row> ok = analysis.filter(col("status").equalTo(AnalysisSchema.STATUS_OK));
    if (!List.of(ok.schema().fieldNames()).contains(AnalysisSchema.INPUT_PNG)) {
      // analyses written before the preview column: galleries without pictures
      ok = ok.withColumn(AnalysisSchema.INPUT_PNG, org.apache.spark.sql.functions.lit(null).cast(DataTypes.BinaryType));
    }
    Dataset<Row> joined = ok.join(broadcast(index), ok.col("label_name").equalTo(index.col("_class_name")), "left");
    return joined
        .withColumn(TRUE_CLASS, coalesce(col("_class_index"),
            when(col("label_name").isNull().and(col("label").geq(0)).and(col("label").lt(classNames.size())),
                col("label"))).cast(DataTypes.IntegerType))
        .drop("_class_name", "_class_index");
  }

  /** A row's true class, or null. */
  public static Integer trueClass(Row row) {
    int i = row.fieldIndex(TRUE_CLASS);
    return row.isNullAt(i) ? null : row.getInt(i);
  }
}
