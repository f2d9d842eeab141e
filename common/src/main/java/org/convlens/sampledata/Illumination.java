package org.convlens.sampledata;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The {@code illumination} shortcut, after the story of the tank detector that learnt the
 * weather: the class's photos are darker and flatter, as under an overcast sky. Every channel of
 * every pixel becomes {@code offset + gain × value} (0..255 levels, rounded), so the image's mean
 * moves toward {@code offset / (1 - gain)} and its standard deviation shrinks by {@code gain}.
 * The map never leaves 0..255, so nothing is clipped.
 *
 * @param gain contrast kept, in (0, 1]
 * @param offset level added after the scaling, in [0, 255 × (1 - gain)]
 */
public record Illumination(double gain, double offset) implements ShortcutCue {
  public static final String KIND = "illumination";

  /** The default: half the contrast, the brightest white down to 147 and black up to 20. */
  public static final Illumination DEFAULT = new Illumination(0.5, 20);

  public Illumination {
    if (!(gain > 0 && gain <= 1)) {
      throw new IllegalArgumentException("illumination gain must be in (0, 1], got " + gain);
    }
    if (!(offset >= 0 && offset <= 255 * (1 - gain) + 1e-9)) {
      throw new IllegalArgumentException(
          "illumination offset must be in [0, 255 × (1 - gain)] so no level is clipped, got "
              + offset);
    }
  }

  static Illumination parse(CueParams p) {
    double gain = p.number("gain", DEFAULT.gain, 0.01, 1);
    Illumination i = new Illumination(gain, p.number("offset", DEFAULT.offset, 0, 255));
    p.done();
    return i;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public Stage stage() {
    return Stage.FILTER;
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = CueParams.object();
    o.put("gain", gain);
    o.put("offset", offset);
    return o;
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "darker and flatter, as under an overcast sky: every level v becomes %s + %s × v (black"
            + " %d, white %d; contrast × %s)",
        trim(offset), trim(gain), Math.round(offset), Math.round(offset + 255 * gain),
        trim(gain));
  }

  static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  @Override
  public Rectangle paint(BufferedImage image, SplittableRandom r) {
    int[] lut = new int[256];
    for (int v = 0; v < 256; v++) {
      lut[v] = (int) Math.round(offset + gain * v);
    }
    int w = image.getWidth();
    int h = image.getHeight();
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < rgb.length; i++) {
      int p = rgb[i];
      rgb[i] = (lut[(p >> 16) & 0xff] << 16) | (lut[(p >> 8) & 0xff] << 8) | lut[p & 0xff];
    }
    image.setRGB(0, 0, w, h, rgb, 0, w);
    return null;
  }
}
