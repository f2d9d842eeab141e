package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.InvalidConfigException;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The statistics detector on made-up analysis rows with planted cues: images of other classes
 * that class 0 fools are darker (an illumination shortcut); class 2 fools as many images with the
 * same statistics as everyone else (clean); class 3 fools five extreme images (too few to judge).
 */
class ImageStatisticsDetectorTest {
  static final List<String> NAMES = List.of("square", "circle", "ring", "star");
  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add(AuditRows.TRUE_CLASS, DataTypes.IntegerType, true)
      .add("predicted", DataTypes.IntegerType, false)
      .add("top_k_prob", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add("input_png", DataTypes.BinaryType, true)
      .add("width", DataTypes.IntegerType, true)
      .add("height", DataTypes.IntegerType, true)
      .add("brightness", DataTypes.FloatType, true)
      .add("contrast", DataTypes.FloatType, true)
      .add("colourfulness", DataTypes.FloatType, true)
      .add("saturation", DataTypes.FloatType, true)
      .add("tint_rg", DataTypes.FloatType, true)
      .add("tint_yb", DataTypes.FloatType, true)
      .add("sharpness", DataTypes.FloatType, true)
      .add("border_variation", DataTypes.FloatType, true)
      .add("file_bytes", DataTypes.LongType, true)
      .add("jpeg_quality", DataTypes.IntegerType, true);

  /** One image; its statistics drawn from the same distributions for everyone, then edited. */
  static final class Image {
    final Object[] v = new Object[SCHEMA.length()];

    Image(String id, Integer truth, int predicted, Random r) {
      v[0] = id;
      v[1] = truth;
      v[2] = predicted;
      v[3] = new float[] {0.5f + 0.5f * r.nextFloat()};
      v[4] = new byte[] {(byte) id.length()}; // a stand-in preview
      v[5] = 32;
      v[6] = 32;
      for (int i = 7; i <= 14; i++) {
        v[i] = 0.3f + 0.6f * r.nextFloat();
      }
      v[15] = null; // CIFAR-like: no file
      v[16] = null;
    }

    Image set(String column, Object value) {
      v[SCHEMA.fieldIndex(column)] = value;
      return this;
    }

    Row row() {
      return RowFactory.create(v.clone());
    }
  }

  /**
   * 80 images per class; class 0 fools 20 images of classes 1..3 (edited by {@code plant}),
   * class 2 fools 15 plain ones, class 3 fools 5 very bright ones; 10 unlabelled images predicted 0.
   */
  static Dataset<Row> rows(long seed, Consumer<Image> plant) {
    return rows(seed, plant, img -> {});
  }

  /** As {@link #rows(long, Consumer)}, with the other classes' mistakes edited by {@code otherMistakes}. */
  static Dataset<Row> rows(long seed, Consumer<Image> plant, Consumer<Image> otherMistakes) {
    Random r = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      for (int i = 0; i < 80; i++) {
        rows.add(new Image("c" + c + "/" + i, c, c, r).row());
      }
    }
    for (int i = 0; i < 20; i++) {
      Image img = new Image("fooled0/" + i, 1 + i % 3, 0, r);
      plant.accept(img);
      rows.add(img.row());
    }
    for (int i = 0; i < 15; i++) {
      Image img = new Image("fooled2/" + i, i % 2 == 0 ? 1 : 3, 2, r);
      otherMistakes.accept(img);
      rows.add(img.row());
    }
    for (int i = 0; i < 5; i++) {
      Image img = new Image("fooled3/" + i, 1, 3, r).set("brightness", 0.99f);
      otherMistakes.accept(img);
      rows.add(img.row());
    }
    for (int i = 0; i < 10; i++) {
      rows.add(new Image("unlabelled/" + i, null, 0, r).set("brightness", 0.95f).row());
    }
    return SharedSpark.get().createDataFrame(rows, SCHEMA);
  }

  static ImageStatisticsDetector.Options options(long seed) {
    return ImageStatisticsDetector.Options.defaults().with(ImageStatisticsDetector.Options.BOOTSTRAP, 300).with(ImageStatisticsDetector.Options.SEED, seed)
        .with(ImageStatisticsDetector.Options.EXAMPLES, 3);
  }

  static Row aucRow(List<Row> rows, int cls, String statistic, String comparison) {
    return rows.stream().filter(r -> r.getInt(0) == cls && r.getString(2).equals(statistic)
        && r.getString(4).equals(comparison)).findFirst().orElseThrow();
  }

