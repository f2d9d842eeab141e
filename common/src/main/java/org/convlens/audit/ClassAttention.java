package org.convlens.audit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Where each class looks: the mean normalised attention map ({@link AttentionMaps}) of every
 * method per true class, per predicted class and over all images, as one Spark aggregation
 * ({@code reduceByKey} of per-cell sums and counts; only the means, classes × methods × grid²
 * numbers, reach the driver).
 */
public final class ClassAttention {
  public static final String BY_LABEL = "label";
  public static final String BY_PREDICTED = "predicted";
  public static final String ALL = "all";

  /** Which aggregate: a scope ({@link #BY_LABEL}, {@link #BY_PREDICTED}, {@link #ALL}), a class (-1 for all), a method. */
  public record Key(String scope, int cls, String method) implements Serializable {}

  /** One mean map: {@code images} maps averaged, {@code map} sums to 1. */
  public record Mean(Key key, long images, float[] map) {}

  private ClassAttention() {}

  /**
   * @param rows usable analysis rows with the {@link AuditRows#TRUE_CLASS} column added
   * @param methods methods to aggregate (columns of {@code rows})
   */
  public static List<Mean> compute(Dataset<Row> rows, List<String> methods, int grid, int inputH, int inputW) {
    int cells = grid * grid;
    JavaPairRDD<Key, double[]> sums = rows.javaRDD().flatMapToPair(row -> {
      List<Tuple2<Key, double[]>> out = new ArrayList<>();
      Integer label = AuditRows.trueClass(row);
      int predicted = row.getInt(row.fieldIndex("predicted"));
      for (String m : methods) {
        float[] map = AttentionMaps.of(row, m, grid, inputH, inputW);
        if (map == null) {
          continue;
        }
        double[] v = new double[cells + 1];
        for (int i = 0; i < cells; i++) {
          v[i] = map[i];
        }
        v[cells] = 1;
        out.add(new Tuple2<>(new Key(ALL, -1, m), v));
        out.add(new Tuple2<>(new Key(BY_PREDICTED, predicted, m), v.clone()));
        if (label != null) {
          out.add(new Tuple2<>(new Key(BY_LABEL, label, m), v.clone()));
        }
      }
      return out.iterator();
    }).reduceByKey((a, b) -> {
      for (int i = 0; i < a.length; i++) {
        a[i] += b[i];
      }
      return a;
    });
    List<Mean> out = new ArrayList<>();
    for (Tuple2<Key, double[]> t : sums.collect()) {
      double[] v = t._2();
      long n = Math.round(v[cells]);
      float[] map = new float[cells];
      for (int i = 0; i < cells; i++) {
        map[i] = (float) (v[i] / n);
      }
      out.add(new Mean(t._1(), n, map));
    }
    out.sort(java.util.Comparator.comparing((Mean m) -> m.key().scope()).thenComparing(m -> m.key().method())
        .thenComparingInt(m -> m.key().cls()));
    return out;
  }
}
