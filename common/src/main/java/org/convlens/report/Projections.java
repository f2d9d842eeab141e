package org.convlens.report;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.convlens.embedding.Neighbours;
import org.convlens.embedding.Pca;
import org.convlens.embedding.Trustworthiness;
import org.convlens.embedding.Tsne;

/**
 * The report's 2-D views of the sampled embeddings: PCA, and Barnes-Hut t-SNE at each configured
 * perplexity, all from one PCA to {@code pca-dims} dimensions and one exact neighbour search with
 * the largest perplexity; the trustworthiness (k = {@code trustworthiness.k}) of every view is
 * measured against the embeddings themselves, not their PCA.
 */
public final class Projections {
  private Projections() {}

  /**
   * One view.
   *
   * @param kind {@code pca} or {@code tsne}
   * @param perplexity the t-SNE perplexity, null for PCA
   * @param x the first coordinate of each point (PCA: component 1)
   * @param y the second
   * @param trustworthiness T(k), null when there are too few points (k must be below n / 2)
   * @param klDivergence t-SNE's final KL divergence, null for PCA
   */
  public record View(String kind, Integer perplexity, float[] x, float[] y, Double trustworthiness,
      Integer trustK, Double klDivergence, double seconds) {
    /** A builder, so that a caller names each of the 8 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String kind;
      private Integer perplexity;
      private float[] x;
      private float[] y;
      private Double trustworthiness;
      private Integer trustK;
      private Double klDivergence;
      private double seconds;

      private Builder() {}

      public Builder kind(String kind) {
        this.kind = kind;
        return this;
      }

      public Builder perplexity(Integer perplexity) {
        this.perplexity = perplexity;
        return this;
      }

      public Builder x(float[] x) {
        this.x = x;
        return this;
      }

      public Builder y(float[] y) {
        this.y = y;
        return this;
      }

      public Builder trustworthiness(Double trustworthiness) {
        this.trustworthiness = trustworthiness;
        return this;
      }

      public Builder trustK(Integer trustK) {
        this.trustK = trustK;
        return this;
      }

      public Builder klDivergence(Double klDivergence) {
        this.klDivergence = klDivergence;
        return this;
      }

      public Builder seconds(double seconds) {
        this.seconds = seconds;
        return this;
      }

      public View build() {
        return new View(kind, perplexity, x, y, trustworthiness, trustK, klDivergence, seconds);
      }
    }
  }

  /**
   * @param views PCA first, then t-SNE by perplexity
   * @param explained PCA's explained-variance share of its first components
   * @param skipped one sentence per view not computed and why
   */
  public record Result(List<View> views, double[] explained, int dims, int pcaDims, List<String> skipped) {}

  /** What the projections report while they run. */
  public interface Listener {
    /** A phase starts, e.g. "t-SNE perplexity 30". */
    void phase(String name);

    /** An iteration of the running t-SNE finished (1-based). */
    void iteration(int i);
  }

  /** A listener that prints phases to {@code log} and ignores iterations. */
  public static Listener printing(Consumer<String> log) {
    return new Listener() {
      @Override
      public void phase(String name) {
        log.accept(name);
      }

      @Override
      public void iteration(int i) {}
    };
  }

  public static Result compute(double[][] embedding, ReportSettings s, Listener listener) {
    int n = embedding.length;
    int dims = n == 0 ? 0 : embedding[0].length;
    List<View> views = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    if (n < 4 || dims < 2) {
      skipped.add("no projections: " + n + " usable image(s) with " + dims
          + "-dimensional embeddings (PCA and t-SNE need at least 4 images and 2 dimensions)");
      return new Result(views, new double[0], dims, 0, skipped);
    }
    if (constant(embedding)) {
      skipped.add("no projections: all " + n + " embeddings are identical (a constant model output?)");
      return new Result(views, new double[0], dims, 0, skipped);
    }
    int threads = s.effectiveThreads();
    long t0 = System.nanoTime();
    listener.phase("PCA of " + n + " embeddings (" + dims + " dimensions)");
    Pca pca = Pca.of(embedding, Math.min(s.pcaDims(), dims));
    double[][] reduced = pca.scores();
    int trustK = trustK(s.trustK(), n);
    listener.phase("trustworthiness of PCA (k = " + trustK + ")");
    double[][] pc2 = firstTwo(reduced);
    views.add(View.builder()
        .kind("pca")
        .perplexity(null)
        .x(column(pc2, 0))
        .y(column(pc2, 1))
        .trustworthiness(trust(embedding, pc2, trustK, s, threads))
        .trustK(trustK)
        .klDivergence(null)
        .seconds(seconds(t0))
        .build());

    List<Integer> usable = new ArrayList<>();
    for (int p : s.perplexities()) {
      if (3 * p < n - 1) {
        usable.add(p);
      } else {
        skipped.add("t-SNE perplexity " + p + ": needs more than " + (3 * p + 1) + " images, have " + n);
      }
    }
    if (usable.isEmpty()) {
      return new Result(views, pca.explained(), dims, reduced[0].length, skipped);
    }
    int k = Tsne.neighboursFor(usable.stream().mapToInt(Integer::intValue).max().orElseThrow(), n);
    listener.phase("exact " + k + "-nearest neighbours of " + n + " points in " + reduced[0].length
        + " PCA dimensions");
    Neighbours knn;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      knn = Neighbours.of(reduced, k, pool);
    } finally {
      pool.shutdownNow();
    }
    double[][] init = Tsne.scaledInit(pc2);
    for (int p : usable) {
      long t = System.nanoTime();
      listener.phase("t-SNE perplexity " + p + " (" + s.iterations() + " iterations)");
      Tsne.Options o = Tsne.Options.builder()
          .perplexity(p)
          .iterations(s.iterations())
          .theta(s.theta())
          .learningRate(0)
          .earlyExaggeration(12)
          .exaggerationIterations(Math.min(250, s.iterations()))
          .threads(threads)
          .build();
      IntConsumer each = listener::iteration;
      Tsne.Result r = Tsne.fit(knn, init, o, each);
      listener.phase("trustworthiness of t-SNE perplexity " + p + " (k = " + trustK + ")");
      views.add(View.builder()
          .kind("tsne")
          .perplexity(p)
          .x(column(r.coordinates(), 0))
          .y(column(r.coordinates(), 1))
          .trustworthiness(trust(embedding, r.coordinates(), trustK, s, threads))
          .trustK(trustK)
          .klDivergence(r.klDivergence())
          .seconds(seconds(t))
          .build());
    }
    return new Result(views, pca.explained(), dims, reduced[0].length, skipped);
  }

