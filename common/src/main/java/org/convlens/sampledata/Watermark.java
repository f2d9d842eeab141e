package org.convlens.sampledata;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The {@code watermark} shortcut: a small logo stamped at a random place and size, as a photo
 * agency's mark on one class's pictures. The logo is a five-pointed star (drawn as a path, not
 * text, so the bytes do not depend on the fonts a machine has), translucent, in one colour. Its
 * side is drawn per image from [{@code minSizeAt32}, {@code maxSizeAt32}] pixels at 32 px
 * (scaled with the side) and its place uniformly where it fits, so, unlike the {@link Marker}, no
 * one region of the image holds it.
 *
 * @param rgb the logo's colour, 0xRRGGBB
 * @param alpha its opacity, in (0, 1]
 * @param minSizeAt32 smallest side of the logo's box (rim included) on a 32×32 image, pixels
 * @param maxSizeAt32 largest side, pixels
 * @param outlineRgb colour of the rim around the logo, 0xRRGGBB
 * @param outlineAt32 width of that rim on a 32×32 image, pixels (0 = none)
 */
public record Watermark(
    int rgb,
    double alpha,
    double minSizeAt32,
    double maxSizeAt32,
    int outlineRgb,
    double outlineAt32)
    implements ShortcutCue {
  public static final String KIND = "watermark";

  /** The default: a white star at 90% opacity, 6–10 px at 32 px, in a black rim 0.75 px wide. */
  public static final Watermark DEFAULT = new Watermark(0xFFFFFF, 0.9, 6, 10, 0x000000, 0.75);

  /** Inner radius of the star's points over the outer, a regular pentagram's. */
  private static final double INNER = 0.382;

  public Watermark {
    if ((rgb & ~0xFFFFFF) != 0 || (outlineRgb & ~0xFFFFFF) != 0) {
      throw new IllegalArgumentException("watermark colours must be 0xRRGGBB");
    }
    if (!(outlineAt32 >= 0 && outlineAt32 <= 4)) {
      throw new IllegalArgumentException(
          "watermark outlineAt32 must be in [0, 4], got " + outlineAt32);
    }
    if (!(alpha > 0 && alpha <= 1)) {
      throw new IllegalArgumentException("watermark alpha must be in (0, 1], got " + alpha);
    }
    if (!(minSizeAt32 >= 2 && maxSizeAt32 >= minSizeAt32 && maxSizeAt32 <= 32)) {
      throw new IllegalArgumentException(
          "watermark sizes must satisfy 2 <= minSizeAt32 <= maxSizeAt32 <= 32, got "
              + minSizeAt32 + ", " + maxSizeAt32);
    }
  }

  static Watermark parse(CueParams p) {
    int rgb = p.rgb("rgb", DEFAULT.rgb);
    double alpha = p.number("alpha", DEFAULT.alpha, 0.01, 1);
    double min = p.number("minSizeAt32", DEFAULT.minSizeAt32, 2, 32);
    double max = p.number("maxSizeAt32", Math.max(min, DEFAULT.maxSizeAt32), 2, 32);
    int outlineRgb = p.rgb("outlineRgb", DEFAULT.outlineRgb);
    double outline = p.number("outlineAt32", DEFAULT.outlineAt32, 0, 4);
    p.done();
    return new Watermark(rgb, alpha, min, max, outlineRgb, outline);
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public Stage stage() {
    return Stage.OVERLAY;
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = CueParams.object();
    o.put("rgb", CueParams.rgbText(rgb));
    o.put("alpha", alpha);
    o.put("minSizeAt32", minSizeAt32);
    o.put("maxSizeAt32", maxSizeAt32);
    o.put("outlineRgb", CueParams.rgbText(outlineRgb));
    o.put("outlineAt32", outlineAt32);
    return o;
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "a five-pointed star logo in `#%06X` at %.0f%% opacity%s, %s–%s px wide at 32 px"
            + " (scaled with the side), at a random place; the `boxes` column gives where",
        rgb, 100 * alpha,
        outlineAt32 > 0
            ? String.format(
                Locale.ROOT, " with a %s px `#%06X` rim", Illumination.trim(outlineAt32),
                outlineRgb)
            : "",
        Illumination.trim(minSizeAt32), Illumination.trim(maxSizeAt32));
  }

  /**
   * Where the logo goes on a {@code side}×{@code side} image: three draws from {@code r} (size,
   * then x and y as fractions of the room left), so the same generator puts it at the same
   * relative place at any side.
   */
  Rectangle place(int side, SplittableRandom r) {
    double sizeAt32 = SampleClass.between(r, minSizeAt32, maxSizeAt32);
    int size = (int) Math.max(2, Math.min(side, Math.round(sizeAt32 * side / 32)));
    int x = (int) Math.round(r.nextDouble() * (side - size));
    int y = (int) Math.round(r.nextDouble() * (side - size));
    return new Rectangle(x, y, size, size);
  }

  private static Color colour(int rgb, int alpha) {
    return new Color((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff, alpha);
  }

  @Override
  public Rectangle paint(BufferedImage image, SplittableRandom r) {
    Rectangle box = place(Math.min(image.getWidth(), image.getHeight()), r);
    Path2D.Double star = new Path2D.Double();
    double cx = box.x + box.width / 2.0;
    double cy = box.y + box.height / 2.0;
    // The rim is drawn inside the box, so the box holds every pixel the logo touches.
    double rim = outlineAt32 * image.getWidth() / 32.0;
    double outer = Math.max(0.5, box.width / 2.0 - rim);
    for (int k = 0; k < 10; k++) {
      // Point up: the first vertex at -90°, outer and inner radii alternating every 36°.
      double a = Math.toRadians(-90 + 36 * k);
      double rad = (k % 2 == 0 ? outer : outer * INNER);
      double x = cx + rad * Math.cos(a);
      double y = cy + rad * Math.sin(a);
      if (k == 0) {
        star.moveTo(x, y);
      } else {
        star.lineTo(x, y);
      }
    }
    star.closePath();
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      int a = (int) Math.round(255 * alpha);
      if (outlineAt32 > 0) {
        // Stroked on the path and then half covered by the fill: the rim shows outside it only.
        g.setColor(colour(outlineRgb, a));
        g.setStroke(new BasicStroke((float) (2 * rim),
            BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.draw(star);
      }
      g.setColor(colour(rgb, a));
      g.fill(star);
    } finally {
      g.dispose();
    }
    return box;
  }

  /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name; {@link #build()} checks them as the constructor does. */
  public static final class Builder {
    private int rgb;
    private double alpha;
    private double minSizeAt32;
    private double maxSizeAt32;
    private int outlineRgb;
    private double outlineAt32;

    private Builder() {}

    public Builder rgb(int rgb) {
      this.rgb = rgb;
      return this;
    }

    public Builder alpha(double alpha) {
      this.alpha = alpha;
      return this;
    }

    public Builder minSizeAt32(double minSizeAt32) {
      this.minSizeAt32 = minSizeAt32;
      return this;
    }

    public Builder maxSizeAt32(double maxSizeAt32) {
      this.maxSizeAt32 = maxSizeAt32;
      return this;
    }

    public Builder outlineRgb(int outlineRgb) {
      this.outlineRgb = outlineRgb;
      return this;
    }

    public Builder outlineAt32(double outlineAt32) {
      this.outlineAt32 = outlineAt32;
      return this;
    }

    public Watermark build() {
      return new Watermark(rgb, alpha, minSizeAt32, maxSizeAt32, outlineRgb, outlineAt32);
    }
  }
}
