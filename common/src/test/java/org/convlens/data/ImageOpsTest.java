package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The shared pixel-array operations: resampling as PyTorch does it, and the Gaussian blur. */
class ImageOpsTest {
  @Test
  void areaAndBilinearFollowPyTorch() {
    // adaptive_avg_pool2d of a 1×3 row to 1×2: windows [0,2) and [1,3)
    float[] area = ImageOps.area(new float[] {1, 2, 4}, 1, 1, 3, 1, 2);
    assertEquals(1.5f, area[0], 1e-6f);
    assertEquals(3f, area[1], 1e-6f);
    // F.interpolate([[0, 1]], size=4, bilinear, align_corners=False) = [0, 0.25, 0.75, 1]
    float[] up = ImageOps.bilinear(new float[] {0, 1}, 1, 1, 2, 1, 4);
    assertEquals(0f, up[0], 1e-6f);
    assertEquals(0.25f, up[1], 1e-6f);
    assertEquals(0.75f, up[2], 1e-6f);
    assertEquals(1f, up[3], 1e-6f);
    assertEquals(64, ImageOps.storedSize(224, 224, 64)[0]);
    assertEquals(32, ImageOps.storedSize(32, 32, 64)[1]);
  }

  @Test
  void gaussianKernelSumsToOneAndBlurKeepsConstants() {
    float[] k = ImageOps.gaussianKernel(1.0);
    assertEquals(7, k.length); // radius ⌈3σ⌉ = 3
    double sum = 0;
    for (float v : k) {
      sum += v;
    }
    assertEquals(1.0, sum, 1e-6);
    float[] flat = new float[3 * 5 * 5];
    Arrays.fill(flat, 0.3f);
    for (float v : ImageOps.blur(flat, 3, 5, 5, k)) {
      assertEquals(0.3f, v, 1e-6);
    }
  }
}
