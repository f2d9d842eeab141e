package org.convlens.audit;

import java.util.Arrays;

/** Rank statistics for comparing maps. */
public final class Ranks {
  private Ranks() {}

  /** Ranks 1..n, ties sharing their average rank (as {@code scipy.stats.rankdata}). */
  public static double[] ranks(float[] v) {
    Integer[] order = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(v[a], v[b]));
    double[] r = new double[v.length];
    int i = 0;
    while (i < v.length) {
      int j = i;
      while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
        j++;
      }
      double avg = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        r[order[k]] = avg;
      }
      i = j + 1;
    }
    return r;
  }

  /**
   * Spearman's rank correlation (Pearson's r of the tie-averaged ranks, as {@code
   * scipy.stats.spearmanr}); NaN when either input is constant.
   */
  public static double spearman(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(a.length + " vs " + b.length + " values");
    }
    double[] ra = ranks(a);
    double[] rb = ranks(b);
    double ma = (a.length + 1) / 2.0;
    double cov = 0;
    double va = 0;
    double vb = 0;
    for (int i = 0; i < a.length; i++) {
      cov += (ra[i] - ma) * (rb[i] - ma);
      va += (ra[i] - ma) * (ra[i] - ma);
      vb += (rb[i] - ma) * (rb[i] - ma);
    }
    return va == 0 || vb == 0 ? Double.NaN : cov / Math.sqrt(va * vb);
  }
}
