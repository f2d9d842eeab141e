package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.convlens.config.InvalidConfigException;
import org.convlens.pipeline.ConfigLoader;
import org.junit.jupiter.api.Test;

/** audit.counterfactual.* as the configuration loads it: defaults, overrides and refusals naming the key. */
class CounterfactualSettingsTest {
  static CounterfactualSettings load(String... sets) {
    return (CounterfactualSettings) ConfigLoader.load(null, Map.of(), List.of(sets)).audit().detectors()
        .get("counterfactual");
  }

  @Test
  void defaultsCoverEveryCueKindAFlagCanName() {
    CounterfactualSettings s = load();
    assertEquals(List.of("brighten:0.4", "darken:0.4", "contrast:0.5", "desaturate:1", "hue:30", "hue:-30", "balance:1",
        "blur:0.5", "jpeg:50", "flip", "crop:0.05"), s.edits().stream().map(ImageEdit::label).toList());
    assertEquals(List.of(Cue.MARKER, Cue.ILLUMINATION, Cue.TINT, Cue.BACKGROUND),
        s.edits().stream().map(ImageEdit::cue).distinct().sorted().toList());
    assertEquals(2000, s.maxImages());
    assertEquals(0.15, s.minDifference());
    assertEquals(0.05, s.alpha());
    assertEquals(3, s.fragileKinds());
  }

  @Test
  void overridesAndTheOffSwitch() {
    assertEquals(List.of("flip"), load("audit.counterfactual.edits=flip").edits().stream().map(ImageEdit::label)
        .toList());
    assertTrue(load("audit.counterfactual.edits=[]").edits().isEmpty());
    assertEquals(0, load("audit.counterfactual.max-images=0").maxImages());
  }

  @Test
  void badValuesNameTheirKey() {
    Map<String, String> bad = Map.of(
        "audit.counterfactual.edits=[\"darken:0.4\", \"darken:0.40\"]", "audit.counterfactual.edits",
        "audit.counterfactual.edits=[\"sepia:1\"]", "audit.counterfactual.edits",
        "audit.counterfactual.alpha=0", "audit.counterfactual.alpha",
        "audit.counterfactual.min-difference=1.5", "audit.counterfactual.min-difference",
        "audit.counterfactual.bootstrap=10", "audit.counterfactual.bootstrap",
        "audit.counterfactual.max-images=-1", "audit.counterfactual.max-images",
        "audit.counterfactual.max-images=99999999999", "audit.counterfactual.max-images",
        "audit.counterfactual.examples=x", "audit.counterfactual.examples",
        "audit.counterfactual.fragile-kinds=1", "audit.counterfactual.fragile-kinds");
    for (var e : bad.entrySet()) {
      InvalidConfigException x = assertThrows(InvalidConfigException.class, () -> load(e.getKey()), e.getKey());
      assertEquals(e.getValue(), x.key(), e.getKey() + ": " + x.getMessage());
      assertTrue(x.getMessage().contains(e.getValue()), x.getMessage());
    }
  }
}
