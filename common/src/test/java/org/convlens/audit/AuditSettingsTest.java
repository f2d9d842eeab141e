package org.convlens.audit;

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

/** {@code audit.*} through the config loader: defaults, overrides and rejected values. */
class AuditSettingsTest {
  private static AuditSettings load(String... sets) {
    return ConfigLoader.load(null, Map.of(), List.of(sets)).audit();
  }

  @Test
  void defaultsAndOverrides() {
    AuditSettings d = load();
    assertEquals(16, d.grid());
    assertEquals(List.of(0.125, 0.25), d.regionSides());
    assertEquals(3.0, d.minLift());
    assertEquals(48, d.qualitySamples());
    assertEquals(1000, d.bootstrap());
    assertEquals(0, d.qualityOffset());
    assertEquals(4, d.gridSteps());
    AuditSettings s = load("audit.shortcut.region-sides=0.2", "audit.methods=[GradCAM ]", "audit.grid=8");
    assertEquals(List.of(0.2), s.regionSides());
    assertEquals(List.of("gradcam"), s.methods());
    assertEquals(8, s.grid());
  }

  @ParameterizedTest
  @CsvSource({
      "audit.grid=3, audit.grid",
      "audit.grid=65, audit.grid",
      "audit.methods=[gradient], audit.methods",
      "audit.shortcut.region-sides=[], audit.shortcut.region-sides",
      "audit.shortcut.region-sides=0.9, audit.shortcut.region-sides",
      "audit.shortcut.region-sides=big, audit.shortcut.region-sides",
      "audit.shortcut.border=0.5, audit.shortcut.border",
      "audit.shortcut.min-lift=0.5, audit.shortcut.min-lift",
      "audit.shortcut.min-mass=2, audit.shortcut.min-mass",
      "audit.shortcut.min-consistency=-1, audit.shortcut.min-consistency",
      "audit.shortcut.image-lift=0, audit.shortcut.image-lift",
      "audit.shortcut.min-methods=0, audit.shortcut.min-methods",
      "audit.shortcut.min-images=0, audit.shortcut.min-images",
      "audit.shortcut.max-suspects=-1, audit.shortcut.max-suspects",
      "audit.mistakes.gallery=-1, audit.mistakes.gallery",
      "audit.mistakes.label-issue-min-confidence=1.5, audit.mistakes.label-issue-min-confidence",
      "audit.quality.samples=-2, audit.quality.samples",
      "audit.quality.curve-steps=1, audit.quality.curve-steps",
      "audit.quality.bootstrap=10, audit.quality.bootstrap",
      "audit.quality.sample-offset=-1, audit.quality.sample-offset",
      "audit.quality.occlusion-steps=1, audit.quality.occlusion-steps",
      "audit.quality.occlusion-steps=-1, audit.quality.occlusion-steps",
      "audit.quality.insertion-blur=0, audit.quality.insertion-blur",
      "audit.diff.attention-shift=2, audit.diff.attention-shift"
  })
  void rejectsBadValuesNamingTheKey(String set, String key) {
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> load(set));
    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }

  /**
   * audit.json's settings table: the 19 entries AuditRun wrote by hand before the keys were
   * declared, with their values, plus the five recorded keys that table had left out.
   */
  @Test
  void settingsTableKeepsTheEntriesAuditJsonHadBefore() {
    Map<String, Object> before = new java.util.LinkedHashMap<>();
    before.put("grid", 16);
    before.put("region_sides", List.of(0.125, 0.25));
    before.put("border", 0.125);
    before.put("min_lift", 3.0);
    before.put("min_mass", 0.15);
    before.put("min_consistency", 0.5);
    before.put("image_lift", 2.0);
    before.put("min_methods", 2);
    before.put("min_images", 10);
    before.put("label_issue_min_confidence", 0.5);
    before.put("quality_samples", 48);
    before.put("quality_seed", 20240611L);
    before.put("quality_sample_offset", 0);
    before.put("quality_bootstrap", 1000);
    before.put("cascade_layers", 0);
    before.put("occlusion_steps", 4);
    before.put("curve_steps", 16);
    before.put("quality_batch_size", 16);
    before.put("insertion_blur", 5.0);
    Map<String, Object> now = new java.util.LinkedHashMap<>(load().toMap());
    Map<String, Object> added = new java.util.LinkedHashMap<>();
    for (String k : List.of("examples", "max_suspects", "mistakes_gallery", "label_issues", "attention_shift")) {
      added.put(k, now.remove(k));
    }
    assertEquals(before, now);
    assertEquals(List.copyOf(before.keySet()), List.copyOf(now.keySet()), "same order");
    assertEquals(Map.of("examples", 8, "max_suspects", 100, "mistakes_gallery", 24, "label_issues", 50,
        "attention_shift", 0.15), added);
    assertEquals(AuditSettings.defaults(), load());
  }
}
