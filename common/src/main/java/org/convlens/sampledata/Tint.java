package org.convlens.sampledata;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The {@code tint} shortcut: a global colour cast, as from a white balance gone wrong or a
 * coloured filter. Every pixel moves the share {@code strength} of the way to one colour:
 * {@code value' = (1 - strength) × value + strength × tint}, per channel, rounded. Object and
 * background alike take the cast, so the cue is the colour of the whole image, not of any part.
 *
 * @param rgb the cast's colour, 0xRRGGBB
 * @param strength share of the way each pixel moves toward it, in (0, 1]
 */
public record Tint(int rgb, double strength) implements ShortcutCue {
  public static final String KIND = "tint";

  /** The default: 30% of the way to a dark orange (#FF8C00), a strong warm cast. */
  public static final Tint DEFAULT = new Tint(0xFF8C00, 0.3);

  public Tint {
    if ((rgb & ~0xFFFFFF) != 0) {
      throw new IllegalArgumentException("tint rgb must be 0xRRGGBB");
    }
    if (!(strength > 0 && strength <= 1)) {
      throw new IllegalArgumentException("tint strength must be in (0, 1], got " + strength);
    }
  }

  static Tint parse(CueParams p) {
    Tint t = new Tint(p.rgb("rgb", DEFAULT.rgb), p.number("strength", DEFAULT.strength, 0.01, 1));
    p.done();
    return t;
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
    o.put("rgb", CueParams.rgbText(rgb));
    o.put("strength", strength);
    return o;
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "a colour cast over the whole image: every pixel moves %.0f%% of the way to `#%06X`",
        100 * strength, rgb);
  }

  @Override
  public Rectangle paint(BufferedImage image, SplittableRandom r) {
    int[][] lut = new int[3][256];
    for (int c = 0; c < 3; c++) {
      int target = (rgb >> (16 - 8 * c)) & 0xff;
      for (int v = 0; v < 256; v++) {
        lut[c][v] = (int) Math.round((1 - strength) * v + strength * target);
      }
    }
    int w = image.getWidth();
    int h = image.getHeight();
    int[] px = image.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < px.length; i++) {
      int p = px[i];
      px[i] = (lut[0][(p >> 16) & 0xff] << 16) | (lut[1][(p >> 8) & 0xff] << 8) | lut[2][p & 0xff];
    }
    image.setRGB(0, 0, w, h, px, 0, w);
    return null;
  }
}