  @Test
  void flagsThePlantedIlluminationCueAndNothingElse() {
    Random dark = new Random(4);
    ImageStatisticsDetector.Outcome out = ImageStatisticsDetector.run(
        rows(1, img -> img.set("brightness", 0.05f + 0.2f * dark.nextFloat())), NAMES, options(9), 100);
    assertEquals(1, out.findings().size(), out.summary());
    Finding f = out.findings().get(0);
    assertEquals(0, f.cls());
    assertEquals(Cue.ILLUMINATION, f.kind());
    assertEquals("brightness", f.cue());
    assertEquals(1.0, f.score(), 1e-9, "every fooled image is darker than every other: AUC 0, score 1");
    assertTrue(f.statement().startsWith("square: predictions depend on illumination"), f.statement());
    assertTrue(f.statement().contains("are darker (brightness AUC 0.00"), f.statement());
    assertEquals(20, f.suspectCount(), "all 20 lie below the others' median");
    assertTrue(f.suspects().stream().allMatch(id -> id.startsWith("fooled0/")), f.suspects().toString());
    ImageStatisticsDetector.Evidence evidence = (ImageStatisticsDetector.Evidence) f.evidence();
    ImageStatisticsDetector.Histogram histogram = evidence.histogram();
    assertEquals(ImageStatisticsDetector.BINS + 1, histogram.edges().length);
    assertEquals(20, java.util.Arrays.stream(histogram.predicted()).sum());
    assertEquals(3 * 80 + 15 + 5, java.util.Arrays.stream(histogram.others()).sum(),
        "other classes' images not predicted as square");
    assertEquals(3, evidence.examples().size(), "audit.statistics.examples");

    Row square = aucRow(out.aucRows(), 0, "brightness", "predicted");
    assertEquals(20L, square.getLong(5));
    assertEquals(260L, square.getLong(6));
    assertTrue(square.getDouble(9) < 0.5, "the 95% interval excludes 0.5: " + square);
    assertTrue(square.getBoolean(14) && square.getBoolean(15));
    Row ring = aucRow(out.aucRows(), 2, "brightness", "predicted");
    assertTrue(ring.getBoolean(14), "ring fools 15 images: judged");
    assertFalse(ring.getBoolean(15), "a clean class is not flagged: " + ring);
    Row star = aucRow(out.aucRows(), 3, "brightness", "predicted");
    assertFalse(star.getBoolean(14), "5 fooled images < min-images: not judged, however extreme");
    assertEquals(1.0, star.getDouble(7), 1e-12, "its AUC is still reported");
    assertFalse(aucRow(out.aucRows(), 0, "width", "predicted").getBoolean(14), "a constant statistic is not tested");
    assertFalse(aucRow(out.aucRows(), 0, "jpeg_quality", "predicted").getBoolean(14), "no values");
    Row control = aucRow(out.aucRows(), 0, "brightness", "mistakes");
    assertEquals(20L, control.getLong(5));
    assertEquals(20L, control.getLong(6), "ring's 15 and star's 5 fooled images are the other mistakes");
    assertEquals(0.0, control.getDouble(7), 1e-12, "darker than the other mistakes too");
    Row context = aucRow(out.aucRows(), 0, "brightness", "labelled");
    assertEquals(80L, context.getLong(5));
    assertTrue(Math.abs(context.getDouble(7) - 0.5) < 0.25, "squares themselves are not dark: " + context);
    assertEquals(2 * 8, out.section().measured().tests(), "square and ring, 8 varying statistics each");
    assertEquals(20L, out.suspects().count());
  }

  @Test
  void aCueNamesItsKind() {
    Map<String, Cue> kinds = Map.of("tint_rg", Cue.TINT, "sharpness", Cue.BACKGROUND, "contrast",
        Cue.ILLUMINATION, "border_variation", Cue.BACKGROUND);
    for (Map.Entry<String, Cue> e : kinds.entrySet()) {
      Random r = new Random(8);
      ImageStatisticsDetector.Outcome out = ImageStatisticsDetector.run(
          rows(2, img -> img.set(e.getKey(), 0.92f + 0.05f * r.nextFloat())), NAMES, options(3), 100);
      assertEquals(1, out.findings().size(), e.getKey() + ": " + out.summary());
      assertEquals(e.getValue(), out.findings().get(0).kind(), e.getKey());
      assertEquals(e.getKey(), out.findings().get(0).cue());
    }
    // File size and JPEG quality: a source cue, here a class whose fooled images are low-quality JPEGs.
    ImageStatisticsDetector.Outcome out = ImageStatisticsDetector.run(rows(3, img -> {}).transform(d -> d
            .withColumn("jpeg_quality", org.apache.spark.sql.functions.when(
                org.apache.spark.sql.functions.col("id").startsWith("fooled0/"), 30)
                .otherwise(org.apache.spark.sql.functions.lit(90).minus(
                    org.apache.spark.sql.functions.abs(org.apache.spark.sql.functions.hash(
                        org.apache.spark.sql.functions.col("id"))).mod(10))))),
        NAMES, options(3), 100);
    assertEquals(1, out.findings().size(), out.summary());
    assertEquals(Cue.SOURCE, out.findings().get(0).kind());
    assertTrue(out.findings().get(0).statement().contains("more compressed (lower JPEG quality)"),
        out.findings().get(0).statement());
  }

