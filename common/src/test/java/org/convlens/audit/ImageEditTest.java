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
    assertEquals(Cue.MARKER, edit("crop:0.125").cue());
    assertEquals("darkening (to 60% brightness)", edit("darken:0.4").words());

    InvalidConfigException unknown = assertThrows(InvalidConfigException.class, () -> edit("sepia:0.5"));
    assertEquals("audit.counterfactual.edits", unknown.key());
    assertTrue(unknown.getMessage().contains("[brighten, darken, contrast, desaturate, hue, blur, jpeg, flip, crop]"),
        unknown.getMessage());
    for (String bad : new String[] {"darken", "darken:1", "darken:0", "darken:x", "contrast:1", "hue:0", "hue:200",
        "jpeg:0", "jpeg:50.5", "crop:0.3", "flip:1", "blur:0"}) {
      InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> edit(bad), bad);
      assertTrue(e.getMessage().contains(bad) && e.getMessage().contains("audit.counterfactual.edits"),
          e.getMessage());
    }
  }
}
