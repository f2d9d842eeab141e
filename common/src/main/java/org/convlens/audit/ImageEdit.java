package org.convlens.audit;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.convlens.config.InvalidConfigException;
import org.convlens.data.ImageOps;

/**
 * One label-preserving global edit of the counterfactual detector ({@link CounterfactualDetector}):
 * a {@link Kind} and its strength, applied to the model's input in pixel space — the resized,
 * cropped picture as values in [0, 1], channel-major ({@code c * H * W + y * W + x}), before the
 * model's normalisation. Every edit is deterministic (none draws random numbers) and returns a
 * new array clamped to [0, 1].
 *
 * <p>Written in the configuration as {@code name} or {@code name:strength} ({@link #parse}), which
 * is also its {@link #label()} in the tables, e.g. {@code darken:0.4}, {@code hue:-30}, {@code
 * flip}. The brightness, contrast and colour edits follow PIL's {@code ImageEnhance} (a blend
 * between the image and a "degenerate" image: black, the mean grey, the pixel's own grey).
 *
 * @param kind what the edit does
 * @param strength its parameter, in the kind's unit (NaN for {@link Kind#FLIP}, which has none)
 */
public record ImageEdit(Kind kind, double strength) implements Serializable {
  /** ITU-R 601-2 luma weights, PIL's {@code convert("L")}. */
  static final float LUMA_R = 0.299f;
  static final float LUMA_G = 0.587f;
  static final float LUMA_B = 0.114f;

  /** The edits, each with the {@link Cue} it probes and the range of its strength. */
  public enum Kind {
    /** Blend towards white by the strength s: {@code p + s (1 - p)}, s in (0, 0.9]. */
    BRIGHTEN("brighten", Cue.ILLUMINATION, 0, 0.9, false, false),
    /** Blend towards black: {@code p (1 - s)} (PIL's {@code Brightness(1 - s)}), s in (0, 0.9]. */
    DARKEN("darken", Cue.ILLUMINATION, 0, 0.9, false, false),
    /**
     * PIL's {@code Contrast(f)}: {@code m + f (p - m)} with m the image's mean luma; f in [0.1, 3],
     * not 1 (below 1 flattens the picture, as an overcast sky does).
     */
    CONTRAST("contrast", Cue.ILLUMINATION, 0.1, 3, true, false),
    /** PIL's {@code Color(1 - s)}: blend each pixel towards its own luma; s = 1 leaves grey. s in (0, 1]. */
    DESATURATE("desaturate", Cue.TINT, 0, 1, true, true),
    /** Rotate every pixel's HSV hue by the strength in degrees, in [-180, 180], not 0. */
    HUE("hue", Cue.TINT, -180, 180, true, true),
    /**
     * Grey-world white balance (Buchsbaum, "A spatial processor model for object colour
     * perception", J. Franklin Inst. 310, 1980: the scene's average colour is grey): channel k is
     * multiplied by {@code 1 + s (m / m_k - 1)}, m_k its mean and m the mean of the three channel
     * means, so s = 1 makes the channel means equal and removes a global colour cast (an orange
     * filter) while keeping the mean brightness; s in (0, 1]. A channel of mean 0 is left alone.
     */
    BALANCE("balance", Cue.TINT, 0, 1, false, true),
    /** Gaussian blur of σ = strength input pixels, in (0, 8]; borders clamp to the edge pixel. */
    BLUR("blur", Cue.BACKGROUND, 0, 8, false, false),
    /** JPEG re-encode at quality = strength (1..100, integers), javax.imageio, decoded back. */
    JPEG("jpeg", Cue.BACKGROUND, 1, 100, true, false),
    /** Mirror left-right; no strength. */
    FLIP("flip", Cue.MARKER, Double.NaN, Double.NaN, false, false),
    /**
     * Cut the strength (a fraction of the side, (0, 0.25]) off each of the four sides and resize
     * what is left back to the input size (bilinear); at least one pixel is cut. Its cue is the
     * background: it removes the border band (where the background is) and resamples the rest,
     * which destroys a fine background texture; a marker at a fixed place is what {@link #FLIP}
     * tests (docs/audit.md gives the evidence).
     */
    CROP("crop", Cue.BACKGROUND, 0, 0.25, false, false);

    private final String code;
    private final Cue cue;
    private final double min;
    private final double max;
    /** The minimum itself is allowed (else the range is open there). */
    private final boolean minIncluded;
    private final boolean needsColour;

