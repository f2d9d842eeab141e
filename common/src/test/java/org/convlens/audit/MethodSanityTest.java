package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.convlens.config.InvalidConfigException;
import org.junit.jupiter.api.Test;

/** The sanity verdicts on hand-made quality figures with a known answer. */
class MethodSanityTest {
  private static final MethodSanity.Settings DEFAULTS = MethodSanity.Settings.SPEC.defaults();

  private static QualityFigures.Cascade step(String method, int step, double mean, double lo, double hi) {
    return QualityFigures.Cascade.builder().method(method).step(step).layer("l" + step).images(48).mean(mean)
        .std(0.1).interval(new Bootstrap.Interval(lo, hi)).build();
  }

  private static QualityFigures.Curve curve(String method, String kind, double auc) {
    return QualityFigures.Curve.builder().method(method).kind(kind).images(48).mean(auc).std(0.1)
        .interval(new Bootstrap.Interval(auc - 0.05, auc + 0.05)).curve(new float[] {1, 0}).build();
  }

  /** Random order: deletion 0.5, insertion 0.5. */
  private static List<QualityFigures.Curve> curves(Object... methodDeletionInsertion) {
    List<QualityFigures.Curve> out = new java.util.ArrayList<>(List.of(
        curve(ExplanationQuality.RANDOM_ORDER, ExplanationQuality.DELETION, 0.5),
        curve(ExplanationQuality.RANDOM_ORDER, ExplanationQuality.INSERTION, 0.5)));
    for (int i = 0; i < methodDeletionInsertion.length; i += 3) {
      String m = (String) methodDeletionInsertion[i];
      out.add(curve(m, ExplanationQuality.DELETION, (Double) methodDeletionInsertion[i + 1]));
      out.add(curve(m, ExplanationQuality.INSERTION, (Double) methodDeletionInsertion[i + 2]));
    }
    return out;
  }

  /**
   * A map that survives every randomised layer (ρ's interval above 0.5 at the last step) fails the
   * randomisation check, whatever it did at the first step; one that falls to 0 passes.
   */
  @Test
  void aMapThatSurvivesRandomWeightsFailsRandomization() {
    List<QualityFigures.Cascade> cascade = List.of(
        step("edges", 1, 0.95, 0.9, 0.97), step("edges", 3, 0.81, 0.74, 0.86),
        step("model", 1, 0.6, 0.5, 0.7), step("model", 3, 0.05, -0.02, 0.12));
    List<MethodSanity.Verdict> v = MethodSanity.judge(List.of("edges", "model"), cascade,
        curves("edges", 0.3, 0.7, "model", 0.3, 0.7), DEFAULTS);
    assertEquals(List.of("model", "edges"), v.stream().map(MethodSanity.Verdict::method).toList());
    assertEquals(List.of(MethodSanity.PASS, MethodSanity.FAIL), v.stream().map(MethodSanity.Verdict::verdict).toList());
    assertEquals(List.of(ExplanationQuality.RANDOMIZATION), v.get(1).failed());
    assertEquals(0.81, v.get(1).randomizedRho(), 1e-12);
    assertEquals(0.74, v.get(1).randomizedRhoLo(), 1e-12);
    assertEquals(Map.of("model", "pass", "edges", "fail"), MethodSanity.marks(v));
  }

  /** The threshold is the interval's lower end: an interval that reaches below it passes. */
  @Test
  void theLowerEndDecides() {
    List<QualityFigures.Cascade> cascade = List.of(step("a", 2, 0.55, 0.49, 0.6), step("b", 2, 0.55, 0.5, 0.6));
    List<MethodSanity.Verdict> v = MethodSanity.judge(List.of("a", "b"), cascade, curves("a", 0.3, 0.7, "b", 0.3,
        0.7), DEFAULTS);
    assertEquals("a", v.get(0).method());
    assertEquals(MethodSanity.PASS, v.get(0).verdict());
    assertEquals(MethodSanity.FAIL, v.get(1).verdict());
    MethodSanity.Settings strict = new MethodSanity.Settings(0.4, 0.0);
    assertEquals(MethodSanity.FAIL, MethodSanity.judge(List.of("a"), cascade, curves("a", 0.3, 0.7), strict).get(0)
        .verdict());
  }

