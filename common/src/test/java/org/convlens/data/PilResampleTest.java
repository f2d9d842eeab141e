package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The windowed resize against the whole resize cropped afterwards ({@link FullResizeReference},
 * PilResample as it was): byte for byte, wherever the window and whatever the sizes.
 */
class PilResampleTest {

  @Test
  void anyWindowEqualsTheWholeResizeCropped() {
    Random random = new Random(20240611);
    for (int trial = 0; trial < 3000; trial++) {
      int channels = 1 + random.nextInt(3);
      int w = 1 + random.nextInt(trial % 3 == 0 ? 200 : 40);
      int h = 1 + random.nextInt(trial % 3 == 1 ? 200 : 40);
      // Same size in one or both directions now and then: that pass is skipped.
      int outW = random.nextInt(5) == 0 ? w : 1 + random.nextInt(90);
      int outH = random.nextInt(5) == 0 ? h : 1 + random.nextInt(90);
      int windowWidth = random.nextInt(outW + 1);
      int windowHeight = random.nextInt(outH + 1);
      int left = random.nextInt(outW - windowWidth + 1);
      int top = random.nextInt(outH - windowHeight + 1);
      byte[] src = new byte[channels * w * h];
      random.nextBytes(src);
      String what = channels + "x" + w + "x" + h + " -> " + outW + "x" + outH + ", window "
          + windowWidth + "x" + windowHeight + " at (" + left + ", " + top + ")";

      byte[] expected = FullResizeReference.crop(
          FullResizeReference.resize(src, channels, w, h, outW, outH), channels, outW, outH, left,
          top, windowWidth, windowHeight);
      byte[] actual = PilResample.resizeWindow(
          src, channels, w, h, outW, outH, left, top, windowWidth, windowHeight);

      assertArrayEquals(expected, actual, what);
    }
  }

  @Test
  void theWholeImageAsTheWindowIsTheWholeResize() {
    Random random = new Random(3);
    byte[] src = new byte[3 * 50 * 37];
    random.nextBytes(src);
    for (int[] size : new int[][] {{50, 37}, {20, 15}, {120, 77}, {50, 80}, {31, 37}, {1, 1}}) {
      assertArrayEquals(FullResizeReference.resize(src, 3, 50, 37, size[0], size[1]),
          PilResample.resizeWindow(src, 3, 50, 37, size[0], size[1], 0, 0, size[0], size[1]));
    }
  }

  @Test
  void aWindowOfAnImageTooLargeToResizeWhole() {
    // 1,000,000 x 1 to 32,000,000 x 32: a whole resize would be 3 GB (and overflowed an int).
    int w = 1_000_000;
    byte[] src = new byte[w];
    for (int x = 0; x < w; x++) {
      src[x] = (byte) (x % 251);
    }
    long outW = 32L * w;
    byte[] window = PilResample.resizeWindow(src, 1, w, 1, outW, 32, outW / 2, 0, 64, 32);
    // Output columns 16,000,000..16,000,063 read source columns 499,999..500,002 only, and the
    // scale is a power of two (all positions exact), so a 20-column slice from source column
    // 499,990 (output column 15,999,680) resized to 32 times its width has them at 320..383.
    int from = 499_990;
    int n = 20;
    byte[] slice = new byte[n];
    System.arraycopy(src, from, slice, 0, n);
    byte[] small = FullResizeReference.resize(slice, 1, n, 1, 32 * n, 32);
    assertArrayEquals(FullResizeReference.crop(small, 1, 32 * n, 32, 320, 0, 64, 32), window);
  }

  @Test
  void windowsOutsideTheImageAreRefused() {
    byte[] src = new byte[3 * 4 * 4];
    assertThrows(IllegalArgumentException.class,
        () -> PilResample.resizeWindow(src, 3, 4, 4, 8, 8, 1, 0, 8, 8));
    assertThrows(IllegalArgumentException.class,
        () -> PilResample.resizeWindow(src, 3, 4, 4, 8, 8, -1, 0, 2, 2));
    assertThrows(IllegalArgumentException.class,
        () -> PilResample.resizeWindow(src, 3, 5, 4, 8, 8, 0, 0, 2, 2));
    assertEquals(0, PilResample.resizeWindow(src, 3, 4, 4, 8, 8, 8, 8, 0, 0).length);
  }
}