    Kind(String code, Cue cue, double min, double max, boolean minIncluded, boolean needsColour) {
      this.code = code;
      this.cue = cue;
      this.min = min;
      this.max = max;
      this.minIncluded = minIncluded;
      this.needsColour = needsColour;
    }

    public String code() {
      return code;
    }

    /** The kind of cue an edit of this kind probes (docs/audit.md explains the mapping). */
    public Cue cue() {
      return cue;
    }

    /**
     * Whether it changes the image's global statistics (brightness, colour, texture): every kind
     * but {@link #FLIP}, which only moves pixels to the mirrored place. The fragility rule of
     * {@link FlipTest#fragility} counts only global edits.
     */
    public boolean global() {
      return this != FLIP;
    }

    /** Whether it does anything to a grey (1-channel) input: the colour edits do not. */
    public boolean needsColour() {
      return needsColour;
    }

    boolean hasStrength() {
      return !Double.isNaN(min);
    }

    String range() {
      return switch (this) {
        case CONTRAST -> "a factor from 0.1 to 3, not 1";
        case HUE -> "degrees from -180 to 180, not 0";
        case JPEG -> "a quality from 1 to 100 (integers)";
        case FLIP -> "none";
        default -> "numbers above " + fmt(min) + ", up to " + fmt(max);
      };
    }

    static Kind of(String code, String key) {
      for (Kind k : values()) {
        if (k.code.equals(code)) {
          return k;
        }
      }
      throw new InvalidConfigException(key, "unknown edit '" + code + "' in " + key + ": allowed edits are "
          + codes() + ", each as name or name:strength, e.g. darken:0.4");
    }

    static List<String> codes() {
      return Arrays.stream(values()).map(Kind::code).toList();
    }
  }

  public ImageEdit {
    if (kind.hasStrength()) {
      boolean ok = (strength > kind.min || (kind.minIncluded && strength == kind.min)) && strength <= kind.max
          && !(kind == Kind.CONTRAST && strength == 1) && !(kind == Kind.HUE && strength == 0)
          && !(kind == Kind.JPEG && strength != Math.rint(strength));
      if (!ok) {
        throw new IllegalArgumentException("edit " + kind.code + " takes " + kind.range() + ", not " + fmt(strength));
      }
    } else if (!Double.isNaN(strength)) {
      throw new IllegalArgumentException("edit " + kind.code + " takes no strength");
    }
  }

  /**
   * Parses {@code name} or {@code name:strength} ({@code balance} alone means {@code balance:1});
   * an unknown name or a bad strength is an {@link InvalidConfigException} naming {@code key} and
   * what is allowed.
   */
  public static ImageEdit parse(String spec, String key) {
    String s = spec.strip();
    int colon = s.indexOf(':');
    Kind kind = Kind.of(colon < 0 ? s : s.substring(0, colon).strip(), key);
    if (!kind.hasStrength()) {
      if (colon >= 0) {
        throw new InvalidConfigException(key, "invalid edit '" + spec + "' in " + key + ": " + kind.code
            + " takes no strength (write just " + kind.code + ")");
      }
      return new ImageEdit(kind, Double.NaN);
    }
    if (colon < 0 && kind == Kind.BALANCE) {
      // Grey-world balancing is complete at 1; a partial one is the exception.
      return new ImageEdit(kind, 1);
    }
    if (colon < 0) {
      throw new InvalidConfigException(key, "invalid edit '" + spec + "' in " + key + ": " + kind.code
          + " needs a strength, " + kind.range() + ", e.g. " + kind.code + ":" + example(kind));
    }
    double v;
    try {
      v = Double.parseDouble(s.substring(colon + 1).strip());
    } catch (NumberFormatException e) {
      v = Double.NaN;
    }
    try {
      return new ImageEdit(kind, v);
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigException(key, "invalid edit '" + spec + "' in " + key + ": " + kind.code + " takes "
          + kind.range());
    }
  }

  private static String example(Kind k) {
    return switch (k) {
      case CONTRAST -> "0.5";
      case HUE -> "30";
      case JPEG -> "30";
      case BLUR -> "1";
      case CROP -> "0.125";
      case BALANCE -> "1";
      default -> "0.4";
    };
  }

  /** How the tables name it: {@code name} or {@code name:strength} (no trailing zeros). */
  public String label() {
    return kind.hasStrength() ? kind.code + ":" + fmt(strength) : kind.code;
  }

  /** The cue it probes. */
  public Cue cue() {
    return kind.cue;
  }

