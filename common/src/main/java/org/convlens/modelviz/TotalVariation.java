package org.convlens.modelviz;

/**
 * The β total variation of Mahendran &amp; Vedaldi ("Understanding deep image representations by
 * inverting them", CVPR 2015, eq. 5), summed over channels:
 *
 * <pre>
 *   TV(x) = Σ_c Σ_{i,j} ((x[c,i,j+1] − x[c,i,j])² + (x[c,i+1,j] − x[c,i,j])² + ε)^(β/2)
 * </pre>
 *
 * with differences past the last row or column taken as 0. β = 2 (ε = 0) is the smooth quadratic
 * penalty; β = 1 is the isotropic TV of image denoising (ε = 1e-8 keeps it differentiable where
 * the image is flat). Images are C×H×W, row-major, as the model's input.
 */
public final class TotalVariation {
  /** Smoothing added under the power when β ≠ 2, so the gradient stays finite on flat regions. */
  public static final double EPSILON = 1e-8;

  private TotalVariation() {}

  /** TV(x) of one C×H×W image. */
  public static double value(float[] x, int channels, int height, int width, double beta) {
    check(x, channels, height, width, beta);
    double eps = beta == 2 ? 0 : EPSILON;
    double sum = 0;
    for (int c = 0; c < channels; c++) {
      int base = c * height * width;
      for (int i = 0; i < height; i++) {
        for (int j = 0; j < width; j++) {
          int at = base + i * width + j;
          double a = j + 1 < width ? x[at + 1] - x[at] : 0;
          double b = i + 1 < height ? x[at + width] - x[at] : 0;
          double s = a * a + b * b + eps;
          sum += beta == 2 ? s : Math.pow(s, beta / 2);
        }
      }
    }
    return sum;
  }

  /** ∇TV(x), the same shape as {@code x}. */
  public static float[] gradient(float[] x, int channels, int height, int width, double beta) {
    check(x, channels, height, width, beta);
    double eps = beta == 2 ? 0 : EPSILON;
    double[] g = new double[x.length];
    for (int c = 0; c < channels; c++) {
      int base = c * height * width;
      for (int i = 0; i < height; i++) {
        for (int j = 0; j < width; j++) {
          int at = base + i * width + j;
          boolean right = j + 1 < width;
          boolean down = i + 1 < height;
          double a = right ? x[at + 1] - x[at] : 0;
          double b = down ? x[at + width] - x[at] : 0;
          // d/ds of s^(β/2), times 2 from d(a²)/da.
          double k = beta == 2 ? 2 : beta * Math.pow(a * a + b * b + eps, beta / 2 - 1);
          if (right) {
            g[at + 1] += k * a;
            g[at] -= k * a;
          }
          if (down) {
            g[at + width] += k * b;
            g[at] -= k * b;
          }
        }
      }
    }
    float[] out = new float[x.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) g[i];
    }
    return out;
  }

  private static void check(float[] x, int channels, int height, int width, double beta) {
    if (x.length != channels * height * width) {
      throw new IllegalArgumentException("image has " + x.length + " values, expected " + channels
          + "×" + height + "×" + width);
    }
    if (!(beta >= 1 && beta <= 3)) {
      throw new IllegalArgumentException("β must be in [1, 3], got " + beta);
    }
  }
}
