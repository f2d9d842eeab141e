package org.convlens.data;

/**
 * PIL 9.4's {@code Image.resize(size, Image.BILINEAR)} for 8-bit images, transcribed from {@code
 * libImaging/Resample.c} so that results are bit-identical, not merely close.
 *
 * <p>PIL's "bilinear" is a separable convolution with the triangle filter whose support grows with
 * the downscale factor ({@code support = max(in/out, 1)}), i.e. it antialiases when shrinking —
 * unlike textbook bilinear interpolation or Java2D's. Weights are computed in double precision per
 * output position (centre {@code (i + 0.5) * in/out}), normalised to sum 1, then turned into
 * fixed-point integers with 22 fractional bits ({@code PRECISION_BITS = 32 - 8 - 2}). The
 * horizontal pass runs first, over only the source rows the vertical pass will read, and its
 * result is rounded and clamped to 8 bits before the vertical pass — that intermediate rounding is
 * part of PIL's answer. A pass is skipped when its dimension does not change.
 *
 * <p>Images are planar here (channel after channel, each row-major); channels never mix in PIL's
 * loops, so this gives the same numbers as its interleaved layout.
 */
final class PilResample {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private PilResample() {}

  /**
   * Resizes {@code channels} planes of {@code width}×{@code height} bytes to {@code
   * outWidth}×{@code outHeight}. Returns {@code src} itself when the size does not change.
   */
  static byte[] resize(
      byte[] src, int channels, int width, int height, int outWidth, int outHeight) {
    if (width == outWidth && height == outHeight) {
      return src;
    }
    Coefficients vertical = Coefficients.bilinear(height, outHeight);
    byte[] image = src;
    int rows = height;
    int firstRow = 0;
    if (outWidth != width) {
      // Only the rows the vertical pass reads: PIL's ybox_first..ybox_last.
      firstRow = vertical.first[0];
      rows = vertical.first[outHeight - 1] + vertical.count[outHeight - 1] - firstRow;
      image = horizontal(src, channels, width, height, firstRow, rows, outWidth);
    }
    if (outHeight != height) {
      image = vertical(image, channels, outWidth, rows, firstRow, vertical, outHeight);
    }
    return image;
  }

  private static byte[] horizontal(
      byte[] src, int channels, int width, int height, int firstRow, int rows, int outWidth) {
    Coefficients c = Coefficients.bilinear(width, outWidth);
    byte[] out = new byte[channels * rows * outWidth];
    for (int ch = 0; ch < channels; ch++) {
      for (int y = 0; y < rows; y++) {
        int in = (ch * height + firstRow + y) * width;
        int o = (ch * rows + y) * outWidth;
        for (int x = 0; x < outWidth; x++) {
          int k = x * c.size;
          int start = in + c.first[x];
          int sum = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < c.count[x]; i++) {
            sum += (src[start + i] & 0xFF) * c.weights[k + i];
          }
          out[o + x] = clip8(sum);
        }
      }
    }
    return out;
  }

  /** {@code src} holds {@code rows} rows starting at source row {@code firstRow}. */
  private static byte[] vertical(
      byte[] src, int channels, int width, int rows, int firstRow, Coefficients c, int outHeight) {
    byte[] out = new byte[channels * outHeight * width];
    for (int ch = 0; ch < channels; ch++) {
      for (int y = 0; y < outHeight; y++) {
        int k = y * c.size;
        int start = (ch * rows + c.first[y] - firstRow) * width;
        int o = (ch * outHeight + y) * width;
        for (int x = 0; x < width; x++) {
          int sum = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < c.count[y]; i++) {
            sum += (src[start + i * width + x] & 0xFF) * c.weights[k + i];
          }
          out[o + x] = clip8(sum);
        }
      }
    }
    return out;
  }

  /** PIL's {@code clip8}: drop the fraction bits (an arithmetic shift) and clamp to 0..255. */
  private static byte clip8(int sum) {
    int v = sum >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /**
   * PIL's {@code precompute_coeffs} with the bilinear filter, then {@code normalize_coeffs_8bpc}:
   * for output position {@code i}, {@code count[i]} fixed-point weights starting at source index
   * {@code first[i]}, stored at {@code weights[i * size]}.
   */
  private static final class Coefficients {
    final int size;
    final int[] first;
    final int[] count;
    final int[] weights;

    private Coefficients(int size, int outSize) {
      this.size = size;
      this.first = new int[outSize];
      this.count = new int[outSize];
      this.weights = new int[outSize * size];
    }

    static Coefficients bilinear(int inSize, int outSize) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = 1.0 * filterScale; // the bilinear filter's support is 1
      double step = 1.0 / filterScale; // PIL multiplies by this reciprocal; dividing can differ
      Coefficients c = new Coefficients((int) Math.ceil(support) * 2 + 1, outSize);
      double[] w = new double[c.size];
      for (int i = 0; i < outSize; i++) {
        double center = (i + 0.5) * scale;
        // (int) truncates toward zero, as C's cast does; PIL calls this rounding.
        int min = Math.max((int) (center - support + 0.5), 0);
        int n = Math.min((int) (center + support + 0.5), inSize) - min;
        double total = 0.0;
        for (int x = 0; x < n; x++) {
          w[x] = triangle((x + min - center + 0.5) * step);
          total += w[x];
        }
        for (int x = 0; x < n; x++) {
          double normalised = total != 0.0 ? w[x] / total : w[x];
          c.weights[i * c.size + x] = (int) (normalised < 0
              ? -0.5 + normalised * (1 << PRECISION_BITS)
              : 0.5 + normalised * (1 << PRECISION_BITS));
        }
        c.first[i] = min;
        c.count[i] = n;
      }
      return c;
    }

    private static double triangle(double x) {
      double a = Math.abs(x);
      return a < 1.0 ? 1.0 - a : 0.0;
    }
  }
}