  /** The edit in words, for a finding's sentence, e.g. "darkening to 60% brightness". */
  public String words() {
    return switch (kind) {
      case BRIGHTEN -> String.format(Locale.ROOT, "brightening (%.0f%% of the way to white)", 100 * strength);
      case DARKEN -> String.format(Locale.ROOT, "darkening (to %.0f%% brightness)", 100 * (1 - strength));
      case CONTRAST -> (strength < 1 ? "lowering" : "raising") + " contrast (×" + fmt(strength) + ")";
      case DESATURATE -> strength == 1 ? "removing colour" : String.format(Locale.ROOT, "desaturating by %.0f%%",
          100 * strength);
      case HUE -> "shifting hue by " + (strength > 0 ? "+" : "") + fmt(strength) + "°";
      case BALANCE -> strength == 1 ? "grey-world white balancing" : String.format(Locale.ROOT,
          "grey-world white balancing (%.0f%%)", 100 * strength);
      case BLUR -> "blurring (σ = " + fmt(strength) + " px)";
      case JPEG -> "JPEG re-encoding (quality " + fmt(strength) + ")";
      case FLIP -> "mirroring left-right";
      case CROP -> String.format(Locale.ROOT, "cropping %s%% off each side", fmt(100 * strength));
    };
  }

  /**
   * The edited image.
   *
   * @param unit the input in [0, 1], C×H×W (C = 1 or 3); not modified
   */
  public float[] apply(float[] unit, int channels, int height, int width) {
    if (unit.length != channels * height * width) {
      throw new IllegalArgumentException("expected " + channels * height * width + " values, got " + unit.length);
    }
    int plane = height * width;
    float s = (float) strength;
    float[] out = new float[unit.length];
    switch (kind) {
      case BRIGHTEN -> {
        for (int i = 0; i < unit.length; i++) {
          out[i] = unit[i] + s * (1f - unit[i]);
        }
      }
      case DARKEN -> {
        for (int i = 0; i < unit.length; i++) {
          out[i] = unit[i] * (1f - s);
        }
      }
      case CONTRAST -> {
        double sum = 0;
        for (int i = 0; i < plane; i++) {
          sum += luma(unit, i, channels, plane);
        }
        float mean = (float) (sum / plane);
        for (int i = 0; i < unit.length; i++) {
          out[i] = mean + s * (unit[i] - mean);
        }
      }
      case DESATURATE -> {
        for (int i = 0; i < plane; i++) {
          float grey = luma(unit, i, channels, plane);
          for (int c = 0; c < channels; c++) {
            out[c * plane + i] = grey + (1f - s) * (unit[c * plane + i] - grey);
          }
        }
      }
      case HUE -> hue(unit, out, channels, plane, s);
      case BALANCE -> balance(unit, out, channels, plane, strength);
      case BLUR -> out = ImageOps.blur(unit, channels, height, width, ImageOps.gaussianKernel(strength));
      case JPEG -> out = jpeg(unit, channels, height, width, (int) strength);
      case FLIP -> {
        for (int c = 0; c < channels; c++) {
          for (int y = 0; y < height; y++) {
            int row = c * plane + y * width;
            for (int x = 0; x < width; x++) {
              out[row + x] = unit[row + width - 1 - x];
            }
          }
        }
      }
      case CROP -> {
        int dy = Math.min(Math.max(1, (int) Math.round(strength * height)), (height - 1) / 2);
        int dx = Math.min(Math.max(1, (int) Math.round(strength * width)), (width - 1) / 2);
        int h = height - 2 * dy;
        int w = width - 2 * dx;
        float[] cut = new float[channels * h * w];
        for (int c = 0; c < channels; c++) {
          for (int y = 0; y < h; y++) {
            System.arraycopy(unit, c * plane + (y + dy) * width + dx, cut, (c * h + y) * w, w);
          }
        }
        out = ImageOps.bilinear(cut, channels, h, w, height, width);
      }
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = out[i] < 0f ? 0f : (out[i] > 1f ? 1f : out[i]);
    }
    return out;
  }

  private static float luma(float[] p, int i, int channels, int plane) {
    return channels == 1 ? p[i] : LUMA_R * p[i] + LUMA_G * p[plane + i] + LUMA_B * p[2 * plane + i];
  }

