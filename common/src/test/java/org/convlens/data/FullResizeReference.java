package org.convlens.data;

/**
 * The straightforward path, for tests: PIL's whole resize (the transcription {@link PilResample}
 * had before it learnt windows, kept verbatim) and then torchvision's centre crop of the whole
 * resized image, as {@link Preprocessor} did. Memory follows the resized size, so only for sizes
 * where that is small enough.
 */
final class FullResizeReference {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private FullResizeReference() {}

  /** Preprocessor's numbers the old way: luma if 1 channel, whole resize, crop, normalise. */
  static float[] preprocess(
      byte[] planarRgb, int w, int h, int channels, int height, int width, int resize,
      float[] mean, float[] std) {
    byte[] planes = planarRgb;
    if (channels == 1) {
      int n = w * h;
      planes = new byte[n];
      for (int i = 0; i < n; i++) {
        int r = planarRgb[i] & 0xFF;
        int g = planarRgb[n + i] & 0xFF;
        int b = planarRgb[2 * n + i] & 0xFF;
        planes[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
      }
    }
    int outW;
    int outH;
    if (resize == 0) {
      outW = width;
      outH = height;
    } else if (w <= h) {
      outW = resize;
      outH = Math.toIntExact((long) ((double) resize * h / w));
    } else {
      outH = resize;
      outW = Math.toIntExact((long) ((double) resize * w / h));
    }
    byte[] resized = resize(planes, channels, w, h, outW, outH);
    int top = cropOffset(outH, height);
    int left = cropOffset(outW, width);
    float[] out = new float[channels * height * width];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < height; y++) {
        int sy = y + top;
        int o = (c * height + y) * width;
        for (int x = 0; x < width; x++) {
          int sx = x + left;
          int v = sy < 0 || sy >= outH || sx < 0 || sx >= outW
              ? 0
              : resized[(int) (((long) c * outH + sy) * outW + sx)] & 0xFF;
          out[o + x] = ((float) v / 255f - mean[c]) / std[c];
        }
      }
    }
    return out;
  }

  /** torchvision's {@code center_crop} offset, written out in Python's terms. */
  static int cropOffset(int size, int crop) {
    if (crop > size) {
      return -Math.floorDiv(crop - size, 2);
    }
    double half = (size - crop) / 2.0;
    double floor = Math.floor(half);
    if (half - floor == 0.5) {
      return (int) (floor % 2 == 0 ? floor : floor + 1);
    }
    return (int) Math.round(half);
  }

  /** Crops a planar {@code channels × outH × outW} image to a window inside it. */
  static byte[] crop(byte[] planes, int channels, int outW, int outH, int left, int top,
      int windowWidth, int windowHeight) {
    byte[] out = new byte[channels * windowWidth * windowHeight];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < windowHeight; y++) {
        System.arraycopy(planes, (int) (((long) c * outH + top + y) * outW + left), out,
            (c * windowHeight + y) * windowWidth, windowWidth);
      }
    }
    return out;
  }

  /** The whole resize, as PilResample.resize computed it. */
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
    byte[] out = new byte[Math.toIntExact((long) channels * rows * outWidth)];
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

  private static byte[] vertical(
      byte[] src, int channels, int width, int rows, int firstRow, Coefficients c, int outHeight) {
    byte[] out = new byte[Math.toIntExact((long) channels * outHeight * width)];
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

  private static byte clip8(int sum) {
    int v = sum >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

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
      double support = 1.0 * filterScale;
      double step = 1.0 / filterScale;
      Coefficients c = new Coefficients((int) Math.ceil(support) * 2 + 1, outSize);
      double[] w = new double[c.size];
      for (int i = 0; i < outSize; i++) {
        double center = (i + 0.5) * scale;
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
