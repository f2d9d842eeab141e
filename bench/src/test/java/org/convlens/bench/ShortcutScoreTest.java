package org.convlens.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.convlens.bench.ShortcutScore.Flag;
import org.convlens.bench.ShortcutScore.Image;
import org.convlens.bench.ShortcutScore.KindScore;
import org.convlens.bench.ShortcutScore.Planted;
import org.convlens.config.InvalidConfigException;
import org.convlens.sampledata.ShortcutPlan;
import org.junit.jupiter.api.Test;

/** The shortcut benchmark's scoring against ground truth, its targets and its options, on tiny fake audits. */
class ShortcutScoreTest {
  private static final Planted RING = new Planted("ring", "marker");
  private static final Planted SQUARE = new Planted("square", "illumination");
  private static final Planted CROSS = new Planted("cross", "background");
  private static final List<Planted> PLAN = List.of(RING, SQUARE, CROSS);

  /**
   * Ring's cue on four other-class images: three predicted ring (c1, c2, t1: fooled), one still
   * right (c3). Square's cue on c2 (called ring) and t3 (called square); cross's on t4 (called
   * cross) and c4 (called right).
   */
  private static List<Image> images() {
    return List.of(
        new Image("c1", "circle", "ring", Set.of("marker:ring")),
        new Image("c2", "circle", "ring", Set.of("marker:ring", "illumination:square")),
        new Image("c3", "circle", "circle", Set.of("marker:ring")),
        new Image("t1", "triangle", "ring", Set.of("marker:ring")),
        new Image("t2", "triangle", "ring", Set.of()),
        // Ring's own image with its cue: not a carrier of another class.
        new Image("r1", "ring", "ring", Set.of("marker:ring")),
        new Image("t3", "triangle", "square", Set.of("illumination:square")),
        new Image("t4", "triangle", "cross", Set.of("background:cross")),
        new Image("c4", "circle", "circle", Set.of("background:cross")));
  }

  @Test
  void scoresEachPlantedShortcutAgainstTheFooledCarriers() {
    List<Flag> findings = List.of(
        new Flag("ring", "marker", List.of("c1", "t1", "t2", "r1")),
        new Flag("square", "tint", List.of("t3")),
        new Flag("circle", "illumination", List.of("c2")));
    List<KindScore> scores = ShortcutScore.score(PLAN, findings, images());
    assertEquals(3, scores.size());

    KindScore ring = scores.get(0);
    assertTrue(ring.flagged());
    assertTrue(ring.cueRight());
    assertEquals(4, ring.suspects());
    assertEquals(2, ring.hits(), "c1 and t1 are fooled carriers; t2 carries nothing, r1 is ring's own");
    assertEquals(3, ring.fooled(), "c1, c2, t1");
    assertEquals(4, ring.carriers(), "c1, c2, c3, t1");
    assertEquals(2, ring.carriersFound());
    assertEquals(0.5, ring.precision(), 1e-12);
    assertEquals(2.0 / 3, ring.recall(), 1e-12);
    assertEquals(0.5, ring.recallOfCarriers(), 1e-12);

    KindScore square = scores.get(1);
    assertTrue(square.flagged());
    assertFalse(square.cueRight(), "named tint, planted illumination");
    assertEquals("tint", square.named());
    assertEquals(1.0, square.precision(), 1e-12);
    assertEquals(1.0, square.recall(), 1e-12, "t3 is the only carrier called square");
    assertEquals(0.5, square.recallOfCarriers(), 1e-12, "c2 carries the cue too, but the model calls it ring");

    KindScore cross = scores.get(2);
    assertFalse(cross.flagged());
    assertFalse(cross.cueRight());
    assertNull(cross.named());
    assertEquals(0, cross.suspects());
    assertTrue(Double.isNaN(cross.precision()), "no suspects: precision undefined");
    assertEquals(0.0, cross.recall(), 1e-12);
    assertEquals(2, cross.carriers());

    assertEquals(List.of("circle"), ShortcutScore.falseFlags(PLAN, findings).stream().map(Flag::className).toList());
  }

