package org.convlens.attribution;

/**
 * Reductions on channel-major maps (plain arrays, no engine); resampling is {@link
 * org.convlens.data.ImageOps}.
 */
public final class Maps {
  private Maps() {}

  /**
   * An array column's rows: a Java array or list as methods produce them, or a Scala sequence as
   * Spark reads them.
   */
  @SuppressWarnings("unchecked")
  public static java.util.List<org.apache.spark.sql.Row> rows(Object v) {
    if (v instanceof org.apache.spark.sql.Row[] a) {
      return java.util.List.of(a);
    }
    if (v instanceof java.util.List<?> l) {
      return (java.util.List<org.apache.spark.sql.Row>) l;
    }
    return scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<org.apache.spark.sql.Row>) v);
  }

  /** A float array column, as a method produces it or as Spark reads it. */
  public static float[] floats(Object v) {
    if (v instanceof float[] a) {
      return a;
    }
    java.util.List<?> l = v instanceof java.util.List<?> list ? list
        : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) v);
    float[] out = new float[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) l.get(i)).floatValue();
    }
    return out;
  }

  /** max over channels of |v| at each pixel (a C×H×W map to an H×W one). */
  public static float[] maxAbsOverChannels(float[] v, int channels, int plane) {
    float[] out = new float[plane];
    for (int c = 0; c < channels; c++) {
      for (int p = 0; p < plane; p++) {
        out[p] = Math.max(out[p], Math.abs(v[c * plane + p]));
      }
    }
    return out;
  }

  /** Σ_k weight[k] · activation[k] (a K×h×w map to an h×w one). */
  public static float[] weightedSum(float[] activation, float[] weight, int plane) {
    float[] out = new float[plane];
    for (int k = 0; k < weight.length; k++) {
      float a = weight[k];
      if (a == 0) {
        continue;
      }
      for (int p = 0; p < plane; p++) {
        out[p] += a * activation[k * plane + p];
      }
    }
    return out;
  }

  /** Per-channel spatial mean of a K×h×w map. */
  public static float[] channelMeans(float[] v, int channels, int plane) {
    float[] out = new float[channels];
    for (int k = 0; k < channels; k++) {
      double s = 0;
      for (int p = 0; p < plane; p++) {
        s += v[k * plane + p];
      }
      out[k] = (float) (s / plane);
    }
    return out;
  }
}
