package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.InvalidConfigException;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;

/**
 * The patch detector on made-up occlusion grids of 32² images (8-px windows at stride 4, 4-px
 * windows at stride 2, as the demo's analysis): the images of other classes that class 0 fools
 * hinge on one 8-px window at a random place (a watermark); those class 1 fools on one window at
 * the bottom-right (a marker); class 2 fools fragile images that any of several far-apart windows
 * breaks (spread-out drops: clean); class 3 fools images with small drops, two of them hinging on one window (clean).
 */
class PatchDetectorTest {
  static final List<String> NAMES = List.of("checkerboard", "ring", "circle", "dots");
  static final int SIDE = 32;
  static final StructType GRID = new StructType()
      .add("window", DataTypes.IntegerType, false)
      .add("stride", DataTypes.IntegerType, false)
      .add("rows", DataTypes.IntegerType, false)
      .add("cols", DataTypes.IntegerType, false)
      .add("target_prob", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add("drop", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add("argmax", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add(AuditRows.TRUE_CLASS, DataTypes.IntegerType, true)
      .add("predicted", DataTypes.IntegerType, false)
      .add("target", DataTypes.IntegerType, false)
      .add("target_prob", DataTypes.FloatType, false)
      .add(PatchDetector.GRID_COLUMN, DataTypes.createArrayType(GRID, false), true)
      .add("input_png", DataTypes.BinaryType, true);

  /** Drop fractions (of the target's probability) of the two grids of one image. */
  static final class Drops {
    final float[] big = new float[7 * 7]; // window 8, stride 4
    final float[] small = new float[15 * 15]; // window 4, stride 2

    Drops(Random r) {
      for (int i = 0; i < big.length; i++) {
        big[i] = 0.2f * r.nextFloat();
      }
      for (int i = 0; i < small.length; i++) {
        small[i] = 0.15f * r.nextFloat();
      }
    }

    /** One 8-px window at (row, col) of the big grid removes {@code f}; the 4-px windows inside it half of that. */
    Drops patch(int row, int col, float f) {
      big[row * 7 + col] = f;
      for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 3; x++) {
          int sr = row * 2 + y;
          int sc = col * 2 + x;
          if (sr < 15 && sc < 15) {
            small[sr * 15 + sc] = Math.max(small[sr * 15 + sc], f / 2);
          }
        }
      }
      return this;
    }

    Row[] rows(float p) {
      return new Row[] {grid(8, 4, 7, big, p), grid(4, 2, 15, small, p)};
    }

    private static Row grid(int window, int stride, int n, float[] fraction, float p) {
      float[] drop = new float[fraction.length];
      float[] left = new float[fraction.length];
      int[] argmax = new int[fraction.length];
      for (int i = 0; i < drop.length; i++) {
        drop[i] = fraction[i] * p;
        left[i] = p - drop[i];
      }
      return RowFactory.create(window, stride, n, n, left, drop, argmax);
    }
  }

  static Row image(String id, Integer truth, int predicted, float p, Drops d) {
    return RowFactory.create(id, truth, predicted, predicted, p, d.rows(p), new byte[] {(byte) id.length()});
  }

  /** 40 own images per class; 20 fooled images per class, planted as the class comment says. */
  static Dataset<Row> rows(long seed) {
    Random r = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      for (int i = 0; i < 40; i++) {
        rows.add(image("c" + c + "/" + i, c, c, 0.6f + 0.4f * r.nextFloat(), new Drops(r)));
      }
    }
    for (int i = 0; i < 20; i++) {
      int truth = 1 + i % 3;
      rows.add(image("fooled0/" + i, truth, 0, 0.5f + 0.3f * r.nextFloat(),
          new Drops(r).patch(r.nextInt(7), r.nextInt(7), 0.8f + 0.2f * r.nextFloat())));
      rows.add(image("fooled1/" + i, i % 2 == 0 ? 0 : 2, 1, 0.5f + 0.3f * r.nextFloat(),
          new Drops(r).patch(6, 6, 0.8f + 0.2f * r.nextFloat())));
      // Fragile: two windows at opposite corners each remove most of the prediction.
      Drops fragile = new Drops(r).patch(0, r.nextInt(3), 0.9f).patch(6, 4 + r.nextInt(3), 0.9f);
      rows.add(image("fooled2/" + i, i % 2 == 0 ? 1 : 3, 2, 0.4f + 0.2f * r.nextFloat(), fragile));
      Drops plain = i < 2 ? new Drops(r).patch(3, 3, 0.9f) : new Drops(r);
      rows.add(image("fooled3/" + i, i % 3, 3, 0.5f + 0.3f * r.nextFloat(), plain));
    }
    // Unlabelled images count for the class's overall rate but are not fooled images.
    for (int i = 0; i < 5; i++) {
      rows.add(image("unlabelled/" + i, null, 2, 0.7f, new Drops(r).patch(3, 3, 0.9f)));
    }
    return SharedSpark.get().createDataFrame(rows, SCHEMA);
  }