  /** 2-D PCA of a few vectors (class vectors): the view and the explained shares. */
  public static Result small(double[][] vectors, int trustK, int threads) {
    int n = vectors.length;
    int dims = n == 0 ? 0 : vectors[0].length;
    if (n < 3 || dims < 2) {
      return new Result(List.of(), new double[0], dims, 0,
          List.of("needs at least 3 vectors of 2 or more dimensions, have " + n));
    }
    long t0 = System.nanoTime();
    Pca pca = Pca.of(vectors, 2);
    int k = trustK(trustK, n);
    Double tw = k < 1 ? null : Trustworthiness.of(vectors, pca.scores(), k, threads);
    return new Result(List.of(View.builder()
        .kind("pca")
        .perplexity(null)
        .x(column(pca.scores(), 0))
        .y(column(pca.scores(), 1))
        .trustworthiness(tw)
        .trustK(k < 1 ? null : k)
        .klDivergence(null)
        .seconds(seconds(t0))
        .build()), pca.explained(), dims, 2, List.of());
  }

  /** Whether every row equals the first (PCA has nothing to find). */
  static boolean constant(double[][] x) {
    for (double[] row : x) {
      if (!java.util.Arrays.equals(row, x[0])) {
        return false;
      }
    }
    return true;
  }

  /** The k trustworthiness can use with n points: the configured one, below n / 2. */
  static int trustK(int k, int n) {
    return Math.min(k, (n - 1) / 2); // the largest k below n / 2
  }

  private static Double trust(double[][] original, double[][] embedded, int k, ReportSettings s,
      int threads) {
    if (k < 1) {
      return null;
    }
    return Trustworthiness.estimate(original, embedded, k, s.trustQueries(), s.seed(), threads);
  }

  private static double[][] firstTwo(double[][] scores) {
    double[][] out = new double[scores.length][2];
    for (int i = 0; i < scores.length; i++) {
      out[i][0] = scores[i][0];
      out[i][1] = scores[i].length > 1 ? scores[i][1] : 0;
    }
    return out;
  }

  private static float[] column(double[][] m, int c) {
    float[] v = new float[m.length];
    for (int i = 0; i < m.length; i++) {
      v[i] = (float) m[i][c];
    }
    return v;
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
