package org.convlens.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.config.ConvLensHome;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.testing.Fixtures;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole analyze runs in local Spark on the committed sample data and on planted bad files. */
class AnalyzeIT {

  private static CliRun cli(String... args) {
    return CliRun.of(args);
  }

  private Dataset<Row> analysis(Path out) {
    return SharedSpark.get().read().parquet(out.resolve("analysis").toString());
  }

  @Test
  void demoAnalysesEverySampleInputWithOneRowEach() throws Exception {
    Path out = DemoOutput.dir();
    CliRun run = DemoOutput.run();
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("Demo finished"), run.out());
    Dataset<Row> rows = analysis(out);
    assertEquals(AnalysisSchema.SCHEMA.fieldNames().length, rows.schema().fieldNames().length);
    Path val = ConvLensHome.sampleData().resolve("imagenet/val");
    long valFiles;
    try (var files = Files.list(val)) {
      valFiles = files.filter(p -> p.getFileName().toString().matches("(?i).*\\.(png|jpe?g)$")).count();
    }
    assertEquals(1000, rows.filter(col("dataset").equalTo("test_batch")).count());
    assertEquals(valFiles, rows.filter(col("dataset").equalTo("val")).count());
    Dataset<Row> cifar = rows.filter(col("dataset").equalTo("test_batch"));
    assertEquals(1000, cifar.filter(col("status").equalTo("ok")).count());
    double accuracy = cifar.filter(col("correct")).count() / 1000.0;
    assertTrue(accuracy > 0.8, "bundled model accuracy on the sample test batch: " + accuracy);
    Row r = cifar.filter(col("status").equalTo("ok")).first();
    assertEquals(5, r.getList(r.fieldIndex("top_k_index")).size());
    assertEquals(128, r.getList(r.fieldIndex("embedding")).size());
    List<Float> probs = r.getList(r.fieldIndex("probabilities"));
    assertEquals(1.0, probs.stream().mapToDouble(Float::doubleValue).sum(), 1e-4);
    Dataset<Row> odd = rows.filter(col("dataset").equalTo("odd-images"));
    assertEquals(10, odd.count());
    Map<String, String> oddKinds = odd.collectAsList().stream().collect(Collectors.toMap(
        x -> x.getString(x.fieldIndex("id")),
        x -> x.isNullAt(x.fieldIndex("error_kind")) ? "ok" : x.getString(x.fieldIndex("error_kind"))));
    for (Map.Entry<String, String> e : oddKinds.entrySet()) {
      assertTrue(e.getKey().startsWith("odd-images/"), "ids start with the dataset: " + e.getKey());
      String file = e.getKey().substring("odd-images/".length());
      String expected = file.startsWith("valid_") ? "ok" : file.replaceFirst("\\.[a-z]+$", "");
      assertEquals(expected, e.getValue(), e.getKey());
    }
    assertTrue(run.out().contains("1060 rows (1056 ok, 4 errors"), run.out());
    // every ok row has every default method's output; error rows have none
    Dataset<Row> ok = rows.filter(col("status").equalTo("ok"));
    for (String c : List.of("saliency", "saliency_signed", "gradcam", "cam", "occlusion", "target")) {
      assertEquals(1056, ok.filter(col(c).isNotNull()).count(), c);
      assertEquals(0, rows.filter(col("status").equalTo("error")).filter(col(c).isNotNull()).count(), c);
    }
    assertEquals(0, ok.filter(col("smoothgrad").isNotNull()).count(), "smoothgrad is not a default method");
    assertEquals(1056, ok.filter(col("target").equalTo(col("predicted"))
        .and(col("target_source").equalTo("predicted"))).count());
    Row maps = ok.filter(col("dataset").equalTo("val")).select("saliency", "saliency_signed", "gradcam", "occlusion").first();
    Row sal = maps.getStruct(0);
    assertEquals(List.of(1, 32, 32, "u8"), List.of(sal.getInt(0), sal.getInt(1), sal.getInt(2), sal.getString(3)));
    assertEquals(3 * 32 * 32, ((byte[]) maps.getStruct(1).get(6)).length);
    assertEquals("s8", maps.getStruct(1).getString(3));
    assertTrue(maps.getStruct(2).getFloat(5) >= 0);
    List<Row> grids = maps.getList(3);
    assertEquals(List.of(4, 8), grids.stream().map(g -> g.getInt(0)).toList());
    assertEquals(15 * 15, grids.get(0).getList(4).size());
    assertEquals(7 * 7, grids.get(1).getList(6).size());
    assertTrue(Files.isRegularFile(out.resolve("run.json")));
    assertTrue(Files.readString(out.resolve("effective.conf")).contains("batch-size"));
    // The demo goes on with model-viz, whose class means come from this analysis.
    assertTrue(run.out().contains("class means from 1056 analysed images"), run.out());
    for (int k = 0; k < 10; k++) {
      assertTrue(Files.isRegularFile(out.resolve("model/maximization-png/class-" + k + ".png")), "class " + k);
    }
    assertTrue(Files.isRegularFile(out.resolve("model/filters-first.png")));
    // ... and ends with the report.
    assertTrue(Files.isRegularFile(out.resolve("report/index.html")));
    assertTrue(run.out().contains("report/index.html"), run.out());
    // Every ok row carries its preview: the 32² input the model saw, as PNG, pixel for pixel the
    // CIFAR record (the bundled model neither resizes nor crops).
    Row preview = ok.filter(col("dataset").equalTo("test_batch").and(col("record_index").equalTo(7)))
        .select(AnalysisSchema.INPUT_PNG).first();
    java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream((byte[]) preview.get(0)));
    assertEquals(List.of(32, 32), List.of(png.getWidth(), png.getHeight()));
    byte[] batch = Files.readAllBytes(ConvLensHome.sampleData().resolve("cifar10/test_batch.bin"));
    int record = 7 * 3073 + 1;
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        int i = y * 32 + x;
        int expected = ((batch[record + i] & 0xFF) << 16) | ((batch[record + 1024 + i] & 0xFF) << 8)
            | (batch[record + 2048 + i] & 0xFF);
        assertEquals(expected, png.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
      }
    }
    assertEquals(0, rows.filter(col("status").equalTo("error")).filter(col(AnalysisSchema.INPUT_PNG).isNotNull()).count());
  }

  @Test
  void demoRowsCarryTheirImageStatistics() throws Exception {
    Dataset<Row> rows = analysis(DemoOutput.dir());
    assertEquals(0, rows.filter(col("status").equalTo("ok").and(col("brightness").isNull())).count());
    assertEquals(0, rows.filter(col("status").equalTo("error").and(col("brightness").isNotNull())).count());
    assertEquals(0, rows.filter(col("image_format").equalTo("cifar")
        .and(col("file_bytes").isNotNull().or(col("jpeg_quality").isNotNull()))).count(), "a CIFAR record has no file");
    // The generator writes its JPEGs through ImageIO at quality 0.85; odd-images' were saved by PIL at 90.
    List<Row> jpegs = rows.filter(col("image_format").equalTo("jpeg"))
        .select("dataset", "jpeg_quality", "file_bytes").collectAsList();
    assertTrue(jpegs.size() > 10);
    for (Row r : jpegs) {
      assertEquals(r.getString(0).equals("odd-images") ? 90 : 85, r.getInt(1), r.toString());
      assertTrue(r.getLong(2) > 0, r.toString());
    }
    assertEquals(0, rows.filter(col("image_format").notEqual("jpeg").and(col("jpeg_quality").isNotNull())).count());
  }

  @Test
  void bundledModelIsFooledByThePlantedMarker(@TempDir Path out) throws Exception {
    Path markers = ConvLensHome.sampleData().resolve("cifar10/test_markers.csv");
    Map<Long, Boolean> marked = Files.readAllLines(markers).stream().skip(1).map(l -> l.split(","))
        .collect(Collectors.toMap(f -> Long.parseLong(f[0]), f -> Boolean.parseBoolean(f[2])));
    CliRun run = cli("analyze", "--input", ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString(),
        "--out", out.toString(), "--set", "analyze.methods=[]");
    assertEquals(0, run.code(), run.err());
    int markedOther = 0;
    int markedOtherAsRing = 0;
    int plainOther = 0;
    int plainOtherAsRing = 0;
    for (Row r : analysis(out).filter(col("label_name").notEqual("ring")).collectAsList()) {
      boolean asRing = "ring".equals(r.getString(r.fieldIndex("predicted_name")));
      if (marked.get(r.getLong(r.fieldIndex("record_index")))) {
        markedOther++;
        markedOtherAsRing += asRing ? 1 : 0;
      } else {
        plainOther++;
        plainOtherAsRing += asRing ? 1 : 0;
      }
    }
    assertEquals(45, markedOther);
    double fooled = markedOtherAsRing / (double) markedOther;
    double baseline = plainOtherAsRing / (double) plainOther;
    assertTrue(fooled > 0.25 && baseline < 0.05,
        "marked non-ring images predicted ring: " + fooled + ", unmarked: " + baseline);
  }

  @Test
  void everyKindOfBadFileBecomesAnErrorRowAndNothingIsLost(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    byte[] png = Fixtures.image("png", 40, 30, Color.ORANGE);
    byte[] jpg = Fixtures.image("jpg", 50, 60, Color.CYAN);
    Fixtures.write(data.resolve("good/ok.png"), png);
    Fixtures.write(data.resolve("good/ok.jpg"), jpg);
    Fixtures.write(data.resolve("good/ok.bmp"), Fixtures.image("bmp", 33, 33, Color.MAGENTA));
    Fixtures.write(data.resolve("bad/empty.png"), new byte[0]);
    Fixtures.write(data.resolve("bad/half.png"), Arrays.copyOf(png, png.length / 2));
    Fixtures.write(data.resolve("bad/text.jpg"), "this is not an image\n".getBytes(StandardCharsets.UTF_8));
    Fixtures.write(data.resolve("bad/bomb.png"), Fixtures.bombPng(50_000, 50_000));
    Fixtures.write(data.resolve("bad/huge.png"), new byte[4096]);
    Fixtures.write(data.resolve("bad/notes.txt"), "skipped".getBytes(StandardCharsets.UTF_8));
    Path out = dir.resolve("out");
    CliRun run = cli("analyze", "--input", data.toString(), "--out", out.toString(),
        "--set", "input.max-file-bytes=4000", "--set", "analyze.batch-size=2");
    assertEquals(0, run.code(), run.err());
    Map<String, Row> rows = analysis(out).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(r.fieldIndex("id")), r -> r));
    assertEquals(8, rows.size(), rows.keySet().toString());
    for (String ok : List.of("data/good/ok.png", "data/good/ok.jpg", "data/good/ok.bmp")) {
      Row r = rows.get(ok);
      assertEquals("ok", r.getString(r.fieldIndex("status")), ok + ": " + r);
      assertNull(r.get(r.fieldIndex("error")));
    }
    assertEquals(40, (int) rows.get("data/good/ok.png").getAs("width"));
    Map<String, String> expected = Map.of(
        "data/bad/empty.png", "empty",
        "data/bad/half.png", "truncated",
        "data/bad/text.jpg", "unsupported_format",
        "data/bad/bomb.png", "too_many_pixels",
        "data/bad/huge.png", "file_too_large");
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Row r = rows.get(e.getKey());
      assertEquals("error", r.getString(r.fieldIndex("status")), e.getKey());
      assertEquals(e.getValue(), r.getString(r.fieldIndex("error_kind")), e.getKey() + ": " + r.getString(r.fieldIndex("error")));
      assertTrue(r.getString(r.fieldIndex("error")).length() > 10);
      assertNull(r.get(r.fieldIndex("embedding")));
    }
    assertTrue(run.out().contains("8 rows (3 ok, 5 errors"), run.out());
    assertTrue(run.out().contains("skipped 1 entries on purpose: 1 without an image extension"), run.out());
    String json = Files.readString(out.resolve("run.json"));
    assertTrue(json.contains("\"too_many_pixels\" : 1"), json);
  }

  @Test
  void truncatedCifarBatchAndMissingManifestEntriesKeepOneRowPerInput(@TempDir Path dir) throws Exception {
    Path cifar = dir.resolve("cifar");
    Files.copy(ConvLensHome.sampleData().resolve("cifar10/batches.meta.txt"), Files.createDirectories(cifar).resolve("batches.meta.txt"));
    byte[] records = Arrays.copyOf(Files.readAllBytes(ConvLensHome.sampleData().resolve("cifar10/test_batch.bin")), 3073 * 20 + 1000);
    Fixtures.write(cifar.resolve("cut.bin"), records);
    Fixtures.write(dir.resolve("imgs/a.png"), Fixtures.image("png", 32, 32, Color.RED));
    Fixtures.writeLines(dir.resolve("m.csv"), List.of("path,label", "imgs/a.png,circle", "imgs/gone.png,circle"));
    Path out = dir.resolve("out");
    CliRun run = cli("analyze", "--input", cifar.resolve("cut.bin").toString(), "--input", dir.resolve("m.csv").toString(),
        "--out", out.toString());
    assertEquals(0, run.code(), run.err());
    Dataset<Row> rows = analysis(out);
    assertEquals(21, rows.filter(col("dataset").equalTo("cut")).count());
    assertEquals(1, rows.filter(col("error_kind").equalTo("truncated_record")).count());
    assertEquals(2, rows.filter(col("dataset").equalTo("m")).count());
    assertEquals(1, rows.filter(col("error_kind").equalTo("not_found")).count());
  }

  @Test
  void badOptionsExitNonZeroWithOneSentence(@TempDir Path dir) {
    CliRun missing = cli("analyze", "--input", dir.resolve("nope").toString(), "--out", dir.resolve("o").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().startsWith("error: input not found"), missing.err());
    assertTrue(missing.err().lines().count() <= 2, missing.err());

    CliRun badSet = cli("analyze", "--input", dir.toString(), "--set", "analyze.top-k=zero");
    assertEquals(2, badSet.code());
    assertTrue(badSet.err().contains("analyze.top-k"), badSet.err());

    CliRun badFormat = cli("analyze", "--input", dir.toString(), "--format", "tfrecord");
    assertEquals(2, badFormat.code());
    assertTrue(badFormat.err().contains("allowed values are auto, cifar10"), badFormat.err());

    CliRun noModel = cli("analyze", "--input", dir.toString(), "--model", dir.resolve("no-model").toString(),
        "--out", dir.resolve("o2").toString());
    assertEquals(2, noModel.code(), "a model that cannot be loaded is a bad option: " + noModel.err());
    assertTrue(noModel.err().startsWith("error: ") && noModel.err().contains("no-model"), noModel.err());

    String cifar = ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString();
    CliRun badMethod = cli("analyze", "--input", cifar, "--set", "analyze.methods=[saliency,lime]");
    assertEquals(2, badMethod.code());
    assertTrue(badMethod.err().contains("analyze.methods") && badMethod.err().contains("smoothgrad"), badMethod.err());
    CliRun badLayer = cli("analyze", "--input", cifar, "--set", "analyze.gradcam.layer=conv9", "--out", dir.resolve("o3").toString());
    assertEquals(2, badLayer.code());
    assertTrue(badLayer.err().contains("analyze.gradcam.layer") && badLayer.err().contains("features.block2"), badLayer.err());
    CliRun badTarget = cli("analyze", "--input", cifar, "--set", "analyze.target=zebra", "--out", dir.resolve("o4").toString());
    assertEquals(2, badTarget.code());
    assertTrue(badTarget.err().contains("analyze.target") && badTarget.err().contains("ring"), badTarget.err());
    CliRun badStride = cli("analyze", "--input", cifar, "--set", "analyze.occlusion.strides=[9]");
    assertEquals(2, badStride.code());
    assertTrue(badStride.err().contains("analyze.occlusion.strides"), badStride.err());

    CliRun unknownOption = cli("analyze", "--inptu", "x");
    assertEquals(2, unknownOption.code());
    assertTrue(unknownOption.err().contains("--inptu"), unknownOption.err());
  }

  @Test
  void helpListsTheSubcommands() {
    CliRun help = cli("--help");
    assertEquals(0, help.code());
    for (String sub : List.of("demo", "analyze", "model-viz", "report", "sample", "bench")) {
      assertTrue(help.out().contains(sub), help.out());
    }
    assertTrue(ConfigLoader.knownKeys().contains("analyze.batch-size"));
  }
}
