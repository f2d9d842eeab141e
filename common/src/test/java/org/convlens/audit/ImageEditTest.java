package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.convlens.config.InvalidConfigException;
import org.junit.jupiter.api.Test;

/** Each edit's effect on pixels, on small seeded images with known answers. */
class ImageEditTest {
  static final int H = 16;
  static final int W = 12;
  static final int PLANE = H * W;

  /** A seeded RGB image in [0.05, 0.95]. */
  static float[] image(long seed) {
    Random r = new Random(seed);
    float[] p = new float[3 * PLANE];
    for (int i = 0; i < p.length; i++) {
      p[i] = 0.05f + 0.9f * r.nextFloat();
    }
    return p;
  }

  static ImageEdit edit(String spec) {
    return ImageEdit.parse(spec, "audit.counterfactual.edits");
  }

  static double mean(float[] p) {
    double s = 0;
    for (float v : p) {
      s += v;
    }
    return s / p.length;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void darkenScalesEveryPixelAndTheMeanByOneMinusTheStrength() {
    float[] p = image(1);
    float[] d = edit("darken:0.4").apply(p, 3, H, W);
    for (int i = 0; i < p.length; i++) {
      assertEquals(0.6f * p[i], d[i], 1e-6f);
    }
    assertEquals(0.6 * mean(p), mean(d), 1e-6);
  }

  @Test
  void brightenMirrorsDarkenAboutWhite() {
    float[] p = image(2);
    float[] b = edit("brighten:0.4").apply(p, 3, H, W);
    for (int i = 0; i < p.length; i++) {
      assertEquals(1 - 0.6f * (1 - p[i]), b[i], 1e-6f);
      assertTrue(b[i] >= p[i]);
    }
  }

  @Test
  void contrastKeepsTheMeanGreyAndScalesDeviations() {
    float[] p = image(3);
    float[] c = edit("contrast:0.5").apply(p, 3, H, W);
    double luma = 0;
    for (int i = 0; i < PLANE; i++) {
      luma += 0.299 * p[i] + 0.587 * p[PLANE + i] + 0.114 * p[2 * PLANE + i];
    }
    float m = (float) (luma / PLANE);
    for (int i = 0; i < p.length; i++) {
      assertEquals(m + 0.5f * (p[i] - m), c[i], 1e-5f);
    }
    // Halving contrast halves the spread of each channel.
    assertEquals(0.5 * spread(p), spread(c), 1e-5);
  }

  static double spread(float[] p) {
    double mu = mean(p);
    double s = 0;
    for (float v : p) {
      s += (v - mu) * (v - mu);
    }
    return Math.sqrt(s / p.length);
  }

  @Test
  void fullDesaturationLeavesEqualChannelsAtThePixelsLuma() {
    float[] p = image(4);
    float[] d = edit("desaturate:1").apply(p, 3, H, W);
    for (int i = 0; i < PLANE; i++) {
      float luma = 0.299f * p[i] + 0.587f * p[PLANE + i] + 0.114f * p[2 * PLANE + i];
      assertEquals(luma, d[i], 1e-6f);
      assertEquals(d[i], d[PLANE + i], 0f);
      assertEquals(d[i], d[2 * PLANE + i], 0f);
    }
  }

  @Test
  void hueShiftsRotateColoursAndUndoEachOther() {
    // Pure red turned by +120 degrees is pure green, by -120 pure blue; grey does not move.
    float[] red = new float[3 * PLANE];
    java.util.Arrays.fill(red, 0, PLANE, 1f);
    float[] green = edit("hue:120").apply(red, 3, H, W);
    float[] blue = edit("hue:-120").apply(red, 3, H, W);
    for (int i = 0; i < PLANE; i++) {
      assertEquals(0f, green[i], 1e-6f);
      assertEquals(1f, green[PLANE + i], 1e-6f);
      assertEquals(1f, blue[2 * PLANE + i], 1e-6f);
    }
    float[] p = image(5);
    float[] back = edit("hue:-30").apply(edit("hue:30").apply(p, 3, H, W), 3, H, W);
    assertTrue(maxAbsDiff(p, back) < 1e-5, "hue +30 then -30 is the identity");
    float[] grey = new float[3 * PLANE];
    java.util.Arrays.fill(grey, 0.4f);
    assertArrayEquals(grey, edit("hue:90").apply(grey, 3, H, W), 0f);
    // The hue moves; value (max) and chroma (max - min) of every pixel stay.
    float[] q = edit("hue:30").apply(p, 3, H, W);
    for (int i = 0; i < PLANE; i++) {
      assertEquals(max(p, i), max(q, i), 1e-5f);
      assertEquals(max(p, i) - min(p, i), max(q, i) - min(q, i), 1e-5f);
    }
    assertTrue(maxAbsDiff(p, q) > 0.05);
  }

  static float max(float[] p, int i) {
    return Math.max(p[i], Math.max(p[PLANE + i], p[2 * PLANE + i]));
  }

  static float min(float[] p, int i) {
    return Math.min(p[i], Math.min(p[PLANE + i], p[2 * PLANE + i]));
  }

  @Test
  void flipMirrorsRowsAndTwiceIsTheIdentity() {
    float[] p = image(6);
    float[] f = edit("flip").apply(p, 3, H, W);
    assertEquals(p[2 * PLANE + 5 * W], f[2 * PLANE + 5 * W + W - 1], 0f);
    assertNotEquals(p[0], f[0]);
    assertArrayEquals(p, edit("flip").apply(f, 3, H, W), 0f);
  }

  @Test
  void blurKeepsAFlatImageAndSmoothsNoise() {
    float[] flat = new float[3 * PLANE];
    java.util.Arrays.fill(flat, 0.3f);
    assertArrayEquals(flat, edit("blur:1.5").apply(flat, 3, H, W), 1e-6f);
    float[] p = image(7);
    float[] b = edit("blur:1.5").apply(p, 3, H, W);
    assertEquals(mean(p), mean(b), 0.02);
    assertTrue(spread(b) < 0.5 * spread(p), "noise loses most of its spread: " + spread(b) + " vs " + spread(p));
  }

  @Test
  void jpegAtQuality100IsNearlyTheIdentityAndLowQualityIsNot() {
    // A smooth image: JPEG's chroma subsampling and quantisation barely touch it at quality 100.
    float[] p = new float[3 * PLANE];
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        p[y * W + x] = 0.2f + 0.6f * x / W;
        p[PLANE + y * W + x] = 0.3f + 0.4f * y / H;
        p[2 * PLANE + y * W + x] = 0.5f;
      }
    }
    float[] q100 = edit("jpeg:100").apply(p, 3, H, W);
    assertTrue(maxAbsDiff(p, q100) < 0.03, "max difference " + maxAbsDiff(p, q100));
    float[] noisy = image(8);
    float[] q10 = edit("jpeg:10").apply(noisy, 3, H, W);
    assertTrue(maxAbsDiff(noisy, q10) > 0.1, "quality 10 changes a noisy image");
    assertArrayEquals(q10, edit("jpeg:10").apply(noisy, 3, H, W), 0f, "deterministic");
  }

  @Test
  void cropCutsTheBorderAndStretchesTheCentre() {
    // A 3x3 marker one pixel from the bottom-right corner is gone after cutting 25% off each side
    // (4 rows, 3 columns); a flat image stays flat.
    float[] p = new float[3 * PLANE];
    for (int y = H - 4; y < H - 1; y++) {
      for (int x = W - 4; x < W - 1; x++) {
        p[y * W + x] = 1f;
      }
    }
    float[] c = edit("crop:0.25").apply(p, 3, H, W);
    assertEquals(0, mean(c), 1e-7, "the marker lay in the cut border");
    float[] flat = new float[3 * PLANE];
    java.util.Arrays.fill(flat, 0.7f);
    assertArrayEquals(flat, edit("crop:0.1").apply(flat, 3, H, W), 1e-6f);
    // The centre row of a horizontal ramp keeps its middle value.
    float[] ramp = new float[PLANE];
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        ramp[y * W + x] = x / (float) (W - 1);
      }
    }
    float[] r = edit("crop:0.25").apply(ramp, 1, H, W);
    assertTrue(r[W - 1] - r[0] < ramp[W - 1] - ramp[0], "the ramp is stretched: a smaller range across the row");
  }

  static double[] channelMeans(float[] p) {
    double[] m = new double[3];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < PLANE; i++) {
        m[c] += p[c * PLANE + i] / (double) PLANE;
      }
    }
    return m;
  }

  @Test
  void balanceRemovesAnOrangeCastAndKeepsTheMeanGrey() {
    // The demo's tint: 30% of the way to #FF8C00 on a seeded image. Grey world scales each channel
    // by m / m_k: afterwards the three channel means are equal (to the old mean of means).
    float[] p = image(5);
    float[] orange = {1f, 140f / 255f, 0f};
    float[] cast = new float[p.length];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < PLANE; i++) {
        cast[c * PLANE + i] = 0.7f * p[c * PLANE + i] + 0.3f * orange[c];
      }
    }
    double[] before = channelMeans(cast);
    double grey = (before[0] + before[1] + before[2]) / 3;
    assertTrue(before[0] - before[2] > 0.25, "the cast: red well above blue");
    float[] b = edit("balance").apply(cast, 3, H, W);
    double[] after = channelMeans(b);
    for (int c = 0; c < 3; c++) {
      assertEquals(grey, after[c], 2e-3, "channel " + c + " mean");
    }
    // Exact per-pixel gains below clamping: pixel * m / m_k.
    for (int c = 0; c < 3; c++) {
      float gain = (float) (grey / before[c]);
      for (int i = 0; i < PLANE; i++) {
        float want = Math.min(1f, cast[c * PLANE + i] * gain);
        assertEquals(want, b[c * PLANE + i], 1e-5f);
      }
    }
    // Half strength: half of each gain's way from 1.
    float[] half = edit("balance:0.5").apply(cast, 3, H, W);
    float g0 = (float) (1 + 0.5 * (grey / before[0] - 1));
    assertEquals(cast[7] * g0, half[7], 1e-5f);
    // An image already grey-balanced (equal channel means) and a grey input are left alone.
    float[] neutral = new float[3 * PLANE];
    for (int i = 0; i < PLANE; i++) {
      float v = 0.2f + 0.6f * i / PLANE;
      neutral[i] = v;
      neutral[PLANE + i] = v;
      neutral[2 * PLANE + i] = v;
    }
    assertArrayEquals(neutral, edit("balance").apply(neutral, 3, H, W), 1e-6f);
    float[] grey1 = java.util.Arrays.copyOf(neutral, PLANE);
    assertArrayEquals(grey1, edit("balance").apply(grey1, 1, H, W), 0f);
    // An empty channel keeps gain 1 (no division by zero).
    float[] noBlue = java.util.Arrays.copyOf(neutral, 3 * PLANE);
    java.util.Arrays.fill(noBlue, 2 * PLANE, 3 * PLANE, 0f);
    float[] nb = edit("balance").apply(noBlue, 3, H, W);
    assertEquals(0, channelMeans(nb)[2], 0);
    assertTrue(channelMeans(nb)[0] < channelMeans(noBlue)[0], "red and green come down towards the grey");
  }

  @Test
  void cropErasesAFineBackgroundTextureThatFlipKeeps() {
    // Why crop's cue is the background: the demo's "background" shortcut is a speckle of 2 px
    // cells. Cutting 5% off each side (1 px here) and resizing back resamples every cell by a
    // non-integer factor, which blurs the speckle over the whole image, not just in the border;
    // a mirror image keeps the texture exactly (and moves a fixed-place marker, which is what it tests).
    int side = 32;
    int plane = side * side;
    float[] speckle = new float[plane];
    java.util.Random r = new java.util.Random(3);
    for (int cy = 0; cy < side / 2; cy++) {
      for (int cx = 0; cx < side / 2; cx++) {
        float v = r.nextBoolean() ? 0.65f : 0.35f;
        for (int y = 2 * cy; y < 2 * cy + 2; y++) {
          for (int x = 2 * cx; x < 2 * cx + 2; x++) {
            speckle[y * side + x] = v;
          }
        }
      }
    }
    double before = textureEnergy(speckle, side);
    double cropped = textureEnergy(edit("crop:0.05").apply(speckle, 1, side, side), side);
    double mirrored = textureEnergy(edit("flip").apply(speckle, 1, side, side), side);
    assertEquals(before, mirrored, 1e-9, "a mirror keeps the texture");
    assertTrue(cropped < 0.75 * before, "crop blurs the speckle: " + cropped + " vs " + before);
  }

  /** Mean squared difference between horizontally and vertically adjacent pixels over the whole image. */
  static double textureEnergy(float[] p, int side) {
    double s = 0;
    for (int y = 0; y < side; y++) {
      for (int x = 0; x + 1 < side; x++) {
        double dx = p[y * side + x + 1] - p[y * side + x];
        double dy = p[(x + 1) * side + y] - p[x * side + y];
        s += dx * dx + dy * dy;
      }
    }
    return s / (2.0 * side * (side - 1));
  }

  @Test
  void greyInputsWork() {
    float[] p = new float[PLANE];
    java.util.Arrays.fill(p, 0.5f);
    assertArrayEquals(p, edit("desaturate:1").apply(p, 1, H, W), 0f);
    assertArrayEquals(p, edit("jpeg:95").apply(p, 1, H, W), 0.01f);
    assertEquals(0.25, mean(edit("darken:0.5").apply(p, 1, H, W)), 1e-6);
  }

  @Test
  void labelsCuesAndParsing() {
    assertEquals("darken:0.4", edit(" darken : 0.40 ").label());
    assertEquals("hue:-30", edit("hue:-30").label());
    assertEquals("jpeg:30", edit("jpeg:30.0").label());
    assertEquals("flip", edit("flip").label());
    assertEquals(Cue.ILLUMINATION, edit("darken:0.4").cue());
    assertEquals(Cue.ILLUMINATION, edit("contrast:0.5").cue());
    assertEquals(Cue.TINT, edit("desaturate:1").cue());
    assertEquals(Cue.TINT, edit("hue:30").cue());
    assertEquals(Cue.BACKGROUND, edit("blur:1").cue());
    assertEquals(Cue.BACKGROUND, edit("jpeg:30").cue());
    assertEquals(Cue.MARKER, edit("flip").cue());
    assertEquals(Cue.BACKGROUND, edit("crop:0.125").cue());
    assertEquals(Cue.TINT, edit("balance").cue());
    assertEquals("balance:1", edit("balance").label());
    assertEquals("balance:0.5", edit("balance:0.5").label());
    assertTrue(ImageEdit.Kind.CROP.global() && !ImageEdit.Kind.FLIP.global());
    assertEquals("darkening (to 60% brightness)", edit("darken:0.4").words());

    InvalidConfigException unknown = assertThrows(InvalidConfigException.class, () -> edit("sepia:0.5"));
    assertEquals("audit.counterfactual.edits", unknown.key());
    assertTrue(unknown.getMessage().contains("[brighten, darken, contrast, desaturate, hue, balance, blur, jpeg, flip,"
        + " crop]"),
        unknown.getMessage());
    for (String bad : new String[] {"darken", "darken:1", "darken:0", "darken:x", "contrast:1", "hue:0", "hue:200",
        "jpeg:0", "jpeg:50.5", "crop:0.3", "flip:1", "blur:0", "balance:0", "balance:1.5"}) {
      InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> edit(bad), bad);
      assertTrue(e.getMessage().contains(bad) && e.getMessage().contains("audit.counterfactual.edits"),
          e.getMessage());
    }
  }
}
