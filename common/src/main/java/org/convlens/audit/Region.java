package org.convlens.audit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A rectangle of attention-grid cells, columns {@code [x0, x1)} and rows {@code [y0, y1)}, that a
 * shortcut may live in: a small square anywhere, or a band along one border.
 *
 * @param kind {@code square} or {@code border}
 */
public record Region(String kind, int x0, int y0, int x1, int y1, int grid) implements Serializable {
  public static final String SQUARE = "square";
  public static final String BORDER = "border";

  /** A square (or rectangle) of cells [x0, x1) × [y0, y1) on a {@code grid} × {@code grid} image. */
  public static Region square(int x0, int y0, int x1, int y1, int grid) {
    return new Region(SQUARE, x0, y0, x1, y1, grid);
  }

  /** A band along one edge, cells [x0, x1) × [y0, y1) on a {@code grid} × {@code grid} image. */
  public static Region border(int x0, int y0, int x1, int y1, int grid) {
    return new Region(BORDER, x0, y0, x1, y1, grid);
  }

  /** Share of the image the region covers. */
  public double area() {
    return (double) (x1 - x0) * (y1 - y0) / ((double) grid * grid);
  }

  /** The region in image fractions: x0, y0, x1, y1 in [0, 1]. */
  public float[] box() {
    return new float[] {(float) x0 / grid, (float) y0 / grid, (float) x1 / grid, (float) y1 / grid};
  }

  /** Where it is, in words: "bottom-right corner", "left border", "centre", "top edge, left". */
  public String describe() {
    boolean top = y0 == 0;
    boolean bottom = y1 == grid;
    boolean left = x0 == 0;
    boolean right = x1 == grid;
    if (kind.equals(BORDER)) {
      return (top && !bottom ? "top" : bottom && !top ? "bottom" : left && !right ? "left" : "right") + " border";
    }
    String v = top ? "top" : bottom ? "bottom" : vertical();
    String h = left ? "left" : right ? "right" : horizontal();
    if ((top || bottom) && (left || right)) {
      return v + "-" + h + " corner";
    }
    if (top || bottom) {
      return v + " edge, " + h;
    }
    if (left || right) {
      return h + " edge, " + v;
    }
    return v.equals("middle") && h.equals("centre") ? "centre" : v + " " + h;
  }

  private String vertical() {
    double c = (y0 + y1) / 2.0 / grid;
    return c < 1 / 3.0 ? "upper" : c > 2 / 3.0 ? "lower" : "middle";
  }

  private String horizontal() {
    double c = (x0 + x1) / 2.0 / grid;
    return c < 1 / 3.0 ? "left" : c > 2 / 3.0 ? "right" : "centre";
  }

  /**
   * Every candidate: squares of each side (a fraction of the image side, at least one cell) at
   * every cell position, and the four border bands of width {@code border}.
   */
  public static List<Region> candidates(int grid, List<Double> sides, double border) {
    List<Region> out = new ArrayList<>();
    for (double f : sides) {
      int s = Math.max(1, (int) Math.round(f * grid));
      for (int y = 0; y + s <= grid; y++) {
        for (int x = 0; x + s <= grid; x++) {
          out.add(square(x, y, x + s, y + s, grid));
        }
      }
    }
    int b = Math.max(1, (int) Math.round(border * grid));
    out.add(border(0, 0, grid, b, grid));
    out.add(border(0, grid - b, grid, grid, grid));
    out.add(border(0, 0, b, grid, grid));
    out.add(border(grid - b, 0, grid, grid, grid));
    return out;
  }
}
