package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Spearman's ρ against scipy.stats values. */
class RanksTest {
  @Test
  void tiesShareTheirAverageRank() {
    assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Ranks.ranks(new float[] {10, 20, 20, 30}));
    assertArrayEquals(new double[] {3, 1, 2}, Ranks.ranks(new float[] {5, -1, 0}));
  }

  @Test
  void agreesWithScipy() {
    // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).statistic (scipy's docs example)
    assertEquals(0.8207826816681233, Ranks.spearman(new float[] {1, 2, 3, 4, 5}, new float[] {5, 6, 7, 8, 7}), 1e-12);
    assertEquals(-1, Ranks.spearman(new float[] {1, 2, 3}, new float[] {9, 4, 1}), 1e-12);
    assertEquals(1, Ranks.spearman(new float[] {1, 2, 3, 4}, new float[] {1, 4, 9, 16}), 1e-12, "monotone = 1");
  }

  @Test
  void constantMapsHaveNoCorrelation() {
    assertTrue(Double.isNaN(Ranks.spearman(new float[] {0, 0, 0}, new float[] {1, 2, 3})));
  }
}
