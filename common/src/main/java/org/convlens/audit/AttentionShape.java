package org.convlens.audit;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The shape of normalised attention maps ({@link AttentionMaps}, summing to 1 on a {@code
 * grid×grid} grid), in the few numbers the strategy and slice detectors compare between groups
 * of images. With {@code G = grid²} cells and {@code q = max(1, round(G · topShare))} "top"
 * cells:
 *
 * <ul>
 *   <li>{@link #concentration}: the mass in the map's own q largest cells (q/G for a flat map, 1
 *       when everything sits in q cells): how small the attended area is, wherever it is;
 *   <li>{@link #peak}: the cell of the largest value (the first in row-major order on ties);
 *   <li>{@link #entropy}: {@code −Σ m ln m / ln G}, 0 for one cell, 1 for a flat map;
 *   <li>{@link #border}: the mass in the outer band of cells {@code max(1, round(grid · border))}
 *       wide.
 * </ul>
 *
 * <p>Of a group: the mean map's own top cells are the group's "place"; {@link #agreement} is the
 * mean map's mass there over the images' mean concentration: about 1 when every image peaks at
 * the same cells, about q/G·(1/concentration) when each image peaks somewhere else.
 */
public final class AttentionShape implements Serializable {
  private final int grid;
  private final int top;
  private final boolean[] borderCells;

  /**
   * @param grid cells per side
   * @param topShare the share of cells that counts as "top" (at least one cell)
   * @param border the width of the border band, as a fraction of the side (at least one cell)
   */
  public AttentionShape(int grid, double topShare, double border) {
    this.grid = grid;
    int cells = grid * grid;
    this.top = Math.max(1, Math.min(cells, (int) Math.round(cells * topShare)));
    int band = Math.max(1, (int) Math.round(grid * border));
    this.borderCells = new boolean[cells];
    for (int y = 0; y < grid; y++) {
      for (int x = 0; x < grid; x++) {
        borderCells[y * grid + x] = x < band || y < band || x >= grid - band || y >= grid - band;
      }
    }
  }

  public int grid() {
    return grid;
  }

  /** The number of top cells q. */
  public int top() {
    return top;
  }

  /** The share of the grid the top cells cover, q/G: a flat map's concentration. */
  public double topArea() {
    return (double) top / (grid * grid);
  }

  public double concentration(float[] map) {
    return mass(map, topCells(map));
  }

  public int peak(float[] map) {
    int best = 0;
    for (int i = 1; i < map.length; i++) {
      if (map[i] > map[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The peak cell's centre in image fractions, {x, y}, 0..1. */
  public double[] position(int cell) {
    return new double[] {(cell % grid + 0.5) / grid, (cell / grid + 0.5) / grid};
  }

  public double entropy(float[] map) {
    double h = 0;
    for (float v : map) {
      if (v > 0) {
        h -= v * Math.log(v);
      }
    }
    return h / Math.log(map.length);
  }

  public double border(float[] map) {
    double m = 0;
    for (int i = 0; i < map.length; i++) {
      if (borderCells[i]) {
        m += map[i];
      }
    }
    return m;
  }

  /** The q cells of largest value, in decreasing order (ties: the lower index first). */
  public int[] topCells(float[] map) {
    double[] v = new double[map.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = map[i];
    }
    return topCells(v);
  }

  public int[] topCells(double[] map) {
    Integer[] idx = new Integer[map.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> map[a] != map[b] ? Double.compare(map[b], map[a]) : Integer.compare(a, b));
    int[] out = new int[top];
    for (int i = 0; i < top; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  public static double mass(float[] map, int[] cells) {
    double m = 0;
    for (int c : cells) {
      m += map[c];
    }
    return m;
  }

  public static double mass(double[] map, int[] cells) {
    double m = 0;
    for (int c : cells) {
      m += map[c];
    }
    return m;
  }

  /** The mean of some maps, cell by cell. */
  public static double[] mean(List<float[]> maps) {
    double[] m = new double[maps.get(0).length];
    for (float[] map : maps) {
      for (int i = 0; i < m.length; i++) {
        m[i] += map[i];
      }
    }
    for (int i = 0; i < m.length; i++) {
      m[i] /= maps.size();
    }
    return m;
  }

  /**
   * Whether a place lies off the centre: its centroid, each cell weighted by the map's mass there,
   * outside the central ninth of the image (the square of a third of the side that {@link
   * #describe} calls "centre"). Without object masks this is the only sense of "off the object" a
   * map offers (docs/audit.md says so).
   */
  public boolean offCentre(int[] cells, double[] map) {
    double[] c = centroid(cells, map);
    return Math.abs(c[0] - 0.5) > 1 / 6.0 || Math.abs(c[1] - 0.5) > 1 / 6.0;
  }

  /** Where a place is, in words: "top-left", "centre", "bottom", … (its weighted centroid's ninth). */
  public String describe(int[] cells, double[] map) {
    double[] c = centroid(cells, map);
    String row = c[1] < 1 / 3.0 ? "top" : c[1] > 2 / 3.0 ? "bottom" : "";
    String col = c[0] < 1 / 3.0 ? "left" : c[0] > 2 / 3.0 ? "right" : "";
    String where = row.isEmpty() && col.isEmpty() ? "centre" : row.isEmpty() ? col : col.isEmpty() ? row
        : row + "-" + col;
    return String.format(Locale.ROOT, "%s (%.2f, %.2f)", where, c[0], c[1]);
  }

  /** The centroid {x, y} of cells in image fractions, each weighted by {@code map} there. */
  double[] centroid(int[] cells, double[] map) {
    double x = 0;
    double y = 0;
    double w = 0;
    for (int c : cells) {
      double[] p = position(c);
      double m = Math.max(map[c], 1e-12);
      x += m * p[0];
      y += m * p[1];
      w += m;
    }
    return new double[] {x / w, y / w};
  }

  /** Each measure of one image, for a group's means and spreads. */
  public record Measures(double concentration, double entropy, double border, double peakX, double peakY)
      implements Serializable {}

  public Measures measure(float[] map) {
    double[] p = position(peak(map));
    return new Measures(concentration(map), entropy(map), border(map), p[0], p[1]);
  }

  /**
   * The standard deviation of peak positions (in image sides): {@code sqrt(var x + var y)},
   * population variances; about 0.41 for peaks spread uniformly, 0 for one fixed peak.
   */
  public static double peakSpread(List<Measures> m) {
    if (m.size() < 2) {
      return 0;
    }
    double mx = 0;
    double my = 0;
    for (Measures v : m) {
      mx += v.peakX();
      my += v.peakY();
    }
    mx /= m.size();
    my /= m.size();
    double var = 0;
    for (Measures v : m) {
      var += (v.peakX() - mx) * (v.peakX() - mx) + (v.peakY() - my) * (v.peakY() - my);
    }
    return Math.sqrt(var / m.size());
  }

  /** The mean map's mass at its own top cells over the images' mean concentration. */
  public double agreement(double[] meanMap, double meanConcentration) {
    return meanConcentration > 0 ? mass(meanMap, topCells(meanMap)) / meanConcentration : 0;
  }
}
