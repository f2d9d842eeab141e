package org.convlens.embedding;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * Barnes-Hut t-SNE (van der Maaten, "Accelerating t-SNE using tree-based algorithms", JMLR 2014)
 * into two dimensions, multithreaded and deterministic.
 *
 * <ul>
 *   <li>Input affinities from the exact ⌊3·perplexity⌋ nearest neighbours ({@link Neighbours}),
 *       each row's Gaussian bandwidth found by bisection to the perplexity, then symmetrised:
 *       p_ij = (p_j|i + p_i|j) / 2n.
 *   <li>Gradient: attraction over those sparse p_ij, repulsion from a quadtree with the
 *       Barnes-Hut criterion cell-width / distance &lt; θ.
 *   <li>Optimisation as scikit-learn's: early exaggeration 12 for 250 iterations with momentum
 *       0.5, then momentum 0.8, 1,000 iterations in all, per-coordinate gains (+0.2 / ×0.8,
 *       at least 0.01), learning rate "auto" = max(n / exaggeration / 4, 50) (Belkina et al.
 *       2019), initialisation from the first two principal components scaled to standard
 *       deviation 1e-4 (the caller passes them in), the mean removed every iteration.
 * </ul>
 *
 * Determinism: work is split into fixed chunks of points whatever the thread count, and the
 * normalisation sum is added chunk by chunk in order, so the same input gives the same bits on
 * any number of threads.
 */
public final class Tsne {
  private static final int CHUNK = 512;
  private static final double MOMENTUM = 0.5;
  private static final double FINAL_MOMENTUM = 0.8;
  private static final double MIN_GAIN = 0.01;

