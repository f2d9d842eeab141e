package org.convlens.audit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;

/**
 * The explanation-quality figures of one sample, from {@link ExplanationQuality}'s per-image rows
 * (collected on the driver: a few rows per image, method and step): per figure the number of
 * images with a value, their mean and standard deviation, and the mean's {@link Bootstrap}
 * interval. The images are taken in id order, so the figures do not depend on how Spark
 * partitioned the sample.
 */
public final class QualityFigures {
  /**
   * Mean Spearman ρ of one method after one cascade step (null statistics when no image has a
   * value; {@code std} needs two).
   */
  public record Cascade(String method, int step, String layer, long images, Double mean, Double std,
      Bootstrap.Interval interval) {
    /** A builder, so that a caller names each of the 7 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String method;
      private int step;
      private String layer;
      private long images;
      private Double mean;
      private Double std;
      private Bootstrap.Interval interval;

      private Builder() {}

      public Builder method(String method) {
        this.method = method;
        return this;
      }

      public Builder step(int step) {
        this.step = step;
        return this;
      }

      public Builder layer(String layer) {
        this.layer = layer;
        return this;
      }

      public Builder images(long images) {
        this.images = images;
        return this;
      }

      public Builder mean(Double mean) {
        this.mean = mean;
        return this;
      }

      public Builder std(Double std) {
        this.std = std;
        return this;
      }

      public Builder interval(Bootstrap.Interval interval) {
        this.interval = interval;
        return this;
      }

      public Cascade build() {
        return new Cascade(method, step, layer, images, mean, std, interval);
      }
    }
  }

  /** Mean area under one method's deletion or insertion curve, and the mean curve. */
  public record Curve(String method, String kind, long images, Double mean, Double std,
      Bootstrap.Interval interval, float[] curve) {
    /** A builder, so that a caller names each of the 7 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String method;
      private String kind;
      private long images;
      private Double mean;
      private Double std;
      private Bootstrap.Interval interval;
      private float[] curve;

      private Builder() {}

      public Builder method(String method) {
        this.method = method;
        return this;
      }

      public Builder kind(String kind) {
        this.kind = kind;
        return this;
      }

      public Builder images(long images) {
        this.images = images;
        return this;
      }

      public Builder mean(Double mean) {
        this.mean = mean;
        return this;
      }

      public Builder std(Double std) {
        this.std = std;
        return this;
      }

      public Builder interval(Bootstrap.Interval interval) {
        this.interval = interval;
        return this;
      }

      public Builder curve(float[] curve) {
        this.curve = curve;
        return this;
      }

      public Curve build() {
        return new Curve(method, kind, images, mean, std, interval, curve);
      }
    }
  }

  /**
   * @param ids the measured images, sorted
   * @param errors "id: reason" of images that could not be measured
   * @param cpuSeconds CPU seconds of the tasks per part of the check (a cost, not a result: it
   *     varies from run to run)
   */
  public record Result(List<String> ids, List<Cascade> cascade, List<Curve> curves, List<String> errors,
      Map<String, Double> cpuSeconds) {}

  private QualityFigures() {}

  /** The figures of the rows of {@link ExplanationQuality#ROW}, with intervals from {@code bootstrap}. */
  public static Result of(List<Row> rows, Bootstrap bootstrap) {
    TreeSet<String> idSet = new TreeSet<>();
    List<String> errors = new ArrayList<>();
    Map<String, Double> cpu = new TreeMap<>();
    for (Row r : rows) {
      String kind = r.getString(2);
      if (kind.equals(ExplanationQuality.ERROR)) {
        errors.add(r.getString(0) + ": " + r.getString(7));
      } else if (kind.equals(ExplanationQuality.CPU_SECONDS)) {
        cpu.merge(r.getString(1), r.getDouble(5), Double::sum);
      } else {
        idSet.add(r.getString(0));
      }
    }
    errors.sort(Comparator.naturalOrder());
    List<String> ids = new ArrayList<>(idSet);
    Map<String, Integer> index = new TreeMap<>();
    for (int i = 0; i < ids.size(); i++) {
      index.put(ids.get(i), i);
    }
    // figure key -> one value per image (NaN = none), and its curves
    Map<List<Object>, double[]> values = new TreeMap<>(QualityFigures::compareKeys);
    Map<List<Object>, float[][]> curves = new TreeMap<>(QualityFigures::compareKeys);
    Map<List<Object>, String> layers = new TreeMap<>(QualityFigures::compareKeys);
    for (Row r : rows) {
      String kind = r.getString(2);
      if (kind.equals(ExplanationQuality.ERROR) || kind.equals(ExplanationQuality.CPU_SECONDS)) {
        continue;
      }
      List<Object> key = List.of(r.getString(1), kind, r.getInt(3));
      int i = index.get(r.getString(0));
      double[] v = values.computeIfAbsent(key, k -> {
        double[] nan = new double[ids.size()];
        java.util.Arrays.fill(nan, Double.NaN);
        return nan;
      });
      v[i] = r.isNullAt(5) ? Double.NaN : r.getDouble(5);
      if (!r.isNullAt(4)) {
        layers.put(key, r.getString(4));
      }
      if (!r.isNullAt(6)) {
        curves.computeIfAbsent(key, k -> new float[ids.size()][])[i] = AttentionMaps.floats(r.get(6));
      }
    }
    List<Cascade> cascade = new ArrayList<>();
    List<Curve> curveFigures = new ArrayList<>();
    for (var e : values.entrySet()) {
      String method = (String) e.getKey().get(0);
      String kind = (String) e.getKey().get(1);
      double[] v = e.getValue();
      Moments m = Moments.of(v);
      Bootstrap.Interval interval = m.count() == 0 ? null : bootstrap.mean(v);
      if (kind.equals(ExplanationQuality.RANDOMIZATION)) {
        cascade.add(Cascade.builder()
            .method(method)
            .step((Integer) e.getKey().get(2))
            .layer(layers.get(e.getKey()))
            .images(m.count())
            .mean(m.mean())
            .std(m.std())
            .interval(interval)
            .build());
      } else {
        curveFigures.add(Curve.builder()
            .method(method)
            .kind(kind)
            .images(m.count())
            .mean(m.mean())
            .std(m.std())
            .interval(interval)
            .curve(meanCurve(curves.get(e.getKey())))
            .build());
      }
    }
    return new Result(ids, cascade, curveFigures, errors, cpu);
  }

  /** Method, then kind, then step. */
  private static int compareKeys(List<Object> a, List<Object> b) {
    int c = ((String) a.get(0)).compareTo((String) b.get(0));
    if (c == 0) {
      c = ((String) a.get(1)).compareTo((String) b.get(1));
    }
    return c != 0 ? c : Integer.compare((Integer) a.get(2), (Integer) b.get(2));
  }

  /** The mean of the curves that are there, point by point; null when there are none. */
  static float[] meanCurve(float[][] curves) {
    if (curves == null) {
      return null;
    }
    double[] sum = null;
    int count = 0;
    for (float[] c : curves) {
      if (c == null) {
        continue;
      }
      if (sum == null) {
        sum = new double[c.length];
      }
      for (int k = 0; k < c.length; k++) {
        sum[k] += c[k];
      }
      count++;
    }
    if (sum == null) {
      return null;
    }
    float[] mean = new float[sum.length];
    for (int k = 0; k < mean.length; k++) {
      mean[k] = (float) (sum[k] / count);
    }
    return mean;
  }

  /** Count, mean and sample standard deviation of the finite values (NaN = none). */
  record Moments(long count, Double mean, Double std) {
    static Moments of(double[] v) {
      long n = 0;
      double sum = 0;
      for (double x : v) {
        if (!Double.isNaN(x)) {
          n++;
          sum += x;
        }
      }
      if (n == 0) {
        return new Moments(0, null, null);
      }
      double mean = sum / n;
      double ss = 0;
      for (double x : v) {
        if (!Double.isNaN(x)) {
          ss += (x - mean) * (x - mean);
        }
      }
      return new Moments(n, mean, n < 2 ? null : Math.sqrt(ss / (n - 1)));
    }
  }
}
