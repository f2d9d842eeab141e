package org.convlens.sampledata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shortcut kind: one row per kind in {@link #KINDS} (a kind registered in {@link CueKinds}
 * without a row fails), then a test of what each kind promises to paint.
 */
class ShortcutCueTest {
  /** A default and a non-default instance of every kind. */
  static final List<ShortcutCue> KINDS =
      List.of(
          Marker.DEFAULT, new Marker(0x00FF00, 4, 1),
          Illumination.DEFAULT, new Illumination(0.3, 40),
          Tint.DEFAULT, new Tint(0x0080FF, 0.25),
          BackgroundTexture.DEFAULT, new BackgroundTexture(3, 50),
          Watermark.DEFAULT, Watermark.builder()
              .rgb(0xFFFF00)
              .alpha(0.5)
              .minSizeAt32(4)
              .maxSizeAt32(4)
              .outlineRgb(0x202020)
              .outlineAt32(0)
              .build());

  static Stream<ShortcutCue> kinds() {
    return KINDS.stream();
  }

  @Test
  void everyRegisteredKindHasARow() {
    Set<String> tested = new HashSet<>();
    KINDS.forEach(c -> tested.add(c.kind()));
    assertEquals(Set.copyOf(CueKinds.names()), tested);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void paramsReadBackToTheSameCue(ShortcutCue cue) {
    assertEquals(cue, CueKinds.parse(cue.kind(), cue.params(), "shortcuts[0]"));
    assertEquals(defaultOf(cue.kind()), CueKinds.parse(cue.kind(), null, "shortcuts[0]"));
    assertTrue(cue.description().length() > 20, cue.description());
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void unknownParameterNamesTheAllowedOnes(ShortcutCue cue) {
    var params = cue.params().put("brightness", 1);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CueKinds.parse(cue.kind(), params, "shortcuts[3]"));
    assertTrue(e.getMessage().startsWith("unknown parameter shortcuts[3].params.brightness"), e.getMessage());
    for (var names = cue.params().fieldNames(); names.hasNext(); ) {
      String name = names.next();
      assertTrue(e.getMessage().contains(name), name + " in " + e.getMessage());
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void paintingIsAFunctionOfTheImageAndTheGenerator(ShortcutCue cue) {
    BufferedImage a = scene(48, 5);
    BufferedImage b = scene(48, 5);
    paint(cue, a, new SplittableRandom(11));
    paint(cue, b, new SplittableRandom(11));
    assertTrue(same(a, b), cue.kind() + " is deterministic");
    assertTrue(!same(a, scene(48, 5)), cue.kind() + " changes the image");
  }

  @Test
  void unknownKindNamesTheAllowedOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CueKinds.parse("glow", null, "shortcuts[2]"));
    assertEquals(
        "invalid value 'glow' for shortcuts[2].kind: allowed values are marker, illumination, tint,"
            + " background, watermark",
        e.getMessage());
  }

  @Test
  void parameterOutOfRangeNamesItsPath() {
    var params = Illumination.DEFAULT.params().put("gain", 1.5);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CueKinds.parse("illumination", params, "shortcuts[1]"));
    assertEquals(
        "invalid value '1.5' for shortcuts[1].params.gain: allowed values are 0.01 to 1", e.getMessage());
    var offset = Illumination.DEFAULT.params().put("offset", 200);
    e = assertThrows(IllegalArgumentException.class, () -> CueKinds.parse("illumination", offset, "shortcuts[1]"));
    assertTrue(e.getMessage().startsWith("shortcuts[1].params: illumination offset must be in"), e.getMessage());
    var colour = Tint.DEFAULT.params().put("rgb", "orange");
    e = assertThrows(IllegalArgumentException.class, () -> CueKinds.parse("tint", colour, "shortcuts[0]"));
    assertTrue(e.getMessage().contains("shortcuts[0].params.rgb: allowed values are colours written \"#RRGGBB\""),
        e.getMessage());
  }

