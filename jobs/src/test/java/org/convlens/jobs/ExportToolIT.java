package org.convlens.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.convlens.attribution.MapEncoding;
import org.convlens.config.ConvLensHome;
import org.convlens.model.ModelDescription;
import org.convlens.model.Softmax;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code tools/export_model.py} end to end with Debian's PyTorch: export a torchvision family at
 * 64×64 with random weights, run the real {@code analyze} job on a few images with saliency,
 * Grad-CAM and CAM stored as {@code f32}, and compare every value with PyTorch's autograd on the
 * eager model for the same images (the tool's {@code --reference}, which preprocesses them with
 * torchvision's transforms): probabilities, embeddings, targets and the four maps must agree to
 * {@value #TOLERANCE} relative, {@code max |ConvLens − PyTorch| / max |PyTorch|} per image and
 * quantity. Two families: ResNet (layer4, fc) and EfficientNet (features, classifier.1), both
 * with the global-average-pooling + linear head that CAM needs.
 *
 * <p>Needs a Python with torch and torchvision: {@code $CONVLENS_PYTHON}, else {@code
 * /usr/bin/python3}, else {@code python3}; without one the test fails, saying what to install.
 */
class ExportToolIT {
  private static final double TOLERANCE = 1e-5;
  private static final int SIDE = 64;
  private static final List<String> CLASSES = List.of("cat", "dog", "fish", "bird", "frog");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String python;

  @BeforeAll
  static void findPython() throws InterruptedException {
    String configured = System.getenv("CONVLENS_PYTHON");
    List<String> candidates = configured != null && !configured.isBlank()
        ? List.of(configured) : List.of("/usr/bin/python3", "python3");
    List<String> tried = new ArrayList<>();
    for (String candidate : candidates) {
      try {
        Process p = new ProcessBuilder(candidate, "-c", "import torch, torchvision")
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() == 0) {
          python = candidate;
          return;
        }
        tried.add(candidate + " (" + out.substring(out.lastIndexOf('\n') + 1) + ")");
      } catch (IOException e) {
        tried.add(candidate + " (not found)");
      }
    }
    fail("ExportToolIT needs a Python with PyTorch and torchvision to run tools/export_model.py; tried "
        + String.join(", ", tried) + ". On Debian: apt-get install python3-torch python3-torchvision"
        + " (bash .ci/run does), or point CONVLENS_PYTHON at such a Python.");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"resnet18", "efficientnet_b0"})
  void analyzeOfAnExportedModelAgreesWithPyTorchAutograd(String architecture, @TempDir Path dir)
      throws Exception {
    Path images = writeImages(dir.resolve("images"));
    Path classes = dir.resolve("classes.txt");
    Files.write(classes, CLASSES);
    Path models = dir.resolve("models");
    long started = System.nanoTime();
    // --resize 64: images already at the input size pass unresampled; the larger one is resized
    // (shorter side to 64, PIL's antialiased bilinear) and centre-cropped on both sides.
    String line = exportTool("--input-size", String.valueOf(SIDE), "--resize", String.valueOf(SIDE),
        "--classes", classes.toString(), "--out", models.toString(), "--reference", images.toString(),
        architecture);
    assertTrue(line.contains("CAM valid"), line);

    ModelDescription description = ModelDescription.read(models.resolve(architecture + ".json"));
    assertEquals(CLASSES, description.classNames());
    assertTrue(description.outputs().featureMapDelta());
    assertEquals(3, description.outputs().featureMapShape().length);
    assertEquals(SIDE / 32, description.outputs().featureMapShape()[1], "feature map at stride 32");
    assertTrue(description.layers() != null && description.layers().size() > 10,
        "the sidecar lists the leaf layers");

    long exported = System.nanoTime();
    Path out = dir.resolve("out");
    // The modified-backprop methods where the export wrote a relu-backward module (the model
    // calls ReLUs: resnet18, not efficientnet_b0, whose SiLUs leave nothing to modify).
    boolean relus = Files.exists(models.resolve(architecture + ".relu-backward.pt"));
    assertEquals(architecture.startsWith("resnet"), relus, "relu-backward module written");
    List<String> modified = relus
        ? List.of("guided_backprop", "guided_backprop_signed", "deconvnet", "deconvnet_signed", "guided_gradcam",
            "guided_gradcam_signed")
        : List.of();
    if (!relus) {
      CliRun refused = CliRun.of("analyze", "--input", images.toString(),
          "--model", models.resolve(architecture + ".pt").toString(), "--out", dir.resolve("refused").toString(),
          "--set", "analyze.methods=[saliency, guided_backprop]");
      assertEquals(2, refused.code(), refused.err() + refused.out());
      assertTrue(refused.err().contains("analyze.methods"), refused.err());
    }
    CliRun run = CliRun.of("analyze", "--input", images.toString(),
        "--model", models.resolve(architecture + ".pt").toString(), "--out", out.toString(),
        "--set", "analyze.methods=[saliency, gradcam, cam" + (relus ? ", guided_backprop, deconvnet, guided_gradcam" : "")
            + "]", "--set", "analyze.maps.encoding=f32",
        "--set", "analyze.maps.max-side=0", "--set", "analyze.thumbnail-side=0");
    assertEquals(0, run.code(), run.err() + run.out());
    long analysed = System.nanoTime();

    JsonNode reference = JSON.readTree(models.resolve(architecture + ".reference.json").toFile());
    Map<String, JsonNode> byFile = new HashMap<>();
    for (JsonNode image : reference.get("images")) {
      byFile.put(image.get("file").asText(), image);
    }
    List<Row> rows = SharedSpark.get().read().parquet(out.resolve("analysis").toString())
        .filter(col("status").equalTo("ok")).collectAsList();
    assertEquals(byFile.size(), rows.size(), "one ok row per image");
    double worst = 0;
    for (Row r : rows) {
      String file = r.getString(r.fieldIndex("id")).substring("images/".length());
      JsonNode want = byFile.get(file);
      assertNotNull(want, file);
      String at = architecture + " " + file + " ";
      assertEquals(want.get("target").asInt(), (int) r.getAs("target"), at + "target (predicted class)");
      float[] probabilities = Softmax.softmax(floats(want.get("logits")));
      worst = Math.max(worst, compare(probabilities, floats(r.getList(r.fieldIndex("probabilities"))),
          at + "probabilities"));
      worst = Math.max(worst, compare(floats(want.get("embedding")),
          floats(r.getList(r.fieldIndex("embedding"))), at + "embedding"));
      List<String> maps = new ArrayList<>(List.of("saliency", "saliency_signed", "gradcam", "cam"));
      maps.addAll(modified);
      for (String map : maps) {
        Row stored = r.getStruct(r.fieldIndex(map));
        assertEquals("f32", stored.getString(3), at + map);
        int channels = map.endsWith("_signed") ? 3 : 1;
        assertArrayEquals(new int[] {channels, SIDE, SIDE},
            new int[] {stored.getInt(0), stored.getInt(1), stored.getInt(2)}, at + map + " shape");
        worst = Math.max(worst, compare(floats(want.get(map)), MapEncoding.decode(stored), at + map));
      }
    }
    System.out.printf(Locale.ROOT, "ExportToolIT %s: %d images, worst relative difference %.2g;"
        + " export %.1f s, analyze %.1f s%n", architecture, rows.size(), worst,
        (exported - started) / 1e9, (analysed - exported) / 1e9);
  }

  @Test
  void badArgumentsAreRefusedWithTheChoices(@TempDir Path dir) throws Exception {
    Result unknown = runTool("--out", dir.toString(), "resnet19");
    assertEquals(2, unknown.code(), unknown.output());
    assertTrue(unknown.output().contains("unknown architecture 'resnet19'")
        && unknown.output().contains("resnet18") && unknown.output().contains("efficientnet_b0"),
        unknown.output());
    Result layer = runTool("--input-size", "32", "--out", dir.toString(), "--layer", "layer5", "resnet18");
    assertEquals(2, layer.code(), layer.output());
    assertTrue(layer.output().contains("--layer 'layer5' is not a module")
        && layer.output().contains("layer3, layer4.0, layer4.1, layer4, avgpool"), layer.output());
    try (var files = Files.list(dir)) {
      assertEquals(0, files.count(), "nothing written on an error");
    }
  }

  /**
   * Three 64×64 images (not resampled) and one 100×80 one (resized and cropped), seeded: smooth
   * colour ramps with noise, so that neighbouring pixels differ.
   */
  private static Path writeImages(Path folder) throws IOException {
    Files.createDirectories(folder);
    Random random = new Random(20261205);
    int[][] sizes = {{SIDE, SIDE}, {SIDE, SIDE}, {SIDE, SIDE}, {80, 100}};
    for (int i = 0; i < sizes.length; i++) {
      int w = sizes[i][0];
      int h = sizes[i][1];
      BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int red = clamp(255 * x / w + random.nextInt(64) - 32);
          int green = clamp(255 * y / h + random.nextInt(64) - 32);
          int blue = clamp(128 + 40 * i + random.nextInt(64) - 32);
          image.setRGB(x, y, red << 16 | green << 8 | blue);
        }
      }
      ImageIO.write(image, "png", folder.resolve("image" + i + ".png").toFile());
    }
    return folder;
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }

  /** max |got − want| / max |want| (asserted ≤ {@link #TOLERANCE}); returns it. */
  private static double compare(float[] want, float[] got, String what) {
    assertEquals(want.length, got.length, what + ": length");
    double scale = 0;
    double diff = 0;
    for (int i = 0; i < want.length; i++) {
      scale = Math.max(scale, Math.abs(want[i]));
      diff = Math.max(diff, Math.abs(got[i] - want[i]));
    }
    assertTrue(scale > 0, what + ": PyTorch's values are all zero, nothing to compare");
    double relative = diff / scale;
    assertTrue(relative <= TOLERANCE, String.format(Locale.ROOT,
        "%s: max |ConvLens - PyTorch| / max |PyTorch| = %.3g (max |PyTorch| %.3g), above %.0e",
        what, relative, scale, TOLERANCE));
    return relative;
  }

  private static float[] floats(JsonNode array) {
    assertNotNull(array);
    float[] v = new float[array.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) array.get(i).asDouble();
    }
    return v;
  }

  private static float[] floats(List<Float> list) {
    float[] v = new float[list.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = list.get(i);
    }
    return v;
  }

  /** Runs the export tool; asserts it succeeded and returns its summary line. */
  private static String exportTool(String... args) throws IOException, InterruptedException {
    Result r = runTool(args);
    assertEquals(0, r.code(), r.output());
    String[] lines = r.output().strip().split("\n");
    return lines[lines.length - 1];
  }

  private record Result(int code, String output) {}

  private static Result runTool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(python,
        ConvLensHome.find().resolve("tools/export_model.py").toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail("export_model.py did not finish in 5 minutes: " + command);
    }
    return new Result(p.exitValue(), new String(output, StandardCharsets.UTF_8));
  }
}
