package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.attribution.MapEncoding;
import org.convlens.config.InvalidConfigException;
import org.convlens.model.ModelDescription;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The strategy detector on planted maps ({@link PlantedMaps}), 100 images predicted as each of
 * six classes: class 0 looks at its object in 60 images and at a one-cell spot anywhere in the
 * other 40 (16 of which are other classes' images: the fooled ones); classes 1–3 always look at
 * their object; class 4 at its object and the bottom-right cell; class 5 at the border.
 */
class StrategyDetectorTest {
  static final int CLASSES = 6;
  static final int PER_CLASS = 100;

  /** The planted images: id "c<class>-<n>", "w" in the id marks class 0's watermark images. */
  static List<StrategyDetector.Image> planted(long seed, Function<Integer, Boolean> clean) {
    Random r = new Random(seed);
    List<StrategyDetector.Image> out = new ArrayList<>();
    for (int c = 0; c < CLASSES; c++) {
      for (int i = 0; i < PER_CLASS; i++) {
        float[] map;
        String id = "c" + c + "-" + i;
        Integer label = c;
        if (clean.apply(c)) {
          map = PlantedMaps.object(r);
        } else if (c == 0) {
          boolean watermark = i < 40;
          map = watermark ? PlantedMaps.watermark(r) : PlantedMaps.object(r);
          if (watermark) {
            id += "w";
            label = i < 16 ? 1 + i % 3 : 0;
          }
        } else if (c == 4) {
          map = PlantedMaps.marker(r);
        } else if (c == 5) {
          map = PlantedMaps.background(r);
        } else {
          map = PlantedMaps.object(r);
        }
        out.add(StrategyDetector.Image.builder()
            .cls(c)
            .id(id)
            .hash(r.nextLong())
            .trueClass(label)
            .confidence(0.5f + 0.5f * r.nextFloat())
            .map(map)
            .build());
      }
    }
    out.sort(java.util.Comparator.comparingInt(StrategyDetector.Image::cls)
        .thenComparingLong(StrategyDetector.Image::hash).thenComparing(StrategyDetector.Image::id));
    return out;
  }

  static StrategyDetector.Options options(long seed) {
    return StrategyDetector.Options.defaults().with(StrategyDetector.Options.SEED, seed);
  }

  static List<StrategyDetector.Strategy> flagged(StrategyDetector.Outcome out, int cls) {
    return out.flagged().stream().filter(s -> s.cls() == cls).toList();
  }

  @Test
  void flagsThePlantedWatermarkMarkerAndBackgroundAndNotTheCleanClasses() {
    StrategyDetector.Outcome out = StrategyDetector.analyse(planted(1, c -> false), options(20240611));
    String all = summary(out);
    List<StrategyDetector.Strategy> wm = flagged(out, 0);
    assertEquals(1, wm.size(), all);
    StrategyDetector.Strategy w = wm.get(0);
    assertEquals(Cue.WATERMARK, w.kind(), all);
    long planted = w.images().stream().filter(i -> i.id().endsWith("w")).count();
    assertTrue(planted >= 36 && w.images().size() <= 44, "the strategy is the 40 watermark images: " + all);
    assertTrue(w.share() > 0.3 && w.share() < 0.5, all);
    assertTrue(w.agreement() < 0.5 && w.peakSpread() > 0.25, "the spot moves: " + all);
    assertTrue(w.watermark().lo() >= 1.5 && w.watermark().lo() <= w.watermark().value()
        && w.watermark().value() <= w.watermark().hi(), all);
    List<StrategyDetector.Image> suspects = StrategyDetector.suspects(w);
    assertTrue(suspects.size() >= 14 && suspects.stream().allMatch(i -> i.id().endsWith("w") && i.trueClass() != 0),
        "the fooled images (16 planted) are its suspects: " + suspects);
    for (int c = 1; c <= 3; c++) {
      assertTrue(flagged(out, c).isEmpty(), "class " + c + " looks at its object: " + all);
    }
    assertEquals(List.of(Cue.MARKER), flagged(out, 4).stream().map(StrategyDetector.Strategy::kind).distinct()
        .toList(), all);
    assertEquals(List.of(Cue.BACKGROUND), flagged(out, 5).stream().map(StrategyDetector.Strategy::kind).distinct()
        .toList(), all);
  }

  @Test
  void classesThatAllLookAtTheirObjectAreNotFlaggedWhateverTheSeed() {
    for (long seed = 1; seed <= 4; seed++) {
      StrategyDetector.Outcome out = StrategyDetector.analyse(planted(seed, c -> true), options(seed));
      assertTrue(out.flagged().isEmpty(), summary(out));
      for (StrategyDetector.Strategy s : out.strategies()) {
        assertTrue(s.judged() || s.share() < 0.1 || s.images().size() < 10, "every large strategy is judged");
      }
    }
  }

  @Test
  void theSameInputsGiveTheSameStrategiesAndAnotherSeedTheSameFlags() {
    List<StrategyDetector.Image> images = planted(2, c -> false);
    StrategyDetector.Outcome a = StrategyDetector.analyse(images, options(5));
    StrategyDetector.Outcome b = StrategyDetector.analyse(images, options(5));
    assertEquals(a.strategies().size(), b.strategies().size());
    for (int i = 0; i < a.strategies().size(); i++) {
      StrategyDetector.Strategy x = a.strategies().get(i);
      StrategyDetector.Strategy y = b.strategies().get(i);
      assertEquals(x.images().stream().map(StrategyDetector.Image::id).toList(),
          y.images().stream().map(StrategyDetector.Image::id).toList());
      assertEquals(x.watermark(), y.watermark());
      assertEquals(x.kind(), y.kind());
    }
    StrategyDetector.Outcome c = StrategyDetector.analyse(images, options(99));
    assertEquals(kinds(a), kinds(c), "the flags do not hang on the seed");
  }

  private static List<String> kinds(StrategyDetector.Outcome out) {
    return out.flagged().stream().map(s -> s.cls() + ":" + s.kind()).distinct().sorted().toList();
  }

  private static String summary(StrategyDetector.Outcome out) {
    StringBuilder b = new StringBuilder();
    for (StrategyDetector.Strategy s : out.strategies()) {
      b.append(String.format(java.util.Locale.ROOT, "%nclass %d %d/%d n=%d conc=%.2f agree=%.2f spread=%.2f"
          + " border=%.2f wm=%s mk=%s bg=%s kind=%s", s.cls(), s.index() + 1, s.of(), s.images().size(),
          s.imageConcentration(), s.agreement(), s.peakSpread(), s.border(), s.watermark(), s.marker(),
          s.background(), s.kind()));
    }
    return b.toString();
  }

  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("predicted", DataTypes.IntegerType, false)
      .add("top_k_prob", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add(AuditRows.TRUE_CLASS, DataTypes.IntegerType, true)
      .add("gradcam", MapEncoding.STRUCT, true)
      .add(AnalysisSchema.INPUT_PNG, DataTypes.BinaryType, true);

  static Dataset<Row> rows(List<StrategyDetector.Image> images) {
    List<Row> rows = new ArrayList<>();
    for (StrategyDetector.Image i : images) {
      rows.add(RowFactory.create(i.id(), i.cls(), new float[] {i.confidence()}, i.trueClass(),
          MapEncoding.encode(i.map(), 1, PlantedMaps.SIDE, PlantedMaps.SIDE, MapEncoding.Kind.F16,
              MapEncoding.Range.UNIT), ("png of " + i.id()).getBytes(StandardCharsets.UTF_8)));
    }
    return SharedSpark.get().createDataFrame(rows, SCHEMA);
  }

  static ModelDescription model() {
    List<String> names = new ArrayList<>();
    for (int c = 0; c < CLASSES; c++) {
      names.add("k" + c);
    }
    return ModelDescription.builder()
        .formatVersion(ModelDescription.FORMAT_VERSION)
        .id("m1")
        .engine("djl")
        .architecture("test")
        .artifact("none.params")
        .epoch(0)
        .input(new ModelDescription.Input(3, PlantedMaps.SIDE, PlantedMaps.SIDE))
        .preprocessing(new ModelDescription.Preprocessing(0, new float[] {0.5f, 0.5f, 0.5f},
            new float[] {0.25f, 0.25f, 0.25f}))
        .classNames(names)
        .outputs(new ModelDescription.Outputs(0, 1, 2, "fm", true))
        .testAccuracy(null)
        .notes("test")
        .layers(null)
        .build();
  }

  static DetectorContext context(ConvLensConfig config, Dataset<Row> rows, Path dir, ByteArrayOutputStream console) {
    AuditRun.Tables tables = new AuditRun.Tables(SharedSpark.get(), new org.apache.hadoop.fs.Path(dir.toUri()),
        "a1", "m1", new Timestamp(0));
    ModelDescription model = model();
    return DetectorContext.builder()
        .spark(SharedSpark.get())
        .stage(config.stage())
        .analyze(config.analyze())
        .audit(config.audit())
        .inputs(config.stage())
        .rows(rows)
        .classNames(model.classNames())
        .spec(null)
        .model(model)
        .methods(List.of("saliency", "gradcam"))
        .means(List.of())
        .tables(tables)
        .console(new PrintStream(console, true, StandardCharsets.UTF_8))
        .build();
  }

  @Test
  void detectWritesTablesSectionAndAFindingWithItsSuspectsWhateverThePartitions(@TempDir Path dir) {
    ConvLensConfig config = ConfigLoader.load(null, Map.of(), List.of("audit.strategies.bootstrap=400"));
    Dataset<Row> data = rows(planted(3, c -> c != 0));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ShortcutDetector.Result one = new StrategyDetector().detect(context(config, data.repartition(1),
        dir.resolve("one"), console));
    ShortcutDetector.Result four = new StrategyDetector().detect(context(config, data.repartition(4),
        dir.resolve("four"), new ByteArrayOutputStream()));
    assertEquals(1, one.findings().size(), console.toString(StandardCharsets.UTF_8));
    Finding f = one.findings().get(0);
    assertEquals(Cue.WATERMARK, f.kind());
    assertEquals("strategies", f.detector());
    assertTrue(f.statement().startsWith("k0: "), f.statement());
    assertTrue(f.statement().contains("moves from image to image"), f.statement());
    assertTrue(f.suspectCount() >= 14 && f.suspectCount() <= 16, f.statement());
    assertTrue(f.suspects().stream().allMatch(id -> id.endsWith("w")), "the fooled watermark images");
    assertTrue(f.lo() >= 1.5 && f.lo() <= f.score() && f.score() <= f.hi());
    assertEquals(f.statement(), four.findings().get(0).statement(), "partitions change nothing");
    assertEquals(f.suspects(), four.findings().get(0).suspects());
    SectionGolden.assertMatches("audit-strategies.json", SectionGolden.of(one));
    SectionGolden.assertMatches("audit-strategies.json", SectionGolden.of(four));
    StrategyDetector.Section section = (StrategyDetector.Section) one.section();
    assertEquals("gradcam", section.method(), "gradcam before saliency");
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("audit: strategies: gradcam maps of 600 images"),
        console.toString(StandardCharsets.UTF_8));

    Dataset<Row> table = SharedSpark.get().read().parquet(dir.resolve("one").resolve("strategies").toString());
    assertEquals(1, table.filter("flagged").count());
    assertEquals("watermark", table.filter("flagged").first().getAs("kind"));
    assertEquals("a1", table.first().getAs("audit_id"));
    Dataset<Row> images = SharedSpark.get().read().parquet(dir.resolve("one").resolve("strategy_images").toString());
    assertEquals(600, images.count(), "every sampled image with its strategy");
    assertEquals(f.suspectCount(), images.filter("suspect").count());
    assertNotNull(images.filter("suspect").first().getAs("input_png"));
    assertNull(images.filter("not example and not suspect").first().getAs("input_png"));
    assertEquals(f.suspectCount(), section.suspects().size());
  }

  @Test
  void aSmallMaxImagesSamplesEachClassByHash(@TempDir Path dir) {
    ConvLensConfig config = ConfigLoader.load(null, Map.of(), List.of("audit.strategies.max-images=30",
        "audit.strategies.bootstrap=200", "audit.strategies.method=saliency"));
    Dataset<Row> data = rows(planted(4, c -> true)).withColumnRenamed("gradcam", "saliency");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ShortcutDetector.Result r = new StrategyDetector().detect(context(config, data, dir, console));
    StrategyDetector.Section section = (StrategyDetector.Section) r.section();
    assertEquals(CLASSES * 30, section.images());
    assertEquals("saliency", section.method());
    assertTrue(r.findings().isEmpty());
    DetectorContext c = context(ConfigLoader.load(null, Map.of(), List.of()), data, dir.resolve("none"), console);
    DetectorContext noMaps = DetectorContext.builder().spark(c.spark()).stage(c.stage()).analyze(c.analyze())
        .audit(c.audit()).inputs(c.inputs()).rows(c.rows()).classNames(c.classNames()).spec(null).model(c.model())
        .methods(List.of()).means(List.of()).tables(c.tables()).console(c.console()).build();
    ShortcutDetector.Result none = new StrategyDetector().detect(noMaps);
    SectionGolden.assertMatches("audit-strategies-skipped.json", SectionGolden.of(none));
  }

  @Test
  void settingsHaveDefaultsAndBadValuesNameTheirKey() {
    StrategyDetector.Options d = options(20240611);
    assertEquals(8, d.grid());
    assertEquals("", d.method());
    assertEquals(2, d.shape().top(), "1/32 of 64 cells");
    for (String[] bad : new String[][] {
        {"audit.strategies.method=gradient", "audit.strategies.method"},
        {"audit.strategies.grid=2", "audit.strategies.grid"},
        {"audit.strategies.max-k=0", "audit.strategies.max-k"},
        {"audit.strategies.top-share=0", "audit.strategies.top-share"},
        {"audit.strategies.min-lift=0.5", "audit.strategies.min-lift"},
        {"audit.strategies.alpha=0", "audit.strategies.alpha"},
        {"audit.strategies.bootstrap=10", "audit.strategies.bootstrap"},
        {"audit.strategies.fixed-agreement=2", "audit.strategies.fixed-agreement"},
        {"audit.strategies.neighbours=many", "audit.strategies.neighbours"}}) {
      InvalidConfigException e = assertThrows(InvalidConfigException.class,
          () -> ConfigLoader.load(null, Map.of(), List.of(bad[0])));
      assertEquals(bad[1], e.key(), e.getMessage());
    }
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> StrategyDetector.method("occlusion", List.of("saliency"), "audit.strategies.method"));
    assertTrue(e.getMessage().contains("[saliency]"), e.getMessage());
    assertEquals("cam", StrategyDetector.method("", List.of("saliency", "cam"), "k"));
    assertNull(StrategyDetector.method("", List.of(), "k"));
    assertFalse(StrategyDetector.method("", List.of("smoothgrad"), "k").isEmpty());
    assertArrayEquals(new double[] {2}, new double[] {StrategyDetector.median(new double[] {3, 1, 2})});
  }
}
