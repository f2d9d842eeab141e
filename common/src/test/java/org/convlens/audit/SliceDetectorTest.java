package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.attribution.MapEncoding;
import org.convlens.config.InvalidConfigException;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slice detector on made-up embeddings: four classes, each predicted for its own 100 images
 * (near its own direction) and for a few other classes' images (natural confusions, scattered,
 * at low confidence). In the planted case, class 0 is also predicted, confidently, for 25 images
 * of classes 1–3 that sit together in another direction: the fooled group of a shortcut. Their
 * maps look at a moving spot and they are darker; everyone else's maps look at the object.
 */
class SliceDetectorTest {
  static final int CLASSES = 4;
  static final int DIM = 16;

  /** Which evidence the fooled group carries. */
  enum Plant { NONE, WATERMARK_AND_DARK, DARK, NOTHING_MEASURED, UNCONFIDENT }

  static float[] near(Random r, int direction, double noise) {
    float[] v = new float[DIM];
    v[direction] = 1;
    for (int i = 0; i < DIM; i++) {
      v[i] += (float) (noise * r.nextGaussian());
    }
    return v;
  }

  static List<SliceDetector.Image> images(long seed, Plant plant) {
    Random r = new Random(seed);
    List<SliceDetector.Image> out = new ArrayList<>();
    for (int c = 0; c < CLASSES; c++) {
      for (int i = 0; i < 100; i++) {
        out.add(image(r, c, "c" + c + "-" + i, c, 0.9f, near(r, c, 0.15), PlantedMaps.object(r), 0.5));
      }
      for (int i = 0; i < 4; i++) { // natural confusions: another class's image near this class, unsure
        int truth = (c + 1 + i) % CLASSES;
        out.add(image(r, c, "confused" + c + "-" + i, truth, 0.55f, near(r, c, 0.4), PlantedMaps.object(r), 0.5));
      }
    }
    if (plant != Plant.NONE) {
      for (int i = 0; i < 25; i++) {
        float[] e = near(r, 0, 0.15);
        e[CLASSES + 2] += 1.2f; // a direction of its own, beside class 0's
        boolean spot = plant == Plant.WATERMARK_AND_DARK;
        boolean dark = plant == Plant.WATERMARK_AND_DARK || plant == Plant.DARK;
        out.add(image(r, 0, "fooled-" + i, 1 + i % 3, plant == Plant.UNCONFIDENT ? 0.5f : 0.95f, e,
            spot ? PlantedMaps.watermark(r) : PlantedMaps.object(r), dark ? 0.15 : 0.5));
      }
    }
    out.sort(java.util.Comparator.comparingInt(SliceDetector.Image::cls)
        .thenComparingLong(SliceDetector.Image::hash).thenComparing(SliceDetector.Image::id));
    return out;
  }

  static SliceDetector.Image image(Random r, int predicted, String id, Integer truth, float confidence,
      float[] embedding, float[] map, double brightness) {
    return SliceDetector.Image.builder()
        .cls(predicted)
        .id(id)
        .hash(r.nextLong())
        .trueClass(truth)
        .confidence(confidence)
        .embedding(embedding)
        .map(map)
        .statistics(new double[] {brightness + 0.1 * r.nextGaussian()})
        .build();
  }

  static SliceDetector.Options options() {
    return (SliceDetector.Options) ConfigLoader.load(null, Map.of(), List.of()).audit().detectors()
        .get(SliceDetector.NAME);
  }

  static final List<SliceDetector.Statistic> BRIGHTNESS = SliceDetector.STATISTICS.subList(0, 1);

  static SliceDetector.Outcome analyse(List<SliceDetector.Image> images, boolean maps, boolean stats) {
    List<SliceDetector.Image> in = images.stream().map(i -> SliceDetector.Image.builder()
        .cls(i.cls())
        .id(i.id())
        .hash(i.hash())
        .trueClass(i.trueClass())
        .confidence(i.confidence())
        .embedding(i.embedding())
        .map(maps ? i.map() : null)
        .statistics(stats ? i.statistics()
            : new double[0])
        .build()).toList();
    return SliceDetector.analyse(in, stats ? BRIGHTNESS : List.of(), options());
  }

  private static String summary(SliceDetector.Outcome out) {
    StringBuilder b = new StringBuilder();
    for (SliceDetector.Slice s : out.slices()) {
      b.append(String.format(java.util.Locale.ROOT, "%nclass %d %d/%d n=%d err=%.2f rest=%.2f p=%.2g conf=%.2f %s",
          s.cls(), s.index() + 1, s.of(), s.images().size(), s.errorRate(), s.restErrorRate(), s.pAdjusted(),
          s.errorConfidence(), s.description()));
    }
    return b.toString();
  }