  @Test
  void mistakesThatAreAllHarderAreNotAShortcut() {
    // Every mistake is low in contrast (faint objects are hard): the images square and ring fool
    // are separated from the correctly classified ones, but not from each other's.
    Random faint = new Random(6);
    Consumer<Image> lowContrast = img -> img.set("contrast", 0.05f + 0.2f * faint.nextFloat());
    ImageStatisticsDetector.Outcome out = ImageStatisticsDetector.run(rows(5, lowContrast, lowContrast), NAMES,
        options(9), 100);
    Row square = aucRow(out.aucRows(), 0, "contrast", "predicted");
    assertTrue(square.getDouble(7) < 0.05 && square.getDouble(12) < 0.5,
        "alone, the comparison with everything else would flag it: " + square);
    Row control = aucRow(out.aucRows(), 0, "contrast", "mistakes");
    assertTrue(Math.abs(control.getDouble(7) - 0.5) < 0.25 && control.getDouble(8) < 0.5, control.toString());
    assertFalse(square.getBoolean(15), "no different from the other mistakes: " + square);
    assertTrue(out.findings().isEmpty(), out.summary());
  }

  @Test
  void identicalGroupsAreNotFlagged() {
    ImageStatisticsDetector.Outcome out = ImageStatisticsDetector.run(rows(4, img -> {}), NAMES, options(9), 100);
    assertTrue(out.findings().isEmpty(), out.summary());
    for (Row r : out.aucRows()) {
      if (r.getString(4).equals("predicted") && r.getBoolean(14)) {
        assertTrue(Math.abs(r.getDouble(7) - 0.5) < 0.25, r.toString());
      }
    }
  }

  @Test
  void resultsDoNotDependOnPartitionsAndTheSeedOnlyMovesIntervals() {
    Random dark = new Random(4);
    Dataset<Row> data = rows(1, img -> img.set("brightness", 0.2f + 0.3f * dark.nextFloat())).cache();
    ImageStatisticsDetector.Outcome one = ImageStatisticsDetector.run(data.coalesce(1), NAMES, options(9), 100);
    ImageStatisticsDetector.Outcome many = ImageStatisticsDetector.run(data.repartition(7), NAMES, options(9), 100);
    assertEquals(one.aucRows(), many.aucRows());
    assertEquals(one.findings().stream().map(Finding::statement).toList(),
        many.findings().stream().map(Finding::statement).toList());
    ImageStatisticsDetector.Outcome other = ImageStatisticsDetector.run(data, NAMES, options(10), 100);
    Row a = aucRow(one.aucRows(), 0, "brightness", "predicted");
    Row b = aucRow(other.aucRows(), 0, "brightness", "predicted");
    assertEquals(a.getDouble(7), b.getDouble(7), 0, "the AUC itself is not random");
    assertNotEquals(a.getDouble(8), b.getDouble(8), "another seed, other replicates");
    assertEquals(a.getBoolean(15), b.getBoolean(15));
  }

  @Test
  void sampledCellsAreWeightedUpToTheirSize() {
    // Every image three times (distinct ids): the diagonal cells of 240 images are sampled to
    // max-per-cell = 100 rows weighted 2.4 each; counts and AUCs come out as the full cells'.
    Random dark = new Random(4);
    Dataset<Row> base = rows(1, img -> img.set("brightness", 0.05f + 0.2f * dark.nextFloat()));
    Dataset<Row> tripled = base.union(base.withColumn("id", org.apache.spark.sql.functions.concat(
        org.apache.spark.sql.functions.col("id"), org.apache.spark.sql.functions.lit("#b"))))
        .union(base.withColumn("id", org.apache.spark.sql.functions.concat(
            org.apache.spark.sql.functions.col("id"), org.apache.spark.sql.functions.lit("#c"))));
    ImageStatisticsDetector.Options o = options(9).with(ImageStatisticsDetector.Options.STATISTICS, List.of("brightness"))
        .with(ImageStatisticsDetector.Options.MAX_PER_CELL, 100);
    ImageStatisticsDetector.Outcome out = ImageStatisticsDetector.run(tripled, NAMES, o, 100);
    assertEquals(4, out.section().measured().sampledCells(), "the four diagonal cells of 240");
    Row square = aucRow(out.aucRows(), 0, "brightness", "predicted");
    assertEquals(60L, square.getLong(5));
    assertEquals(3L * 260, square.getLong(6));
    assertEquals(0.0, square.getDouble(7), 1e-12);
    // Tripled, star's 5 very bright fooled images are 15: enough to be judged, and flagged.
    assertEquals(List.of(0, 3), out.findings().stream().map(Finding::cls).toList(), out.summary());
    assertTrue(out.findings().get(1).statement().contains("are brighter"), out.findings().get(1).statement());
  }

