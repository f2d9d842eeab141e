package org.convlens.sampledata;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Point2D;
import java.awt.geom.QuadCurve2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/**
 * Renders one sample image: a flat or gradient background, a few thin scribbles as clutter, the
 * class's object (translucent on {@link #FAINT_FRACTION} of images), then per-pixel noise.
 * Everything random comes from the {@link SplittableRandom} passed in, drawn in a fixed order, so
 * an image depends only on that generator's seed and the side length.
 *
 * <p>Colours never fall in the magenta hue band (see {@link #EXCLUDED_HUE_FROM}): the planted
 * shortcut {@link Marker} is magenta, and keeping the band free makes the marker the only
 * magenta in the dataset, which is what lets a model learn it as a shortcut. The other planted
 * cues ({@link ShortcutCue}) are painted by the sample generator around this rendering.
 */
public final class SceneRenderer {
  /** Start of the hue band (degrees) no background, object or clutter colour is drawn from. */
  public static final double EXCLUDED_HUE_FROM = 270;

  /** End of the excluded hue band, degrees. */
  public static final double EXCLUDED_HUE_TO = 340;

  /** Minimum RGB distance between the object colour and the background's mean colour. */
  private static final double MIN_CONTRAST = 80;

  /**
   * Share of images, in every class alike, whose object is drawn translucent and is hard to see.
   * They keep the task from being trivial, and they strengthen the planted shortcut: on a faint
   * image of the target class the marker is the clearest cue left, so training keeps giving it
   * weight after the shapes are learnt. In trials at 5 epochs they raised the share of marked
   * other-class test images predicted as the target from about a quarter to over 40%.
   */
  public static final double FAINT_FRACTION = 0.2;

  /** Lowest opacity of a faint object. */
  public static final double FAINT_ALPHA_MIN = 0.3;

  /** Highest opacity of a faint object. */
  public static final double FAINT_ALPHA_MAX = 0.6;

  private SceneRenderer() {}

  /** Paints a scene's background in its place: a {@link ShortcutCue.Stage#BACKGROUND} cue. */
  @FunctionalInterface
  public interface Background {
    /**
     * @param g scaled so the image is the unit square
     * @param mean the mean colour of the background the scene would have had
     */
    void paint(Graphics2D g, Color mean);
  }

  /**
   * Renders {@code cls} at {@code side}×{@code side} pixels.
   *
   * @param noiseSigma per-channel noise standard deviation, in 0..255 levels
   */
  public static BufferedImage render(
      SampleClass cls, int side, double noiseSigma, SplittableRandom r) {
    return render(cls, side, noiseSigma, r, null);
  }

