package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SoftmaxTopKTest {
  @Test
  void softmaxKnownAnswer() {
    // e^0, e^1, e^2 over their sum 1 + e + e^2 = 11.107337927389695
    float[] p = Softmax.softmax(new float[] {0f, 1f, 2f});
    assertArrayEquals(
        new float[] {0.09003057f, 0.24472847f, 0.66524096f}, p, 1e-7f);
  }

  @Test
  void softmaxOfLargeLogitsIsStable() {
    float[] p = Softmax.softmax(new float[] {1000f, 1001f, 1002f});
    assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f}, p, 1e-7f);
    float[] q = Softmax.softmax(new float[] {-1e30f, 0f, -1e30f});
    assertArrayEquals(new float[] {0f, 1f, 0f}, q, 0f);
  }

  @Test
  void softmaxEdgeCases() {
    assertEquals(0, Softmax.softmax(new float[0]).length);
    assertArrayEquals(new float[] {1f}, Softmax.softmax(new float[] {-5f}), 0f);
    assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f},
        Softmax.softmax(new float[] {3f, 3f, 3f, 3f}), 0f);
    assertArrayEquals(new float[] {0.5f, 0f, 0.5f},
        Softmax.softmax(new float[] {Float.POSITIVE_INFINITY, 1f, Float.POSITIVE_INFINITY}), 0f);
    assertTrue(Float.isNaN(Softmax.softmax(new float[] {1f, Float.NaN})[0]));
    float sum = 0;
    for (float v : Softmax.softmax(new float[] {-3.5f, 12f, 0.25f, 7f, 7f})) {
      sum += v;
    }
    assertEquals(1f, sum, 1e-6f);
  }

  @Test
  void topKDescendingWithTiesByLowerIndex() {
    float[] p = {0.1f, 0.3f, 0.05f, 0.3f, 0.25f};
    assertArrayEquals(new int[] {1, 3, 4}, TopK.topK(p, 3));
    assertArrayEquals(new int[] {1}, TopK.topK(p, 1));
    assertArrayEquals(new int[] {0, 1, 2}, TopK.topK(new float[] {2f, 2f, 2f}, 3));
    assertArrayEquals(new int[] {3, 2, 1, 0}, TopK.topK(new float[] {1f, 2f, 3f, 4f}, 10));
  }

  @Test
  void topKClampsAndRejectsNegative() {
    assertArrayEquals(new int[0], TopK.topK(new float[] {1f, 2f}, 0));
    assertArrayEquals(new int[0], TopK.topK(new float[0], 3));
    assertArrayEquals(new int[] {1, 0}, TopK.topK(new float[] {1f, 2f}, 5));
    assertThrows(IllegalArgumentException.class, () -> TopK.topK(new float[] {1f}, -1));
  }

  @Test
  void topKRanksNaNLast() {
    assertArrayEquals(new int[] {2, 0, 1},
        TopK.topK(new float[] {0.2f, Float.NaN, 0.7f}, 3));
  }

  @Test
  void topKMatchesSortOnRandomInput() {
    java.util.Random random = new java.util.Random(3);
    for (int trial = 0; trial < 200; trial++) {
      float[] v = new float[1 + random.nextInt(30)];
      for (int i = 0; i < v.length; i++) {
        v[i] = random.nextInt(8); // many ties
      }
      int k = random.nextInt(v.length + 2);
      Integer[] order = new Integer[v.length];
      for (int i = 0; i < v.length; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, (a, b) -> v[a] != v[b] ? Float.compare(v[b], v[a]) : a - b);
      int[] expected = new int[Math.min(k, v.length)];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = order[i];
      }
      assertArrayEquals(expected, TopK.topK(v, k));
    }
  }
}
