package org.convlens.sampledata;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The ten classes of the sample dataset: five solid shapes and five textures. Each constant draws
 * its object in unit coordinates (the caller scales the {@link Graphics2D} to the image side), so
 * one renderer serves 32×32 CIFAR records and 96–128 px ImageNet-style files alike.
 *
 * <p>Position, size, rotation and period are jittered per image so that the classes overlap a
 * little in appearance (a small ring looks like a disc, sparse dots look like clutter) and a small
 * CNN does not reach 100% trivially.
 */
public enum SampleClass {
  CIRCLE("circle", "a filled disc") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      double rad = between(r, 0.14, 0.30);
      g.setColor(fg);
      g.fill(disc(centre(r), centre(r), rad));
    }
  },
  SQUARE("square", "a filled square, tilted up to 20°") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      double half = between(r, 0.13, 0.27);
      double aspect = between(r, 0.85, 1.0);
      Shape box = new Rectangle2D.Double(-half, -half * aspect, 2 * half, 2 * half * aspect);
      g.setColor(fg);
      g.fill(place(box, centre(r), centre(r), Math.toRadians(between(r, -20, 20))));
    }
  },
  TRIANGLE("triangle", "a filled triangle at any rotation") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      double rad = between(r, 0.17, 0.33);
      Path2D.Double tri = new Path2D.Double();
      for (int k = 0; k < 3; k++) {
        double a = k * 2 * Math.PI / 3 + between(r, -0.2, 0.2);
        double d = rad * between(r, 0.85, 1.05);
        if (k == 0) {
          tri.moveTo(d * Math.cos(a), d * Math.sin(a));
        } else {
          tri.lineTo(d * Math.cos(a), d * Math.sin(a));
        }
      }
      tri.closePath();
      g.setColor(fg);
      g.fill(place(tri, centre(r), centre(r), between(r, 0, 2 * Math.PI)));
    }
  },
  CROSS("cross", "a plus sign, tilted up to 15°") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      double arm = between(r, 0.15, 0.30);
      double bar = arm * between(r, 0.28, 0.45);
      Path2D.Double plus = new Path2D.Double();
      plus.append(new Rectangle2D.Double(-arm, -bar, 2 * arm, 2 * bar), false);
      plus.append(new Rectangle2D.Double(-bar, -arm, 2 * bar, 2 * arm), false);
      plus.setWindingRule(Path2D.WIND_NON_ZERO);
      g.setColor(fg);
      g.fill(place(plus, centre(r), centre(r), Math.toRadians(between(r, -15, 15))));
    }
  },
  RING("ring", "an annulus, 30–70% of its radius wide") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      double rad = between(r, 0.16, 0.31);
      // Up to 70% of the radius: a thick ring at 32 px is only a small hole away from a disc.
      double width = rad * between(r, 0.3, 0.7);
      double mid = rad - width / 2;
      g.setColor(fg);
      g.setStroke(new BasicStroke((float) width));
      g.draw(disc(centre(r), centre(r), mid));
    }
  },
  HORIZONTAL_STRIPES("horizontal_stripes", "a patch of stripes within 12° of horizontal") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      stripes(g, r, fg, alt, between(r, -12, 12));
    }
  },
  VERTICAL_STRIPES("vertical_stripes", "a patch of stripes within 12° of vertical") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      stripes(g, r, fg, alt, 90 + between(r, -12, 12));
    }
  },
  CHECKERBOARD("checkerboard", "a patch of checks, tilted up to 12°") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      Shape patch = patch(r);
      double cell = between(r, 0.09, 0.16);
      double angle = Math.toRadians(between(r, -12, 12));
      Path2D.Double cells = new Path2D.Double();
      int n = (int) Math.ceil(1.5 / cell);
      for (int i = -n; i < n; i++) {
        for (int j = -n; j < n; j++) {
          if (((i + j) & 1) == 0) {
            cells.append(new Rectangle2D.Double(i * cell, j * cell, cell, cell), false);
          }
        }
      }
      fillTexture(g, patch, alt, fg, place(cells, 0.5, 0.5, angle));
    }
  },
  DIAGONAL_STRIPES("diagonal_stripes", "a patch of stripes at 35–55° either way") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      double angle = between(r, 35, 55);
      stripes(g, r, fg, alt, r.nextBoolean() ? angle : -angle);
    }
  },
  DOTS("dots", "6–14 small discs scattered together") {
    @Override
    void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt) {
      int count = 6 + r.nextInt(9);
      double cx = between(r, 0.4, 0.6);
      double cy = between(r, 0.4, 0.6);
      double spread = between(r, 0.22, 0.34);
      g.setColor(fg);
      for (int k = 0; k < count; k++) {
        double rad = between(r, 0.035, 0.065);
        g.fill(
            disc(cx + between(r, -spread, spread), cy + between(r, -spread, spread), rad));
      }
    }
  };

  /** First synset-like id; class {@code k} gets {@code n} + the 8 digits of this + k. */
  public static final int FIRST_SYNSET = 90_000_001;

  private final String className;
  private final String description;

  SampleClass(String className, String description) {
    this.className = className;
    this.description = description;
  }

  /** The human-readable name written to the class lists (lower case, no spaces). */
  public String className() {
    return className;
  }

  /** What the class's object looks like, for the dataset's README. */
  public String description() {
    return description;
  }

  /** The CIFAR label and logit position. */
  public int label() {
    return ordinal();
  }

  /** The ImageNet-style id, {@code n90000001} for the first class. */
  public String synset() {
    return String.format(Locale.ROOT, "n%08d", FIRST_SYNSET + ordinal());
  }

  public static SampleClass ofLabel(int label) {
    return values()[label];
  }

  /** The class names in label order. */
  public static List<String> classNames() {
    return Arrays.stream(values()).map(SampleClass::className).toList();
  }

  /**
   * Draws the class's object in the unit square.
   *
   * @param fg the object colour, chosen to stand out from the background
   * @param alt a second colour for the texture classes' other phase
   */
  abstract void drawObject(Graphics2D g, SplittableRandom r, Color fg, Color alt);

  static double between(SplittableRandom r, double lo, double hi) {
    return lo + (hi - lo) * r.nextDouble();
  }

  private static double centre(SplittableRandom r) {
    return between(r, 0.32, 0.68);
  }

  private static Shape disc(double cx, double cy, double rad) {
    return new Ellipse2D.Double(cx - rad, cy - rad, 2 * rad, 2 * rad);
  }

  /** Rotates {@code s} (drawn around the origin) by {@code angle} and moves it to (cx, cy). */
  private static Shape place(Shape s, double cx, double cy, double angle) {
    AffineTransform t = AffineTransform.getTranslateInstance(cx, cy);
    t.rotate(angle);
    return t.createTransformedShape(s);
  }

  /** The rectangular region a texture fills: 45–85% of the side, jittered. */
  private static Shape patch(SplittableRandom r) {
    double w = between(r, 0.45, 0.85);
    double h = between(r, 0.45, 0.85);
    double x = between(r, 0.05, 0.95 - w);
    double y = between(r, 0.05, 0.95 - h);
    return new Rectangle2D.Double(x, y, w, h);
  }

  private static void stripes(
      Graphics2D g, SplittableRandom r, Color fg, Color alt, double angleDegrees) {
    Shape patch = patch(r);
    double period = between(r, 0.13, 0.24);
    double duty = between(r, 0.4, 0.6);
    Path2D.Double bands = new Path2D.Double();
    for (double y = -1.5; y < 1.5; y += period) {
      bands.append(new Rectangle2D.Double(-1.5, y, 3, period * duty), false);
    }
    fillTexture(g, patch, alt, fg, place(bands, 0.5, 0.5, Math.toRadians(angleDegrees)));
  }

  private static void fillTexture(Graphics2D g, Shape patch, Color base, Color ink, Shape marks) {
    Shape oldClip = g.getClip();
    g.clip(patch);
    g.setColor(base);
    g.fill(patch);
    g.setColor(ink);
    g.fill(marks);
    g.setClip(oldClip);
  }
}