  static PatchDetector.Options options(long seed) {
    return PatchDetector.Options.defaults().with(PatchDetector.Options.BOOTSTRAP, 500).with(PatchDetector.Options.SEED, seed).with(PatchDetector.Options.EXAMPLES, 3);
  }

  static Row classRow(List<Row> rows, int cls) {
    return rows.stream().filter(r -> r.getInt(0) == cls).findFirst().orElseThrow();
  }

  @Test
  void aMovingPatchIsAWatermarkAFixedOneAMarkerAndSpreadDropsAreClean() {
    PatchDetector.Outcome out = PatchDetector.run(rows(1), NAMES, options(7), 100, SIDE, SIDE);
    assertEquals(List.of(0, 1), out.findings().stream().map(Finding::cls).toList(), out.summary());
    Finding watermark = out.findings().get(0);
    Finding marker = out.findings().get(1);
    assertEquals(Cue.WATERMARK, watermark.kind());
    assertEquals(Cue.MARKER, marker.kind());
    assertTrue(watermark.statement().startsWith("checkerboard: predictions hinge on one small patch that moves"),
        watermark.statement());
    assertTrue(marker.statement().contains("at a fixed place (bottom-right)"), marker.statement());
    assertTrue(watermark.statement().contains("hiding one 8-px window takes away at least half of the prediction for"
        + " 20 of 20 (100%) images of other classes predicted checkerboard"), watermark.statement());
    assertEquals(20, watermark.suspectCount());
    assertTrue(watermark.suspects().stream().allMatch(id -> id.startsWith("fooled0/")), watermark.suspects()::toString);
    assertTrue(watermark.lo() > 0.25 && watermark.score() > watermark.lo() && watermark.hi() >= watermark.score());
    SectionGolden.assertMatches("audit-patch.json", SectionGolden.of(out.section(), out.findings()));

    // The evidence: three images, each with its PNG and the 8-px window's box in image fractions.
    List<PatchDetector.Image> shown = ((PatchDetector.Evidence) marker.evidence()).images();
    assertEquals(3, shown.size());
    for (PatchDetector.Image i : shown) {
      assertNotNull(i.png());
      assertTrue(Arrays.equals(new float[] {0.75f, 0.75f, 1f, 1f}, i.box()), i::toString);
    }

    Row circle = classRow(out.classRows(), 2);
    assertTrue(circle.getBoolean(15), "judged");
    assertFalse(circle.getBoolean(16), "flagged");
    assertEquals(20L, circle.getLong(4)); // fooled: the unlabelled images are not
    assertEquals(0L, circle.getLong(6)); // none of the fragile images hinges on one place
    assertEquals(65L, circle.getLong(2));
    assertEquals(5L, circle.getLong(3)); // the unlabelled images do hinge on one place
    Row dots = classRow(out.classRows(), 3);
    assertTrue(dots.getBoolean(15));
    assertFalse(dots.getBoolean(16));
    assertTrue(classRow(out.classRows(), 0).getDouble(18) < 0.5, "the watermark spreads");
    assertEquals(1.0, classRow(out.classRows(), 1).getDouble(18), 1e-12);

    // Suspects of both flagged classes, ranked, with previews.
    List<Row> suspects = out.suspects().orderBy("shortcut_class", "rank").collectAsList();
    assertEquals(40, suspects.size());
    assertEquals("watermark", suspects.get(0).getString(1));
    assertTrue(suspects.stream().allMatch(s -> s.get(13) != null));
  }

  @Test
  void resultsDoNotDependOnPartitions() {
    Dataset<Row> rows = rows(3);
    Function<Integer, PatchDetector.Outcome> at = n -> PatchDetector.run(rows.repartition(n), NAMES, options(11), 100,
        SIDE, SIDE);
    PatchDetector.Outcome one = at.apply(1);
    PatchDetector.Outcome seven = at.apply(7);
    assertEquals(one.classRows().toString(), seven.classRows().toString());
    assertEquals(one.findings().stream().map(Finding::statement).toList(),
        seven.findings().stream().map(Finding::statement).toList());
    assertEquals(one.findings().stream().map(Finding::suspects).toList(),
        seven.findings().stream().map(Finding::suspects).toList());
  }

  @Test
  void aSmallSampleCapsTheFooledImagesByContent() {
    PatchDetector.Options few = options(7).with(PatchDetector.Options.MAX_IMAGES, 12);
    List<Row> one = PatchDetector.run(rows(1).repartition(1), NAMES, few, 100, SIDE, SIDE).classRows();
    List<Row> five = PatchDetector.run(rows(1).repartition(5), NAMES, few, 100, SIDE, SIDE).classRows();
    assertEquals(12L, classRow(one, 0).getLong(5));
    assertEquals(20L, classRow(one, 0).getLong(4));
    assertEquals(one.toString(), five.toString());
  }

