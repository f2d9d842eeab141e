package org.convlens.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.ConvLensHome;
import org.convlens.modelviz.MaximizationSchema;
import org.convlens.modelviz.ModelVizRun;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole model-viz runs: the bundled model after an analysis, one task per target, TorchScript, bad options. */
class ModelVizIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void bundledModelAfterAnalyze(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    String cifar = ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString();
    CliRun analyze = CliRun.of("analyze", "--input", cifar, "--out", out.toString(), "--master", "local[2]",
        "--set", "input.limit=300", "--set", "analyze.methods=[]");
    assertEquals(0, analyze.code(), analyze.err());
    CliRun run = CliRun.of("model-viz", "--out", out.toString(), "--master", "local[2]");
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("290,090 parameters (289,194 trainable)"), run.out());
    assertTrue(run.out().contains("class means from 300 analysed images"), run.out());

    Path model = out.resolve("model");
    JsonNode index = JSON.readTree(model.resolve("model-viz.json").toFile());
    assertEquals(290_090, index.at("/summary/total_parameters").asLong());
    assertEquals(21, index.at("/summary/layers").size());
    // Layers carry PyTorch-style names and types, never DJL's block names.
    assertEquals("features.block1.conv1", index.at("/summary/layers/0/name").asText());
    assertEquals("Conv2d", index.at("/summary/layers/0/type").asText());
    assertEquals("BatchNorm2d", index.at("/summary/layers/1/type").asText());
    assertEquals("head", index.at("/summary/layers/20/name").asText());
    assertEquals("head.weight", index.at("/class_vectors/head_weight").asText());
    // Filter grids: the PNG sizes are the layout's.
    JsonNode first = index.at("/filters/0");
    assertEquals("features.block1.conv1.weight", first.get("parameter").asText());
    assertEquals("features.block1.conv1", first.get("module").asText());
    assertEquals("rgb", first.get("layout").asText());
    BufferedImage firstPng = ImageIO.read(model.resolve("filters-first.png").toFile());
    assertEquals(first.get("width").asInt(), firstPng.getWidth());
    JsonNode second = index.at("/filters/1");
    assertEquals("by_input_channel", second.get("layout").asText());
    assertEquals(second.get("height").asInt(), ImageIO.read(model.resolve("filters-second.png").toFile()).getHeight());
    assertEquals("features.block1.conv2", second.get("module").asText());
    String svg = Files.readString(model.resolve("architecture.svg"));
    assertTrue(svg.contains(">features.block3.conv1<"), svg);
    assertFalse(Files.readString(model.resolve("model-viz.json")).matches("(?s).*(01features|LambdaBlock|02head).*"));
    assertFalse(Files.exists(model.resolve(".model-viz.json.crc")), "no checksum files next to side files");

    // Input maximisation: one row per class; each class's image is classified as that class. The
    // classes the sample data gives a whole-image cue (darker, an orange cast) climb slower:
    // InputMaximizerTest says why.
    java.util.Set<String> wholeImageCue = new java.util.HashSet<>();
    for (org.convlens.sampledata.Shortcut s : org.convlens.sampledata.ShortcutPlan.defaults().shortcuts()) {
      if (s.cue().stage() == org.convlens.sampledata.ShortcutCue.Stage.FILTER) {
        wholeImageCue.add(s.target().className());
      }
    }
    SparkSession spark = SharedSpark.get();
    List<Row> rows = spark.read().parquet(model.resolve("maximization").toString())
        .orderBy("target_index").collectAsList();
    assertEquals(10, rows.size());
    for (Row r : rows) {
      String what = r.getString(r.fieldIndex("target_name"));
      assertEquals("ok", r.getString(r.fieldIndex("status")), what);
      assertEquals(r.getInt(r.fieldIndex("target_index")), r.getInt(r.fieldIndex("final_top1")), what);
      float rise = r.getFloat(r.fieldIndex("final_objective")) - r.getFloat(r.fieldIndex("initial_objective"));
      assertTrue(rise > (wholeImageCue.contains(what) ? 3 : 8), what + " rose by " + rise);
      assertEquals(128, r.getList(r.fieldIndex("objective")).size());
      assertEquals(128, r.getList(r.fieldIndex("tv_loss")).size());
      assertEquals(17, r.getList(r.fieldIndex("snapshot_png")).size());
      byte[] png = (byte[]) r.get(r.fieldIndex("image_png"));
      assertEquals(32, ImageIO.read(new java.io.ByteArrayInputStream(png)).getWidth());
      Path file = model.resolve("maximization-png/class-" + r.getInt(r.fieldIndex("target_index")) + ".png");
      assertTrue(java.util.Arrays.equals(png, Files.readAllBytes(file)), file.toString());
    }

    // Class vectors: the head's rows, and mean embeddings equal to Spark SQL's own per-class mean.
    Dataset<Row> cv = spark.read().parquet(model.resolve("class_vectors").toString()).orderBy("class_index");
    List<Row> vectors = cv.collectAsList();
    assertEquals(10, vectors.size());
    long counted = 0;
    for (Row v : vectors) {
      assertEquals(128, v.getList(v.fieldIndex("weight")).size());
      assertFalse(v.isNullAt(v.fieldIndex("bias")));
      counted += v.getLong(v.fieldIndex("label_count"));
    }
    assertEquals(300, counted);
    Dataset<Row> analysis = spark.read().parquet(out.resolve("analysis").toString());
    Row ring = vectors.get(4);
    assertEquals("ring", ring.getString(ring.fieldIndex("class_name")));
    List<Row> reference = analysis.filter(col("label_name").equalTo("ring"))
        .selectExpr("posexplode(embedding) as (i, v)").groupBy("i").avg("v").orderBy("i").collectAsList();
    List<Float> mean = ring.getList(ring.fieldIndex("label_mean_embedding"));
    assertEquals(128, reference.size());
    for (int i = 0; i < 128; i++) {
      assertEquals(reference.get(i).getDouble(1), mean.get(i), 1e-5);
    }
    assertEquals(analysis.filter(col("predicted").equalTo(4)).count(),
        ring.getLong(ring.fieldIndex("predicted_count")));
  }

  /** Each target is one Spark task; classes and channels can be mixed. */
  @Test
  void everyTargetIsOneTask(@TempDir Path out) throws Exception {
    ConvLensConfig config = ConfigLoader.load(null, Map.of("output.dir", out.toString()), List.of(
        "model-viz.maximize.classes=[circle, ring]", "model-viz.maximize.channels=[0, 1, 2]",
        "model-viz.maximize.layer=features.block2", "model-viz.maximize.steps=16"));
    SparkSession spark = SharedSpark.get();
    List<Integer> stageTasks = new ArrayList<>();
    SparkListener listener = new SparkListener() {
      @Override
      public void onStageCompleted(SparkListenerStageCompleted stage) {
        synchronized (stageTasks) {
          stageTasks.add(stage.stageInfo().numTasks());
        }
      }
    };
    spark.sparkContext().addSparkListener(listener);
    ModelVizRun.Summary s;
    try {
      s = Stages.modelViz(config, spark, new PrintStream(new ByteArrayOutputStream()));
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    assertEquals(5, s.targets());
    assertEquals(0, s.failed());
    assertNull(s.classMeansFrom());
    synchronized (stageTasks) {
      assertTrue(stageTasks.contains(5), "a stage of one task per target: " + stageTasks);
    }
    List<Row> rows = spark.read().parquet(out.resolve("model/maximization").toString())
        .orderBy("target_kind", "target_index").collectAsList();
    assertEquals(List.of("channel", "channel", "channel", "class", "class"),
        rows.stream().map(r -> r.getString(r.fieldIndex("target_kind"))).toList());
    Row channel = rows.get(0);
    assertEquals("features.block2", channel.getString(channel.fieldIndex("layer")));
    assertTrue(channel.isNullAt(channel.fieldIndex("target_prob")));
    assertEquals(MaximizationSchema.VERSION, channel.getInt(channel.fieldIndex("schema_version")));
    assertTrue(channel.getFloat(channel.fieldIndex("final_objective"))
        > channel.getFloat(channel.fieldIndex("initial_objective")));
    // No analysis in this output folder: class vectors carry the head only.
    Row cv = spark.read().parquet(out.resolve("model/class_vectors").toString()).first();
    assertTrue(cv.isNullAt(cv.fieldIndex("label_mean_embedding")));
    assertEquals(0L, cv.getLong(cv.fieldIndex("label_count")));
  }

  @Test
  void torchScriptModel(@TempDir Path out) throws Exception {
    String pt = ConvLensHome.sampleData().resolve("torchscript/tiny_cnn.pt").toString();
    CliRun run = CliRun.of("model-viz", "--model", pt, "--out", out.toString(), "--master", "local[2]",
        "--set", "model-viz.maximize.steps=32");
    assertEquals(0, run.code(), run.err());
    JsonNode index = JSON.readTree(out.resolve("model/model-viz.json").toFile());
    assertEquals("conv1.weight", index.at("/filters/0/parameter").asText());
    assertEquals("conv2.weight", index.at("/filters/1/parameter").asText());
    assertEquals("fc.weight", index.at("/class_vectors/head_weight").asText());
    assertEquals(1460, index.at("/summary/total_parameters").asLong());
    assertEquals("conv2", index.at("/summary/layers/1/name").asText());
    assertEquals(4, index.at("/maximization/targets").size());
    for (JsonNode t : index.at("/maximization/targets")) {
      assertEquals("ok", t.get("status").asText());
      assertNotNull(t.get("file"));
    }
  }

  @Test
  void badOptionsExitTwoNamingTheKey(@TempDir Path out) {
    String[][] cases = {
      {"model-viz.maximize.steps=0", "model-viz.maximize.steps"},
      {"model-viz.maximize.tv-weight=3", "model-viz.maximize.tv-weight"},
      {"model-viz.maximize.normalize-gradient=maybe", "model-viz.maximize.normalize-gradient"},
      {"model-viz.maximize.classes=[zebra]", "model-viz.maximize.classes"},
      {"model-viz.maximize.channels=[500]", "model-viz.maximize.channels"},
      {"model-viz.filters.first-layer=nosuch", "model-viz.filters.first-layer"},
      {"model-viz.analysis=" + out.resolve("missing"), "model-viz.analysis"},
    };
    for (String[] c : cases) {
      CliRun run = CliRun.of("model-viz", "--out", out.toString(), "--master", "local[1]", "--set", c[0]);
      assertEquals(2, run.code(), c[0] + ": " + run.err());
      assertTrue(run.err().contains(c[1]), c[0] + ": " + run.err());
      assertFalse(Files.exists(out.resolve("model/maximization")), c[0]);
    }
  }
}
