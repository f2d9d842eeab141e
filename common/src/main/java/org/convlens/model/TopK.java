package org.convlens.model;

/** Indices of the largest scores. */
public final class TopK {
  private TopK() {}

  /**
   * The indices of the {@code k} largest values, largest first; equal values in index order
   * (lower index first); NaN ranks below every number. O(n·k), which beats sorting for the small
   * k (≤ 10) of a classification report.
   *
   * @param k how many; clamped to {@code values.length}
   * @throws IllegalArgumentException when {@code k < 0}
   */
  public static int[] topK(float[] values, int k) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0, got " + k);
    }
    int m = Math.min(k, values.length);
    int[] top = new int[m];
    if (m == 0) {
      return top;
    }
    int filled = 0;
    for (int i = 0; i < values.length; i++) {
      // Scanning in index order and inserting only when strictly better keeps ties stable.
      if (filled == m && !better(values[i], values[top[m - 1]])) {
        continue;
      }
      int pos = filled < m ? filled++ : m - 1;
      while (pos > 0 && better(values[i], values[top[pos - 1]])) {
        top[pos] = top[pos - 1];
        pos--;
      }
      top[pos] = i;
    }
    return top;
  }

  /** The index of the largest value, the lowest index among ties (the top-1 of {@link #topK}). */
  public static int argmax(float[] values) {
    int best = 0;
    for (int k = 1; k < values.length; k++) {
      if (better(values[k], values[best])) {
        best = k;
      }
    }
    return best;
  }

  private static boolean better(float a, float b) {
    if (Float.isNaN(a)) {
      return false;
    }
    return Float.isNaN(b) || a > b;
  }
}
