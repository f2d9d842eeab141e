package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.convlens.data.HadoopConf;
import org.convlens.data.ImageSource;
import org.convlens.data.ImageSources;
import org.convlens.model.EngineSetup;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelLoader;
import org.convlens.model.ModelSpec;
import org.convlens.model.SmallCnn;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The counterfactual detector end to end (analyze, then audit) on a world with a known answer: a
 * hand-set model whose class {@code night} means "dark" — its logit is 40 × (0.35 − mean
 * brightness) — while {@code red} and {@code green} are told apart by colour (4 × (r − g) and
 * 4 × (g − r)). Images are flat colours: dark greys labelled night, reds and greens, plus three
 * dark reds that the model calls night (the images the cue fools). Darkening should turn the reds
 * and greens into night and brightening the night images into something else: night depends on
 * illumination; nothing else should be flagged. Colour edits are left out of this world, where
 * the colour is the object.
 */
class CounterfactualDetectorTest {
  static final List<String> CLASSES = List.of("night", "red", "green");
  static final String EDITS = "[\"brighten:0.4\", \"darken:0.4\", \"contrast:0.5\", \"blur:1\", \"jpeg:30\","
      + " \"flip\", \"crop:0.15\"]";
  private final SparkSession spark = SharedSpark.get();

  /**
   * A SmallCnn whose layers pass the input's three channels through (centre taps of 1, batch norm
   * as the identity, the first one shifting by +2 so that ReLU keeps everything): the embedding's
   * first three values are 4 × the mean of r, g and b (the input is normalised with mean 0.5 and
   * std 0.25, so (4p − 2) + 2 = 4p; max-pooling a flat image keeps it). The head reads brightness
   * and colour from them.
   */
  static Path nightModel(Path dir) throws Exception {
    EngineSetup.configure(1, 1);
    SmallCnn net = new SmallCnn(CLASSES.size());
    ModelDescription d = ModelDescription.builder()
        .formatVersion(ModelDescription.FORMAT_VERSION)
        .id("night-test")
        .engine("djl")
        .architecture(SmallCnn.ARCHITECTURE)
        .artifact("night-0000.params")
        .epoch(0)
        .input(new ModelDescription.Input(3, 32, 32))
        .preprocessing(new ModelDescription.Preprocessing(0, new float[] {0.5f, 0.5f, 0.5f},
            new float[] {0.25f, 0.25f, 0.25f}))
        .classNames(CLASSES)
        .outputs(new ModelDescription.Outputs(0, 1, 2, "features", true))
        .testAccuracy(null)
        .notes("test: night is dark")
        .layers(null)
        .build();
    try (Model model = Model.newInstance("night", Device.cpu(), EngineSetup.ENGINE)) {
      model.setBlock(net);
      net.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 32, 32));
      boolean first = true;
      for (Block b : child(net, "features").getChildren().values()) {
        if (b instanceof Conv2d) {
          NDArray w = b.getParameters().get("weight").getArray();
          long out = w.getShape().get(0);
          long in = w.getShape().get(1);
          float[] v = new float[(int) (out * in * 9)];
          for (int k = 0; k < 3; k++) {
            v[(int) ((k * in + k) * 9 + 4)] = 1f;
          }
          w.set(v);
          b.getParameters().get("bias").getArray().set(new float[(int) out]);
        } else if (b instanceof BatchNorm) {
          int channels = (int) b.getParameters().get("gamma").getArray().size();
          float[] ones = new float[channels];
          java.util.Arrays.fill(ones, 1f);
          float[] var = new float[channels];
          java.util.Arrays.fill(var, 1f - 1e-5f); // + epsilon = 1
          float[] beta = new float[channels];
          if (first) {
            beta[0] = beta[1] = beta[2] = 2f;
            first = false;
          }
          for (Parameter p : b.getParameters().values()) {
            switch (p.getName()) {
              case "gamma" -> p.getArray().set(ones);
              case "beta" -> p.getArray().set(beta);
              case "runningMean" -> p.getArray().set(new float[channels]);
              case "runningVar" -> p.getArray().set(var);
              default -> throw new IllegalStateException("unexpected batch-norm parameter " + p.getName());
            }
          }
        }
      }
      Block head = child(net, "head");
      assertTrue(head instanceof Linear);
      float[] w = new float[CLASSES.size() * SmallCnn.EMBEDDING_DIM];
      int e = SmallCnn.EMBEDDING_DIM;
      // emb = 4 (r, g, b): night = 40 (0.35 - (r + g + b) / 3), red = 4 (r - g), green = 4 (g - r).
      w[0] = w[1] = w[2] = -40f / 12f;
      w[e] = 1f;
      w[e + 1] = -1f;
      w[2 * e] = -1f;
      w[2 * e + 1] = 1f;
      head.getParameters().get("weight").getArray().set(w);
      head.getParameters().get("bias").getArray().set(new float[] {40f * 0.35f, 0f, 0f});
      Files.createDirectories(dir);
      model.setProperty("Epoch", "0");
      model.save(dir, "night");
    }
    d.write(dir.resolve(ModelLoader.DESCRIPTION_FILE));
    return dir;
  }

  /** A child block by name (DJL prefixes names with their position: "01features"). */
  static Block child(Block parent, String name) {
    for (var e : parent.getChildren()) {
      if (e.getKey().endsWith(name)) {
        return e.getValue();
      }
    }
    throw new IllegalStateException("no block " + name + " in " + parent.getChildren().keys());
  }

  static void png(Path file, float r, float g, float b) throws Exception {
    BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    int rgb = (Math.round(r * 255) << 16) | (Math.round(g * 255) << 8) | Math.round(b * 255);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    Files.createDirectories(file.getParent());
    ImageIO.write(img, "png", file.toFile());
  }

  /** 30 images per class, plus three dark reds (red/fooled_*.png) that the model calls night. */
  static Path images(Path dir) throws Exception {
    Random random = new Random(11);
    for (int i = 0; i < 30; i++) {
      float grey = 0.10f + 0.12f * random.nextFloat();
      png(dir.resolve("night/n" + i + ".png"), grey + 0.02f * random.nextFloat(), grey + 0.02f * random.nextFloat(),
          grey);
      float hi = 0.60f + 0.15f * random.nextFloat();
      float lo = 0.35f + 0.10f * random.nextFloat();
      png(dir.resolve("red/r" + i + ".png"), hi, lo, lo);
      hi = 0.60f + 0.15f * random.nextFloat();
      lo = 0.35f + 0.10f * random.nextFloat();
      png(dir.resolve("green/g" + i + ".png"), lo, hi, lo);
    }
    for (int i = 0; i < 3; i++) {
      png(dir.resolve("red/fooled_" + i + ".png"), 0.35f, 0.2f, 0.2f);
    }
    return dir;
  }

  static ConvLensConfig config(Path dir, List<String> more) throws Exception {
    List<String> sets = new ArrayList<>(List.of("analyze.methods=[]", "audit.quality.samples=0",
        "progress.interval-seconds=0", "audit.counterfactual.edits=" + EDITS, "analyze.batch-size=16"));
    sets.addAll(more);
    return ConfigLoader.load(null, Map.of("input.paths", List.of(dir.resolve("data").toString()), "model.path",
        dir.resolve("model").toString(), "output.dir", dir.resolve("out").toString()), sets);
  }

  @Test
  void darkeningFlipsImagesToTheDarkClassAndOnlyThatIsFlagged(@TempDir Path dir) throws Exception {
    nightModel(dir.resolve("model"));
    images(dir.resolve("data"));
    // The counterfactual detector alone (no maps for the others): its signal is a finding by itself.
    ConvLensConfig config = config(dir, List.of("audit.findings.min-detectors=1"));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(console, true);
    Stages.analyze(config, spark, out);
    AuditRun.Summary s = Stages.audit(config, spark, out);
    assertEquals(List.of("night"), s.flaggedClasses());

    List<Finding> found = s.signals().stream().filter(f -> f.detector().equals("counterfactual")).toList();
    assertEquals(1, found.size(), found.toString() + "\n" + console);
    Finding f = found.get(0);
    assertEquals(0, f.cls());
    assertEquals(Cue.ILLUMINATION, f.kind());
    assertTrue(f.score() > 10 && f.lo() > 1, "odds ratio and its interval: " + f);
    assertTrue(f.statement().startsWith("night: predictions depend on illumination (brightness or contrast) — "),
        f.statement());
    assertEquals(Set.of("data/red/fooled_0.png", "data/red/fooled_1.png", "data/red/fooled_2.png"),
        new TreeSet<>(f.suspects()), "the dark reds the model calls night, which brightening turns red");
    assertEquals(3, f.suspectCount());
    assertTrue(console.toString().contains("audit: counterfactual edits brighten:0.4, darken:0.4"), console.toString());

    Path audit = dir.resolve("out/audit");
    Dataset<Row> classes = spark.read().parquet(audit.resolve(CounterfactualDetector.CLASSES).toString());
    Row darkenTo = classes.filter("class = 0 and edit = 'darken:0.4' and direction = 'to'").first();
    assertTrue(darkenTo.<Double>getAs("rate") > 0.9, darkenTo.toString());
    assertTrue(darkenTo.<Double>getAs("reference") < 0.05, darkenTo.toString());
    assertTrue(darkenTo.<Boolean>getAs("flagged"));
    assertTrue(darkenTo.<Double>getAs("mean_prob_change") > 0.5, "night's probability rises under darkening");
    Row brightenAway = classes.filter("class = 0 and edit = 'brighten:0.4' and direction = 'away'").first();
    assertTrue(brightenAway.<Double>getAs("rate") > 0.9 && brightenAway.<Boolean>getAs("flagged"),
        brightenAway.toString());
    // Red and green lose their predictions to night under darkening, and take night's under
    // brightening: flagged, perhaps, but explained by night's tests, never findings of their own.
    assertEquals(0, classes.filter("class != 0 and flagged and explained_by is null").count(),
        "red and green are clean");
    assertEquals(0, classes.filter("class != 0 and flagged and explained_by != 0").count());
    assertEquals(0, classes.filter("edit not in ('darken:0.4', 'brighten:0.4') and flagged").count(),
        "blur, JPEG, flip, crop and contrast change nothing the model reads here");
    assertEquals(3 * 7 * 2, classes.count());
    assertEquals(0, classes.filter("fragile").count(), "night is moved by illumination edits alone: one cue kind");

    Dataset<Row> perImage = spark.read().parquet(audit.resolve(CounterfactualDetector.IMAGES).toString());
    assertEquals(93L * 7, perImage.count());
    Row darkRed = perImage.filter("id = 'data/red/r0.png' and edit = 'darken:0.4'").first();
    assertEquals(1, (int) darkRed.getAs("true_class"));
    assertEquals(1, (int) darkRed.getAs("predicted_before"));

    JsonNode json = new ObjectMapper().readTree(audit.resolve(AuditRun.SUMMARY_FILE).toFile());
    JsonNode section = json.get("counterfactual");
    assertEquals(93, section.get("measured_images").asInt());
    assertEquals(0, section.get("fragile").size());
    assertEquals(3, section.get("fragile_kinds").asInt());
    assertEquals(List.of(0), List.of(section.get("flagged").get(0).asInt()));
    JsonNode finding = json.get("findings").findValues("detector").stream().anyMatch(n -> n.asText()
        .equals("counterfactual")) ? json.get("findings") : null;
    assertNotNull(finding);
    JsonNode pairs = null;
    for (JsonNode n : json.get("findings")) {
      if (n.get("detector").asText().equals("counterfactual")) {
        pairs = n.get("evidence").get("pairs");
      }
    }
    assertEquals(4, pairs.size(), "audit.counterfactual.examples pairs");
    BufferedImage before = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(
        pairs.get(0).get("before_png").asText())));
    BufferedImage after = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(
        pairs.get(0).get("after_png").asText())));
    assertEquals(32, before.getWidth());
    assertTrue(brightness(after) != brightness(before), "the pair shows the edit");
  }

  static double brightness(BufferedImage img) {
    int rgb = img.getRGB(16, 16);
    return ((rgb >> 16) & 0xFF) + ((rgb >> 8) & 0xFF) + (rgb & 0xFF);
  }

  @Test
  void measurementsDoNotDependOnPartitions(@TempDir Path dir) throws Exception {
    nightModel(dir.resolve("model"));
    images(dir.resolve("data"));
    ConvLensConfig config = config(dir, List.of());
    Dataset<Row> listing = null;
    for (ImageSource src : ImageSources.openAll(config.input(), spark)) {
      listing = listing == null ? src.list(spark) : listing.union(src.list(spark));
    }
    // 24 images (8 per class) and two fooled ones are enough to see any partition effect, and cheap.
    Dataset<Row> inputs = listing.filter(functions.col("id").rlike("/(n|r|g)[0-7]\\.png$|fooled_[01]"))
        .withColumn("_true_class", functions.lit(null).cast(DataTypes.IntegerType));
    CounterfactualSettings s = config.audit().detectors().get("counterfactual") instanceof CounterfactualSettings c
        ? c : null;
    Counterfactuals.Options o = Counterfactuals.Options.builder()
        .model(ModelSpec.of(config.model()))
        .description(ModelDescription.read(dir.resolve("model/model.json")))
        .edits(s.edits())
        .maxFileBytes(1 << 20)
        .maxPixels(1 << 20)
        .batchSize(7)
        .build();
    HadoopConf hadoop = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    List<Row> one = Counterfactuals.measure(inputs, o, hadoop, 1, null).orderBy("id", "edit")
        .drop("delta").collectAsList();
    List<Row> three = Counterfactuals.measure(inputs, o, hadoop, 3, null).orderBy("id", "edit")
        .drop("delta").collectAsList();
    assertEquals(26 * 7, one.size());
    assertEquals(one.size(), three.size());
    // Classes and ids exactly; probabilities to 1e-5: the engine's kernels may round the last bits
    // differently for another batch composition, which is not a partition effect.
    for (int i = 0; i < one.size(); i++) {
      Row a = one.get(i);
      Row b = three.get(i);
      for (int f = 0; f < a.length(); f++) {
        Object x = a.get(f);
        Object y = b.get(f);
        if (x instanceof Float || x instanceof Double) {
          assertEquals(((Number) x).doubleValue(), ((Number) y).doubleValue(), 1e-5, a + " vs " + b);
        } else {
          assertEquals(x, y, a + " vs " + b);
        }
      }
    }
    assertTrue(one.stream().anyMatch(r -> r.getInt(r.fieldIndex("predicted_before")) != r.getInt(
        r.fieldIndex("predicted_after"))), "some edits flip predictions: the comparison is not of constants");
  }

  @Test
  void skipsWithoutFindingsWhenTheInputsAreUnknown(@TempDir Path dir) throws Exception {
    nightModel(dir.resolve("model"));
    ConvLensConfig config = config(dir, List.of());
    ConvLensConfig unknown = config.withInputs(List.of(), List.of());
    ModelDescription d = ModelDescription.read(dir.resolve("model/model.json"));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    AuditRun.Tables tables = new AuditRun.Tables(spark, new org.apache.hadoop.fs.Path(dir.resolve("audit").toUri()),
        "a", d.id(), new java.sql.Timestamp(0));
    DetectorContext ctx = DetectorContext.builder()
        .spark(spark)
        .stage(config.stage())
        .analyze(config.analyze())
        .audit(config.audit())
        .inputs(unknown.stage())
        .rows(null)
        .classNames(CLASSES)
        .spec(null)
        .model(d)
        .methods(List.of())
        .means(List.of())
        .tables(tables)
        .console(new PrintStream(console, true))
        .build();
    ShortcutDetector.Result r = new CounterfactualDetector().detect(ctx);
    assertTrue(r.findings().isEmpty());
    String skipped = ((CounterfactualDetector.Section) r.section()).skipped();
    assertTrue(skipped.contains("--input (input.paths)"), skipped);
    SectionGolden.assertMatches("audit-counterfactual-skipped.json", SectionGolden.of(r));
    assertTrue(console.toString().contains("audit: counterfactual edits skipped"), console.toString());
    assertEquals(0, spark.read().parquet(dir.resolve("audit/" + CounterfactualDetector.CLASSES).toString()).count());
    assertFalse(Files.exists(dir.resolve("out")));
  }

  private static FlipTest.Test test(String edit, int cls, FlipTest.Direction d, double rate, int partner,
      boolean judged, boolean flagged, int explainedBy) {
    return FlipTest.Test.builder()
        .edit(edit)
        .cls(cls)
        .direction(d)
        .images(40 + cls)
        .flips(Math.round(rate * 40))
        .rate(rate)
        .reference(0.05)
        .difference(judged ? rate - 0.05 : Double.NaN)
        .se(0.01)
        .lo(judged ? rate - 0.1 : Double.NaN)
        .hi(judged ? rate + 0.1 : Double.NaN)
        .p(judged ? 1e-6 : Double.NaN)
        .pAdjusted(judged ? 4e-6 : Double.NaN)
        .partner(partner)
        .partnerShare(partner < 0 ? Double.NaN : 0.75)
        .judged(judged)
        .flagged(flagged)
        .explainedBy(explainedBy)
        .fragile(false)
        .build();
  }

  /**
   * The section's rates and a finding's evidence from fixed tests (the measurement needs a model,
   * the JSON does not): byte for byte as the golden file.
   */
  @Test
  void ratesAndEvidenceWriteTheirGoldenJson() {
    ImageEdit darken = ImageEdit.parse("darken:0.4", "audit.counterfactual.edits");
    ImageEdit blur = ImageEdit.parse("blur:2", "audit.counterfactual.edits");
    Map<String, ImageEdit> byLabel = new java.util.LinkedHashMap<>();
    byLabel.put(darken.label(), darken);
    byLabel.put(blur.label(), blur);
    FlipTest.Test best = test(darken.label(), 0, FlipTest.Direction.TO, 0.9, 1, true, true, -1);
    FlipTest.Test away = test(darken.label(), 1, FlipTest.Direction.AWAY, 0.8, 0, true, true, 0);
    FlipTest.Test blurTo = test(blur.label(), 0, FlipTest.Direction.AWAY, 0.1, -1, true, false, -1);
    FlipTest.Test unjudged = test(blur.label(), 2, FlipTest.Direction.TO, 0, -1, false, false, -1);
    FlipTest.Result result = new FlipTest.Result(List.of(best, away, blurTo, unjudged), 3);
    Map<String, Double> change = Map.of(CounterfactualDetector.key(darken.label(), 0, FlipTest.Direction.TO), 0.625);
    Row chosen = org.apache.spark.sql.RowFactory.create("0/illumination", "data/red/r0.png", darken.label(), 1, 1,
        0.875f, 0, 0.75f, 0.125f);
    List<CounterfactualDetector.Pair> pairs = List.of(CounterfactualDetector.Pair.of(chosen,
        new byte[][] {{1, 2}, null}));
    Map<String, Object> json = new java.util.LinkedHashMap<>();
    json.put("rates", CounterfactualDetector.ratesJson(result, List.of(darken, blur), 3));
    json.put("evidence", CounterfactualDetector.evidence(0, List.of(best), byLabel, result, change, pairs,
        new double[] {171, 40.5, 720.25}));
    SectionGolden.assertMatches("audit-counterfactual.json", json);
  }
}
