package org.convlens.sampledata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShortcutPlanTest {
  private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

  @Test
  void theDemosPlanHasFiveKindsOnFiveClassesAndFiveControls() {
    ShortcutPlan plan = ShortcutPlan.defaults();
    assertEquals(
        List.of("marker:ring", "illumination:square", "tint:triangle", "background:cross",
            "watermark:checkerboard"),
        plan.shortcuts().stream().map(Shortcut::token).toList());
    assertEquals(Marker.DEFAULT, plan.shortcuts().get(0).cue(), "ring's marker as before");
    assertEquals(0.9, plan.shortcuts().get(0).trainRate());
    assertEquals(5, Shortcut.othersCount(plan.shortcuts().get(0).otherClassesTestRate(), 100));
    assertEquals(1, Shortcut.othersCount(plan.shortcuts().get(0).otherClassesValRate(), 5));
    assertEquals(
        List.of(SampleClass.CIRCLE, SampleClass.HORIZONTAL_STRIPES, SampleClass.VERTICAL_STRIPES,
            SampleClass.DIAGONAL_STRIPES, SampleClass.DOTS),
        plan.controls());
  }

  @Test
  void missingKeysTakeTheirDefaults() {
    ShortcutPlan plan =
        ShortcutPlan.parse(
            "{\"shortcuts\": [{\"class\": \"dots\", \"kind\": \"tint\", \"trainRate\": 0.7}]}", "t");
    Shortcut s = plan.shortcuts().get(0);
    assertEquals(Shortcut.builder()
        .target(SampleClass.DOTS)
        .cue(Tint.DEFAULT)
        .trainRate(0.7)
        .testRate(0.7)
        .otherClassesTestRate(0.05)
        .otherClassesValRate(0)
        .build(), s);
    assertEquals("", plan.description());
    assertEquals(9, plan.controls().size());
  }

  @Test
  void anyKindOnAnyClassAndSeveralOnOneClass() {
    ShortcutPlan plan =
        ShortcutPlan.parse(
            "{\"shortcuts\": ["
                + "{\"class\": \"circle\", \"kind\": \"watermark\", \"trainRate\": 1},"
                + "{\"class\": \"circle\", \"kind\": \"marker\", \"params\": {\"rgb\": \"#00FF00\"},"
                + " \"trainRate\": 0.5, \"testRate\": 0, \"otherClassesTestRate\": 0.1}]}",
            "t");
    assertEquals(2, plan.shortcuts().size());
    assertEquals(new Marker(0x00FF00, 3, 2), plan.shortcuts().get(1).cue());
    assertEquals(0.0, plan.shortcuts().get(1).testRate());
    assertEquals(9, plan.controls().size());
    assertEquals(List.of(), ShortcutPlan.parse("{\"shortcuts\": []}", "t").shortcuts());
  }

  @Test
  void errorsNameTheFileTheKeyAndTheAllowedValues() {
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"glow\", \"trainRate\": 0.9}]}",
        "plan.json: invalid value 'glow' for shortcuts[0].kind: allowed values are marker,"
            + " illumination, tint, background, watermark");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"marker\", \"trainRate\": 0.9},"
            + " {\"class\": \"hexagon\", \"kind\": \"tint\", \"trainRate\": 0.9}]}",
        "plan.json: invalid value 'hexagon' for shortcuts[1].class: allowed values are circle,"
            + " square, triangle, cross, ring, horizontal_stripes, vertical_stripes, checkerboard,"
            + " diagonal_stripes, dots");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"tint\", \"trainRate\": 1.2}]}",
        "plan.json: invalid value '1.2' for shortcuts[0].trainRate: allowed values are 0 to 1");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"tint\", \"trainRate\": 0.9,"
            + " \"otherClassesTestRate\": -0.1}]}",
        "plan.json: invalid value '-0.1' for shortcuts[0].otherClassesTestRate: allowed values are"
            + " 0 to 1");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"tint\", \"trainRate\": \"most\"}]}",
        "plan.json: invalid value '\"most\"' for shortcuts[0].trainRate: allowed values are 0 to 1");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"tint\"}]}",
        "plan.json: shortcuts[0].trainRate is required (a rate in [0, 1])");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"tint\", \"trainRate\": 0.9, \"rate\": 1}]}",
        "plan.json: unknown key shortcuts[0].rate: allowed keys are class, kind, params, trainRate,"
            + " testRate, otherClassesTestRate, otherClassesValRate");
    assertError(
        "{\"shortcut\": []}",
        "plan.json: unknown key shortcut: allowed keys are description, shortcuts");
    assertError("{}", "plan.json: \"shortcuts\" must be a list (empty for a clean dataset)");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"tint\", \"trainRate\": 0.9,"
            + " \"params\": {\"strength\": 2}}]}",
        "plan.json: invalid value '2' for shortcuts[0].params.strength: allowed values are 0.01 to 1");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"tint\", \"trainRate\": 0.9,"
            + " \"params\": {\"colour\": \"#FF0000\"}}]}",
        "plan.json: unknown parameter shortcuts[0].params.colour: allowed parameters are rgb, strength");
    assertError(
        "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"tint\", \"trainRate\": 0.9, \"trainRate\": 1}]}",
        "plan.json is not valid JSON: Duplicate field 'trainRate' (line 1)");
    assertError("{\"shortcuts\": [", "plan.json is not valid JSON:");
  }

  @Test
  void theGroundTruthIsAConfigurationThatMakesTheSameDataset(@TempDir Path dir) throws IOException {
    SampleSpec spec = SampleSpec.defaults(3).withCounts(4, 1);
    SampleGenerator.generate(spec, dir.resolve("a"), QUIET);
    Path truth = dir.resolve("a").resolve(SampleGenerator.GROUND_TRUTH);
    String json = Files.readString(truth);
    assertTrue(json.contains("\"controls\" : [ \"circle\", \"horizontal_stripes\""), json);
    assertTrue(json.contains("\"cifarTestOtherClasses\""), json);
    ShortcutPlan read = ShortcutPlan.read(truth);
    assertEquals(spec.shortcuts(), read);

    SampleGenerator.generate(spec.withShortcuts(read), dir.resolve("b"), QUIET);
    for (String f : List.of("cifar10/test_batch.bin", "cifar10/test_markers.csv", "imagenet/markers.csv",
        SampleGenerator.GROUND_TRUTH)) {
      assertEquals(-1L, Files.mismatch(dir.resolve("a").resolve(f), dir.resolve("b").resolve(f)), f);
    }
  }

  private static void assertError(String json, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ShortcutPlan.parse(json, "plan.json"));
    assertTrue(e.getMessage().startsWith(message), "expected\n  " + message + "\ngot\n  " + e.getMessage());
  }
}
