package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.convlens.config.ConvLensHome;
import org.convlens.model.ModelDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convlens sample}: regenerates the committed data byte for byte and trains a model that analyze can use. */
class SampleIT {
  @Test
  void regeneratesTheCommittedDataAndAUsableModel(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream console = new PrintStream(out, true, StandardCharsets.UTF_8);
    Path root = dir.resolve("sample");
    assertEquals(0, ConvLensCli.execute(console, console, "sample", "--out", root.toString(), "--epochs", "1"),
        out.toString(StandardCharsets.UTF_8));
    Path committed = ConvLensHome.sampleData();
    for (String f : new String[] {"shortcuts.json", "cifar10/test_batch.bin", "cifar10/batches.meta.txt",
        "cifar10/test_markers.csv", "imagenet/val_labels.csv", "imagenet/markers.csv",
        "imagenet/LOC_synset_mapping.txt"}) {
      assertArrayEquals(Files.readAllBytes(committed.resolve(f)), Files.readAllBytes(root.resolve(f)), f);
    }
    assertTrue(Files.isRegularFile(root.resolve("cifar10/data_batch_3.bin")));
    ModelDescription d = ModelDescription.read(root.resolve("model/model.json"));
    assertEquals(1, d.epoch());
    assertArrayEquals(new int[] {128, 8, 8}, d.outputs().featureMapShape(), "measured by the writer");
    assertTrue(d.testAccuracy() > 0.3, "one epoch should learn something: " + d.testAccuracy());

    assertEquals(0, ConvLensCli.execute(console, console, "analyze", "--input",
        root.resolve("cifar10/test_batch.bin").toString(), "--model", root.resolve("model").toString(),
        "--set", "analyze.methods=[saliency]",
        "--out", dir.resolve("out").toString()), out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("1000 rows (1000 ok, 0 errors)"));
  }

  @Test
  void aBadShortcutPlanStopsBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream console = new PrintStream(out, true, StandardCharsets.UTF_8);
    Path plan = dir.resolve("plan.json");
    Files.writeString(plan, "{\"shortcuts\": [{\"class\": \"ring\", \"kind\": \"glow\", \"trainRate\": 0.9}]}");
    Path root = dir.resolve("sample");
    assertEquals(2, ConvLensCli.execute(console, console, "sample", "--out", root.toString(), "--shortcuts",
        plan.toString()), out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("error: " + plan + ": invalid value 'glow' for"
        + " shortcuts[0].kind: allowed values are marker, illumination, tint, background, watermark"),
        out.toString(StandardCharsets.UTF_8));
    assertEquals(2, ConvLensCli.execute(console, console, "sample", "--out", root.toString(), "--shortcuts",
        dir.resolve("missing.json").toString()));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("--shortcuts: no such file"), out.toString(StandardCharsets.UTF_8));
    assertFalse(Files.exists(root), "nothing written");
  }
}