  /**
   * @param perplexity effective number of neighbours (5 to 50 typical; needs n > 3·perplexity)
   * @param iterations total gradient steps (scikit-learn's default 1,000)
   * @param theta Barnes-Hut accuracy (0.5 as scikit-learn and bhtsne; 0 would be exact)
   * @param learningRate step size; 0 = auto, max(n / earlyExaggeration / 4, 50)
   * @param earlyExaggeration factor on p_ij at the start (12)
   * @param exaggerationIterations how long it lasts (250)
   * @param threads worker threads
   */
  public record Options(double perplexity, int iterations, double theta, double learningRate,
      double earlyExaggeration, int exaggerationIterations, int threads) {
    public Options {
      if (!(perplexity >= 1 && perplexity <= 1000)) {
        throw new IllegalArgumentException("perplexity must be in [1, 1000], got " + perplexity);
      }
      if (iterations < 1 || exaggerationIterations < 0 || exaggerationIterations > iterations) {
        throw new IllegalArgumentException("need 0 <= exaggeration iterations <= iterations, >= 1");
      }
      if (!(theta >= 0 && theta <= 1)) {
        throw new IllegalArgumentException("theta must be in [0, 1], got " + theta);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be >= 1");
      }
    }

    /** scikit-learn's defaults with the given perplexity. */
    public static Options defaults(double perplexity, int threads) {
      return new Options(perplexity, 1000, 0.5, 0, 12, 250, threads);
    }

    /** A builder, so that a caller names each of the 7 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private double perplexity;
      private int iterations;
      private double theta;
      private double learningRate;
      private double earlyExaggeration;
      private int exaggerationIterations;
      private int threads;

      private Builder() {}

      public Builder perplexity(double perplexity) {
        this.perplexity = perplexity;
        return this;
      }

      public Builder iterations(int iterations) {
        this.iterations = iterations;
        return this;
      }

      public Builder theta(double theta) {
        this.theta = theta;
        return this;
      }

      public Builder learningRate(double learningRate) {
        this.learningRate = learningRate;
        return this;
      }

      public Builder earlyExaggeration(double earlyExaggeration) {
        this.earlyExaggeration = earlyExaggeration;
        return this;
      }

      public Builder exaggerationIterations(int exaggerationIterations) {
        this.exaggerationIterations = exaggerationIterations;
        return this;
      }

      public Builder threads(int threads) {
        this.threads = threads;
        return this;
      }

      public Options build() {
        return new Options(perplexity, iterations, theta, learningRate, earlyExaggeration, exaggerationIterations,
            threads);
      }
    }
  }

  /** Coordinates (n × 2) and the final KL divergence (estimated with the Barnes-Hut Z). */
  public record Result(double[][] coordinates, double klDivergence, int iterations, double seconds) {}

  private Tsne() {}

  /** The neighbours t-SNE needs for a perplexity: ⌊3·perplexity⌋, at most n − 1. */
  public static int neighboursFor(double perplexity, int n) {
    return (int) Math.min(n - 1, Math.max(1, Math.floor(3 * perplexity)));
  }

  /**
   * t-SNE of {@code x} (n × d, usually the first 50 principal components), from {@code init}
   * (n × 2). {@code knn} may hold more neighbours than the perplexity needs (one search serves
   * several perplexities); the first {@link #neighboursFor} are used.
   *
   * @param onIteration called after each iteration with its number (may be null)
   */
  public static Result fit(Neighbours knn, double[][] init, Options o, IntConsumer onIteration) {
    long start = System.nanoTime();
    int n = init.length;
    if (n < 4) {
      throw new IllegalArgumentException("t-SNE needs at least 4 points, got " + n);
    }
    int k = neighboursFor(o.perplexity(), n);
    if (knn.k() < k) {
      throw new IllegalArgumentException("perplexity " + o.perplexity() + " needs " + k
          + " neighbours; the search found " + knn.k());
    }
    ExecutorService pool = Executors.newFixedThreadPool(o.threads(), r -> {
      Thread t = new Thread(r, "convlens-tsne");
      t.setDaemon(true);
      return t;
    });
    try {
      SparseP p = affinities(knn, k, o.perplexity(), pool);
      return optimise(p, init, o, pool, onIteration, start);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Symmetric sparse P in compressed rows. */
  record SparseP(int[] rowStart, int[] col, double[] val) {}

  /** Per-row bandwidths by bisection on β = 1/(2σ²) to entropy log(perplexity), then symmetrised. */
  static SparseP affinities(Neighbours knn, int k, double perplexity, ExecutorService pool) {
    int n = knn.index().length;
    double[][] cond = new double[n][k];
    double target = Math.log(perplexity);
    List<Future<?>> work = new ArrayList<>();
    for (int from = 0; from < n; from += CHUNK) {
      int a = from;
      int b = Math.min(n, from + CHUNK);
      work.add(pool.submit(() -> {
        for (int i = a; i < b; i++) {
          conditional(knn.distance()[i], k, target, cond[i]);
        }
      }));
    }
    Neighbours.Parallel.await(work);
    // Symmetrise: count entries per row in P + Pᵀ, fill, then merge duplicates per row.
    int[] count = new int[n];
    for (int i = 0; i < n; i++) {
      for (int t = 0; t < k; t++) {
        count[i]++;
        count[knn.index()[i][t]]++;
      }
    }
    int[] start = new int[n + 1];
    for (int i = 0; i < n; i++) {
      start[i + 1] = start[i] + count[i];
    }
    int[] fill = start.clone();
    int[] col = new int[start[n]];
    double[] val = new double[start[n]];
    for (int i = 0; i < n; i++) {
      for (int t = 0; t < k; t++) {
        int j = knn.index()[i][t];
        double v = cond[i][t] / (2.0 * n);
        col[fill[i]] = j;
        val[fill[i]++] = v;
        col[fill[j]] = i;
        val[fill[j]++] = v;
      }
    }
    int[] outStart = new int[n + 1];
    int[] outCol = new int[start[n]];
    double[] outVal = new double[start[n]];
    int w = 0;
    for (int i = 0; i < n; i++) {
      outStart[i] = w;
      int a = start[i];
      int b = start[i + 1];
      Integer[] order = new Integer[b - a];
      for (int t = 0; t < order.length; t++) {
        order[t] = a + t;
      }
      java.util.Arrays.sort(order, (x, y) -> Integer.compare(col[x], col[y]));
      for (int t = 0; t < order.length; t++) {
        int e = order[t];
        if (w > outStart[i] && outCol[w - 1] == col[e]) {
          outVal[w - 1] += val[e];
        } else {
          outCol[w] = col[e];
          outVal[w++] = val[e];
        }
      }
    }
    outStart[n] = w;
    return new SparseP(outStart, java.util.Arrays.copyOf(outCol, w), java.util.Arrays.copyOf(outVal, w));
  }

  /** p_j|i for one row of squared distances, entropy = target (natural log), into {@code out}. */
  static void conditional(double[] d2, int k, double target, double[] out) {
    double beta = 1;
    double lo = Double.NEGATIVE_INFINITY;
    double hi = Double.POSITIVE_INFINITY;
    // Distances relative to the nearest keep exp() in range; they do not change p_j|i.
    double min = d2[0];
    for (int step = 0; step < 200; step++) {
      double sum = 0;
      double weighted = 0;
      for (int t = 0; t < k; t++) {
        double v = Math.exp(-(d2[t] - min) * beta);
        out[t] = v;
        sum += v;
        weighted += (d2[t] - min) * v;
      }
      double entropy = Math.log(sum) + beta * weighted / sum;
      for (int t = 0; t < k; t++) {
        out[t] /= sum;
      }
      double diff = entropy - target;
      if (Math.abs(diff) < 1e-5) {
        return;
      }
      if (diff > 0) { // too flat: sharpen
        lo = beta;
        beta = hi == Double.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo == Double.NEGATIVE_INFINITY ? beta / 2 : (beta + lo) / 2;
      }
    }
  }

  private static Result optimise(SparseP p, double[][] init, Options o, ExecutorService pool,
      IntConsumer onIteration, long start) {
    int n = init.length;
    double[] y = new double[2 * n];
    for (int i = 0; i < n; i++) {
      y[2 * i] = init[i][0];
      y[2 * i + 1] = init[i][1];
    }
    double lr = o.learningRate() > 0 ? o.learningRate()
        : Math.max(n / o.earlyExaggeration() / 4, 50);
    double[] update = new double[2 * n];
    double[] gains = new double[2 * n];
    java.util.Arrays.fill(gains, 1);
    double[] attract = new double[2 * n];
    double[] repulse = new double[2 * n];
    int chunks = (n + CHUNK - 1) / CHUNK;
    double[] zPart = new double[chunks];
    for (int it = 0; it < o.iterations(); it++) {
      boolean early = it < o.exaggerationIterations();
      double exaggeration = early ? o.earlyExaggeration() : 1;
      double momentum = early ? MOMENTUM : FINAL_MOMENTUM;
      QuadTree tree = QuadTree.build(y, n);
      List<Future<?>> work = new ArrayList<>(chunks);
      for (int c = 0; c < chunks; c++) {
        int chunk = c;
        work.add(pool.submit(() -> {
          int a = chunk * CHUNK;
          int b = Math.min(n, a + CHUNK);
          double z = 0;
          double[] f = new double[3];
          for (int i = a; i < b; i++) {
            f[0] = 0;
            f[1] = 0;
            f[2] = 0;
            tree.repulsion(i, y[2 * i], y[2 * i + 1], o.theta(), f);
            repulse[2 * i] = f[0];
            repulse[2 * i + 1] = f[1];
            z += f[2];
            double ax = 0;
            double ay = 0;
            for (int e = p.rowStart()[i]; e < p.rowStart()[i + 1]; e++) {
              int j = p.col()[e];
              double dx = y[2 * i] - y[2 * j];
              double dy = y[2 * i + 1] - y[2 * j + 1];
              double q = p.val()[e] / (1 + dx * dx + dy * dy);
              ax += q * dx;
              ay += q * dy;
            }
            attract[2 * i] = ax;
            attract[2 * i + 1] = ay;
          }
          zPart[chunk] = z;
        }));
      }
      Neighbours.Parallel.await(work);
      double z = 0;
      for (double part : zPart) {
        z += part;
      }
      double mx = 0;
      double my = 0;
      for (int i = 0; i < 2 * n; i++) {
        double grad = 4 * (exaggeration * attract[i] - repulse[i] / z);
        gains[i] = update[i] * grad < 0 ? gains[i] + 0.2 : gains[i] * 0.8; // as scikit-learn
        if (gains[i] < MIN_GAIN) {
          gains[i] = MIN_GAIN;
        }
        update[i] = momentum * update[i] - lr * gains[i] * grad;
        y[i] += update[i];
        if ((i & 1) == 0) {
          mx += y[i];
        } else {
          my += y[i];
        }
      }
      mx /= n;
      my /= n;
      for (int i = 0; i < n; i++) {
        y[2 * i] -= mx;
        y[2 * i + 1] -= my;
      }
      if (onIteration != null) {
        onIteration.accept(it + 1);
      }
    }
    double[][] out = new double[n][2];
    for (int i = 0; i < n; i++) {
      out[i][0] = y[2 * i];
      out[i][1] = y[2 * i + 1];
    }
    double kl = klDivergence(p, y, n, o.theta());
    return new Result(out, kl, o.iterations(), (System.nanoTime() - start) / 1e9);
  }

  /** KL(P‖Q) over the non-zero p_ij, Q normalised by the Barnes-Hut estimate of Z. */
  static double klDivergence(SparseP p, double[] y, int n, double theta) {
    QuadTree tree = QuadTree.build(y, n);
    double z = 0;
    double[] f = new double[3];
    for (int i = 0; i < n; i++) {
      f[0] = 0;
      f[1] = 0;
      f[2] = 0;
      tree.repulsion(i, y[2 * i], y[2 * i + 1], theta, f);
      z += f[2];
    }
    double kl = 0;
    for (int i = 0; i < n; i++) {
      for (int e = p.rowStart()[i]; e < p.rowStart()[i + 1]; e++) {
        int j = p.col()[e];
        double dx = y[2 * i] - y[2 * j];
        double dy = y[2 * i + 1] - y[2 * j + 1];
        double q = 1 / (1 + dx * dx + dy * dy) / z;
        double v = p.val()[e];
        if (v > 0) {
          kl += v * Math.log(Math.max(v, 1e-12) / Math.max(q, 1e-12));
        }
      }
    }
    return kl;
  }

  /** PCA-style initialisation: the given n × 2 scores scaled so the first column has std 1e-4. */
  public static double[][] scaledInit(double[][] scores) {
    int n = scores.length;
    double mean = 0;
    for (double[] s : scores) {
      mean += s[0];
    }
    mean /= n;
    double var = 0;
    for (double[] s : scores) {
      var += (s[0] - mean) * (s[0] - mean);
    }
    double std = Math.sqrt(var / n);
    double f = std > 0 ? 1e-4 / std : 1;
    double[][] out = new double[n][2];
    for (int i = 0; i < n; i++) {
      out[i][0] = scores[i][0] * f;
      out[i][1] = scores[i][1] * f;
    }
    return out;
  }

  /** A seeded Gaussian initialisation with standard deviation 1e-4 (when no PCA is wanted). */
  public static double[][] randomInit(int n, long seed) {
    Random r = new Random(seed);
    double[][] out = new double[n][2];
    for (double[] row : out) {
      row[0] = 1e-4 * r.nextGaussian();
      row[1] = 1e-4 * r.nextGaussian();
    }
    return out;
  }
}
