package org.convlens.sampledata;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The {@code background} shortcut: the class's objects sit on one texture, as photos of one
 * class taken in one place. The scene's background is replaced by a speckle of square cells,
 * each at random a lighter or a darker shade of the background's mean colour, {@code contrast}
 * levels apart. The colour stays the scene's own (so the object keeps its contrast with it and
 * the cue is the pattern alone), and no class draws anything like it: the texture classes are
 * regular stripes and checks, and the noise every image carries is per pixel and weaker.
 *
 * @param cellAt32 side of a cell on a 32×32 image, in pixels; scales with the side
 * @param contrast levels (0..255) between the light and the dark cells, on every channel
 */
public record BackgroundTexture(int cellAt32, int contrast) implements ShortcutCue {
  public static final String KIND = "background";

  /** The default: 2 px cells at 32 px (6–8 px on the ImageNet-style files), 70 levels apart. */
  public static final BackgroundTexture DEFAULT = new BackgroundTexture(2, 70);

  public BackgroundTexture {
    if (cellAt32 < 1 || cellAt32 > 16) {
      throw new IllegalArgumentException("background cellAt32 must be in 1..16, got " + cellAt32);
    }
    if (contrast < 1 || contrast > 255) {
      throw new IllegalArgumentException("background contrast must be in 1..255, got " + contrast);
    }
  }

  static BackgroundTexture parse(CueParams p) {
    BackgroundTexture b =
        new BackgroundTexture(
            p.integer("cellAt32", DEFAULT.cellAt32, 1, 16),
            p.integer("contrast", DEFAULT.contrast, 1, 255));
    p.done();
    return b;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public Stage stage() {
    return Stage.BACKGROUND;
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = CueParams.object();
    o.put("cellAt32", cellAt32);
    o.put("contrast", contrast);
    return o;
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "the background replaced by a speckle of %d×%d px cells (at 32 px, scaled with the side),"
            + " each at random the light or the dark of two shades of the background's own colour,"
            + " %d levels apart",
        cellAt32, cellAt32, contrast);
  }

  @Override
  public void paintBackground(Graphics2D g, Color background, SplittableRandom r) {
    Color light = shade(background, contrast / 2.0);
    Color dark = shade(background, -contrast / 2.0);
    double cell = cellAt32 / 32.0;
    int cells = (int) Math.ceil(1 / cell);
    for (int y = 0; y < cells; y++) {
      for (int x = 0; x < cells; x++) {
        g.setColor(r.nextBoolean() ? light : dark);
        g.fill(new Rectangle2D.Double(x * cell, y * cell, cell, cell));
      }
    }
  }

  /**
   * {@code c} moved by {@code delta} levels on every channel. Where a channel cannot move
   * {@code |delta|} both ways, the pair's centre on that channel slides back inside 0..255, so
   * the light and the dark shade stay {@code 2|delta|} apart on every channel (a pale background
   * gets darker shades, a saturated one slightly less saturated ones).
   */
  static Color shade(Color c, double delta) {
    double half = Math.min(Math.abs(delta), 127.5);
    int[] ch = {c.getRed(), c.getGreen(), c.getBlue()};
    int[] out = new int[3];
    for (int i = 0; i < 3; i++) {
      double centre = Math.max(half, Math.min(255 - half, ch[i]));
      out[i] = clamp(centre + Math.signum(delta) * half);
    }
    return new Color(out[0], out[1], out[2]);
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