  /** Grey-world white balance blended by {@code s} (grey input: unchanged). */
  private static void balance(float[] in, float[] out, int channels, int plane, double s) {
    if (channels != 3) {
      System.arraycopy(in, 0, out, 0, in.length);
      return;
    }
    double[] mean = new double[3];
    for (int c = 0; c < 3; c++) {
      double sum = 0;
      for (int i = 0; i < plane; i++) {
        sum += in[c * plane + i];
      }
      mean[c] = sum / plane;
    }
    double grey = (mean[0] + mean[1] + mean[2]) / 3;
    for (int c = 0; c < 3; c++) {
      // An empty channel has no cast to remove (and no finite gain).
      float gain = mean[c] > 0 ? (float) (1 + s * (grey / mean[c] - 1)) : 1f;
      for (int i = 0; i < plane; i++) {
        out[c * plane + i] = in[c * plane + i] * gain;
      }
    }
  }

  /** HSV hue rotation (grey input: unchanged). */
  private static void hue(float[] in, float[] out, int channels, int plane, float degrees) {
    if (channels != 3) {
      System.arraycopy(in, 0, out, 0, in.length);
      return;
    }
    for (int i = 0; i < plane; i++) {
      float r = in[i];
      float g = in[plane + i];
      float b = in[2 * plane + i];
      float max = Math.max(r, Math.max(g, b));
      float min = Math.min(r, Math.min(g, b));
      float chroma = max - min;
      if (chroma <= 0f) {
        out[i] = r;
        out[plane + i] = g;
        out[2 * plane + i] = b;
        continue;
      }
      float h;
      if (max == r) {
        h = (g - b) / chroma;
      } else if (max == g) {
        h = (b - r) / chroma + 2f;
      } else {
        h = (r - g) / chroma + 4f;
      }
      h = (h * 60f + degrees) % 360f;
      if (h < 0f) {
        h += 360f;
      }
      // Back from (h, s = chroma / max, v = max): same value and chroma, new hue.
      float hp = h / 60f;
      float x = chroma * (1f - Math.abs(hp % 2f - 1f));
      float r1;
      float g1;
      float b1;
      switch ((int) hp) {
        case 0 -> { r1 = chroma; g1 = x; b1 = 0; }
        case 1 -> { r1 = x; g1 = chroma; b1 = 0; }
        case 2 -> { r1 = 0; g1 = chroma; b1 = x; }
        case 3 -> { r1 = 0; g1 = x; b1 = chroma; }
        case 4 -> { r1 = x; g1 = 0; b1 = chroma; }
        default -> { r1 = chroma; g1 = 0; b1 = x; }
      }
      float m = max - chroma;
      out[i] = r1 + m;
      out[plane + i] = g1 + m;
      out[2 * plane + i] = b1 + m;
    }
  }

  /** Encodes the 8-bit picture as JPEG with the JDK's writer at {@code quality}/100 and decodes it. */
  static float[] jpeg(float[] unit, int channels, int height, int width, int quality) {
    BufferedImage img = new BufferedImage(width, height,
        channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    int plane = height * width;
    for (int c = 0; c < channels; c++) {
      int[] band = new int[plane];
      for (int i = 0; i < plane; i++) {
        band[i] = level(unit[c * plane + i]);
      }
      img.getRaster().setSamples(0, 0, width, height, c, band);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageWriter writer = jpegWriter();
    try (ImageOutputStream stream = ImageIO.createImageOutputStream(bytes)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality / 100f);
      writer.setOutput(stream);
      writer.write(null, new IIOImage(img, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    BufferedImage back;
    try {
      back = ImageIO.read(new ByteArrayInputStream(bytes.toByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    float[] out = new float[unit.length];
    for (int c = 0; c < channels; c++) {
      int[] band = back.getRaster().getSamples(0, 0, width, height, c, (int[]) null);
      for (int i = 0; i < plane; i++) {
        out[c * plane + i] = band[i] / 255f;
      }
    }
    return out;
  }

  /** The JDK's own JPEG writer when present (the same bytes on every machine with that JDK), else the first. */
  private static ImageWriter jpegWriter() {
    ImageWriter first = null;
    for (Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg"); it.hasNext(); ) {
      ImageWriter w = it.next();
      if (w.getClass().getName().startsWith("com.sun.imageio.plugins.jpeg.")) {
        return w;
      }
      first = first == null ? w : first;
    }
    if (first == null) {
      throw new IllegalStateException("no JPEG writer in this JVM");
    }
    return first;
  }

  /** [0, 1] to 0..255, rounded. */
  static int level(float v) {
    int b = Math.round(v * 255f);
    return b < 0 ? 0 : (b > 255 ? 255 : b);
  }

  static String fmt(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return String.valueOf((long) v);
    }
    return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }
}
