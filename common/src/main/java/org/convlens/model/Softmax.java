package org.convlens.model;

/** Class probabilities from logits. */
public final class Softmax {
  private Softmax() {}

  /**
   * Numerically stable softmax: {@code exp(z_i - max z) / Σ exp(z_j - max z)}, summed in double,
   * so logits in the thousands neither overflow nor underflow to NaN. If some logits are {@code
   * +∞}, they share the probability equally; any NaN logit makes every probability NaN.
   *
   * @return a new array; empty for empty input
   */
  public static float[] softmax(float[] logits) {
    float[] p = new float[logits.length];
    if (logits.length == 0) {
      return p;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float z : logits) {
      if (Float.isNaN(z)) {
        java.util.Arrays.fill(p, Float.NaN);
        return p;
      }
      max = Math.max(max, z);
    }
    if (Double.isInfinite(max)) {
      // All -∞ (no information: uniform) or some +∞ (they take everything).
      int count = 0;
      for (float z : logits) {
        count += z == max ? 1 : 0;
      }
      for (int i = 0; i < logits.length; i++) {
        p[i] = logits[i] == max ? 1f / count : 0f;
      }
      return p;
    }
    double[] e = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      e[i] = Math.exp(logits[i] - max);
      sum += e[i];
    }
    for (int i = 0; i < logits.length; i++) {
      p[i] = (float) (e[i] / sum);
    }
    return p;
  }
}
