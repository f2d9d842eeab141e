package org.convlens.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.audit.AuditSettings;
import org.convlens.config.InvalidConfigException;
import org.junit.jupiter.api.Test;

/**
 * What the stages derive from the registry, held to today's values (a golden test): the report's
 * method sections, the audit's unasked order, run.json's per-method entries and the messages of
 * the keys that list methods. A method added to {@link Attributions#ALL} changes these on purpose.
 */
class AttributionRegistryTest {
  @Test
  void reportSectionsOfTheDefaultRegistry() {
    List<Attributions.ReportSection> expected = new ArrayList<>();
    expected.add(section("saliency", "saliency", "saliency", false));
    expected.add(section("smoothgrad", "SmoothGrad", "smoothgrad", false));
    expected.add(section("gradcam", "Grad-CAM", "gradcam", false));
    expected.add(section("cam", "CAM", "cam", false));
    expected.add(section("occlusion", "occlusion", null, true));
    expected.add(section("gradient_x_input", "Input × Gradient", "gradient_x_input", false));
    expected.add(section("gradcam_plus_plus", "Grad-CAM++", "gradcam_plus_plus", false));
    expected.add(section("layercam", "LayerCAM", "layercam", false));
    expected.add(section("integrated_gradients", "Integrated Gradients", "integrated_gradients", false));
    expected.add(section("guided_backprop", "guided backprop", "guided_backprop", false));
    expected.add(section("deconvnet", "deconvnet", "deconvnet", false));
    expected.add(section("guided_gradcam", "Guided Grad-CAM", "guided_gradcam", false));
    assertEquals(expected, Attributions.reportSections());
  }

  private static Attributions.ReportSection section(String name, String title, String map, boolean grid) {
    return new Attributions.ReportSection(name, title, map, grid);
  }

  @Test
  void mapKindsAndColumnsAreTheStoredOnes() {
    Map<String, MapEncoding.Range> kinds = new LinkedHashMap<>();
    for (AttributionMethod m : Attributions.ALL) {
      for (AttributionMethod.MapColumn c : m.maps()) {
        kinds.put(c.column(), c.kind());
      }
      assertEquals(m.name(), m.fields().get(0).name(), "a method's first column is its name");
    }
    Map<String, MapEncoding.Range> expected = new LinkedHashMap<>(Map.of("saliency", MapEncoding.Range.UNIT,
        "saliency_signed", MapEncoding.Range.SYMMETRIC, "smoothgrad", MapEncoding.Range.UNIT, "gradcam",
        MapEncoding.Range.UNIT, "cam", MapEncoding.Range.MIN_MAX, "gradient_x_input", MapEncoding.Range.SYMMETRIC,
        "gradcam_plus_plus", MapEncoding.Range.UNIT, "layercam", MapEncoding.Range.UNIT,
        "integrated_gradients", MapEncoding.Range.SYMMETRIC));
    for (String method : List.of("guided_backprop", "deconvnet", "guided_gradcam")) {
      expected.put(method, MapEncoding.Range.UNIT);
      expected.put(method + "_signed", MapEncoding.Range.SYMMETRIC);
    }
    assertEquals(expected, kinds);
    assertEquals(List.of("saliency", "saliency_signed", "smoothgrad", "gradcam", "cam", "occlusion", "gradient_x_input",
        "gradcam_plus_plus", "layercam", "integrated_gradients", "integrated_gradients_delta",
        "guided_backprop", "guided_backprop_signed", "deconvnet", "deconvnet_signed", "guided_gradcam", "guided_gradcam_signed"),
        Attributions.fields().stream().map(f -> f.name()).toList(), "the analysis schema's method columns");
  }

  @Test
  void attentionOrderAndGridCapability() {
    assertEquals(List.of("gradcam", "occlusion", "cam", "saliency"), Attributions.byAttentionRank());
    assertEquals("occlusion", Attributions.gridName());
  }