  @Test
  void illuminationScalesMeanAndContrastByItsGain() {
    BufferedImage image = scene(64, 1);
    double[] before = meanAndStd(image);
    Illumination dim = new Illumination(0.4, 30);
    assertNull(dim.paint(image, new SplittableRandom(1)), "a cue over the whole image has no box");
    double[] after = meanAndStd(image);
    // Rounding each level moves it by at most half a level.
    assertEquals(30 + 0.4 * before[0], after[0], 0.5);
    assertEquals(0.4 * before[1], after[1], 0.5);
    assertTrue(after[0] < before[0] && after[1] < before[1]);
  }

  @Test
  void tintMovesEveryPixelTowardItsColour() {
    BufferedImage image = scene(64, 2);
    BufferedImage original = copy(image);
    Tint cast = new Tint(0x0080FF, 0.5);
    cast.paint(image, new SplittableRandom(1));
    int[] target = {0x00, 0x80, 0xFF};
    for (int y = 0; y < 64; y += 7) {
      for (int x = 0; x < 64; x += 5) {
        for (int c = 0; c < 3; c++) {
          int was = (original.getRGB(x, y) >> (16 - 8 * c)) & 0xff;
          int now = (image.getRGB(x, y) >> (16 - 8 * c)) & 0xff;
          assertEquals(0.5 * was + 0.5 * target[c], now, 0.5, "channel " + c + " at " + x + "," + y);
        }
      }
    }
    // The mean colour's hue moves toward the cast's (210°).
    double castHue = Color.RGBtoHSB(0x00, 0x80, 0xFF, null)[0];
    assertTrue(
        hueDistance(meanHsb(image)[0], castHue) < hueDistance(meanHsb(original)[0], castHue),
        "hue " + meanHsb(original)[0] * 360 + " -> " + meanHsb(image)[0] * 360);
  }

