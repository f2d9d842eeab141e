package org.convlens.embedding;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Trustworthiness of a low-dimensional embedding (Venna &amp; Kaski 2001; the definition of
 * scikit-learn's {@code sklearn.manifold.trustworthiness}):
 *
 * <pre>
 *   T(k) = 1 − 2 / (n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ U_i(k)} (r(i, j) − k)
 * </pre>
 *
 * where U_i(k) are the points among i's k nearest neighbours in the embedding that are not among
 * them in the original space, and r(i, j) is j's rank (1 = nearest) among i's neighbours in the
 * original space. 1 = every embedded neighbourhood is a true one; about 0.5 for a random map.
 *
 * <p>The exact value costs n sorts of n distances. {@link #estimate} averages the inner sum over
 * a seeded sample of m points i (neighbours and ranks still over all n points), an unbiased
 * estimate that is exact when m = n; the report uses it for large n.
 */
public final class Trustworthiness {
  private Trustworthiness() {}

  /** The exact trustworthiness of {@code embedded} (n × e) for {@code original} (n × d). */
  public static double of(double[][] original, double[][] embedded, int k, int threads) {
    int[] all = new int[original.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return over(original, embedded, k, all, threads);
  }

  /** The estimate from {@code m} query points drawn with {@code seed} (exact when m ≥ n). */
  public static double estimate(double[][] original, double[][] embedded, int k, int m, long seed,
      int threads) {
    int n = original.length;
    if (m >= n) {
      return of(original, embedded, k, threads);
    }
    int[] order = org.convlens.util.Shuffle.permutation(n, seed);
    return over(original, embedded, k, Arrays.copyOf(order, m), threads);
  }

  private static double over(double[][] original, double[][] embedded, int k, int[] queries,
      int threads) {
    int n = original.length;
    if (k < 1 || k >= n / 2.0) {
      throw new IllegalArgumentException("trustworthiness needs 1 <= k < n/2 (n = " + n + "), got " + k);
    }
    double[] penalty = new double[queries.length];
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> work = new ArrayList<>();
      int chunk = 64;
      for (int from = 0; from < queries.length; from += chunk) {
        int a = from;
        int b = Math.min(queries.length, from + chunk);
        work.add(pool.submit(() -> {
          for (int q = a; q < b; q++) {
            penalty[q] = penalty(original, embedded, k, queries[q]);
          }
        }));
      }
      Neighbours.Parallel.await(work);
    } finally {
      pool.shutdownNow();
    }
    double sum = 0;
    for (double v : penalty) {
      sum += v;
    }
    double perPoint = sum / queries.length;
    return 1 - 2.0 / (k * (2.0 * n - 3.0 * k - 1.0)) * perPoint;
  }

  /** Σ_{j ∈ U_i(k)} (r(i, j) − k) for one point i. */
  private static double penalty(double[][] original, double[][] embedded, int k, int i) {
    int n = original.length;
    Integer[] byOriginal = sortedByDistance(original, i);
    int[] rank = new int[n];
    for (int r = 0; r < n - 1; r++) {
      rank[byOriginal[r]] = r + 1;
    }
    Integer[] byEmbedded = sortedByDistance(embedded, i);
    double p = 0;
    for (int t = 0; t < k; t++) {
      int r = rank[byEmbedded[t]];
      if (r > k) {
        p += r - k;
      }
    }
    return p;
  }

  /** Every other point by distance to point i, nearest first, ties by index. */
  private static Integer[] sortedByDistance(double[][] x, int i) {
    int n = x.length;
    double[] d = new double[n];
    Integer[] order = new Integer[n - 1];
    int w = 0;
    for (int j = 0; j < n; j++) {
      if (j == i) {
        continue;
      }
      double s = 0;
      for (int c = 0; c < x[i].length; c++) {
        double v = x[i][c] - x[j][c];
        s += v * v;
      }
      d[j] = s;
      order[w++] = j;
    }
    Arrays.sort(order, (a, b) -> d[a] != d[b] ? Double.compare(d[a], d[b]) : Integer.compare(a, b));
    return order;
  }
}