  @Test
  void theFooledGroupIsFlaggedAndNamedByItsAttentionFirst() {
    SliceDetector.Outcome out = analyse(images(1, Plant.WATERMARK_AND_DARK), true, true);
    assertEquals(1, out.flagged().size(), summary(out));
    SliceDetector.Slice s = out.flagged().get(0);
    assertEquals(0, s.cls());
    assertTrue(s.others() >= 23 && s.others() <= 27, "the 25 fooled images: " + summary(out));
    assertTrue(SliceDetector.suspects(s).stream().filter(i -> i.id().startsWith("fooled")).count() >= 23);
    assertTrue(s.errorRate() > 0.8 && s.lo() <= s.errorRate() && s.errorRate() <= s.hi(), summary(out));
    assertTrue(s.pAdjusted() < 1e-6, summary(out));
    assertEquals(Cue.WATERMARK, s.description().kind(), summary(out));
    assertEquals(3, s.labelMix().keySet().stream().filter(k -> k != null && k != 0).count(), "classes 1, 2, 3");
  }

  @Test
  void withoutMapsAStatisticNamesTheCueAndWithoutEitherItIsUnknown() {
    SliceDetector.Outcome dark = analyse(images(2, Plant.DARK), true, true);
    assertEquals(1, dark.flagged().size(), summary(dark));
    SliceDetector.Description d = dark.flagged().get(0).description();
    assertEquals(Cue.ILLUMINATION, d.kind(), summary(dark));
    assertEquals("brightness", d.cue());
    assertTrue(d.words().startsWith("are darker than other classes' images"), d.words());
    SliceDetector.Outcome none = analyse(images(2, Plant.NOTHING_MEASURED), true, true);
    assertEquals(Cue.UNKNOWN, none.flagged().get(0).description().kind(), summary(none));
    SliceDetector.Outcome bare = analyse(images(2, Plant.DARK), false, false);
    assertEquals(Cue.UNKNOWN, bare.flagged().get(0).description().kind(), "no maps, no statistics");
  }

  @Test
  void cleanClassesAndUnsureConfusionsAreNotFlagged() {
    for (long seed = 1; seed <= 3; seed++) {
      SliceDetector.Outcome clean = analyse(images(seed, Plant.NONE), true, true);
      assertTrue(clean.flagged().isEmpty(), summary(clean));
      assertTrue(clean.tested() >= CLASSES * 2, "every class is sliced and tested");
      SliceDetector.Outcome unsure = analyse(images(seed, Plant.UNCONFIDENT), true, true);
      assertTrue(unsure.flagged().isEmpty(), "a group the model is unsure about is a confusion: " + summary(unsure));
      assertTrue(unsure.slices().stream().anyMatch(s -> s.pAdjusted() < 1e-6), "though it is significant");
    }
  }

  @Test
  void theStatisticsAreRight() {
    assertEquals(1 / 20.0, SliceDetector.fisherGreater(3, 3, 3, 6), 1e-12, "1 / C(6,3)");
    assertEquals(1.0, SliceDetector.fisherGreater(0, 3, 3, 6), 1e-12);
    // P(X ≥ 2), N = 10, K = 4, n = 3: (C(4,2)C(6,1) + C(4,3)) / C(10,3) = (36 + 4) / 120
    assertEquals(40 / 120.0, SliceDetector.fisherGreater(2, 3, 4, 10), 1e-12);
    double[] w = SliceDetector.wilson(0, 10);
    assertEquals(0, w[0], 1e-12);
    assertEquals(0.2775, w[1], 1e-4, "Wilson's upper bound for 0 of 10");
    double[] half = SliceDetector.wilson(5, 10);
    assertEquals(0.2366, half[0], 1e-4);
    assertEquals(0.7634, half[1], 1e-4);
    assertEquals(1.0, SliceDetector.auc(new double[] {2, 3}, new double[] {0, 1}));
    assertEquals(0.5, SliceDetector.auc(new double[] {1, 1}, new double[] {1}), "ties count half");
    assertEquals(2 / 3.0, SliceDetector.auc(new double[] {1, 3, 4}, new double[] {2}), 1e-12);
  }

  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("predicted", DataTypes.IntegerType, false)
      .add("top_k_prob", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add(AuditRows.TRUE_CLASS, DataTypes.IntegerType, true)
      .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true)
      .add("gradcam", MapEncoding.STRUCT, true)
      .add("brightness", DataTypes.FloatType, true)
      .add(AnalysisSchema.INPUT_PNG, DataTypes.BinaryType, true);

  static Dataset<Row> rows(List<SliceDetector.Image> images) {
    List<Row> rows = new ArrayList<>();
    for (SliceDetector.Image i : images) {
      rows.add(RowFactory.create(i.id(), i.cls(), new float[] {i.confidence()}, i.trueClass(), i.embedding(),
          MapEncoding.encode(i.map(), 1, PlantedMaps.SIDE, PlantedMaps.SIDE, MapEncoding.Kind.F16,
              MapEncoding.Range.UNIT), (float) i.statistics()[0], ("png " + i.id()).getBytes(StandardCharsets.UTF_8)));
    }
    return SharedSpark.get().createDataFrame(rows, SCHEMA);
  }

