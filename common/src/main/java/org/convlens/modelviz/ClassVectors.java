package org.convlens.modelviz;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelParameters;
import org.convlens.model.ModelParameters.Param;
import scala.Tuple2;

/**
 * Per class: the final linear layer's weight row (the direction in embedding space that raises
 * the class's score) and the mean embedding of the class's images in an analyze output, by true
 * label and by predicted class. The report projects both with PCA (the class-embedding plot).
 */
public final class ClassVectors {
  private ClassVectors() {}

  /**
   * The classifier head: a weight of shape classes×D, D the embedding width, and its bias.
   *
   * @param weight the weight parameter's name
   * @param rows one row per class
   * @param bias one value per class, or null when the layer has none
   */
  public record Head(String weight, float[][] rows, float[] bias) {}

  /**
   * Mean embeddings, by class index. A class with no image has count 0 and a null mean.
   *
   * @param rowsUsed ok rows of this model that were averaged
   */
  public record Means(long[] labelCounts, float[][] labelMeans, long[] predictedCounts,
      float[][] predictedMeans, long rowsUsed) {}

  /**
   * The last 2-D parameter of shape classes×D (the linear layer on the embedding), or null when
   * the model has none (its head is not one linear layer on the embedding).
   */
  public static Head head(ModelParameters params, int classes, int embeddingDim) {
    Param weight = null;
    for (Param p : params.list()) {
      long[] s = p.shape();
      if (s.length == 2 && s[0] == classes && s[1] == embeddingDim) {
        weight = p;
      }
    }
    if (weight == null) {
      return null;
    }
    float[] w = params.values(weight.name());
    float[][] rows = new float[classes][embeddingDim];
    for (int i = 0; i < classes; i++) {
      System.arraycopy(w, i * embeddingDim, rows[i], 0, embeddingDim);
    }
    float[] bias = null;
    for (Param p : params.list()) {
      if (p.module().equals(weight.module()) && p.role().equals("bias") && p.shape().length == 1
          && p.shape()[0] == classes) {
        bias = params.values(p.name());
      }
    }
    return new Head(weight.name(), rows, bias);
  }

  /**
   * Mean embedding per true label (matched to the model's classes by name) and per predicted
   * class, over the ok rows of model {@code d} in {@code analysis}: a Spark aggregation; only
   * classes × D sums reach the driver.
   */
  public static Means means(Dataset<Row> analysis, ModelDescription d, int dim) {
    int classes = d.numClasses();
    Map<String, Integer> byName = new HashMap<>();
    for (int i = 0; i < classes; i++) {
      byName.put(d.classNames().get(i), i);
    }
    JavaPairRDD<Integer, double[]> keyed = analysis
        .filter(col("status").equalTo(AnalysisSchema.STATUS_OK)
            .and(col("model_id").equalTo(d.id()))
            .and(col("embedding").isNotNull()))
        .select("label_name", "predicted", "embedding")
        .javaRDD()
        .flatMapToPair(r -> {
          List<Float> e = r.getList(2);
          if (e.size() != dim) {
            throw new IllegalStateException("analysis embedding has " + e.size()
                + " values; model " + d.id() + " gives " + dim);
          }
          double[] sum = new double[dim + 1];
          for (int i = 0; i < dim; i++) {
            sum[i] = e.get(i);
          }
          sum[dim] = 1;
          List<Tuple2<Integer, double[]>> out = new ArrayList<>(2);
          Integer label = r.isNullAt(0) ? null : byName.get(r.getString(0));
          if (label != null) {
            out.add(new Tuple2<>(label, sum));
          }
          if (!r.isNullAt(1)) {
            out.add(new Tuple2<>(classes + r.getInt(1), sum.clone()));
          }
          out.add(new Tuple2<>(-1, new double[] {1})); // counts the rows used
          return out.iterator();
        });
    Map<Integer, double[]> sums = keyed.reduceByKey((a, b) -> {
      double[] s = new double[a.length];
      for (int i = 0; i < a.length; i++) {
        s[i] = a[i] + b[i];
      }
      return s;
    }).collectAsMap();
    long[] labelCounts = new long[classes];
    long[] predictedCounts = new long[classes];
    float[][] labelMeans = new float[classes][];
    float[][] predictedMeans = new float[classes][];
    for (int c = 0; c < classes; c++) {
      double[] l = sums.get(c);
      double[] p = sums.get(classes + c);
      if (l != null) {
        labelCounts[c] = (long) l[dim];
        labelMeans[c] = mean(l, dim);
      }
      if (p != null) {
        predictedCounts[c] = (long) p[dim];
        predictedMeans[c] = mean(p, dim);
      }
    }
    double[] used = sums.get(-1);
    return new Means(labelCounts, labelMeans, predictedCounts, predictedMeans,
        used == null ? 0 : (long) used[0]);
  }

  private static float[] mean(double[] sum, int dim) {
    float[] m = new float[dim];
    for (int i = 0; i < dim; i++) {
      m[i] = (float) (sum[i] / sum[dim]);
    }
    return m;
  }

  /** One {@link ClassVectorsSchema} row per class; {@code head} and {@code means} may be null. */
  public static List<Row> rows(ModelDescription d, Head head, Means means) {
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < d.numClasses(); c++) {
      rows.add(RowFactory.create(ClassVectorsSchema.VERSION, d.id(), c, d.classNames().get(c),
          head == null ? null : head.rows()[c],
          head == null || head.bias() == null ? null : head.bias()[c],
          means == null ? 0L : means.labelCounts()[c],
          means == null ? null : means.labelMeans()[c],
          means == null ? 0L : means.predictedCounts()[c],
          means == null ? null : means.predictedMeans()[c]));
    }
    return rows;
  }
}
