package org.convlens.audit;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.convlens.attribution.MapEncoding;
import org.convlens.attribution.Maps;
import org.convlens.data.ImageOps;

/**
 * Where an explanation puts its weight, in a form that can be averaged over a dataset: each
 * method's map of one image, made non-negative, resampled to a {@code grid×grid} grid and divided
 * by its sum, so that it is a distribution of "attribution mass" over the image (1 in all). A
 * class's mean of these is where that class's explanations look on average, independent of how
 * strong each image's raw attributions are.
 *
 * <p>Per method: saliency, SmoothGrad, Grad-CAM and CAM use their stored map (|value|, the largest
 * over channels when a map has several); occlusion uses Captum's per-pixel attribution (the mean
 * probability drop of every window covering the pixel) of the smallest window, clamped at 0: a
 * window whose removal raises the target probability is not where the model looks.
 */
public final class AttentionMaps {
  /** Methods whose output can be aggregated, in registry order. */
  public static final List<String> METHODS = List.of("saliency", "smoothgrad", "gradcam", "cam", "occlusion");

  private AttentionMaps() {}

  /** Methods of {@link #METHODS} that are columns of {@code schema}. */
  public static List<String> available(StructType schema) {
    List<String> out = new ArrayList<>();
    for (String m : METHODS) {
      if (List.of(schema.fieldNames()).contains(m)) {
        out.add(m);
      }
    }
    return out;
  }

  /**
   * The normalised {@code grid×grid} map of {@code method} in an analysis row, or null when the
   * row has none or it is all zero.
   *
   * @param inputH the model's input height (occlusion grids are in input pixels)
   * @param inputW the model's input width
   */
  public static float[] of(Row row, String method, int grid, int inputH, int inputW) {
    int i = row.fieldIndex(method);
    if (row.isNullAt(i)) {
      return null;
    }
    float[] plane;
    int h;
    int w;
    if (method.equals("occlusion")) {
      List<Row> grids = rows(row.get(i));
      if (grids.isEmpty()) {
        return null;
      }
      Row smallest = grids.get(0);
      for (Row g : grids) {
        if (g.getInt(0) < smallest.getInt(0)) {
          smallest = g;
        }
      }
      plane = occlusionPixels(smallest, inputH, inputW);
      h = inputH;
      w = inputW;
    } else {
      Row map = row.getStruct(i);
      int c = map.getInt(0);
      h = map.getInt(1);
      w = map.getInt(2);
      float[] v = MapEncoding.decode(map);
      plane = Maps.maxAbsOverChannels(v, c, h * w);
    }
    return normalise(resample(plane, h, w, grid));
  }

  /**
   * Captum's occlusion attribution per pixel from one stored grid: the mean of {@code max(drop,
   * 0)} over every window position covering the pixel (0 where none does).
   */
  public static float[] occlusionPixels(Row grid, int h, int w) {
    int window = grid.getInt(0);
    int stride = grid.getInt(1);
    int rows = grid.getInt(2);
    int cols = grid.getInt(3);
    float[] drop = floats(grid.get(5));
    float[] sum = new float[h * w];
    int[] count = new int[h * w];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        float d = Math.max(0f, drop[r * cols + c]);
        for (int y = r * stride; y < Math.min(h, r * stride + window); y++) {
          for (int x = c * stride; x < Math.min(w, c * stride + window); x++) {
            sum[y * w + x] += d;
            count[y * w + x]++;
          }
        }
      }
    }
    for (int p = 0; p < sum.length; p++) {
      sum[p] = count[p] == 0 ? 0 : sum[p] / count[p];
    }
    return sum;
  }

  /**
   * An array column's rows: a Java array or list as methods produce them, or a Scala sequence as
   * Spark reads them.
   */
  @SuppressWarnings("unchecked")
  static List<Row> rows(Object v) {
    if (v instanceof Row[] a) {
      return List.of(a);
    }
    if (v instanceof List<?> l) {
      return (List<Row>) l;
    }
    return scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<Row>) v);
  }

  /** A float array column, as a method produces it or as Spark reads it. */
  static float[] floats(Object v) {
    if (v instanceof float[] a) {
      return a;
    }
    List<?> l = v instanceof List<?> list ? list
        : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) v);
    float[] out = new float[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) l.get(i)).floatValue();
    }
    return out;
  }

  /** A plane resampled to {@code grid×grid}: area averaging when shrinking, bilinear when growing. */
  static float[] resample(float[] plane, int h, int w, int grid) {
    return h >= grid && w >= grid ? ImageOps.area(plane, 1, h, w, grid, grid) : ImageOps.bilinear(plane, 1, h, w, grid, grid);
  }

  /** |v| divided by its sum; null when the sum is 0 or not finite. */
  static float[] normalise(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += Math.abs(x);
    }
    if (!(sum > 0) || Double.isInfinite(sum)) {
      return null;
    }
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (Math.abs(v[i]) / sum);
    }
    return out;
  }

  /** The mass of a normalised map inside a region. */
  public static double mass(float[] map, int grid, Region r) {
    double m = 0;
    for (int y = r.y0(); y < r.y1(); y++) {
      for (int x = r.x0(); x < r.x1(); x++) {
        m += map[y * grid + x];
      }
    }
    return m;
  }
}