  @Test
  void anAnalysisWithoutStatisticsIsSkippedWithANote() {
    Dataset<Row> old = rows(1, img -> {}).drop("brightness", "contrast", "colourfulness", "saturation", "tint_rg",
        "tint_yb", "sharpness", "border_variation", "file_bytes", "jpeg_quality");
    ImageStatisticsDetector.Outcome out = ImageStatisticsDetector.run(old, NAMES, options(1), 100);
    assertEquals(List.of("width", "height", "aspect"), out.section().statistics());
    assertTrue(out.summary().contains("not in the analysis"), out.summary());
    assertTrue(out.findings().isEmpty());
    ImageStatisticsDetector.Outcome none = ImageStatisticsDetector.run(old.drop("width", "height"), NAMES,
        options(1), 100);
    assertTrue(none.summary().startsWith("skipped"), none.summary());
    SectionGolden.assertMatches("audit-statistics-skipped.json", SectionGolden.of(none.section(), none.findings()));
    assertEquals(0L, none.suspects().count());
  }

  @Test
  void detectWritesItsTablesAndSection(@TempDir Path dir) throws Exception {
    ConvLensConfig config = ConfigLoader.load(null, Map.of(), List.of("audit.statistics.bootstrap=200"));
    AuditRun.Tables tables = new AuditRun.Tables(SharedSpark.get(), new org.apache.hadoop.fs.Path(dir.toUri()),
        "a1", "m1", new Timestamp(0));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Random dark = new Random(4);
    DetectorContext ctx = DetectorContext.builder()
        .spark(SharedSpark.get())
        .stage(config.stage())
        .analyze(config.analyze())
        .audit(config.audit())
        .inputs(config.stage())
        .rows(rows(1, img -> img.set("brightness", 0.05f + 0.2f * dark.nextFloat())))
        .classNames(NAMES)
        .spec(null)
        .model(null)
        .methods(List.of())
        .means(List.of())
        .tables(tables)
        .console(new PrintStream(console, true, StandardCharsets.UTF_8))
        .build();
    ShortcutDetector.Result result = new ImageStatisticsDetector().detect(ctx);
    assertEquals(1, result.findings().size());
    SectionGolden.assertMatches("audit-statistics.json", SectionGolden.of(result));
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("audit: statistics: "), console.toString());
    Dataset<Row> auc = SharedSpark.get().read().parquet(dir.resolve(ImageStatisticsDetector.AUC_TABLE).toString());
    assertEquals(4 * 13 * 3, auc.count(), "classes × statistics × three comparisons");
    assertEquals(1, auc.filter("flagged").count());
    Dataset<Row> suspects = SharedSpark.get().read().parquet(
        dir.resolve(ImageStatisticsDetector.SUSPECTS_TABLE).toString());
    assertEquals(20, suspects.count());
    assertNotNull(suspects.filter("rank = 1").first().getAs("input_png"));
    assertEquals("a1", suspects.first().getAs("audit_id"));
    assertTrue(Files.isDirectory(dir.resolve(ImageStatisticsDetector.AUC_TABLE)));
  }

  @Test
  void badSettingsNameTheirKey() {
    for (String[] bad : new String[][] {
        {"audit.statistics.statistics=[brightnes]", "audit.statistics.statistics"},
        {"audit.statistics.min-effect=0.6", "audit.statistics.min-effect"},
        {"audit.statistics.alpha=0", "audit.statistics.alpha"},
        {"audit.statistics.min-images=0", "audit.statistics.min-images"},
        {"audit.statistics.bootstrap=10", "audit.statistics.bootstrap"},
        {"audit.statistics.max-per-cell=5", "audit.statistics.max-per-cell"}}) {
      InvalidConfigException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidConfigException.class,
          () -> ConfigLoader.load(null, Map.of(), List.of(bad[0])));
      assertEquals(bad[1], e.key(), e.getMessage());
    }
    ImageStatisticsDetector.Options d = (ImageStatisticsDetector.Options) ConfigLoader.load(null, Map.of(), List.of())
        .audit().detectors().get("statistics");
    assertEquals(13, d.statistics().size());
    assertEquals(0.25, d.minEffect());
  }
}
