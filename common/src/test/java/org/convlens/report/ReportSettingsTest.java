package org.convlens.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.convlens.config.InvalidConfigException;
import org.convlens.pipeline.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code report.*} through the config loader: defaults, overrides and every rejected value. */
class ReportSettingsTest {
  private static ReportSettings load(String... sets) {
    return ConfigLoader.load(null, Map.of(), List.of(sets)).report();
  }

  @Test
  void defaultsAndOverrides() {
    ReportSettings d = load();
    assertEquals(List.of(5, 30, 50), d.perplexities());
    assertEquals(50, d.maxPerplexity());
    assertEquals(1000, d.iterations());
    assertEquals(32, d.thumbnailSide());
    assertEquals(0.5, d.theta());

    ReportSettings s = load("report.tsne.iterations=300", "report.tsne.perplexities=[30, 5]",
        "report.scatter.thumbnail-side=0", "report.title=  My report  ", "report.tsne.threads=3",
        "report.seed=99");
    assertEquals(300, s.iterations());
    assertEquals(List.of(30, 5), s.perplexities());
    assertEquals(30, s.maxPerplexity());
    assertEquals(0, s.thumbnailSide(), "0 = no thumbnails is allowed");
    assertEquals("My report", s.title());
    assertEquals(3, s.effectiveThreads());
    assertEquals(99, s.seed());
    assertEquals(List.of(7), ConfigLoader.load(null, Map.of("report.tsne.perplexities", 7), List.of())
        .report().perplexities(), "a single number");
    assertEquals(List.of(7), load("report.tsne.perplexities=7").perplexities(), "a single number from --set");
    assertTrue(load("report.tsne.threads=0").effectiveThreads() >= 1);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "report.tsne.perplexities=[]        | report.tsne.perplexities",
      "report.tsne.perplexities=[30,30]   | report.tsne.perplexities",
      "report.tsne.perplexities=[1]       | report.tsne.perplexities",
      "report.tsne.perplexities=[5, 201]  | report.tsne.perplexities",
      "report.tsne.perplexities=[a]       | report.tsne.perplexities",
      "report.scatter.thumbnail-side=4    | report.scatter.thumbnail-side",
      "report.scatter.thumbnail-side=65   | report.scatter.thumbnail-side",
      "report.scatter.max-points=-1       | report.scatter.max-points",
      "report.tsne.theta=2                | report.tsne.theta",
      "report.tsne.theta=-0.1             | report.tsne.theta",
      "report.tsne.iterations=100         | report.tsne.iterations",
      "report.tsne.pca-dims=1             | report.tsne.pca-dims",
      "report.trustworthiness.k=0         | report.trustworthiness.k",
      "report.trustworthiness.queries=5   | report.trustworthiness.queries",
      "report.gallery.per-class=-1        | report.gallery.per-class",
      "report.gallery.max-classes=0       | report.gallery.max-classes",
      "report.maximization.max-targets=-2 | report.maximization.max-targets",
  })
  void badValuesNameTheirKey(String set, String key) {
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> load(set));
    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }

  @Test
  void thetaMustBeANumberInRange() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ReportSettings.defaults().with(ReportSettings.THETA, Double.NaN));
    assertEquals("report.tsne.theta", e.key());
    assertTrue(e.getMessage().contains("numbers from 0 to 1"), e.getMessage());
  }

  @Test
  void perplexityListIsCopied() {
    List<Integer> p = new java.util.ArrayList<>(List.of(5, 30));
    ReportSettings s = ReportSettings.defaults().with(ReportSettings.PERPLEXITIES, p);
    p.add(50);
    assertEquals(List.of(5, 30), s.perplexities());
    assertThrows(UnsupportedOperationException.class, () -> s.perplexities().add(7));
  }

  /** The report's settings table as ReportRun built it by hand before the keys were declared. */
  @Test
  void settingsTableIsTheOneTheReportShowedBefore() {
    Map<String, Object> before = new java.util.LinkedHashMap<>();
    before.put("report.seed", 20240611L);
    before.put("report.scatter.max-points", 50000);
    before.put("report.scatter.thumbnail-side", 32);
    before.put("report.tsne.perplexities", List.of(5, 30, 50));
    before.put("report.tsne.iterations", 1000);
    before.put("report.tsne.pca-dims", 50);
    before.put("report.tsne.theta", 0.5);
    before.put("report.trustworthiness.k", 10);
    before.put("report.trustworthiness.queries", 2000);
    before.put("report.gallery.per-class", 6);
    before.put("report.gallery.max-classes", 100);
    before.put("report.maximization.max-targets", 100);
    Map<String, Object> now = load().toMap();
    assertEquals(before, now);
    assertEquals(List.copyOf(before.keySet()), List.copyOf(now.keySet()), "same order");
    assertEquals(ReportSettings.defaults(), load());
    assertEquals(7, ReportSettings.defaults().with(ReportSettings.TRUST_K, 7).toMap().get("report.trustworthiness.k"));
  }
}