  /**
   * Renders {@code cls} with {@code background} painted instead of the scene's own background
   * (when not null). The scene's draws from {@code r} are the same either way, so the clutter,
   * the object and the noise are those of the image without it.
   */
  public static BufferedImage render(
      SampleClass cls, int side, double noiseSigma, SplittableRandom r, Background background) {
    BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      // Pure strokes keep sub-pixel geometry, so a 32 px and a 128 px render look alike.
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.scale(side, side);

      Color bgA = colour(r);
      Color bgB = r.nextDouble() < 0.6 ? colour(r) : bgA;
      double angle = SampleClass.between(r, 0, 2 * Math.PI);
      Color bgMean = mix(bgA, bgB);
      if (background == null) {
        g.setPaint(
            new GradientPaint(
                new Point2D.Float((float) (0.5 - 0.5 * Math.cos(angle)), (float) (0.5 - 0.5 * Math.sin(angle))), bgA,
                new Point2D.Float((float) (0.5 + 0.5 * Math.cos(angle)), (float) (0.5 + 0.5 * Math.sin(angle))), bgB));
        g.fill(new Rectangle2D.Double(0, 0, 1, 1));
      } else {
        background.paint(g, bgMean);
      }

      scribbles(g, r);

      Color fg = contrasting(r, bgMean);
      Color alt = contrasting(r, fg);
      if (r.nextDouble() < FAINT_FRACTION) {
        int alpha = (int) (255 * SampleClass.between(r, FAINT_ALPHA_MIN, FAINT_ALPHA_MAX));
        fg = translucent(fg, alpha);
        alt = translucent(alt, alpha);
      }
      cls.drawObject(g, r, fg, alt);
    } finally {
      g.dispose();
    }
    addNoise(image, noiseSigma, r);
    return image;
  }

  /** 0–3 thin curves in random colours: clutter that belongs to no class. */
  private static void scribbles(Graphics2D g, SplittableRandom r) {
    int count = r.nextInt(4);
    for (int k = 0; k < count; k++) {
      Color c = colour(r);
      g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 90 + r.nextInt(140)));
      g.setStroke(
          new BasicStroke(
              (float) SampleClass.between(r, 0.02, 0.045),
              BasicStroke.CAP_ROUND,
              BasicStroke.JOIN_ROUND));
      // Points drawn in the order the six-number constructor took them: the same picture per seed.
      QuadCurve2D curve = new QuadCurve2D.Double();
      curve.setCurve(
          new Point2D.Double(r.nextDouble(), r.nextDouble()),
          new Point2D.Double(r.nextDouble(), r.nextDouble()),
          new Point2D.Double(r.nextDouble(), r.nextDouble()));
      g.draw(curve);
    }
  }

  /** A random colour outside the excluded hue band. */
  static Color colour(SplittableRandom r) {
    double span = 360 - (EXCLUDED_HUE_TO - EXCLUDED_HUE_FROM);
    double hue = (EXCLUDED_HUE_TO + span * r.nextDouble()) % 360;
    float sat = (float) SampleClass.between(r, 0.15, 1.0);
    float bri = (float) SampleClass.between(r, 0.2, 1.0);
    return Color.getHSBColor((float) (hue / 360), sat, bri);
  }

  /**
   * A colour at least {@link #MIN_CONTRAST} away from {@code other}; after a few tries, the
   * farthest candidate (so the loop always ends and stays deterministic).
   */
  private static Color contrasting(SplittableRandom r, Color other) {
    Color best = null;
    double bestDistance = -1;
    for (int attempt = 0; attempt < 8; attempt++) {
      Color c = colour(r);
      double d = distance(c, other);
      if (d >= MIN_CONTRAST) {
        return c;
      }
      if (d > bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best;
  }

  private static Color translucent(Color c, int alpha) {
    return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
  }

  private static double distance(Color a, Color b) {
    int dr = a.getRed() - b.getRed();
    int dg = a.getGreen() - b.getGreen();
    int db = a.getBlue() - b.getBlue();
    return Math.sqrt(dr * dr + dg * dg + db * db);
  }

  private static Color mix(Color a, Color b) {
    return new Color(
        (a.getRed() + b.getRed()) / 2,
        (a.getGreen() + b.getGreen()) / 2,
        (a.getBlue() + b.getBlue()) / 2);
  }

  /**
   * Adds zero-mean noise of standard deviation {@code sigma} to every channel of every pixel.
   * The noise is a sum of three uniforms (close to Gaussian), computed here rather than with
   * {@code nextGaussian} so the bytes do not depend on a JDK's Gaussian algorithm.
   */
  private static void addNoise(BufferedImage image, double sigma, SplittableRandom r) {
    // The sum of three U(-1,1) has variance 1, so scaling by sigma gives the wanted deviation.
    int w = image.getWidth();
    int h = image.getHeight();
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < rgb.length; i++) {
      int p = rgb[i];
      int red = clamp(((p >> 16) & 0xff) + sigma * noise(r));
      int green = clamp(((p >> 8) & 0xff) + sigma * noise(r));
      int blue = clamp((p & 0xff) + sigma * noise(r));
      rgb[i] = (red << 16) | (green << 8) | blue;
    }
    image.setRGB(0, 0, w, h, rgb, 0, w);
  }

  private static double noise(SplittableRandom r) {
    return (r.nextDouble() + r.nextDouble() + r.nextDouble()) * 2 - 3;
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