  static DetectorContext context(Dataset<Row> rows, Path dir, ByteArrayOutputStream console) {
    ConvLensConfig config = ConfigLoader.load(null, Map.of(), List.of());
    AuditRun.Tables tables = new AuditRun.Tables(SharedSpark.get(), new org.apache.hadoop.fs.Path(dir.toUri()),
        "a1", "m1", new Timestamp(0));
    return DetectorContext.builder()
        .spark(SharedSpark.get())
        .stage(config.stage())
        .analyze(config.analyze())
        .audit(config.audit())
        .inputs(config.stage())
        .rows(rows)
        .classNames(StrategyDetectorTest.model().classNames())
        .spec(null)
        .model(StrategyDetectorTest.model())
        .methods(List.of("gradcam"))
        .means(List.of())
        .tables(tables)
        .console(new PrintStream(console, true, StandardCharsets.UTF_8))
        .build();
  }

  @Test
  void detectWritesTablesAndAFindingWhateverThePartitions(@TempDir Path dir) {
    Dataset<Row> data = rows(images(3, Plant.DARK));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ShortcutDetector.Result one = new SliceDetector().detect(context(data.repartition(1), dir.resolve("one"),
        console));
    ShortcutDetector.Result three = new SliceDetector().detect(context(data.repartition(3), dir.resolve("three"),
        new ByteArrayOutputStream()));
    assertEquals(1, one.findings().size(), console.toString(StandardCharsets.UTF_8));
    Finding f = one.findings().get(0);
    assertEquals(Cue.ILLUMINATION, f.kind(), f.statement());
    assertTrue(f.statement().startsWith("k0: a group of "), f.statement());
    assertTrue(f.statement().contains("are darker than other classes' images the model does not call k0"),
        f.statement());
    assertTrue(f.suspects().stream().allMatch(id -> id.startsWith("fooled")), f.suspects().toString());
    assertEquals(f.statement(), three.findings().get(0).statement(), "partitions change nothing");
    assertEquals(f.suspects(), three.findings().get(0).suspects());
    SectionGolden.assertMatches("audit-slices.json", SectionGolden.of(one));
    SectionGolden.assertMatches("audit-slices.json", SectionGolden.of(three));
    assertEquals(List.of("brightness"), ((SliceDetector.Section) one.section()).measured().statistics());
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("audit: slices: embeddings of 441 images"),
        console.toString(StandardCharsets.UTF_8));
    Dataset<Row> slices = SharedSpark.get().read().parquet(dir.resolve("one").resolve("slices").toString());
    Row flagged = slices.filter("flagged").first();
    assertEquals("illumination", flagged.getAs("kind"));
    assertTrue(((scala.collection.Map<?, ?>) flagged.getAs("label_mix")).size() >= 3);
    Dataset<Row> images = SharedSpark.get().read().parquet(dir.resolve("one").resolve("slice_images").toString());
    assertEquals(441, images.count());
    assertNotNull(images.filter("suspect").first().getAs("input_png"));
  }

  @Test
  void anAnalysisWithoutEmbeddingsIsSkipped(@TempDir Path dir) {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ShortcutDetector.Result r = new SliceDetector().detect(context(rows(images(4, Plant.NONE)).drop("embedding"),
        dir, console));
    assertTrue(r.findings().isEmpty());
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("skipped"));
    SectionGolden.assertMatches("audit-slices-skipped.json", SectionGolden.of(r));
  }

  @Test
  void settingsHaveDefaultsAndBadValuesNameTheirKey() {
    SliceDetector.Options d = options();
    assertEquals(4, d.slices(100), "100 / 25");
    assertEquals(2, d.slices(20));
    assertEquals(8, d.slices(10_000));
    for (String[] bad : new String[][] {
        {"audit.slices.k=1", "audit.slices.k"},
        {"audit.slices.k=9", "audit.slices.k"},
        {"audit.slices.alpha=0.9", "audit.slices.alpha"},
        {"audit.slices.min-error-confidence=2", "audit.slices.min-error-confidence"},
        {"audit.slices.describe-effect=0", "audit.slices.describe-effect"},
        {"audit.slices.method=grad", "audit.slices.method"},
        {"audit.slices.min-lift=0", "audit.slices.min-lift"}}) {
      InvalidConfigException e = assertThrows(InvalidConfigException.class,
          () -> ConfigLoader.load(null, Map.of(), List.of(bad[0])));
      assertEquals(bad[1], e.key(), e.getMessage());
    }
    StructType prefixed = new StructType().add("stat_brightness", DataTypes.FloatType).add("contrast",
        DataTypes.DoubleType).add("hue", DataTypes.FloatType);
    assertEquals(List.of("stat_brightness", "contrast"),
        List.copyOf(SliceDetector.statisticColumns(prefixed).values()));
  }
}
