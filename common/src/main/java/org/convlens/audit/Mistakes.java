package org.convlens.audit;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What the model gets wrong, all as Spark aggregations over the usable rows with a true class:
 * the confusion matrix, accuracy, mean confidence and mean prediction entropy per class, the
 * most confident mistakes, and candidate label issues.
 *
 * <p>Label issues follow confident learning (Northcutt, Jiang and Chuang, JAIR 2021, as in
 * cleanlab's {@code find_label_issues} with {@code filter_by="confident_learning"}): class
 * {@code j}'s threshold {@code t_j} is the mean predicted probability of {@code j} over the images
 * labelled {@code j}; an image is "confidently" of class {@code j} when {@code p_j ≥ t_j} (the
 * largest such {@code p_j} wins); when that class is not the given label and the model's own
 * prediction is not the given label either, the image is a candidate label issue. We also require {@code p_j ≥ audit.mistakes.label-issue-min-confidence},
 * and rank candidates by self-confidence (the probability of the given label, lowest first).
 */
public final class Mistakes {
  /** Rows with the probability of the given label and the prediction's entropy (nats). */
  static Dataset<Row> scored(Dataset<Row> rows) {
    return rows.filter(col(AuditRows.TRUE_CLASS).isNotNull())
        .withColumn("confidence", element_at(col("top_k_prob"), 1))
        .withColumn("label_prob", expr("probabilities[" + AuditRows.TRUE_CLASS + "]"))
        .withColumn("entropy", expr("aggregate(probabilities, 0D, (acc, p) -> acc - if(p > 0, p * ln(p), 0D))"))
        .withColumn("is_correct", col("predicted").equalTo(col(AuditRows.TRUE_CLASS)));
  }

  /** (true_class, predicted, images). */
  public static Dataset<Row> confusion(Dataset<Row> rows) {
    return rows.filter(col(AuditRows.TRUE_CLASS).isNotNull())
        .groupBy(col(AuditRows.TRUE_CLASS), col("predicted")).agg(count("*").as("images"))
        .orderBy(AuditRows.TRUE_CLASS, "predicted");
  }

  /**
   * Per true class: images, correct, accuracy, mean confidence (top-1 probability), mean entropy,
   * and the confident-learning threshold (mean probability of the class itself).
   */
  public static Dataset<Row> perClass(Dataset<Row> rows) {
    return scored(rows).groupBy(col(AuditRows.TRUE_CLASS).as("class"))
        .agg(count("*").as("images"),
            sum(when(col("is_correct"), 1).otherwise(0)).cast(DataTypes.LongType).as("correct"),
            avg(when(col("is_correct"), 1.0).otherwise(0.0)).as("accuracy"),
            avg("confidence").as("mean_confidence"),
            avg("entropy").as("mean_entropy"),
            avg("label_prob").as("threshold"))
        .orderBy("class");
  }

  /** Images predicted as each class (all usable rows, labelled or not): (class, predicted_images). */
  public static Dataset<Row> predictedCounts(Dataset<Row> rows) {
    return rows.groupBy(col("predicted").as("class")).agg(count("*").as("predicted_images"));
  }

  /** The most confident wrong predictions: id, true class, predicted, confidence, label_prob, entropy. */
  public static Dataset<Row> confidentMistakes(Dataset<Row> rows, int limit) {
    return scored(rows).filter(col("is_correct").equalTo(false))
        .select(col("id"), col(AuditRows.TRUE_CLASS), col("predicted"), col("confidence"), col("label_prob"),
            col("entropy"))
        .orderBy(col("confidence").desc(), col("id")).limit(limit);
  }

  public static final StructType LABEL_ISSUE = new StructType()
      .add("id", DataTypes.StringType, false)
      .add(AuditRows.TRUE_CLASS, DataTypes.IntegerType, false)
      .add("predicted", DataTypes.IntegerType, false)
      .add("suggested", DataTypes.IntegerType, false)
      .add("suggested_prob", DataTypes.FloatType, false)
      .add("label_prob", DataTypes.FloatType, false)
      .add("suggested_threshold", DataTypes.FloatType, false);

  /**
   * Candidate label issues, lowest self-confidence first, and their total count.
   *
   * @param thresholds {@code t_j} per model class (NaN where no image is labelled j: the class is
   *     then never "confident")
   */
  public static Dataset<Row> labelIssues(Dataset<Row> rows, float[] thresholds, double minConfidence) {
    Dataset<Row> labelled = rows.filter(col(AuditRows.TRUE_CLASS).isNotNull())
        .select(col("id"), col(AuditRows.TRUE_CLASS), col("predicted"), col("probabilities"));
    return labelled.mapPartitions((MapPartitionsFunction<Row, Row>) it -> {
      List<Row> out = new ArrayList<>();
      while (it.hasNext()) {
        Row r = it.next();
        int given = r.getInt(1);
        List<Float> p = r.getList(3);
        int best = -1;
        for (int j = 0; j < p.size() && j < thresholds.length; j++) {
          // cleanlab compares with t_j − 1e-6, so that a class at exactly its mean still counts
          if (!Float.isNaN(thresholds[j]) && p.get(j) >= thresholds[j] - 1e-6 && (best < 0 || p.get(j) > p.get(best))) {
            best = j;
          }
        }
        // cleanlab's last filter: an image the model itself predicts as its label is never an issue
        if (best >= 0 && best != given && r.getInt(2) != given && p.get(best) >= minConfidence) {
          out.add(RowFactory.create(r.getString(0), given, r.getInt(2), best, p.get(best),
              given < p.size() ? p.get(given) : 0f, thresholds[best]));
        }
      }
      return out.iterator();
    }, Encoders.row(LABEL_ISSUE)).orderBy(col("label_prob"), col("id"));
  }

  private Mistakes() {}

}