  @Test
  void runJsonEntriesComeFromTheSelectedMethods() {
    AttributionSettings s = AttributionSettings.defaults()
        .with(AttributionSettings.METHODS, List.of("occlusion", "gradcam", "smoothgrad", "saliency"))
        .with(GradCam.LAYER, "block2");
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("smoothgrad_samples", 16);
    expected.put("smoothgrad_noise", 0.15);
    expected.put("gradcam_layer", "block2"); // an explicit layer: the model is not asked
    expected.put("occlusion", List.of(Map.of("window", 4, "stride", 2), Map.of("window", 8, "stride", 4)));
    expected.put("occlusion_baseline", "grey");
    expected.put("perturbations_per_eval", 0);
    expected.put("occlusion_incremental", true); // as configured: no model to ask
    assertEquals(expected, Attributions.recorded(s, null));
    assertEquals(List.of("gradcam_layer"), List.copyOf(
        Attributions.recorded(s.withMethods(List.of("gradcam")), null).keySet()), "only what runs is recorded");
    assertEquals(", Grad-CAM layer block2", Attributions.consoleNotes(s, null));

    AttributionSettings cams = s.withMethods(List.of("layercam", "gradcam_plus_plus"))
        .with(GradCamPlusPlus.LAYER, "block3").with(LayerCam.LAYER, "block1");
    Map<String, Object> layers = new LinkedHashMap<>();
    layers.put("gradcam_plus_plus_layer", "block3");
    layers.put("layercam_layer", "block1");
    assertEquals(layers, Attributions.recorded(cams, null), "each layer map records its own layer, in registry order");
    assertEquals(", Grad-CAM++ layer block3, LayerCAM layer block1", Attributions.consoleNotes(cams, null));
    AttributionSettings modified = s.withMethods(List.of("gradcam", "guided_gradcam"))
        .with(GradCam.BACKPROP_MODIFIER, GradCam.BackpropModifier.GUIDED).with(GuidedGradCam.LAYER, "block1");
    Map<String, Object> withModifier = new LinkedHashMap<>();
    withModifier.put("gradcam_layer", "block2");
    withModifier.put("gradcam_backprop_modifier", "guided"); // recorded only when not none
    withModifier.put("guided_gradcam_layer", "block1");
    assertEquals(withModifier, Attributions.recorded(modified, null));
    assertEquals(", Grad-CAM layer block2 (guided backward), Guided Grad-CAM layer block1",
        Attributions.consoleNotes(modified, null));
  }

  @Test
  void keysListingMethodsNameTheKeyAndEveryRegisteredMethod() {
    InvalidConfigException analyze = assertThrows(InvalidConfigException.class,
        () -> AttributionSettings.defaults().with(AttributionSettings.METHODS, List.of("gradcam", "lime")));
    assertEquals("analyze.methods", analyze.key());
    assertTrue(analyze.getMessage().contains("lime"), analyze.getMessage());
    assertTrue(analyze.getMessage().contains(String.join(", ", Attributions.NAMES)), analyze.getMessage());

    InvalidConfigException audit = assertThrows(InvalidConfigException.class,
        () -> AuditSettings.defaults().with(AuditSettings.METHODS, List.of("lime")));
    assertEquals("audit.methods", audit.key());
    assertTrue(audit.getMessage().contains(Attributions.NAMES.toString()), audit.getMessage());

    InvalidConfigException minMethods = assertThrows(InvalidConfigException.class,
        () -> AuditSettings.defaults().with(AuditSettings.MIN_METHODS, Attributions.ALL.size() + 1));
    assertEquals("audit.shortcut.min-methods", minMethods.key());
    assertTrue(minMethods.getMessage().contains("1 to " + Attributions.ALL.size()), minMethods.getMessage());
    AuditSettings.defaults().with(AuditSettings.MIN_METHODS, Attributions.ALL.size()); // every method may be required
  }
}
