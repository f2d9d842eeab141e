package org.convlens.data;

/**
 * Pixel-array operations shared by the stages: resampling and Gaussian blur of channel-major
 * ({@code C×H×W}) float arrays, plain Java with no engine. Attribution maps, previews, input
 * maximisation and the audit's image edits all use these, so each is defined once here.
 */
public final class ImageOps {
  private ImageOps() {}

  /**
   * Bilinear resampling of each channel to {@code outH×outW}, as PyTorch's {@code
   * F.interpolate(mode="bilinear", align_corners=False)}: source coordinate {@code (dst + 0.5) ·
   * in/out − 0.5}, clamped at 0, the neighbour clamped at the last row/column.
   */
  public static float[] bilinear(float[] src, int channels, int h, int w, int outH, int outW) {
    if (h == outH && w == outW) {
      return src.clone();
    }
    float[] out = new float[channels * outH * outW];
    float sy = (float) h / outH;
    float sx = (float) w / outW;
    int[] x0 = new int[outW];
    int[] x1 = new int[outW];
    float[] lx = new float[outW];
    for (int x = 0; x < outW; x++) {
      float s = Math.max(0f, sx * (x + 0.5f) - 0.5f);
      x0[x] = (int) s;
      x1[x] = x0[x] < w - 1 ? x0[x] + 1 : x0[x];
      lx[x] = s - x0[x];
    }
    for (int c = 0; c < channels; c++) {
      int base = c * h * w;
      for (int y = 0; y < outH; y++) {
        float s = Math.max(0f, sy * (y + 0.5f) - 0.5f);
        int y0 = (int) s;
        int y1 = y0 < h - 1 ? y0 + 1 : y0;
        float ly = s - y0;
        for (int x = 0; x < outW; x++) {
          float top = (1 - lx[x]) * src[base + y0 * w + x0[x]] + lx[x] * src[base + y0 * w + x1[x]];
          float bottom = (1 - lx[x]) * src[base + y1 * w + x0[x]] + lx[x] * src[base + y1 * w + x1[x]];
          out[(c * outH + y) * outW + x] = (1 - ly) * top + ly * bottom;
        }
      }
    }
    return out;
  }

  /**
   * Area averaging of each channel to {@code outH×outW}, as PyTorch's {@code
   * adaptive_avg_pool2d}: output cell i averages input rows {@code floor(i·h/outH)} to {@code
   * ceil((i+1)·h/outH)} (exclusive), likewise for columns.
   */
  public static float[] area(float[] src, int channels, int h, int w, int outH, int outW) {
    if (h == outH && w == outW) {
      return src;
    }
    float[] out = new float[channels * outH * outW];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < outH; y++) {
        int ya = (int) Math.floor((double) y * h / outH);
        int yb = (int) Math.ceil((double) (y + 1) * h / outH);
        for (int x = 0; x < outW; x++) {
          int xa = (int) Math.floor((double) x * w / outW);
          int xb = (int) Math.ceil((double) (x + 1) * w / outW);
          double sum = 0;
          for (int yy = ya; yy < yb; yy++) {
            for (int xx = xa; xx < xb; xx++) {
              sum += src[(c * h + yy) * w + xx];
            }
          }
          out[(c * outH + y) * outW + x] = (float) (sum / ((yb - ya) * (xb - xa)));
        }
      }
    }
    return out;
  }

  /** The stored size of an h×w map: unchanged, or the longer side brought down to maxSide. */
  public static int[] storedSize(int h, int w, int maxSide) {
    if (maxSide <= 0 || Math.max(h, w) <= maxSide) {
      return new int[] {h, w};
    }
    double f = (double) maxSide / Math.max(h, w);
    return new int[] {Math.max(1, (int) Math.round(h * f)), Math.max(1, (int) Math.round(w * f))};
  }

  /** A normalised 1-D Gaussian of radius ⌈3σ⌉. */
  public static float[] gaussianKernel(double sigma) {
    int r = (int) Math.ceil(3 * sigma);
    float[] k = new float[2 * r + 1];
    double sum = 0;
    for (int i = -r; i <= r; i++) {
      double v = Math.exp(-(i * i) / (2 * sigma * sigma));
      k[i + r] = (float) v;
      sum += v;
    }
    for (int i = 0; i < k.length; i++) {
      k[i] /= (float) sum;
    }
    return k;
  }

  /** Separable Gaussian blur of each channel; borders clamp to the edge pixel. */
  public static float[] blur(float[] in, int c, int h, int w, float[] kernel) {
    int r = kernel.length / 2;
    float[] tmp = new float[in.length];
    float[] out = new float[in.length];
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = 0;
          for (int k = -r; k <= r; k++) {
            v += kernel[k + r] * in[base + y * w + Math.min(w - 1, Math.max(0, x + k))];
          }
          tmp[base + y * w + x] = v;
        }
      }
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = 0;
          for (int k = -r; k <= r; k++) {
            v += kernel[k + r] * tmp[base + Math.min(h - 1, Math.max(0, y + k)) * w + x];
          }
          out[base + y * w + x] = v;
        }
      }
    }
    return out;
  }
}