  @Test
  void targetsPassOnlyWhenEveryKindIsFoundCleanlyAndTheAuditIsFastEnough() {
    List<Flag> perfect = List.of(
        new Flag("ring", "marker", List.of("c1", "c2", "t1")),
        new Flag("square", "illumination", List.of("t3")),
        new Flag("cross", "background", List.of("t4")));
    ShortcutBenchmark.RateResult good = result(0.2, perfect, 100, 60);
    List<ShortcutBenchmark.Target> pass = ShortcutBenchmark.targets(List.of(good));
    assertEquals(4, pass.size());
    assertTrue(pass.stream().allMatch(ShortcutBenchmark.Target::pass), pass.toString());

    List<Flag> flawed = List.of(
        new Flag("ring", "marker", List.of("c1", "c2", "t1", "t2")),
        new Flag("square", "tint", List.of("c2", "t3")),
        new Flag("cross", "background", List.of("t4")),
        new Flag("circle", "tint", List.of()));
    List<ShortcutBenchmark.Target> fail = ShortcutBenchmark.targets(List.of(good, result(0.05, flawed, 100, 120)));
    assertFalse(fail.get(0).pass());
    assertTrue(fail.get(0).detail().contains("illumination on square at 5% named tint"), fail.get(0).detail());
    assertTrue(fail.get(1).pass(), "precision and recall are judged at 20% only: " + fail.get(1));
    assertFalse(fail.get(2).pass());
    assertTrue(fail.get(2).detail().contains("circle (tint) at 5%"), fail.get(2).detail());
    assertFalse(fail.get(3).pass(), "1.20x at 5%");

    ShortcutBenchmark.RateResult imprecise = result(0.2, flawed, 100, 60);
    assertFalse(ShortcutBenchmark.targets(List.of(imprecise)).get(1).pass(), "ring's precision is 0.75");
    assertFalse(ShortcutBenchmark.targets(List.of(result(0.01, perfect, 100, 60))).get(0).pass(),
        "no rate of 5% or more: the target is not met");
  }

  private static ShortcutBenchmark.RateResult result(double rate, List<Flag> flags, double analyze, double audit) {
    return ShortcutBenchmark.RateResult.builder()
        .rate(rate)
        .images(images().size())
        .carriers(6)
        .methods(List.of("gradcam"))
        .analyzeSeconds(analyze)
        .auditSeconds(audit)
        .phaseSeconds(Map.of())
        .scores(ShortcutScore.score(PLAN, flags, images()))
        .falseFlags(ShortcutScore.falseFlags(PLAN, flags))
        .detectors(Map.of())
        .build();
  }

  @Test
  void ratesMustBeSharesNamedOnce() {
    for (List<Double> bad : List.of(List.of(0.05, 1.5), List.of(0.0), List.of(-0.1), List.of(Double.NaN),
        List.of(5.0), List.<Double>of(), List.of(0.05, 0.05))) {
      InvalidConfigException e = assertThrows(InvalidConfigException.class,
          () -> new ShortcutBenchmark.Options(bad, 1000), bad.toString());
      assertEquals("--shortcut-rates", e.key());
      assertTrue(e.getMessage().contains("--shortcut-rates"), e.getMessage());
    }
    InvalidConfigException few = assertThrows(InvalidConfigException.class,
        () -> new ShortcutBenchmark.Options(List.of(0.05), 99));
    assertTrue(few.getMessage().contains("--shortcut-images"), few.getMessage());
    assertEquals(List.of(0.01, 0.2, 1.0), new ShortcutBenchmark.Options(List.of(0.2, 1.0, 0.01), 100).rates());
  }

  @Test
  void aRateChangesOnlyTheOtherClassesTestRate() {
    ShortcutPlan demo = ShortcutPlan.defaults();
    ShortcutPlan at20 = ShortcutBenchmark.atRate(demo, 0.2);
    assertEquals(demo.shortcuts().size(), at20.shortcuts().size());
    for (int i = 0; i < demo.shortcuts().size(); i++) {
      var a = demo.shortcuts().get(i);
      var b = at20.shortcuts().get(i);
      assertEquals(0.2, b.otherClassesTestRate());
      assertEquals(org.convlens.sampledata.Shortcut.builder()
          .target(a.target())
          .cue(a.cue())
          .trainRate(a.trainRate())
          .testRate(a.testRate())
          .otherClassesTestRate(0.2)
          .otherClassesValRate(a.otherClassesValRate())
          .build(), b);
    }
    assertEquals(demo.controls(), at20.controls());
  }
}
