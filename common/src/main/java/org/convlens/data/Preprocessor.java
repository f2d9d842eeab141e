package org.convlens.data;

import java.awt.image.BufferedImage;
import java.io.Serializable;
import java.util.Arrays;
import org.convlens.model.ModelDescription;

/**
 * A model's preprocessing, defined once: the torchvision pipeline {@code Resize(resize)} →
 * {@code CenterCrop((height, width))} → {@code ToTensor()} → {@code Normalize(mean, std)} on PIL
 * images, reproduced to the bit (torchvision 0.14 on PIL 9.4), so that a model sees here exactly
 * the tensor it would see in PyTorch.
 *
 * <ol>
 *   <li><b>Grey</b> (1-channel models only): PIL's {@code convert("L")}, i.e. {@code L = (19595 R
 *       + 38470 G + 7471 B + 0x8000) >> 16} — ITU-R 601-2 luma in 16-bit fixed point, rounded.
 *       (PIL's documentation writes it {@code R * 299/1000 + G * 587/1000 + B * 114/1000}; the
 *       code rounds where that formula would truncate.) Done first, as {@code Grayscale()} or a
 *       loader's {@code convert("L")} would be.
 *   <li><b>Resize</b>: the shorter side to {@code resize}, the longer to {@code int(resize * long
 *       / short)} (truncated, torchvision's {@code _compute_resized_output_size}), with PIL's
 *       antialiased bilinear filter ({@link PilResample}); {@code resize = 0} resizes straight to
 *       {@code height × width}. No resampling when the size already matches (PIL copies).
 *       Only the part of the resized image that the crop below keeps is computed ({@link
 *       PilResample#resizeWindow}): the same bytes as resizing it all and cropping, since each
 *       resized pixel comes from the source and its own position's weights alone, in time and
 *       memory that follow the crop rather than the resized size — which for an extreme aspect
 *       ratio (10,000,000 × 1, shorter side to 32) would be billions of pixels, more than an
 *       {@code int} counts.
 *   <li><b>Centre crop</b> to {@code height × width}: offsets {@code int(round((h - height) /
 *       2.0))}, Python's round, so halves go to even ({@code 0.5 → 0}, {@code 1.5 → 2}); where the
 *       image is smaller than the crop it is first padded with zeros, {@code (crop - size) // 2}
 *       before, as torchvision's {@code center_crop} does.
 *   <li><b>Normalise</b>: {@code (v / 255f - mean[c]) / std[c]} in float32, the same operations
 *       in the same order as {@code ToTensor} and {@code Normalize}; padded pixels are 0 before
 *       normalising, as in torchvision.
 * </ol>
 *
 * <p>The result is one flat {@code float[]} in CHW order ({@code c * H * W + y * W + x}).
 * Instances are immutable and serializable, to ship to Spark executors; {@link #apply} may be
 * called from several threads at once.
 */
