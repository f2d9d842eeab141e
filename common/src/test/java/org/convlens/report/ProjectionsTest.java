package org.convlens.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** PCA and t-SNE views of seeded Gaussian clusters, where good views are known to exist. */
class ProjectionsTest {
  private static final Projections.Listener QUIET = Projections.printing(s -> {});

  static ReportSettings settings(List<Integer> perplexities, int threads) {
    return ReportSettings.defaults().with(ReportSettings.SEED, 42L).with(ReportSettings.MAX_POINTS, 1000)
        .with(ReportSettings.THUMBNAIL_SIDE, 0).with(ReportSettings.PERPLEXITIES, perplexities)
        .with(ReportSettings.ITERATIONS, 300).with(ReportSettings.PCA_DIMS, 10).with(ReportSettings.THREADS, threads)
        .with(ReportSettings.TRUST_QUERIES, 1000).with(ReportSettings.PER_CLASS, 3)
        .with(ReportSettings.MAX_CLASSES, 10).with(ReportSettings.MAX_TARGETS, 5);
  }

  /** {@code n} points of 5 clusters in {@code dims} dimensions: centres 10σ apart on average. */
  static double[][] clusters(int n, int dims, long seed) {
    Random r = new Random(seed);
    double[][] centres = new double[5][dims];
    for (double[] c : centres) {
      for (int d = 0; d < dims; d++) {
        c[d] = 10 * r.nextGaussian();
      }
    }
    double[][] x = new double[n][dims];
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < dims; d++) {
        x[i][d] = centres[i % 5][d] + r.nextGaussian();
      }
    }
    return x;
  }

  @Test
  void pcaAndOneTsnePerPerplexityKeepNeighbourhoods() {
    double[][] x = clusters(300, 20, 1);
    List<String> phases = new ArrayList<>();
    AtomicInteger iterations = new AtomicInteger();
    Projections.Result r = Projections.compute(x, settings(List.of(5, 30), 2), new Projections.Listener() {
      @Override
      public void phase(String name) {
        phases.add(name);
      }

      @Override
      public void iteration(int i) {
        iterations.incrementAndGet();
      }
    });

    assertEquals(3, r.views().size());
    assertEquals(List.of(), r.skipped());
    assertEquals(20, r.dims());
    assertEquals(10, r.pcaDims());
    assertEquals(10, r.explained().length);
    for (int i = 1; i < r.explained().length; i++) {
      assertTrue(r.explained()[i] <= r.explained()[i - 1] + 1e-12, "explained shares descend");
    }
    Projections.View pca = r.views().get(0);
    assertEquals("pca", pca.kind());
    assertNull(pca.perplexity());
    assertNull(pca.klDivergence());
    List<Integer> perplexities = new ArrayList<>();
    for (Projections.View v : r.views()) {
      assertEquals(300, v.x().length);
      assertEquals(300, v.y().length);
      assertEquals(10, v.trustK());
      assertNotNull(v.trustworthiness());
      assertTrue(v.trustworthiness() > 0.8 && v.trustworthiness() <= 1.0,
          v.kind() + " " + v.perplexity() + ": T = " + v.trustworthiness());
      for (int i = 0; i < 300; i++) {
        assertTrue(Float.isFinite(v.x()[i]) && Float.isFinite(v.y()[i]));
      }
      if (v.kind().equals("tsne")) {
        perplexities.add(v.perplexity());
        assertNotNull(v.klDivergence());
        assertTrue(v.klDivergence() >= 0, "KL " + v.klDivergence());
      }
    }
    assertEquals(List.of(5, 30), perplexities);
    assertEquals(2 * 300, iterations.get(), "one callback per t-SNE iteration");
    assertTrue(phases.stream().anyMatch(p -> p.startsWith("t-SNE perplexity 30")), phases.toString());
  }

  @Test
  void sameInputSameViewsWhateverTheThreads() {
    double[][] x = clusters(200, 12, 2);
    Projections.Result a = Projections.compute(x, settings(List.of(10), 1), QUIET);
    Projections.Result b = Projections.compute(x, settings(List.of(10), 1), QUIET);
    Projections.Result c = Projections.compute(x, settings(List.of(10), 4), QUIET);
    assertEquals(2, a.views().size());
    for (Projections.Result other : List.of(b, c)) {
      for (int v = 0; v < a.views().size(); v++) {
        assertArrayEquals(a.views().get(v).x(), other.views().get(v).x(), "view " + v);
        assertArrayEquals(a.views().get(v).y(), other.views().get(v).y(), "view " + v);
        assertEquals(a.views().get(v).trustworthiness(), other.views().get(v).trustworthiness());
        assertEquals(a.views().get(v).klDivergence(), other.views().get(v).klDivergence());
      }
    }
  }

  @Test
  void perplexityTooLargeForTheSampleIsSkippedWithAReason() {
    Projections.Result r = Projections.compute(clusters(40, 20, 3), settings(List.of(5, 30), 2), QUIET);
    assertEquals(2, r.views().size());
    assertEquals("pca", r.views().get(0).kind());
    assertEquals(Integer.valueOf(5), r.views().get(1).perplexity());
    assertEquals(1, r.skipped().size());
    String why = r.skipped().get(0);
    assertTrue(why.contains("perplexity 30") && why.contains("40"), why);
    // k = 10 is below 40 / 2: kept.
    assertEquals(10, r.views().get(0).trustK());
  }

  @Test
  void allPerplexitiesTooLargeLeavesPcaOnly() {
    Projections.Result r = Projections.compute(clusters(12, 5, 4), settings(List.of(5, 30), 1), QUIET);
    assertEquals(1, r.views().size());
    assertEquals("pca", r.views().get(0).kind());
    assertEquals(2, r.skipped().size(), r.skipped().toString());
    assertEquals(5, r.views().get(0).trustK(), "k below n / 2 = 6");
  }

  @Test
  void tooFewPointsOrDimensionsGiveNoViews() {
    Projections.Result three = Projections.compute(clusters(3, 20, 5), settings(List.of(5), 1), QUIET);
    assertTrue(three.views().isEmpty());
    assertEquals(1, three.skipped().size());
    assertTrue(three.skipped().get(0).contains("3 usable"), three.skipped().get(0));
    Projections.Result none = Projections.compute(new double[0][], settings(List.of(5), 1), QUIET);
    assertTrue(none.views().isEmpty());
    assertEquals(1, none.skipped().size());
    Projections.Result oneDim = Projections.compute(clusters(50, 1, 6), settings(List.of(5), 1), QUIET);
    assertTrue(oneDim.views().isEmpty());
  }

  @Test
  void identicalEmbeddingsDoNotFailTheReport() {
    double[][] x = new double[50][8];
    for (double[] row : x) {
      java.util.Arrays.fill(row, 1.5);
    }
    Projections.Result r = assertDoesNotThrow(() -> Projections.compute(x, settings(List.of(5), 1), QUIET));
    assertTrue(r.views().isEmpty());
    assertTrue(r.skipped().get(0).contains("identical"), r.skipped().toString());
  }

  @Test
  void trustKStaysBelowHalfTheSample() {
    assertEquals(7, Projections.trustK(10, 15));
    assertTrue(Projections.trustK(10, 15) < 15 / 2.0);
    assertTrue(Projections.trustK(10, 16) < 16 / 2.0);
    assertEquals(10, Projections.trustK(10, 1000));
    assertEquals(0, Projections.trustK(10, 2));
  }

  @Test
  void smallPcaOfClassVectors() {
    double[][] v = clusters(10, 16, 7);
    Projections.Result r = Projections.small(v, 10, 2);
    assertEquals(1, r.views().size());
    Projections.View view = r.views().get(0);
    assertEquals("pca", view.kind());
    assertEquals(10, view.x().length);
    assertEquals(10, view.y().length);
    assertNotNull(view.trustK());
    assertTrue(view.trustK() < 5, "k = " + view.trustK());
    assertEquals(4, view.trustK());
    assertTrue(view.trustworthiness() > 0.5 && view.trustworthiness() <= 1, "T = " + view.trustworthiness());
    assertEquals(2, r.explained().length);
    assertEquals(16, r.dims());

    Projections.Result two = Projections.small(clusters(2, 16, 8), 10, 1);
    assertTrue(two.views().isEmpty());
    assertEquals(1, two.skipped().size());
  }
}