  /**
   * No better than the random order on deletion (its AUC not lower) or insertion (not higher)
   * fails that curve; the gains are signed so that positive is better.
   */
  @Test
  void noBetterThanRandomFailsTheCurve() {
    List<QualityFigures.Cascade> cascade = List.of(step("del", 2, 0.1, 0.0, 0.2), step("ins", 2, 0.1, 0.0, 0.2),
        step("good", 2, 0.1, 0.0, 0.2));
    List<MethodSanity.Verdict> v = MethodSanity.judge(List.of("del", "ins", "good"), cascade,
        curves("del", 0.5, 0.8, "ins", 0.2, 0.45, "good", 0.2, 0.8), DEFAULTS);
    assertEquals(List.of("good", "del", "ins"), v.stream().map(MethodSanity.Verdict::method).toList());
    assertEquals(List.of(ExplanationQuality.DELETION), v.get(1).failed());
    assertEquals(List.of(ExplanationQuality.INSERTION), v.get(2).failed());
    assertEquals(0.3, v.get(0).deletionGain(), 1e-12);
    assertEquals(0.3, v.get(0).insertionGain(), 1e-12);
    assertEquals(-0.05, v.get(2).insertionGain(), 1e-12);
    // A margin turns a small gain into a failure.
    MethodSanity.Settings margin = new MethodSanity.Settings(0.5, 0.35);
    assertEquals(MethodSanity.FAIL, MethodSanity.judge(List.of("good"), cascade, curves("good", 0.2, 0.8), margin)
        .get(0).verdict());
  }

  /** Among methods that pass, the one less like the input (lower final ρ) ranks first; more failures rank last. */
  @Test
  void ranksByVerdictThenFailuresThenRho() {
    List<QualityFigures.Cascade> cascade = List.of(step("low", 2, 0.05, -0.1, 0.2), step("mid", 2, 0.3, 0.2, 0.4),
        step("bad1", 2, 0.9, 0.8, 0.95), step("bad2", 2, 0.9, 0.8, 0.95));
    List<MethodSanity.Verdict> v = MethodSanity.judge(List.of("mid", "bad2", "bad1", "low"), cascade,
        curves("low", 0.3, 0.7, "mid", 0.3, 0.7, "bad1", 0.3, 0.7, "bad2", 0.6, 0.7), DEFAULTS);
    assertEquals(List.of("low", "mid", "bad1", "bad2"), v.stream().map(MethodSanity.Verdict::method).toList());
    assertEquals(List.of(1, 2, 3, 4), v.stream().map(MethodSanity.Verdict::rank).toList());
  }

  /**
   * A method without figures is neither passed nor failed: its checks are listed as unmeasured,
   * it ranks between the passing and the failing, and carries no mark.
   */
  @Test
  void missingFiguresAreUnmeasured() {
    List<MethodSanity.Verdict> v = MethodSanity.judge(List.of("none", "failing"),
        List.of(step("failing", 2, 0.9, 0.8, 0.95)), curves("failing", 0.3, 0.7), DEFAULTS);
    assertEquals(List.of("none", "failing"), v.stream().map(MethodSanity.Verdict::method).toList());
    assertEquals(MethodSanity.UNMEASURED, v.get(0).verdict());
    assertEquals(Map.of("failing", "fail"), MethodSanity.marks(v));
    assertEquals(List.of(ExplanationQuality.RANDOMIZATION, ExplanationQuality.DELETION, ExplanationQuality.INSERTION),
        v.get(0).unmeasured());
    assertEquals(null, v.get(0).randomizedRho());
  }

  @Test
  void badThresholdsNameTheKey() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> MethodSanity.Settings.SPEC.from(
        ConfigFactory.parseString("audit.quality.max-randomized-rho = 2").withFallback(
            ConfigFactory.parseString("audit.quality.min-auc-gain = 0"))));
    assertEquals("audit.quality.max-randomized-rho", e.key());
    e = assertThrows(InvalidConfigException.class, () -> new MethodSanity.Settings(0.5, -0.1));
    assertEquals("audit.quality.min-auc-gain", e.key());
  }
}
