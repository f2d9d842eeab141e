package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.attribution.MapEncoding;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shortcut finder on made-up saliency maps with a known answer: class 0 looks at the
 * bottom-right corner in every image (a shortcut), classes 1 and 2 look everywhere, class 3 has
 * two images that stare at the top-left corner (a mean with high lift, but not consistent: not a
 * shortcut), and three class-1 images predicted as class 0 look at class 0's corner (suspects).
 */
class ShortcutFinderTest {
  static final int SIDE = 8;
  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("predicted", DataTypes.IntegerType, false)
      .add("top_k_prob", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add(AuditRows.TRUE_CLASS, DataTypes.IntegerType, true)
      .add("saliency", MapEncoding.STRUCT, true);

  static Row row(String id, int label, int predicted, float[] map) {
    return RowFactory.create(id, predicted, new float[] {0.9f},
        label, MapEncoding.encode(map, 1, SIDE, SIDE, MapEncoding.Kind.F16, MapEncoding.Range.UNIT));
  }

  static float[] diffuse(Random r) {
    float[] m = new float[SIDE * SIDE];
    for (int i = 0; i < m.length; i++) {
      m[i] = 0.5f + r.nextFloat();
    }
    return m;
  }

  /** A diffuse map plus as much again in the 2×2 block at (x, y). */
  static float[] spot(Random r, int x, int y) {
    float[] m = diffuse(r);
    float total = 0;
    for (float v : m) {
      total += v;
    }
    for (int dy = 0; dy < 2; dy++) {
      for (int dx = 0; dx < 2; dx++) {
        m[(y + dy) * SIDE + x + dx] += total / 4;
      }
    }
    return m;
  }

  static AuditSettings settings() {
    return AuditSettings.defaults().with(AuditSettings.GRID, SIDE).with(AuditSettings.REGION_SIDES, List.of(0.25))
        .with(AuditSettings.MIN_METHODS, 1).with(AuditSettings.EXAMPLES, 4).with(AuditSettings.QUALITY_SAMPLES, 0)
        .with(AuditSettings.QUALITY_SEED, 1L).with(AuditSettings.GRID_STEPS, 0)
        .with(AuditSettings.DETECTORS, java.util.Map.of());
  }

  /** The planted rows: class 0's corner shortcut, its three suspects, class 3's two outliers. */
  static Dataset<Row> planted() {
    Random r = new Random(7);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      rows.add(row("a" + i, 0, 0, spot(r, 6, 6)));
      rows.add(row("b" + i, 1, i < 3 ? 0 : 1, i < 3 ? spot(r, 6, 6) : diffuse(r)));
      rows.add(row("c" + i, 2, i < 2 ? 0 : 2, diffuse(r)));
      float[] extreme = new float[SIDE * SIDE];
      extreme[0] = 1;
      extreme[1] = 1;
      extreme[SIDE] = 1;
      extreme[SIDE + 1] = 1;
      rows.add(row("d" + i, 3, 3, i < 2 ? extreme : diffuse(r)));
    }
    rows.add(row("unlabelled", -1, 0, spot(r, 6, 6)));
    return SharedSpark.get().createDataFrame(rows, SCHEMA)
        .withColumn(AuditRows.TRUE_CLASS, org.apache.spark.sql.functions.when(
            org.apache.spark.sql.functions.col(AuditRows.TRUE_CLASS).geq(0),
            org.apache.spark.sql.functions.col(AuditRows.TRUE_CLASS)));
  }

  @Test
  void findsTheConsistentShortcutItsSuspectsAndNotTheOutliers() {
    Dataset<Row> data = planted();
    AuditSettings s = settings();
    List<ClassAttention.Mean> means = ClassAttention.compute(data, List.of("saliency"), SIDE, SIDE, SIDE);
    assertEquals(4 + 4 + 1, means.size(), "4 true classes, 4 predicted classes, all");
    for (ClassAttention.Mean m : means) {
      double sum = 0;
      for (float v : m.map()) {
        sum += v;
      }
      assertEquals(1, sum, 1e-5, "a mean of distributions is a distribution");
    }
    ShortcutFinder.Result result = ShortcutFinder.find(data, means, s, SIDE, SIDE);
    assertEquals(Set.of(0), result.flaggedMethods().keySet());
    ShortcutFinder.Candidate c0 = result.candidates().stream().filter(c -> c.cls() == 0).findFirst().orElseThrow();
    assertEquals(Region.square(6, 6, 8, 8, SIDE), c0.region());
    assertEquals(1.0, c0.consistency(), 1e-12);
    ShortcutFinder.Candidate c3 = result.candidates().stream().filter(c -> c.cls() == 3).findFirst().orElseThrow();
    assertEquals(Region.square(0, 0, 2, 2, SIDE), c3.region(), "the outliers' corner");
    assertTrue(c3.lift() >= s.minLift() && c3.mass() >= s.minMass(), "the mean alone would flag it: " + c3);
    assertFalse(c3.flagged(), "2 of 12 images is not consistent: " + c3);
    Set<String> suspects = new TreeSet<>();
    for (Row x : result.suspects().collectAsList()) {
      suspects.add(x.getString(0));
    }
    assertEquals(Set.of("b0", "b1", "b2"), suspects, "class-1 images predicted 0 looking at the corner; not the"
        + " class-2 ones predicted 0 looking everywhere, nor the unlabelled one");
    assertEquals(4, result.examples().count(), "audit.shortcut.examples per flagged class and method");
  }

  /**
   * The region detector on the planted rows (each with a one-byte preview): its section and the
   * finding's evidence, byte for byte as the golden file.
   */
  @Test
  void theRegionDetectorWritesItsGoldenSection(@TempDir java.nio.file.Path dir) {
    Dataset<Row> data = planted().withColumn(org.convlens.analyze.AnalysisSchema.INPUT_PNG,
        org.apache.spark.sql.functions.lit(new byte[] {7}));
    List<ClassAttention.Mean> means = ClassAttention.compute(data, List.of("saliency"), SIDE, SIDE, SIDE);
    AuditRun.Tables tables = new AuditRun.Tables(SharedSpark.get(), new org.apache.hadoop.fs.Path(dir.toUri()),
        "a1", "m1", new java.sql.Timestamp(0));
    DetectorContext ctx = DetectorContext.builder()
        .spark(SharedSpark.get())
        .stage(null)
        .analyze(null)
        .audit(settings())
        .inputs(null)
        .rows(data)
        .classNames(List.of("k0", "k1", "k2", "k3"))
        .spec(null)
        .model(StrategyDetectorTest.model())
        .methods(List.of("saliency"))
        .means(means)
        .tables(tables)
        .console(new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8))
        .build();
    ShortcutDetector.Result out = new RegionDetector().detect(ctx);
    assertEquals(List.of(0), out.findings().stream().map(Finding::cls).toList());
    SectionGolden.assertMatches("audit-region.json", SectionGolden.of(out));
  }
}
