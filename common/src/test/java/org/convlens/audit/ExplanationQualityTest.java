package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ExplanationQualityTest {
  @Test
  void aucIsTheTrapezoidAreaOverZeroToOne() {
    assertEquals(0.7, ExplanationQuality.auc(new float[] {0.7f, 0.7f, 0.7f}), 1e-6);
    assertEquals(0.5, ExplanationQuality.auc(new float[] {1, 0.75f, 0.5f, 0.25f, 0}), 1e-6);
    assertEquals(0.25, ExplanationQuality.auc(new float[] {0, 0, 1}), 1e-6, "a jump at the end");
  }

  @Test
  void pixelsGoInOrderOfImportanceTiesByIndex() {
    assertArrayEquals(new int[] {2, 0, 1, 3}, ExplanationQuality.order(new float[] {0.3f, 0.1f, 0.5f, 0.1f}, 2, 2, 2));
  }

  @Test
  void replacingSetsEveryChannelOfThePixels() {
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8}; // 2 channels of a 2×2 image
    assertArrayEquals(new float[] {1, 0, 3, 0, 5, 0, 7, 0}, ExplanationQuality.replace(x, new int[] {1, 3, 0, 2}, 2,
        null, 2, 4), "deletion: the first 2 pixels of the order become 0");
    float[] blurred = new float[8];
    assertArrayEquals(new float[] {0, 2, 0, 0, 0, 6, 0, 0}, ExplanationQuality.replace(blurred, new int[] {1, 3, 0, 2},
        1, x, 2, 4), "insertion: the first pixel comes from the image");
  }
}
