package org.convlens.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TrustworthinessTest {
  /**
   * Reference values from scikit-learn 1.2.1 for the same formula-made data:
   * X[i][j] = sin(0.7·i·(j+1) + 1.3·j), 40 × 6; Y = X[:, :2] + 0.5·X[:, 2:4];
   * {@code sklearn.manifold.trustworthiness(X, Y, n_neighbors=k)}.
   */
  @Test
  void agreesWithScikitLearn() {
    int n = 40;
    double[][] x = new double[n][6];
    double[][] y = new double[n][2];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 6; j++) {
        x[i][j] = Math.sin(0.7 * i * (j + 1) + 1.3 * j);
      }
      y[i][0] = x[i][0] + 0.5 * x[i][2];
      y[i][1] = x[i][1] + 0.5 * x[i][3];
    }
    assertEquals(0.9957142857142857, Trustworthiness.of(x, y, 3, 2), 1e-12);
    assertEquals(0.85890625, Trustworthiness.of(x, y, 5, 1), 1e-12);
    // The estimate over every point is the exact value.
    assertEquals(Trustworthiness.of(x, y, 5, 1), Trustworthiness.estimate(x, y, 5, 40, 1, 2), 0);
  }

  @Test
  void anIsometryIsFullyTrustworthyAndARandomMapIsNot() {
    Random r = new Random(5);
    int n = 600;
    double[][] x = new double[n][3];
    double[][] rotated = new double[n][3];
    double[][] random = new double[n][2];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 3; j++) {
        x[i][j] = r.nextGaussian();
      }
      rotated[i][0] = 2 * x[i][1] + 5;
      rotated[i][1] = -2 * x[i][0];
      rotated[i][2] = 2 * x[i][2];
      random[i][0] = r.nextGaussian();
      random[i][1] = r.nextGaussian();
    }
    assertEquals(1.0, Trustworthiness.of(x, rotated, 10, 2), 1e-12);
    double t = Trustworthiness.of(x, random, 10, 2);
    assertTrue(t > 0.4 && t < 0.6, "random map: " + t);
    // A 200-query estimate lands near the exact value.
    assertEquals(t, Trustworthiness.estimate(x, random, 10, 200, 3, 2), 0.03);
  }

  @Test
  void rejectsKTooLarge() {
    double[][] x = new double[10][2];
    assertThrows(IllegalArgumentException.class, () -> Trustworthiness.of(x, x, 5, 1));
  }
}
