package org.convlens.modelviz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TotalVariationTest {
  @Test
  void knownValueOnATinyImage() {
    // 1×2×2: [[0, 1], [0, 0]]. (0,0): right diff 1, down diff 0 → 1; (0,1): down diff −1 → 1;
    // (1,0): right diff 0 → 0; (1,1): nothing. β=2: 2. β=1: 1 + 1 (+ ε terms).
    float[] x = {0, 1, 0, 0};
    assertEquals(2.0, TotalVariation.value(x, 1, 2, 2, 2), 1e-12);
    assertEquals(2.0, TotalVariation.value(x, 1, 2, 2, 1), 1e-3);
    // A constant image has no variation, whatever β.
    assertEquals(0.0, TotalVariation.value(new float[27], 3, 3, 3, 2), 0);
  }

  /** The analytic gradient agrees with central finite differences (in double precision). */
  @ParameterizedTest
  @ValueSource(doubles = {1.0, 1.5, 2.0, 3.0})
  void gradientMatchesFiniteDifferences(double beta) {
    int c = 3;
    int h = 5;
    int w = 6;
    Random random = new Random(7);
    float[] x = new float[c * h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat();
    }
    float[] g = TotalVariation.gradient(x, c, h, w, beta);
    float step = 1e-3f;
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      float[] plus = x.clone();
      float[] minus = x.clone();
      plus[i] += step;
      minus[i] -= step;
      double numeric = (TotalVariation.value(plus, c, h, w, beta)
          - TotalVariation.value(minus, c, h, w, beta)) / (plus[i] - minus[i]);
      worst = Math.max(worst, Math.abs(numeric - g[i]) / Math.max(1, Math.abs(numeric)));
    }
    assertEquals(0, worst, 2e-3, "relative error of ∇TV at β=" + beta);
  }

  @Test
  void aGradientStepLowersTv() {
    Random random = new Random(11);
    float[] x = new float[3 * 8 * 8];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat();
    }
    double before = TotalVariation.value(x, 3, 8, 8, 2);
    float[] g = TotalVariation.gradient(x, 3, 8, 8, 2);
    for (int i = 0; i < x.length; i++) {
      x[i] -= 0.02f * g[i];
    }
    assertEquals(true, TotalVariation.value(x, 3, 8, 8, 2) < 0.8 * before);
  }

  @Test
  void rejectsBadShapesAndBeta() {
    assertThrows(IllegalArgumentException.class, () -> TotalVariation.value(new float[5], 1, 2, 2, 2));
    assertThrows(IllegalArgumentException.class, () -> TotalVariation.gradient(new float[4], 1, 2, 2, 0.5));
  }
}
