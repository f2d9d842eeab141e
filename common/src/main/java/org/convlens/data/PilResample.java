package org.convlens.data;

import java.util.Arrays;

/**
 * PIL 9.4's {@code Image.resize(size, Image.BILINEAR)} for 8-bit images, transcribed from {@code
 * libImaging/Resample.c} so that results are bit-identical, not merely close — computed only
 * inside a window of the resized image (the part a centre crop keeps), so that the cost and the
 * memory follow the window, never the resized size.
 *
 * <p>PIL's "bilinear" is a separable convolution with the triangle filter whose support grows with
 * the downscale factor ({@code support = max(in/out, 1)}), i.e. it antialiases when shrinking —
 * unlike textbook bilinear interpolation or Java2D's. Weights are computed in double precision per
 * output position (centre {@code (i + 0.5) * in/out}), normalised to sum 1, then turned into
 * fixed-point integers with 22 fractional bits ({@code PRECISION_BITS = 32 - 8 - 2}). The
 * horizontal pass runs first and its result is rounded and clamped to 8 bits before the vertical
 * pass — that intermediate rounding is part of PIL's answer. A pass is skipped when its dimension
 * does not change.
 *
 * <p>Why a window gives PIL's numbers exactly: an output pixel's weights depend only on its own
 * position, its horizontal value depends only on one source row and its own column's weights
 * (rounded per pixel), and its vertical value only on the horizontal values of the same column in
 * the rows its own weights cover. So output columns {@code [left, left + windowWidth)} need the
 * horizontal pass at those columns only, and output rows {@code [top, top + windowHeight)} need it
 * only on the source rows their vertical weights read — where PIL runs it on the rows the whole
 * image's vertical weights read ({@code ybox_first..ybox_last}). The vertical sums are
 * accumulated source row by source row (each horizontal row is computed once and added to every
 * output row that reads it) rather than output row by output row as in PIL; they are sums of the
 * same integer products, and integer addition does not depend on the order, so the results are
 * the same. Output sizes and positions are {@code long}: the resized size of an extreme aspect
 * ratio (say 10,000,000 × 1 with its shorter side resized to 32) need not fit an {@code int}, nor
 * does anything of that size get allocated.
 *
 * <p>Memory: the window ({@code int} accumulators, channels × window), one window-wide row per
 * channel, and the weights of the window's columns and rows — at most about {@code 2 × in/out + 3}
 * per output position, i.e. O(window + source width + source height) in all.
 *
 * <p>Images are planar here (channel after channel, each row-major); channels never mix in PIL's
 * loops, so this gives the same numbers as its interleaved layout.
 */
final class PilResample {
  private static final int PRECISION_BITS = 32 - 8 - 2;
  /** PIL's starting value of every sum: one half, so that dropping the fraction rounds. */
  private static final int HALF = 1 << (PRECISION_BITS - 1);

  private PilResample() {}

  /**
   * The window {@code [left, left + windowWidth) × [top, top + windowHeight)} of {@code channels}
   * planes of {@code width}×{@code height} bytes resized to {@code outWidth}×{@code outHeight}:
   * {@code channels} planes of {@code windowWidth}×{@code windowHeight} bytes, the same bytes as
   * PIL's whole resize cropped to the window. The window must lie inside the resized image (it may
   * be empty). Returns {@code src} itself when the size does not change and the window is the
   * whole image.
   */
  static byte[] resizeWindow(
      byte[] src,
      int channels,
      int width,
      int height,
      long outWidth,
      long outHeight,
      long left,
      long top,
      int windowWidth,
      int windowHeight) {
    if (width <= 0 || height <= 0 || (long) channels * width * height != src.length) {
      throw new IllegalArgumentException(
          channels + " planes of " + width + "x" + height + " do not fit " + src.length + " bytes");
    }
    if (windowWidth < 0 || windowHeight < 0 || left < 0 || top < 0
        || left + windowWidth > outWidth || top + windowHeight > outHeight) {
      throw new IllegalArgumentException("window " + windowWidth + "x" + windowHeight + " at ("
          + left + ", " + top + ") is not inside " + outWidth + "x" + outHeight);
    }
    if (outWidth == width && outHeight == height && windowWidth == width
        && windowHeight == height) {
      return src; // PIL copies
    }
    byte[] out =
        new byte[Math.multiplyExact(channels, Math.multiplyExact(windowWidth, windowHeight))];
    if (windowWidth == 0 || windowHeight == 0) {
      return out;
    }
    // Without a horizontal pass the window's columns are the source's, from column left.
    Coefficients columns =
        outWidth != width ? Coefficients.bilinear(width, outWidth, left, windowWidth) : null;
    int plane = windowWidth * windowHeight;

    if (outHeight == height) {
      // No vertical pass: the window's rows are source rows top..top + windowHeight.
      for (int y = 0; y < windowHeight; y++) {
        row(src, channels, width, height, (int) top + y, columns, (int) left, windowWidth,
            out, y * windowWidth, plane);
      }
      return out;
    }

    Coefficients rows = Coefficients.bilinear(height, outHeight, top, windowHeight);
    int firstRow = rows.first[0];
    int endRow = rows.first[windowHeight - 1] + rows.count[windowHeight - 1];
    int[] sums = new int[out.length];
    Arrays.fill(sums, HALF);
    byte[] line = new byte[channels * windowWidth];
    int firstOut = 0; // the first window row whose source rows reach r or beyond
    for (int r = firstRow; r < endRow; r++) {
      row(src, channels, width, height, r, columns, (int) left, windowWidth, line, 0, windowWidth);
      // Source ranges [first, first + count) never move backwards as the output row grows, so the
      // window rows reading r are consecutive: from firstOut while first <= r.
      while (rows.first[firstOut] + rows.count[firstOut] <= r) {
        firstOut++;
      }
      for (int y = firstOut; y < windowHeight && rows.first[y] <= r; y++) {
        int weight = rows.weights[y * rows.size + r - rows.first[y]];
        for (int ch = 0; ch < channels; ch++) {
          int s = ch * plane + y * windowWidth;
          int l = ch * windowWidth;
          for (int x = 0; x < windowWidth; x++) {
            sums[s + x] += (line[l + x] & 0xFF) * weight;
          }
        }
      }
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = clip8(sums[i]);
    }
    return out;
  }

