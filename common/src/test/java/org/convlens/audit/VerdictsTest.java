package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.convlens.config.InvalidConfigException;
import org.junit.jupiter.api.Test;

class VerdictsTest {
  private static final Verdicts.Settings TWO =
      new Verdicts.Settings(2, List.of("region", "counterfactual", "strategies", "slices", "statistics"), List.of());

  private static Finding signal(int cls, String detector, Cue kind, double score, String... suspects) {
    return Finding.builder()
        .cls(cls)
        .className("c" + cls)
        .kind(kind)
        .detector(detector)
        .cue(detector + "-cue")
        .score(score)
        .lo(Double.NaN)
        .hi(Double.NaN)
        .statement("c" + cls + " by " + detector)
        .suspectCount(suspects.length)
        .suspects(List.of(suspects))
        .evidence(null)
        .build();
  }

  @Test
  void aClassOneDetectorSignalsIsUnconfirmedAndTwoMakeAFinding() {
    List<Finding> signals = List.of(
        signal(0, "counterfactual", Cue.ILLUMINATION, 0.6),
        signal(0, "counterfactual", Cue.TINT, 0.3),
        signal(1, "statistics", Cue.BACKGROUND, 0.4),
        signal(1, "counterfactual", Cue.ILLUMINATION, 0.2));
    Verdicts.Result r = Verdicts.decide(signals, TWO, 100);
    assertEquals(1, r.findings().size());
    Verdicts.Verdict v = r.findings().get(0);
    assertEquals(1, v.cls());
    assertEquals(List.of("counterfactual", "statistics"), v.detectors());
    assertEquals(2, r.unconfirmed().size(), "class 0's two signals come from one detector");
    assertTrue(r.unconfirmed().stream().allMatch(f -> f.cls() == 0));
  }

  @Test
  void theFirstDetectorOfThePrecedenceNamesTheCueWithItsStrongestSignal() {
    List<Finding> signals = List.of(
        signal(3, "statistics", Cue.BACKGROUND, 0.45, "a", "b"),
        signal(3, "counterfactual", Cue.ILLUMINATION, 0.2, "c"),
        signal(3, "counterfactual", Cue.TINT, 0.5, "b", "d"),
        signal(3, "slices", Cue.BACKGROUND, 0.9, "e"));
    Verdicts.Verdict v = Verdicts.decide(signals, TWO, 100).findings().get(0);
    assertEquals(Cue.TINT, v.kind(), "counterfactual comes first; its strongest signal is the tint");
    assertEquals("counterfactual", v.lead().detector());
    assertEquals(List.of("counterfactual", "slices", "statistics"), v.detectors());
    assertEquals(List.of(Cue.ILLUMINATION, Cue.BACKGROUND, Cue.BACKGROUND),
        v.support().stream().map(Finding::kind).toList(), "the rest, in precedence order");
    assertEquals(List.of("b", "d", "c", "e", "a"), v.suspects(), "the lead's suspects first, no repeats");
    assertEquals(2, v.suspectCount());
    assertEquals(List.of("b", "d", "c"), Verdicts.decide(signals, TWO, 3).findings().get(0).suspects());

    Verdicts.Settings statisticsFirst = new Verdicts.Settings(2, List.of("statistics"), List.of());
    assertEquals(Cue.BACKGROUND, Verdicts.decide(signals, statisticsFirst, 100).findings().get(0).kind());
  }

  @Test
  void oneDetectorSufficesWhenConfiguredAndTheOrderOfSignalsDoesNotMatter() {
    List<Finding> signals = List.of(signal(2, "region", Cue.MARKER, 3.0), signal(5, "strategies", Cue.MARKER, 2.0));
    Verdicts.Settings one = new Verdicts.Settings(1, List.of(), List.of());
    assertEquals(List.of(2, 5), Verdicts.decide(signals, one, 10).findings().stream().map(Verdicts.Verdict::cls).toList());
    assertEquals(List.of(2, 5), Verdicts.decide(List.of(signals.get(1), signals.get(0)), one, 10).findings().stream()
        .map(Verdicts.Verdict::cls).toList());
    assertTrue(Verdicts.decide(signals, TWO, 10).findings().isEmpty());
  }

  @Test
  void aDetectorListedAloneMakesAFindingByItself() {
    List<Finding> signals = List.of(signal(7, "patch", Cue.WATERMARK, 0.6, "w"), signal(8, "statistics", Cue.TINT, 0.4));
    Verdicts.Settings patchAlone = new Verdicts.Settings(2, List.of("patch"), List.of("patch"));
    Verdicts.Result r = Verdicts.decide(signals, patchAlone, 10);
    assertEquals(List.of(7), r.findings().stream().map(Verdicts.Verdict::cls).toList());
    assertEquals(Cue.WATERMARK, r.findings().get(0).kind());
    assertEquals(List.of(8), r.unconfirmed().stream().map(Finding::cls).toList(), "statistics still needs a second");
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> new Verdicts.Settings(2, List.of(), List.of("pach")));
    assertTrue(e.getMessage().contains("audit.findings.alone") && e.getMessage().contains("pach"), e.getMessage());
  }

  @Test
  void badSettingsNameTheKey() {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> new Verdicts.Settings(0, List.of(), List.of()));
    assertTrue(e.getMessage().contains("audit.findings.min-detectors"), e.getMessage());
    e = assertThrows(InvalidConfigException.class, () -> new Verdicts.Settings(2, List.of("regoin"), List.of()));
    assertTrue(e.getMessage().contains("audit.findings.precedence") && e.getMessage().contains("regoin"), e.getMessage());
    e = assertThrows(InvalidConfigException.class, () -> new Verdicts.Settings(2, List.of("region", "region"), List.of()));
    assertTrue(e.getMessage().contains("twice"), e.getMessage());
    Verdicts.Settings parsed = Verdicts.settings(ConfigFactory.parseString(
        "audit.findings { min-detectors = 3, precedence = [slices], alone = [patch] }"));
    assertEquals(3, parsed.minDetectors());
    assertEquals("slices", parsed.order().get(0));
    assertEquals(ShortcutDetectors.all().size(), parsed.order().size());
  }
}