  @Test
  void theStrongestSmallWindowAndWhetherItIsOnePlace() {
    Random r = new Random(5);
    float p = 0.5f;
    // Hiding the window at (2, 3) takes 0.45 of 0.5: a fraction of 0.9, at x 12..20, y 8..16.
    PatchDetector.Hinge h = PatchDetector.hinge(List.of(new Drops(r).patch(2, 3, 0.9f).rows(p)), p, SIDE, SIDE,
        0.25, 0.5);
    assertEquals(0.9, h.fraction(), 1e-6);
    assertEquals(List.of(8, 12, 8, 20, 16), List.of(h.window(), h.x0(), h.y0(), h.x1(), h.y1()));
    assertTrue(h.onePlace());
    assertTrue(h.hinged(0.5));
    assertFalse(h.hinged(0.95));
    // A second window far away that removes as much: not one place.
    assertFalse(PatchDetector.hinge(List.of(new Drops(r).patch(0, 0, 0.9f).patch(6, 6, 0.7f).rows(p)), p, SIDE,
        SIDE, 0.25, 0.5).onePlace());
    // Only 4-px windows are small at max-window 0.125: the strongest is one of those.
    PatchDetector.Hinge small = PatchDetector.hinge(List.of(new Drops(r).patch(2, 3, 0.9f).rows(p)), p, SIDE, SIDE,
        0.125, 0.5);
    assertEquals(4, small.window());
    assertEquals(0.45, small.fraction(), 1e-6);
    assertNull(PatchDetector.hinge(List.of(new Drops(r).rows(p)), p, SIDE, SIDE, 0.1, 0.5));
  }

  @Test
  void judgingNeedsImagesAndAnEffect() {
    PatchDetector.Options o = options(1);
    // Equal rates: nothing flagged; a class with 9 fooled images is not judged.
    List<PatchDetector.Verdict> same = PatchDetector.judge(new long[] {50, 50, 50, 9}, new long[] {10, 10, 10, 9}, o);
    assertTrue(same.stream().noneMatch(PatchDetector.Verdict::flagged));
    assertFalse(same.get(3).judged());
    assertEquals(0.0, same.get(0).difference(), 1e-12);
    // A large difference on few images stays unflagged when its interval is wide (p above alpha / m).
    List<PatchDetector.Verdict> noisy = PatchDetector.judge(new long[] {10, 200, 200}, new long[] {6, 60, 60}, o);
    assertEquals(0.3, noisy.get(0).difference(), 1e-12);
    assertFalse(noisy.get(0).flagged(), noisy.get(0)::toString);
    List<PatchDetector.Verdict> clear = PatchDetector.judge(new long[] {100, 200, 200}, new long[] {90, 20, 20}, o);
    assertTrue(clear.get(0).flagged());
    assertEquals(clear, PatchDetector.judge(new long[] {100, 200, 200}, new long[] {90, 20, 20}, o), "seeded");
    // A clear difference that holds for a minority of the class's fooled images (35% against 5%)
    // is not the class's cue: below min-rate.
    List<PatchDetector.Verdict> minority = PatchDetector.judge(new long[] {400, 400, 400}, new long[] {140, 20, 20}, o);
    assertTrue(minority.get(0).difference() >= o.minEffect() && minority.get(0).p() < 1e-6, minority.get(0)::toString);
    assertFalse(minority.get(0).flagged(), "35% of its fooled images hinge: below min-rate 0.5");
    // One judged class alone has nothing to be compared with.
    assertTrue(PatchDetector.judge(new long[] {100, 3}, new long[] {90, 0}, o).stream()
        .noneMatch(PatchDetector.Verdict::judged));
  }

  @Test
  void withoutOcclusionGridsTheDetectorSaysSo() {
    Dataset<Row> rows = rows(1).drop(PatchDetector.GRID_COLUMN);
    PatchDetector.Outcome out = PatchDetector.run(rows, NAMES, options(1), 100, SIDE, SIDE);
    assertTrue(out.findings().isEmpty());
    SectionGolden.assertMatches("audit-patch-note.json", SectionGolden.of(out.section(), out.findings()));
    assertTrue(out.section().note().contains("analyze.methods"));
  }

  static PatchDetector.Options load(String... sets) {
    return (PatchDetector.Options) ConfigLoader.load(null, Map.of(), List.of(sets)).audit().detectors().get("patch");
  }

  @Test
  void settingsLoadAndBadValuesNameTheirKey() {
    PatchDetector.Options o = load();
    assertEquals(0.5, o.minDrop());
    assertEquals(0.25, o.maxWindow());
    assertEquals(10, o.minImages());
    Map<String, String> bad = Map.of(
        "audit.patch.min-drop=0", "audit.patch.min-drop",
        "audit.patch.max-window=1.5", "audit.patch.max-window",
        "audit.patch.alpha=0.9", "audit.patch.alpha",
        "audit.patch.min-images=1", "audit.patch.min-images",
        "audit.patch.bootstrap=10", "audit.patch.bootstrap",
        "audit.patch.max-images=99999999999", "audit.patch.max-images",
        "audit.patch.fixed-share=2", "audit.patch.fixed-share");
    for (var e : bad.entrySet()) {
      InvalidConfigException x = assertThrows(InvalidConfigException.class, () -> load(e.getKey()), e.getKey());
      assertEquals(e.getValue(), x.key(), e.getKey() + ": " + x.getMessage());
    }
  }
}
