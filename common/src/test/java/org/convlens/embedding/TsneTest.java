package org.convlens.embedding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class TsneTest {
  private static final ExecutorService POOL = Executors.newFixedThreadPool(2);

  @AfterAll
  static void stop() {
    POOL.shutdownNow();
  }

  /** Ten Gaussian clusters in 64-d; point i belongs to cluster i % 10. */
  static double[][] clusters(int n, long seed) {
    Random r = new Random(seed);
    double[][] centres = new double[10][64];
    for (double[] c : centres) {
      for (int j = 0; j < c.length; j++) {
        c[j] = 4 * r.nextGaussian();
      }
    }
    double[][] x = new double[n][64];
    for (int i = 0; i < n; i++) {
      double spread = 1 + (i % 3);
      for (int j = 0; j < 64; j++) {
        x[i][j] = centres[i % 10][j] + spread * r.nextGaussian();
      }
    }
    return x;
  }

  @Test
  void neighboursAreTheExactNearestWithTiesToTheLowerIndex() {
    Random r = new Random(2);
    int n = 300;
    double[][] x = new double[n][5];
    for (double[] row : x) {
      for (int j = 0; j < 5; j++) {
        row[j] = r.nextInt(3); // many exact ties
      }
    }
    Neighbours nb = Neighbours.of(x, 7, POOL);
    for (int i = 0; i < n; i++) {
      int self = i;
      Integer[] order = new Integer[n - 1];
      int w = 0;
      for (int j = 0; j < n; j++) {
        if (j != i) {
          order[w++] = j;
        }
      }
      Arrays.sort(order, (a, b) -> {
        int c = Double.compare(d2(x[self], x[a]), d2(x[self], x[b]));
        return c != 0 ? c : Integer.compare(a, b);
      });
      for (int t = 0; t < 7; t++) {
        assertEquals(order[t].intValue(), nb.index()[i][t], "point " + i + " neighbour " + t);
        assertEquals(d2(x[i], x[order[t]]), nb.distance()[i][t], 1e-9);
      }
    }
  }

  @Test
  void bandwidthsHitThePerplexityAndPIsSymmetricAndSumsToOne() {
    double[][] x = clusters(400, 1);
    Neighbours nb = Neighbours.of(x, 90, POOL);
    double[] p = new double[90];
    Tsne.conditional(nb.distance()[17], 90, Math.log(30), p);
    double h = 0;
    double sum = 0;
    for (double v : p) {
      sum += v;
      h -= v > 0 ? v * Math.log(v) : 0;
    }
    assertEquals(1, sum, 1e-12);
    assertEquals(Math.log(30), h, 1e-4);

    Tsne.SparseP sp = Tsne.affinities(nb, 90, 30, POOL);
    double total = 0;
    for (int i = 0; i < 400; i++) {
      for (int e = sp.rowStart()[i]; e < sp.rowStart()[i + 1]; e++) {
        total += sp.val()[e];
        int j = sp.col()[e];
        assertEquals(sp.val()[e], value(sp, j, i), 1e-15, "p_ij = p_ji");
      }
    }
    assertEquals(1, total, 1e-9);
  }

  /** With θ = 0 the tree's repulsion is the exact sum, duplicates included. */
  @Test
  void quadTreeWithThetaZeroIsExact() {
    Random r = new Random(9);
    int n = 60;
    double[] y = new double[2 * n];
    for (int i = 0; i < 2 * n; i++) {
      y[i] = r.nextGaussian();
    }
    y[10] = y[20]; // points 5 and 10 coincide
    y[11] = y[21];
    QuadTree tree = QuadTree.build(y, n);
    for (int i = 0; i < n; i++) {
      double[] f = new double[3];
      tree.repulsion(i, y[2 * i], y[2 * i + 1], 0, f);
      double fx = 0;
      double fy = 0;
      double z = 0;
      for (int j = 0; j < n; j++) {
        if (j == i) {
          continue;
        }
        double dx = y[2 * i] - y[2 * j];
        double dy = y[2 * i + 1] - y[2 * j + 1];
        double q = 1 / (1 + dx * dx + dy * dy);
        z += q;
        fx += q * q * dx;
        fy += q * q * dy;
      }
      assertEquals(z, f[2], 1e-9, "Z share of " + i);
      assertEquals(fx, f[0], 1e-9);
      assertEquals(fy, f[1], 1e-9);
    }
  }

  /** The same input gives the same bits on one thread and on three. */
  @Test
  void deterministicWhateverTheThreadCount() {
    double[][] x = Pca.of(clusters(1200, 3), 20).scores();
    Neighbours nb = Neighbours.of(x, 45, POOL);
    double[][] init = Tsne.scaledInit(x);
    Tsne.Options one = Tsne.Options.builder()
        .perplexity(15)
        .iterations(300)
        .theta(0.5)
        .learningRate(0)
        .earlyExaggeration(12)
        .exaggerationIterations(100)
        .threads(1)
        .build();
    Tsne.Options three = Tsne.Options.builder()
        .perplexity(15)
        .iterations(300)
        .theta(0.5)
        .learningRate(0)
        .earlyExaggeration(12)
        .exaggerationIterations(100)
        .threads(3)
        .build();
    Tsne.Result a = Tsne.fit(nb, init, one, null);
    Tsne.Result b = Tsne.fit(nb, init, three, null);
    for (int i = 0; i < x.length; i++) {
      assertArrayEquals(a.coordinates()[i], b.coordinates()[i], 0, "point " + i);
    }
  }

  /**
   * Quality against the exact reference: on 3,000 points Barnes-Hut t-SNE's trustworthiness
   * (k = 10) is within 0.02 of Smile's exact t-SNE with the same perplexity and iterations, and
   * the clusters stay apart (a point's 10 nearest map neighbours share its cluster).
   */
  @Test
  void trustworthinessWithinTwoHundredthsOfSmilesExactTsne() {
    double[][] x = Pca.of(clusters(3000, 4), 50).scores();
    Neighbours nb = Neighbours.of(x, Tsne.neighboursFor(30, x.length), POOL);
    int[] iterations = new int[1];
    Tsne.Result ours = Tsne.fit(nb, Tsne.scaledInit(x), Tsne.Options.defaults(30, 2), it -> iterations[0] = it);
    assertEquals(1000, iterations[0]);
    smile.manifold.TSNE exact = new smile.manifold.TSNE(x, 2, 30, 200, 1000);
    double tOurs = Trustworthiness.of(x, ours.coordinates(), 10, 2);
    double tSmile = Trustworthiness.of(x, exact.coordinates, 10, 2);
    assertTrue(tOurs > tSmile - 0.02, "Barnes-Hut " + tOurs + " vs exact " + tSmile);
    assertTrue(tOurs > 0.9, "trustworthiness " + tOurs);
    Neighbours map = Neighbours.of(ours.coordinates(), 10, POOL);
    int same = 0;
    for (int i = 0; i < x.length; i++) {
      for (int j : map.index()[i]) {
        same += j % 10 == i % 10 ? 1 : 0;
      }
    }
    assertTrue(same / (10.0 * x.length) > 0.95, "cluster purity of map neighbourhoods: " + same / (10.0 * x.length));
  }

  @Test
  void pcaScoresAreCentredAndOrdered() {
    Pca pca = Pca.of(clusters(500, 6), 10);
    assertEquals(10, pca.scores()[0].length);
    for (int c = 0; c < 10; c++) {
      double mean = 0;
      for (double[] s : pca.scores()) {
        mean += s[c];
      }
      assertEquals(0, mean / 500, 1e-9);
      if (c > 0) {
        assertTrue(pca.explained()[c] <= pca.explained()[c - 1]);
      }
    }
  }

  private static double value(Tsne.SparseP p, int i, int j) {
    for (int e = p.rowStart()[i]; e < p.rowStart()[i + 1]; e++) {
      if (p.col()[e] == j) {
        return p.val()[e];
      }
    }
    return 0;
  }

  private static double d2(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += (a[j] - b[j]) * (a[j] - b[j]);
    }
    return s;
  }
}
