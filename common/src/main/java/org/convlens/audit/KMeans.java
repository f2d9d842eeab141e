package org.convlens.audit;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded k-means: k-means++ seeding (Arthur and Vassilvitskii, "k-means++: the advantages of
 * careful seeding", SODA 2007), then Lloyd's iterations until no point changes cluster; the best
 * of {@code restarts} runs (least within-cluster sum of squares) is kept. Used on the driver by
 * the strategy and slice detectors on at most a few thousand points.
 *
 * <p>Deterministic: the same points in the same order and the same seed give the same clusters
 * (ties in distance go to the lower cluster index). Labels are then renumbered by cluster size,
 * largest first (ties: the cluster holding the earlier point first), so that "strategy 1" means
 * the same thing however the run's random draws fell.
 *
 * @param labels each point's cluster, 0..k-1
 * @param k the number of clusters (fewer than asked when there are fewer distinct points)
 * @param inertia the within-cluster sum of squared distances
 */
public record KMeans(int[] labels, int k, double inertia) {
  /**
   * @param points n × d
   * @param k clusters wanted (at least 1)
   * @param seed the seed of the k-means++ draws
   * @param restarts independent seedings; the one of least inertia is kept
   * @param maxIterations Lloyd iterations per run at most
   */
  public static KMeans fit(double[][] points, int k, long seed, int restarts, int maxIterations) {
    int n = points.length;
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    if (n == 0) {
      return new KMeans(new int[0], 0, 0);
    }
    k = Math.min(k, n);
    SplittableRandom random = new SplittableRandom(seed);
    int[] best = null;
    double bestInertia = Double.POSITIVE_INFINITY;
    for (int r = 0; r < Math.max(1, restarts); r++) {
      int[] labels = lloyd(points, seeds(points, k, random), maxIterations);
      double inertia = inertia(points, labels);
      if (inertia < bestInertia) {
        bestInertia = inertia;
        best = labels;
      }
    }
    int used = renumber(best);
    return new KMeans(best, used, bestInertia);
  }

  /** k-means++: the first centre uniformly, each next one with probability ∝ squared distance. */
  private static double[][] seeds(double[][] x, int k, SplittableRandom random) {
    int n = x.length;
    double[][] centres = new double[k][];
    centres[0] = x[random.nextInt(n)].clone();
    double[] d2 = new double[n];
    Arrays.fill(d2, Double.POSITIVE_INFINITY);
    int chosen = 1;
    for (int c = 1; c < k; c++) {
      double total = 0;
      for (int i = 0; i < n; i++) {
        d2[i] = Math.min(d2[i], squared(x[i], centres[c - 1]));
        total += d2[i];
      }
      if (!(total > 0)) {
        break; // every point sits on a centre: fewer distinct points than k
      }
      double u = random.nextDouble() * total;
      int pick = n - 1;
      for (int i = 0; i < n; i++) {
        u -= d2[i];
        if (u < 0) {
          pick = i;
          break;
        }
      }
      centres[c] = x[pick].clone();
      chosen++;
    }
    return Arrays.copyOf(centres, chosen);
  }

  private static int[] lloyd(double[][] x, double[][] centres, int maxIterations) {
    int n = x.length;
    int k = centres.length;
    int d = x[0].length;
    int[] labels = new int[n];
    Arrays.fill(labels, -1);
    for (int it = 0; it < Math.max(1, maxIterations); it++) {
      boolean changed = false;
      for (int i = 0; i < n; i++) {
        int nearest = nearest(x[i], centres);
        if (nearest != labels[i]) {
          labels[i] = nearest;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
      double[][] sums = new double[k][d];
      int[] counts = new int[k];
      for (int i = 0; i < n; i++) {
        counts[labels[i]]++;
        for (int j = 0; j < d; j++) {
          sums[labels[i]][j] += x[i][j];
        }
      }
      for (int c = 0; c < k; c++) {
        if (counts[c] == 0) {
          // An emptied cluster takes the point farthest from its own centre, so k stays k.
          int far = 0;
          double farthest = -1;
          for (int i = 0; i < n; i++) {
            double dist = squared(x[i], centres[labels[i]]);
            if (dist > farthest) {
              farthest = dist;
              far = i;
            }
          }
          centres[c] = x[far].clone();
          continue;
        }
        for (int j = 0; j < d; j++) {
          centres[c][j] = sums[c][j] / counts[c];
        }
      }
    }
    return labels;
  }

  private static int nearest(double[] p, double[][] centres) {
    int best = 0;
    double bestDist = Double.POSITIVE_INFINITY;
    for (int c = 0; c < centres.length; c++) {
      double dist = squared(p, centres[c]);
      if (dist < bestDist) {
        bestDist = dist;
        best = c;
      }
    }
    return best;
  }

  static double inertia(double[][] x, int[] labels) {
    int k = 0;
    for (int l : labels) {
      k = Math.max(k, l + 1);
    }
    int d = x[0].length;
    double[][] mean = new double[k][d];
    int[] counts = new int[k];
    for (int i = 0; i < x.length; i++) {
      counts[labels[i]]++;
      for (int j = 0; j < d; j++) {
        mean[labels[i]][j] += x[i][j];
      }
    }
    double total = 0;
    for (int i = 0; i < x.length; i++) {
      int c = labels[i];
      for (int j = 0; j < d; j++) {
        double diff = x[i][j] - mean[c][j] / counts[c];
        total += diff * diff;
      }
    }
    return total;
  }

  /** Renumbers labels in place: largest cluster 0, ties by first member; returns the clusters used. */
  private static int renumber(int[] labels) {
    int k = 0;
    for (int l : labels) {
      k = Math.max(k, l + 1);
    }
    int[] size = new int[k];
    int[] first = new int[k];
    Arrays.fill(first, Integer.MAX_VALUE);
    for (int i = 0; i < labels.length; i++) {
      size[labels[i]]++;
      first[labels[i]] = Math.min(first[labels[i]], i);
    }
    Integer[] order = new Integer[k];
    for (int c = 0; c < k; c++) {
      order[c] = c;
    }
    Arrays.sort(order, (a, b) -> size[a] != size[b] ? Integer.compare(size[b], size[a])
        : Integer.compare(first[a], first[b]));
    int[] rank = new int[k];
    int used = 0;
    for (int r = 0; r < k; r++) {
      if (size[order[r]] > 0) {
        rank[order[r]] = used++;
      }
    }
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rank[labels[i]];
    }
    return used;
  }

  static double squared(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      double diff = a[j] - b[j];
      s += diff * diff;
    }
    return s;
  }
}