  @Test
  void backgroundTextureReplacesTheBackgroundAndNothingElse() {
    BackgroundTexture speckle = new BackgroundTexture(2, 80);
    SplittableRandom plainScene = new SplittableRandom(5);
    SplittableRandom texturedScene = new SplittableRandom(5);
    BufferedImage plain = SceneRenderer.render(SampleClass.SQUARE, 32, 0, plainScene);
    BufferedImage textured =
        SceneRenderer.render(
            SampleClass.SQUARE, 32, 0, texturedScene,
            (g, mean) -> speckle.paintBackground(g, mean, new SplittableRandom(9)));
    assertEquals(plainScene.nextLong(), texturedScene.nextLong(), "the scene drew the same numbers");
    // A smooth gradient has small steps between neighbours; the speckle has steps of 80 levels.
    assertTrue(steps(plain, 60) < 0.08, "plain: " + steps(plain, 60));
    assertTrue(steps(textured, 60) > 0.15, "textured: " + steps(textured, 60));
    // The object is drawn over the texture unchanged: many pixels are identical in both.
    int same = 0;
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        same += plain.getRGB(x, y) == textured.getRGB(x, y) ? 1 : 0;
      }
    }
    assertTrue(same >= 40, "object pixels shared: " + same);
  }

  @Test
  void backgroundShadesStayContrastApartEvenOnPaleColours() {
    for (Color c : List.of(Color.WHITE, Color.BLACK, new Color(120, 130, 140), new Color(250, 20, 20))) {
      Color light = BackgroundTexture.shade(c, 40);
      Color dark = BackgroundTexture.shade(c, -40);
      assertEquals(80, light.getGreen() - dark.getGreen(), 1, c.toString());
      assertEquals(80, light.getRed() - dark.getRed(), 1, c.toString());
    }
  }

  @Test
  void watermarkMovesAndResizesWithTheGeneratorAndStaysInItsBox() {
    Watermark logo = Watermark.DEFAULT;
    Set<Rectangle> places = new HashSet<>();
    for (long seed = 0; seed < 20; seed++) {
      BufferedImage image = scene(96, 3);
      BufferedImage before = copy(image);
      Rectangle box = logo.paint(image, new SplittableRandom(seed));
      places.add(box);
      assertEquals(box, logo.place(96, new SplittableRandom(seed)), "paint uses place");
      assertTrue(box.width >= Math.round(6 * 3) && box.width <= Math.round(10 * 3), "side at 96 px: " + box);
      assertTrue(new Rectangle(0, 0, 96, 96).contains(box), box.toString());
      int inside = 0;
      for (int y = 0; y < 96; y++) {
        for (int x = 0; x < 96; x++) {
          if (image.getRGB(x, y) != before.getRGB(x, y)) {
            assertTrue(box.contains(x, y), "painted outside its box at " + x + "," + y);
            inside++;
          }
        }
      }
      assertTrue(inside > box.width * box.height / 8, "the star fills part of its box: " + inside);
    }
    assertTrue(places.size() >= 18, "places differ from seed to seed: " + places.size());
    // The same generator puts it at the same relative place at another side.
    Rectangle small = logo.place(32, new SplittableRandom(4));
    Rectangle large = logo.place(128, new SplittableRandom(4));
    assertEquals(small.getCenterX() / 32, large.getCenterX() / 128, 0.05);
    assertNotEquals(small.width, large.width);
  }

  private static ShortcutCue defaultOf(String kind) {
    return switch (kind) {
      case Marker.KIND -> Marker.DEFAULT;
      case Illumination.KIND -> Illumination.DEFAULT;
      case Tint.KIND -> Tint.DEFAULT;
      case BackgroundTexture.KIND -> BackgroundTexture.DEFAULT;
      case Watermark.KIND -> Watermark.DEFAULT;
      default -> throw new AssertionError(kind);
    };
  }

  private static void paint(ShortcutCue cue, BufferedImage image, SplittableRandom r) {
    if (cue.stage() == ShortcutCue.Stage.BACKGROUND) {
      var g = image.createGraphics();
      g.scale(image.getWidth(), image.getHeight());
      cue.paintBackground(g, Color.GRAY, r);
      g.dispose();
    } else {
      cue.paint(image, r);
    }
  }

  /** A sample scene with noise, so every level is in use. */
  private static BufferedImage scene(int side, long seed) {
    return SceneRenderer.render(SampleClass.CIRCLE, side, 10, new SplittableRandom(seed));
  }

  private static BufferedImage copy(BufferedImage image) {
    BufferedImage c = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    c.setData(image.getData());
    return c;
  }

  private static boolean same(BufferedImage a, BufferedImage b) {
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        if (a.getRGB(x, y) != b.getRGB(x, y)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Mean and standard deviation of every channel value. */
  private static double[] meanAndStd(BufferedImage image) {
    List<Integer> values = new ArrayList<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int p = image.getRGB(x, y);
        values.add((p >> 16) & 0xff);
        values.add((p >> 8) & 0xff);
        values.add(p & 0xff);
      }
    }
    double mean = values.stream().mapToInt(Integer::intValue).average().orElseThrow();
    double var = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).average().orElseThrow();
    return new double[] {mean, Math.sqrt(var)};
  }

  private static float[] meanHsb(BufferedImage image) {
    double r = 0;
    double g = 0;
    double b = 0;
    int n = image.getWidth() * image.getHeight();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int p = image.getRGB(x, y);
        r += (p >> 16) & 0xff;
        g += (p >> 8) & 0xff;
        b += p & 0xff;
      }
    }
    return Color.RGBtoHSB((int) (r / n), (int) (g / n), (int) (b / n), null);
  }

  /** Distance between two hues on the colour circle, in turns (0..0.5). */
  private static double hueDistance(double a, double b) {
    double d = Math.abs(a - b) % 1;
    return Math.min(d, 1 - d);
  }

  /** Share of horizontal neighbours whose green levels differ by at least {@code levels}. */
  private static double steps(BufferedImage image, int levels) {
    int count = 0;
    int pairs = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 1; x < image.getWidth(); x++) {
        int a = (image.getRGB(x - 1, y) >> 8) & 0xff;
        int b = (image.getRGB(x, y) >> 8) & 0xff;
        count += Math.abs(a - b) >= levels ? 1 : 0;
        pairs++;
      }
    }
    return (double) count / pairs;
  }
}