public final class Preprocessor implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int channels;
  private final int height;
  private final int width;
  private final int resize;
  /** {@code lut[c][v]}: the normalised value of 8-bit level {@code v} in channel {@code c}. */
  private final float[][] lut;
  private final float[] mean;
  private final float[] std;

  public Preprocessor(ModelDescription.Input input, ModelDescription.Preprocessing preprocessing) {
    if (preprocessing.mean().length != input.channels()
        || preprocessing.std().length != input.channels()) {
      throw new IllegalArgumentException(
          "preprocessing.mean and .std need one value per input channel (" + input.channels()
              + ")");
    }
    this.channels = input.channels();
    this.height = input.height();
    this.width = input.width();
    this.resize = preprocessing.resize();
    this.mean = preprocessing.mean().clone();
    this.std = preprocessing.std().clone();
    this.lut = new float[channels][256];
    for (int c = 0; c < channels; c++) {
      float mean = preprocessing.mean()[c];
      float std = preprocessing.std()[c];
      for (int v = 0; v < 256; v++) {
        lut[c][v] = ((float) v / 255f - mean) / std;
      }
    }
  }

  public static Preprocessor of(ModelDescription model) {
    return new Preprocessor(model.input(), model.preprocessing());
  }

  /** The length of every array this returns: channels × height × width. */
  public int outputLength() {
    return channels * height * width;
  }

  /**
   * Preprocesses an RGB image, as {@link ImageDecoder} returns them. Images in other colour
   * models are read through {@link BufferedImage#getRGB}, i.e. Java's conversion to sRGB.
   */
  public float[] apply(BufferedImage rgb) {
    int w = rgb.getWidth();
    int h = rgb.getHeight();
    byte[] planar = new byte[3 * w * h];
    if (isPlainRgb(rgb)) {
      int[] samples = null;
      for (int band = 0; band < 3; band++) {
        samples = rgb.getRaster().getSamples(0, 0, w, h, band, samples);
        for (int i = 0; i < samples.length; i++) {
          planar[band * w * h + i] = (byte) samples[i];
        }
      }
    } else {
      int[] argb = rgb.getRGB(0, 0, w, h, null, 0, w);
      for (int i = 0; i < argb.length; i++) {
        planar[i] = (byte) (argb[i] >> 16);
        planar[w * h + i] = (byte) (argb[i] >> 8);
        planar[2 * w * h + i] = (byte) argb[i];
      }
    }
    return applyPlanar(planar, w, h);
  }

  /**
   * Preprocesses planar RGB bytes (the red plane, then green, then blue, each row-major), the
   * layout of a CIFAR record ({@link CifarFormat}); the same numbers as {@link #apply} on the
   * equivalent image, without building one.
   */
  public float[] applyPlanarRgb(byte[] planar, int w, int h) {
    if (w <= 0 || h <= 0 || planar.length != 3L * w * h) {
      throw new IllegalArgumentException(
          "planar RGB of " + w + "x" + h + " needs " + 3L * w * h + " bytes, got "
              + planar.length);
    }
    return applyPlanar(planar, w, h);
  }

  private float[] applyPlanar(byte[] rgb, int w, int h) {
    byte[] planes = channels == 1 ? luma(rgb, w * h) : rgb;

    // torchvision computes the longer side in Python integers: long here, since an extreme
    // aspect ratio (10,000,000 x 1 resized to 32) can make it larger than an int.
    long outW;
    long outH;
    if (resize == 0) {
      outW = width;
      outH = height;
    } else if (w <= h) {
      outW = resize;
      outH = (long) ((double) resize * h / w);
    } else {
      outH = resize;
      outW = (long) ((double) resize * w / h);
    }
    long top = cropOffset(outH, height);
    long left = cropOffset(outW, width);
    // Only the part of the resized image that the crop keeps is computed (PilResample explains
    // why that gives the same bytes): rows [y0, y0 + rows), columns [x0, x0 + cols); the rest of
    // the crop, if any, is padding.
    long y0 = Math.max(top, 0);
    long x0 = Math.max(left, 0);
    int rows = (int) Math.max(Math.min(top + height, outH) - y0, 0);
    int cols = (int) Math.max(Math.min(left + width, outW) - x0, 0);
    byte[] window =
        PilResample.resizeWindow(planes, channels, w, h, outW, outH, x0, y0, cols, rows);

    int padTop = (int) (y0 - top);
    int padLeft = (int) (x0 - left);
    boolean padded = rows < height || cols < width;
    float[] out = new float[outputLength()];
    for (int c = 0; c < channels; c++) {
      float[] levels = lut[c];
      int plane = c * height * width;
      if (padded) {
        Arrays.fill(out, plane, plane + height * width, levels[0]);
      }
      for (int y = 0; y < rows; y++) {
        int o = plane + (padTop + y) * width + padLeft;
        int in = (c * rows + y) * cols;
        for (int x = 0; x < cols; x++) {
          out[o + x] = levels[window[in + x] & 0xFF];
        }
      }
    }
    return out;
  }

  /**
   * Undoes the normalisation of an array {@link #apply} returned: the model's input as pixel
   * values in [0, 1] (the resized, cropped picture the model saw), for previews.
   */
  public float[] unitPixels(float[] normalised) {
    if (normalised.length != outputLength()) {
      throw new IllegalArgumentException("expected " + outputLength() + " values, got " + normalised.length);
    }
    float[] out = new float[normalised.length];
    int plane = height * width;
    for (int c = 0; c < channels; c++) {
      for (int i = c * plane, end = i + plane; i < end; i++) {
        float v = normalised[i] * std[c] + mean[c];
        out[i] = v < 0f ? 0f : (v > 1f ? 1f : v);
      }
    }
    return out;
  }

  /**
   * The model's normalisation of pixel values in [0, 1] (C×H×W at the input size), {@code (v -
   * mean[c]) / std[c]}: the last step of {@link #apply}, for inputs edited in pixel space after
   * {@link #unitPixels} (the audit's counterfactual edits).
   */
  public float[] normalise(float[] unit) {
    if (unit.length != outputLength()) {
      throw new IllegalArgumentException("expected " + outputLength() + " values, got " + unit.length);
    }
    float[] out = new float[unit.length];
    int plane = height * width;
    for (int c = 0; c < channels; c++) {
      for (int i = c * plane, end = i + plane; i < end; i++) {
        out[i] = (unit[i] - mean[c]) / std[c];
      }
    }
    return out;
  }

  /**
   * torchvision's {@code center_crop} offset along one axis. A crop larger than the image pads
   * {@code (crop - size) // 2} zeros before it, so the crop starts that far before the image.
   */
  static long cropOffset(long size, int crop) {
    if (crop > size) {
      return -((crop - size) / 2);
    }
    return (long) Math.rint((size - crop) / 2.0); // Python's round(): ties to even
  }

  /** PIL's {@code rgb2l}: ITU-R 601-2 luma in 16-bit fixed point, rounded. */
  private static byte[] luma(byte[] rgb, int n) {
    byte[] l = new byte[n];
    for (int i = 0; i < n; i++) {
      int r = rgb[i] & 0xFF;
      int g = rgb[n + i] & 0xFF;
      int b = rgb[2 * n + i] & 0xFF;
      l[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
    }
    return l;
  }

  private static boolean isPlainRgb(BufferedImage image) {
    int type = image.getType();
    return type == BufferedImage.TYPE_INT_RGB
        || type == BufferedImage.TYPE_INT_ARGB
        || type == BufferedImage.TYPE_3BYTE_BGR
        || type == BufferedImage.TYPE_4BYTE_ABGR;
  }
}
