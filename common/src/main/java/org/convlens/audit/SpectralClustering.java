package org.convlens.audit;

import java.util.Arrays;

/**
 * Spectral clustering as SpRAy runs it (Lapuschkin et al., "Unmasking Clever Hans predictors and
 * assessing what machines really learn", Nature Communications 10, 2019; the CoRelAy library of
 * the same group): a k-nearest-neighbour graph of the points, its symmetric normalised Laplacian,
 * the number of clusters from the largest gap between the Laplacian's smallest eigenvalues, and
 * k-means on the rows of the matching eigenvectors, each scaled to unit length (Ng, Jordan and
 * Weiss, "On spectral clustering: analysis and an algorithm", NIPS 2001).
 *
 * <ul>
 *   <li>Affinity: {@code A_ij = 1} when j is one of i's {@code neighbours} nearest points
 *       (Euclidean; ties to the lower index), then {@code W = (A + Aᵀ) / 2}, CoRelAy's
 *       {@code SparseKNN} (binary, symmetrised; its default is 10 neighbours).
 *   <li>Laplacian: {@code L = I − D^{-1/2} W D^{-1/2}}, {@code D} the degrees (every point has at
 *       least {@code neighbours / 2} of weight, so none is 0).
 *   <li>Eigen-decomposition: dense, symmetric (LAPACK {@code syevd} through Smile's {@code
 *       Matrix.eigen}), of {@code D^{-1/2} W D^{-1/2}}, whose eigenvalues are {@code 1 − λ(L)}.
 *       Dense is fine at the sizes the detectors cap to (hundreds of points).
 *   <li>Number of clusters: {@code k = argmax_{1 ≤ k ≤ maxK} (λ_{k+1} − λ_k)} over the
 *       Laplacian's eigenvalues in increasing order (the eigengap heuristic; von Luxburg, "A
 *       tutorial on spectral clustering", 2007, §8.3). A graph with c connected components has c
 *       zero eigenvalues, so well separated groups give their count.
 *   <li>Assignment: seeded {@link KMeans} (10 restarts) on the first k eigenvectors, rows
 *       normalised.
 * </ul>
 *
 * <p>Deterministic for the same points in the same order: the graph breaks ties by index, and the
 * rows' k-means is invariant to the rotation LAPACK may choose within a repeated eigenvalue.
 *
 * @param labels each point's cluster, 0 = the largest
 * @param k the number of clusters
 * @param eigenvalues the Laplacian's smallest eigenvalues, increasing ({@code maxK + 1} of them,
 *     fewer when there are fewer points)
 */
public record SpectralClustering(int[] labels, int k, double[] eigenvalues) {
  static final int RESTARTS = 10;
  static final int ITERATIONS = 100;

  /**
   * @param points n × d
   * @param neighbours neighbours per point in the graph (capped at n − 1)
   * @param maxK the most clusters the eigengap may choose
   * @param seed seed of the k-means draws
   */
  public static SpectralClustering fit(double[][] points, int neighbours, int maxK, long seed) {
    int n = points.length;
    if (n < 3 || maxK < 2) {
      return new SpectralClustering(new int[n], n == 0 ? 0 : 1, new double[0]);
    }
    double[][] w = affinity(points, Math.min(neighbours, n - 1));
    double[] degree = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        degree[i] += w[i][j];
      }
    }
    double[][] normalised = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        normalised[i][j] = w[i][j] == 0 ? 0 : w[i][j] / Math.sqrt(degree[i] * degree[j]);
      }
    }
    smile.math.matrix.Matrix m = smile.math.matrix.Matrix.of(normalised);
    m.uplo(smile.math.blas.UPLO.LOWER); // symmetric: LAPACK syevd
    smile.math.matrix.Matrix.EVD evd = m.eigen(false, true, true);
    // Laplacian eigenvalues 1 − μ, increasing; their eigenvectors are the columns of the largest μ.
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    double[] mu = evd.wr;
    Arrays.sort(order, (a, b) -> Double.compare(mu[b], mu[a]));
    int shown = Math.min(n, maxK + 1);
    double[] lambda = new double[shown];
    for (int i = 0; i < shown; i++) {
      lambda[i] = Math.max(0, 1 - mu[order[i]]);
    }
    int k = 1;
    double gap = Double.NEGATIVE_INFINITY;
    for (int c = 1; c < shown; c++) {
      double g = lambda[c] - lambda[c - 1];
      if (g > gap + 1e-12) {
        gap = g;
        k = c;
      }
    }
    if (k == 1) {
      return new SpectralClustering(new int[n], 1, lambda);
    }
    double[][] rows = new double[n][k];
    for (int i = 0; i < n; i++) {
      double norm = 0;
      for (int c = 0; c < k; c++) {
        rows[i][c] = evd.Vr.get(i, order[c]);
        norm += rows[i][c] * rows[i][c];
      }
      norm = Math.sqrt(norm);
      for (int c = 0; c < k && norm > 0; c++) {
        rows[i][c] /= norm;
      }
    }
    KMeans km = KMeans.fit(rows, k, seed, RESTARTS, ITERATIONS);
    return new SpectralClustering(km.labels(), km.k(), lambda);
  }

  /** The symmetrised binary k-nearest-neighbour affinity (CoRelAy's SparseKNN), dense. */
  static double[][] affinity(double[][] x, int neighbours) {
    int n = x.length;
    double[][] w = new double[n][n];
    Integer[] idx = new Integer[n];
    double[] dist = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        idx[j] = j;
        dist[j] = j == i ? Double.POSITIVE_INFINITY : KMeans.squared(x[i], x[j]);
      }
      Arrays.sort(idx, (a, b) -> dist[a] != dist[b] ? Double.compare(dist[a], dist[b]) : Integer.compare(a, b));
      for (int r = 0; r < neighbours; r++) {
        int j = idx[r];
        w[i][j] += 0.5;
        w[j][i] += 0.5;
      }
    }
    return w;
  }
}