  /**
   * Source row {@code r} of every channel at the window's columns — horizontally resampled with
   * {@code columns}, or, where that is null, copied from source column {@code left} on — into
   * {@code dst} at {@code offset}, channel {@code ch} at {@code offset + ch * channelStride}.
   */
  private static void row(
      byte[] src,
      int channels,
      int width,
      int height,
      int r,
      Coefficients columns,
      int left,
      int windowWidth,
      byte[] dst,
      int offset,
      int channelStride) {
    for (int ch = 0; ch < channels; ch++) {
      int in = (ch * height + r) * width;
      int o = offset + ch * channelStride;
      if (columns == null) {
        System.arraycopy(src, in + left, dst, o, windowWidth);
        continue;
      }
      for (int x = 0; x < windowWidth; x++) {
        int k = x * columns.size;
        int start = in + columns.first[x];
        int sum = HALF;
        for (int i = 0, n = columns.count[x]; i < n; i++) {
          sum += (src[start + i] & 0xFF) * columns.weights[k + i];
        }
        dst[o + x] = clip8(sum);
      }
    }
  }

  /** PIL's {@code clip8}: drop the fraction bits (an arithmetic shift) and clamp to 0..255. */
  private static byte clip8(int sum) {
    int v = sum >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /**
   * PIL's {@code precompute_coeffs} with the bilinear filter, then {@code normalize_coeffs_8bpc},
   * for the {@code n} output positions from {@code offset} on: for window position {@code i}
   * (output position {@code offset + i}), {@code count[i]} fixed-point weights starting at source
   * index {@code first[i]}, stored at {@code weights[i * size]}. Each position's weights depend on
   * that position alone, so they are PIL's whatever the window.
   */
  private static final class Coefficients {
    final int size;
    final int[] first;
    final int[] count;
    final int[] weights;

    private Coefficients(int size, int n) {
      this.size = size;
      this.first = new int[n];
      this.count = new int[n];
      this.weights = new int[Math.multiplyExact(n, size)];
    }

    static Coefficients bilinear(int inSize, long outSize, long offset, int n) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = 1.0 * filterScale; // the bilinear filter's support is 1
      double step = 1.0 / filterScale; // PIL multiplies by this reciprocal; dividing can differ
      Coefficients c = new Coefficients((int) Math.ceil(support) * 2 + 1, n);
      double[] w = new double[c.size];
      for (int i = 0; i < n; i++) {
        double center = (offset + i + 0.5) * scale;
        // (int) truncates toward zero, as C's cast does; PIL calls this rounding.
        int min = Math.max((int) (center - support + 0.5), 0);
        int count = Math.min((int) (center + support + 0.5), inSize) - min;
        double total = 0.0;
        for (int x = 0; x < count; x++) {
          w[x] = triangle((x + min - center + 0.5) * step);
          total += w[x];
        }
        for (int x = 0; x < count; x++) {
          double normalised = total != 0.0 ? w[x] / total : w[x];
          c.weights[i * c.size + x] = (int) (normalised < 0
              ? -0.5 + normalised * (1 << PRECISION_BITS)
              : 0.5 + normalised * (1 << PRECISION_BITS));
        }
        c.first[i] = min;
        c.count[i] = count;
      }
      return c;
    }

    private static double triangle(double x) {
      double a = Math.abs(x);
      return a < 1.0 ? 1.0 - a : 0.0;
    }
  }
}
