package org.convlens.audit;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.convlens.attribution.AttributionMethod;
import org.convlens.attribution.Attributions;
import org.convlens.attribution.Maps;
import org.convlens.data.ImageOps;

/**
 * Where an explanation puts its weight, in a form that can be averaged over a dataset: each
 * method's map of one image, made non-negative, resampled to a {@code grid×grid} grid and divided
 * by its sum, so that it is a distribution of "attribution mass" over the image (1 in all). A
 * class's mean of these is where that class's explanations look on average, independent of how
 * strong each image's raw attributions are.
 *
 * <p>Each method reduces its own column to a plane ({@link AttributionMethod#attentionPlane}):
 * a stored map by |value|, the largest over channels; a perturbation grid by its per-pixel
 * probability drop. Every registered method ({@link Attributions}) can be aggregated.
 */
public final class AttentionMaps {
  /** Methods whose output can be aggregated, in registry order: every registered one. */
  public static final List<String> METHODS = Attributions.NAMES;

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
   * @param inputH the model's input height (grid methods place windows in input pixels)
   * @param inputW the model's input width
   */
  public static float[] of(Row row, String method, int grid, int inputH, int inputW) {
    AttributionMethod.Plane plane = Attributions.byName(method).attentionPlane(row, inputH, inputW);
    return plane == null ? null : normalise(resample(plane.values(), plane.height(), plane.width(), grid));
  }

  /** An array column's rows (see {@link Maps#rows}). */
  static List<Row> rows(Object v) {
    return Maps.rows(v);
  }

  /** A float array column (see {@link Maps#floats}). */
  static float[] floats(Object v) {
    return Maps.floats(v);
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
