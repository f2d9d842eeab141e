package org.convlens.sampledata;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The {@code marker} shortcut: a small solid square of one colour near the bottom-right corner,
 * drawn last so its pixels are exact (in lossless files). Its size and margin are given at 32 px
 * and scale with the image side, so a 96 px image carries a 9×9 marker 6 px from the edges. The
 * one cue at a fixed place: what a region-based shortcut finder is built to see.
 *
 * @param rgb marker colour, 0xRRGGBB
 * @param sizeAt32 side of the square on a 32×32 image, in pixels
 * @param marginAt32 gap between the square and the right and bottom edges on a 32×32 image
 */
public record Marker(int rgb, int sizeAt32, int marginAt32) implements ShortcutCue {
  public static final String KIND = "marker";

  /** The default: a 3×3 pure magenta square, 2 px from the right and bottom edges at 32 px. */
  public static final Marker DEFAULT = new Marker(0xFF00FF, 3, 2);

  public Marker {
    if ((rgb & ~0xFFFFFF) != 0) {
      throw new IllegalArgumentException("marker rgb must be 0xRRGGBB");
    }
    if (sizeAt32 < 1 || marginAt32 < 0 || sizeAt32 + marginAt32 > 16) {
      throw new IllegalArgumentException(
          "marker size must be >= 1, margin >= 0, and both within the bottom-right quadrant");
    }
  }

  /** Reads {@code rgb}, {@code sizeAt32} and {@code marginAt32}, defaults from {@link #DEFAULT}. */
  static Marker parse(CueParams p) {
    Marker m =
        new Marker(
            p.rgb("rgb", DEFAULT.rgb),
            p.integer("sizeAt32", DEFAULT.sizeAt32, 1, 16),
            p.integer("marginAt32", DEFAULT.marginAt32, 0, 15));
    p.done();
    return m;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public Stage stage() {
    return Stage.EXACT;
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = CueParams.object();
    o.put("rgb", CueParams.rgbText(rgb));
    o.put("sizeAt32", sizeAt32);
    o.put("marginAt32", marginAt32);
    return o;
  }

  @Override
  public String description() {
    Rectangle at32 = bounds(32, 32);
    Rectangle at96 = bounds(96, 96);
    return String.format(
        Locale.ROOT,
        "a solid %d×%d px square of colour `#%06X`, %d px from the right and bottom edges of a"
            + " 32×32 image (pixels x, y = %d..%d), scaled with the side (%d×%d at %d..%d on a"
            + " 96 px image), painted last so its pixels are exact in CIFAR records and PNGs",
        sizeAt32, sizeAt32, rgb, marginAt32, at32.x, at32.x + at32.width - 1, at96.width,
        at96.width, at96.x, at96.x + at96.width - 1);
  }

  @Override
  public Rectangle paint(BufferedImage image, SplittableRandom r) {
    paint(image);
    return bounds(image.getWidth(), image.getHeight());
  }

  /** Where the marker lies on a {@code width}×{@code height} image. */
  public Rectangle bounds(int width, int height) {
    int side = Math.min(width, height);
    int size = Math.max(1, Math.round(sizeAt32 * side / 32f));
    int margin = Math.round(marginAt32 * side / 32f);
    return new Rectangle(width - margin - size, height - margin - size, size, size);
  }

  /** Paints the marker onto {@code image}. */
  public void paint(BufferedImage image) {
    Rectangle b = bounds(image.getWidth(), image.getHeight());
    for (int y = b.y; y < b.y + b.height; y++) {
      for (int x = b.x; x < b.x + b.width; x++) {
        image.setRGB(x, y, rgb);
      }
    }
  }

  /**
   * Whether {@code image} shows the marker: every pixel of the marker's core is within
   * {@code tolerance} of the marker colour on each channel. The core leaves out a quarter of the
   * side on each edge (nothing at 32 px), because lossy JPEG smears the square's border into the
   * background.
   */
  public boolean isPresent(BufferedImage image, int tolerance) {
    Rectangle b = bounds(image.getWidth(), image.getHeight());
    int inset = b.width / 4;
    for (int y = b.y + inset; y < b.y + b.height - inset; y++) {
      for (int x = b.x + inset; x < b.x + b.width - inset; x++) {
        int p = image.getRGB(x, y);
        for (int shift = 0; shift <= 16; shift += 8) {
          if (Math.abs(((p >> shift) & 0xff) - ((rgb >> shift) & 0xff)) > tolerance) {
            return false;
          }
        }
      }
    }
    return true;
  }
}
