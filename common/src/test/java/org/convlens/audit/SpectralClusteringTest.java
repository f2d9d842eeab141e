package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The clustering maths on points with a known answer: blobs, rings, one cloud. */
class SpectralClusteringTest {
  /** n points around each centre, σ apart. */
  static double[][] blobs(Random r, double sigma, int n, double[]... centres) {
    double[][] x = new double[n * centres.length][];
    for (int c = 0; c < centres.length; c++) {
      for (int i = 0; i < n; i++) {
        double[] p = new double[centres[c].length];
        for (int j = 0; j < p.length; j++) {
          p[j] = centres[c][j] + sigma * r.nextGaussian();
        }
        x[c * n + i] = p;
      }
    }
    return x;
  }

  /** Whether two labellings put the same points together. */
  static boolean samePartition(int[] a, int[] b) {
    java.util.Map<Integer, Integer> ab = new java.util.HashMap<>();
    java.util.Map<Integer, Integer> ba = new java.util.HashMap<>();
    for (int i = 0; i < a.length; i++) {
      int x = a[i];
      int y = b[i];
      if (ab.computeIfAbsent(x, k -> y) != y || ba.computeIfAbsent(y, k -> x) != x) {
        return false;
      }
    }
    return true;
  }

  @Test
  void kMeansFindsSeparatedBlobsAndNumbersThemBySize() {
    Random r = new Random(1);
    double[][] x = new double[70][];
    double[][] small = blobs(r, 0.1, 20, new double[] {5, 5});
    double[][] large = blobs(r, 0.1, 50, new double[] {0, 0});
    System.arraycopy(small, 0, x, 0, 20);
    System.arraycopy(large, 0, x, 20, 50);
    KMeans km = KMeans.fit(x, 2, 3, 5, 100);
    assertEquals(2, km.k());
    for (int i = 0; i < 70; i++) {
      assertEquals(i < 20 ? 1 : 0, km.labels()[i], "the larger cluster is 0");
    }
    assertArrayEquals(km.labels(), KMeans.fit(x, 2, 3, 5, 100).labels(), "same seed, same answer");
    assertEquals(1, KMeans.fit(new double[][] {{1, 1}, {1, 1}, {1, 1}}, 3, 1, 2, 10).k(),
        "three equal points make one cluster, not three");
  }

  @Test
  void eigengapCountsWellSeparatedGroups() {
    Random r = new Random(2);
    double[][] x = blobs(r, 0.2, 30, new double[] {0, 0, 0}, new double[] {6, 0, 0}, new double[] {0, 6, 0});
    SpectralClustering sc = SpectralClustering.fit(x, 10, 6, 7);
    assertEquals(3, sc.k(), java.util.Arrays.toString(sc.eigenvalues()));
    int[] truth = new int[90];
    for (int i = 0; i < 90; i++) {
      truth[i] = i / 30;
    }
    assertTrue(samePartition(truth, sc.labels()));
    assertEquals(0, sc.eigenvalues()[0], 1e-9, "the Laplacian's smallest eigenvalue");
    assertEquals(0, sc.eigenvalues()[2], 1e-9, "three components, three zero eigenvalues");
    assertTrue(sc.eigenvalues()[3] > 0.1, "then a gap");
  }

  @Test
  void nonConvexRingsAreSeparatedWhereKMeansWouldNotBe() {
    Random r = new Random(3);
    double[][] x = new double[200][];
    for (int i = 0; i < 200; i++) {
      double radius = i < 100 ? 1 : 4;
      double a = r.nextDouble() * 2 * Math.PI;
      x[i] = new double[] {radius * Math.cos(a) + 0.05 * r.nextGaussian(),
          radius * Math.sin(a) + 0.05 * r.nextGaussian()};
    }
    SpectralClustering sc = SpectralClustering.fit(x, 10, 4, 7);
    assertEquals(2, sc.k(), java.util.Arrays.toString(sc.eigenvalues()));
    int[] truth = new int[200];
    for (int i = 100; i < 200; i++) {
      truth[i] = 1;
    }
    assertTrue(samePartition(truth, sc.labels()), "the two rings");
    assertTrue(!samePartition(truth, KMeans.fit(x, 2, 7, 10, 100).labels()), "k-means cuts rings in halves");
  }

  @Test
  void oneCloudAndMaxKOfOneStayWhole() {
    Random r = new Random(4);
    double[][] x = blobs(r, 1, 40, new double[] {0, 0});
    assertEquals(1, SpectralClustering.fit(x, 10, 1, 7).k(), "max-k 1: no clustering");
    SpectralClustering two = SpectralClustering.fit(blobs(r, 0.1, 2, new double[] {0, 0}), 10, 5, 7);
    assertEquals(1, two.k(), "fewer than three points are one cluster");
    Set<Integer> labels = new HashSet<>();
    for (int l : SpectralClustering.fit(x, 10, 6, 7).labels()) {
      labels.add(l);
    }
    assertTrue(labels.size() <= 6);
  }

  @Test
  void affinityIsSymmetricBinaryKnn() {
    double[][] x = {{0}, {1}, {3}, {10}};
    double[][] w = SpectralClustering.affinity(x, 1);
    // nearest: 0→1, 1→0, 2→1, 3→2
    assertEquals(1.0, w[0][1]);
    assertEquals(0.5, w[1][2], "one-way neighbours weigh 1/2 (CoRelAy's (A + Aᵀ)/2)");
    assertEquals(0.5, w[2][3]);
    assertEquals(0.0, w[0][3]);
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) {
        assertEquals(w[i][j], w[j][i]);
      }
    }
  }
}
