package org.convlens.embedding;

import java.util.Arrays;

/**
 * The Barnes-Hut quadtree of the 2-D map, rebuilt every t-SNE iteration: each cell keeps its
 * point count and centre of mass; points with identical coordinates share a leaf. Arrays rather
 * than node objects, so a 50k-point tree is a few flat arrays.
 */
final class QuadTree {
  private static final int MAX_DEPTH = 48;

  private double[] cx;
  private double[] cy;
  private double[] half;
  private double[] sumX;
  private double[] sumY;
  private int[] count;
  private int[] child; // first of four children, -1 for a leaf
  private int[] point; // a leaf's point (its coordinates), -1 when empty
  private int size;
  private final double[] y;

  private QuadTree(double[] y, int capacity) {
    this.y = y;
    cx = new double[capacity];
    cy = new double[capacity];
    half = new double[capacity];
    sumX = new double[capacity];
    sumY = new double[capacity];
    count = new int[capacity];
    child = new int[capacity];
    point = new int[capacity];
  }

  /** The tree of the first {@code n} points of interleaved coordinates {@code y} (x0, y0, x1, …). */
  static QuadTree build(double[] y, int n) {
    double minX = Double.POSITIVE_INFINITY;
    double minY = Double.POSITIVE_INFINITY;
    double maxX = Double.NEGATIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      minX = Math.min(minX, y[2 * i]);
      maxX = Math.max(maxX, y[2 * i]);
      minY = Math.min(minY, y[2 * i + 1]);
      maxY = Math.max(maxY, y[2 * i + 1]);
    }
    QuadTree t = new QuadTree(y, Math.max(16, 4 * n));
    double h = Math.max(maxX - minX, maxY - minY) / 2 * (1 + 1e-9) + 1e-12;
    t.node((minX + maxX) / 2, (minY + maxY) / 2, h);
    for (int i = 0; i < n; i++) {
      t.insert(i);
    }
    return t;
  }

  private int node(double x, double yy, double h) {
    if (size == cx.length) {
      int cap = cx.length * 2;
      cx = Arrays.copyOf(cx, cap);
      cy = Arrays.copyOf(cy, cap);
      half = Arrays.copyOf(half, cap);
      sumX = Arrays.copyOf(sumX, cap);
      sumY = Arrays.copyOf(sumY, cap);
      count = Arrays.copyOf(count, cap);
      child = Arrays.copyOf(child, cap);
      point = Arrays.copyOf(point, cap);
    }
    cx[size] = x;
    cy[size] = yy;
    half[size] = h;
    child[size] = -1;
    point[size] = -1;
    return size++;
  }

  private void insert(int i) {
    double px = y[2 * i];
    double py = y[2 * i + 1];
    int at = 0;
    int depth = 0;
    while (true) {
      count[at]++;
      sumX[at] += px;
      sumY[at] += py;
      if (child[at] < 0) {
        if (point[at] < 0) {
          point[at] = i;
          return;
        }
        int other = point[at];
        boolean same = y[2 * other] == px && y[2 * other + 1] == py;
        if (same || depth >= MAX_DEPTH) {
          return; // identical (or indistinguishably close) points share the leaf
        }
        // Split: the leaf's points (all at `other`'s coordinates) move to a child.
        int first = size;
        double h = half[at] / 2;
        node(cx[at] - h, cy[at] - h, h);
        node(cx[at] + h, cy[at] - h, h);
        node(cx[at] - h, cy[at] + h, h);
        node(cx[at] + h, cy[at] + h, h);
        child[at] = first;
        int moved = count[at] - 1;
        int q = first + quadrant(at, y[2 * other], y[2 * other + 1]);
        count[q] = moved;
        // Every point of a splittable leaf sits at `other`'s coordinates: set the sums exactly
        // (subtracting the new point from the parent's sums would leave rounding error, and a
        // point must find itself at distance exactly 0).
        sumX[q] = moved * y[2 * other];
        sumY[q] = moved * y[2 * other + 1];
        point[q] = other;
        point[at] = -1;
      }
      at = child[at] + quadrant(at, px, py);
      depth++;
    }
  }

  private int quadrant(int at, double px, double py) {
    return (px < cx[at] ? 0 : 1) + (py < cy[at] ? 0 : 2);
  }

  /**
   * Adds point i's repulsion to {@code out}: out[0], out[1] += Σ q_ij² (y_i − y_j) (unnormalised,
   * q_ij = 1/(1 + d²)) and out[2] += Σ q_ij, the point's share of Z, with cells whose width /
   * distance is below θ summarised by their centre of mass.
   */
  void repulsion(int i, double px, double py, double theta, double[] out) {
    int[] stack = new int[4 * MAX_DEPTH + 8];
    int top = 0;
    stack[top++] = 0;
    double theta2 = theta * theta;
    while (top > 0) {
      int at = stack[--top];
      int c = count[at];
      if (c == 0) {
        continue;
      }
      boolean leaf = child[at] < 0;
      // A leaf's points share its point's coordinates (up to MAX_DEPTH merges): use them exactly.
      double mx = leaf ? y[2 * point[at]] : sumX[at] / c;
      double my = leaf ? y[2 * point[at] + 1] : sumY[at] / c;
      double dx = px - mx;
      double dy = py - my;
      double d2 = dx * dx + dy * dy;
      if (leaf && d2 == 0) {
        out[2] += c - 1; // i and its duplicates: q = 1 each, no force
        continue;
      }
      double width = 2 * half[at];
      if (leaf || width * width < theta2 * d2) {
        double q = 1 / (1 + d2);
        out[2] += c * q;
        double f = c * q * q;
        out[0] += f * dx;
        out[1] += f * dy;
      } else {
        int first = child[at];
        for (int k = 3; k >= 0; k--) {
          stack[top++] = first + k;
        }
      }
    }
  }
}
