package org.convlens.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.data.Images;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The report's bounded reads on a small synthetic analysis: 292 ok rows of 5 classes (20 of them
 * unlabelled, 2 without an embedding, one predicted as a class no row has) and 20 error rows
 * (which carry an embedding and a label, so that only the status keeps them out).
 */
class AnalysisSampleTest {
  private static final List<String> CLASSES = List.of("cat", "dog", "bird", "fish", "frog");
  private static final int[] PER_CLASS = {90, 70, 50, 40, 20};
  private static final int DIMS = 6;
  private static final int SIDE = 8;
  /** A 6 × 4 PNG of one colour. */
  private static final byte[] PNG = Images.png(flat(0.2f, 0.4f, 0.6f, 4, 6), 3, 4, 6, 0);

  /** What each row is, to compute the expected answers without Spark. */
  record Spec(String id, String dataset, boolean ok, String label, String predicted, Boolean correct,
      float[] embedding, float prob, String errorKind, String error) {
    String reportClass() {
      return label != null ? label : predicted;
    }

    /** A builder, so that a caller names each of the 10 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private String id;
      private String dataset;
      private boolean ok;
      private String label;
      private String predicted;
      private Boolean correct;
      private float[] embedding;
      private float prob;
      private String errorKind;
      private String error;

      private Builder() {}

      Builder id(String id) {
        this.id = id;
        return this;
      }

      Builder dataset(String dataset) {
        this.dataset = dataset;
        return this;
      }

      Builder ok(boolean ok) {
        this.ok = ok;
        return this;
      }

      Builder label(String label) {
        this.label = label;
        return this;
      }

      Builder predicted(String predicted) {
        this.predicted = predicted;
        return this;
      }

      Builder correct(Boolean correct) {
        this.correct = correct;
        return this;
      }

      Builder embedding(float[] embedding) {
        this.embedding = embedding;
        return this;
      }

      Builder prob(float prob) {
        this.prob = prob;
        return this;
      }

      Builder errorKind(String errorKind) {
        this.errorKind = errorKind;
        return this;
      }

      Builder error(String error) {
        this.error = error;
        return this;
      }

      Spec build() {
        return new Spec(id, dataset, ok, label, predicted, correct, embedding, prob, errorKind, error);
      }
    }
  }

  private static final List<Spec> SPECS = new ArrayList<>();
  private static Dataset<Row> rows;

  @BeforeAll
  static void data() {
    Random random = new Random(3);
    int n = 0;
    for (int c = 0; c < CLASSES.size(); c++) {
      for (int j = 0; j < PER_CLASS[c]; j++) {
        String label = CLASSES.get(c);
        String predicted = j % 4 != 0 ? label : CLASSES.get((c + 1) % CLASSES.size());
        if (c == 0 && j == 1) {
          predicted = "zebra"; // a prediction no row is labelled with
        }
        SPECS.add(Spec.builder()
            .id(String.format("ok-%03d", n++))
            .dataset("ds")
            .ok(true)
            .label(label)
            .predicted(predicted)
            .correct(label.equals(predicted))
            .embedding(vector(random))
            .prob(0.3f + random.nextFloat() / 2)
            .errorKind(null)
            .error(null)
            .build());
      }
    }
    for (int j = 0; j < 20; j++) { // unlabelled: their class is the prediction
      SPECS.add(Spec.builder()
          .id(String.format("ok-%03d", n++))
          .dataset("ds")
          .ok(true)
          .label(null)
          .predicted(CLASSES.get(j % 2 == 0 ? 1 : 3))
          .correct(null)
          .embedding(vector(random))
          .prob(0.9f)
          .errorKind(null)
          .error(null)
          .build());
    }
    for (int j = 0; j < 2; j++) { // ok, but no embedding: counted, never in the scatter
      SPECS.add(Spec.builder()
          .id(String.format("ok-%03d", n++))
          .dataset("ds")
          .ok(true)
          .label("cat")
          .predicted("cat")
          .correct(true)
          .embedding(null)
          .prob(0.8f)
          .errorKind(null)
          .error(null)
          .build());
    }
    for (int j = 0; j < 20; j++) {
      SPECS.add(Spec.builder()
          .id(String.format("err-%02d", j))
          .dataset("broken")
          .ok(false)
          .label(CLASSES.get(j % 5))
          .predicted(null)
          .correct(null)
          .embedding(vector(random))
          .prob(0f)
          .errorKind(j < 12 ? "decode" : "too_large")
          .error("bad <" + j + ">")
          .build());
    }
    List<Row> list = new ArrayList<>();
    for (Spec s : SPECS) {
      list.add(row(s));
    }
    rows = SharedSpark.get().createDataFrame(list, AnalysisSchema.SCHEMA).cache();
  }

  // ---- scatter sample

  @Test
  void allUsableRowsWhenTheCapIsLarger() {
    AnalysisSample.Points p = AnalysisSample.points(rows, CLASSES, 10_000, 1, SIDE);
    Set<String> usable = new HashSet<>();
    for (Spec s : SPECS) {
      if (s.ok() && s.embedding() != null) {
        usable.add(s.id());
      }
    }
    assertEquals(290, usable.size());
    assertEquals(usable.size(), p.available());
    assertEquals(usable.size(), p.size());
    assertEquals(usable, new HashSet<>(Arrays.asList(p.ids())));
    assertEquals(CLASSES, p.classes());
    assertEquals(SIDE, p.thumbnailSide());

    Map<String, Spec> byId = byId();
    for (int i = 0; i < p.size(); i++) {
      Spec s = byId.get(p.ids()[i]);
      assertEquals(s.label() == null ? -1 : CLASSES.indexOf(s.label()), p.label()[i], s.id());
      assertEquals(CLASSES.indexOf(s.predicted()), p.predicted()[i], s.id()); // zebra: -1
      assertEquals(Boolean.TRUE.equals(s.correct()), p.correct()[i], s.id());
      assertEquals(s.prob(), p.topProb()[i], 0f, s.id());
      assertEquals(DIMS, p.embedding()[i].length);
      for (int d = 0; d < DIMS; d++) {
        assertEquals(s.embedding()[d], p.embedding()[i][d], 0.0, s.id());
      }
      byte[] t = p.thumbnails()[i];
      assertEquals(3 * SIDE * SIDE, t.length);
      assertArrayEquals(AnalysisSample.thumbnail(PNG, SIDE), t);
    }
    // The one row predicted as a class outside the list.
    assertEquals(1, Arrays.stream(p.predicted()).filter(x -> x == -1).count());
  }

  @Test
  void sampleIsCappedSeededAndNested() {
    AnalysisSample.Points a = AnalysisSample.points(rows, CLASSES, 50, 7, 0);
    AnalysisSample.Points again = AnalysisSample.points(rows, CLASSES, 50, 7, 0);
    AnalysisSample.Points other = AnalysisSample.points(rows, CLASSES, 50, 8, 0);
    AnalysisSample.Points smaller = AnalysisSample.points(rows, CLASSES, 20, 7, 0);

    assertEquals(290, a.available());
    assertEquals(50, a.size());
    assertEquals(20, smaller.size());
    assertNull(a.thumbnails(), "thumbnail side 0: no thumbnails");
    assertEquals(50, new HashSet<>(Arrays.asList(a.ids())).size(), "distinct ids");
    assertArrayEquals(a.ids(), again.ids(), "same seed, same sample in the same order");
    assertNotEquals(Set.of(a.ids()), Set.of(other.ids()), "another seed, another sample");
    assertTrue(Set.of(a.ids()).containsAll(List.of(smaller.ids())), "a smaller cap keeps a subset");
    // Points come in sample order, so the smaller sample is the larger one's prefix.
    assertArrayEquals(smaller.ids(), Arrays.copyOf(a.ids(), 20));
    for (AnalysisSample.Points p : List.of(a, other, smaller)) {
      for (String id : p.ids()) {
        assertTrue(id.startsWith("ok-"), "error row in the sample: " + id);
        assertNotNull(byId().get(id).embedding(), id);
      }
    }
  }

  @Test
  void capZeroGivesNoPoints() {
    AnalysisSample.Points p = AnalysisSample.points(rows, CLASSES, 0, 7, SIDE);
    assertEquals(0, p.size());
    assertEquals(290, p.available());
    assertEquals(0, p.thumbnails().length);
  }

  // ---- gallery sample

  @Test
  void galleryTakesPerClassRowsOfTheMostFrequentClasses() {
    List<Row> g = AnalysisSample.gallery(rows, 3, 2, 11);
    List<String> top = classesByFrequency().subList(0, 2);
    assertEquals(List.of("cat", "dog"), top); // cat 92, dog 80 (70 + 10 unlabelled)
    assertEquals(6, g.size());
    List<String> order = new ArrayList<>();
    for (Row r : g) {
      String cls = r.getString(r.fieldIndex("_class"));
      order.add(cls);
      assertEquals("ok", r.getString(r.fieldIndex("status")));
      Spec s = byId().get(r.getString(r.fieldIndex("id")));
      assertEquals(s.reportClass(), cls, s.id());
      // Whole rows: the preview travels with them.
      assertArrayEquals(PNG, (byte[]) r.get(r.fieldIndex(AnalysisSchema.INPUT_PNG)));
    }
    assertEquals(List.of("cat", "cat", "cat", "dog", "dog", "dog"), order, "by class frequency");
    assertEquals(ids(g), ids(AnalysisSample.gallery(rows, 3, 2, 11)), "seeded");
    assertNotEquals(ids(g), ids(AnalysisSample.gallery(rows, 3, 2, 12)), "another seed");
  }

  @Test
  void galleryKeepsSmallClassesWholeAndSkipsErrors() {
    List<Row> g = AnalysisSample.gallery(rows, 60, 100, 11);
    Map<String, Integer> got = new HashMap<>();
    for (Row r : g) {
      got.merge(r.getString(r.fieldIndex("_class")), 1, Integer::sum);
      assertTrue(r.getString(r.fieldIndex("id")).startsWith("ok-"));
    }
    Map<String, Integer> expected = new HashMap<>();
    classCounts().forEach((c, n) -> expected.put(c, (int) Math.min(60, n)));
    assertEquals(expected, got);
    assertTrue(AnalysisSample.gallery(rows, 0, 5, 11).isEmpty());
  }

  // ---- statistics

  @Test
  void statsEqualHandCounts() {
    AnalysisSample.Stats st = AnalysisSample.stats(rows, 5);
    long ok = SPECS.stream().filter(Spec::ok).count();
    long labelled = SPECS.stream().filter(s -> s.correct() != null).count();
    long correct = SPECS.stream().filter(s -> Boolean.TRUE.equals(s.correct())).count();
    assertEquals(312, st.total());
    assertEquals(292, ok);
    assertEquals(ok, st.ok());
    assertEquals(20, st.errors());
    assertEquals(labelled, st.labelled());
    assertEquals(correct, st.correct());

    assertEquals(List.of(
        new AnalysisSample.ErrorKindCount("decode", 12, examples(0, 5)),
        new AnalysisSample.ErrorKindCount("too_large", 8, examples(12, 5))), st.errorsByKind());

    // Per class, hand-computed: ok rows by their class, top-1 hits among labelled ones,
    // predictions; by count then name, classes only predicted last.
    Map<String, long[]> per = new LinkedHashMap<>();
    for (Spec s : SPECS) {
      if (!s.ok()) {
        continue;
      }
      long[] v = per.computeIfAbsent(s.reportClass(), k -> new long[4]);
      v[0]++;
      v[1] += s.correct() != null ? 1 : 0;
      v[2] += Boolean.TRUE.equals(s.correct()) ? 1 : 0;
    }
    List<AnalysisSample.ClassStat> expected = new ArrayList<>();
    per.entrySet().stream()
        .sorted(Comparator.comparing((Map.Entry<String, long[]> e) -> -e.getValue()[0]).thenComparing(Map.Entry::getKey))
        .forEach(e -> expected.add(new AnalysisSample.ClassStat(e.getKey(), e.getValue()[0], e.getValue()[1],
            e.getValue()[2], SPECS.stream().filter(s -> s.ok() && e.getKey().equals(s.predicted())).count())));
    expected.add(new AnalysisSample.ClassStat("zebra", 0, 0, 0, 1));
    assertEquals(expected, st.classes());
    // Spot-check one class by hand: 90 + 2 cats; 23 of the 90 predicted as dog, 1 as zebra.
    AnalysisSample.ClassStat cat = st.classes().get(0);
    assertEquals(new AnalysisSample.ClassStat("cat", 92, 92, 68, 68 + 5), cat);

    assertEquals(Map.of("ds", 292L, "broken", 20L), st.datasets());
    assertEquals(List.of("ds", "broken"), List.copyOf(st.datasets().keySet()), "by count");
    assertEquals(Map.of("run-1", 312L), st.runIds());
    assertEquals(Map.of("model-a", 312L), st.modelIds());
  }

  @Test
  void statsOfNoRows() {
    AnalysisSample.Stats st = AnalysisSample.stats(rows.limit(0), 5);
    assertEquals(0, st.total());
    assertEquals(0, st.ok());
    assertEquals(0, st.errors());
    assertTrue(st.errorsByKind().isEmpty());
    assertTrue(st.classes().isEmpty());
  }

  @Test
  void errorsWithoutAKindAreCountedAsUnknownWithTheirExamples() {
    // error_kind is nullable in the schema and stats() names such rows "unknown": their
    // examples must come with them, as for any other kind.
    List<Row> list = new ArrayList<>();
    for (int j = 0; j < 3; j++) {
      list.add(row(Spec.builder()
          .id("e" + j)
          .dataset("ds")
          .ok(false)
          .label(null)
          .predicted(null)
          .correct(null)
          .embedding(null)
          .prob(0f)
          .errorKind(null)
          .error("why " + j)
          .build()));
    }
    Dataset<Row> noKind = SharedSpark.get().createDataFrame(list, AnalysisSchema.SCHEMA);
    AnalysisSample.Stats st = AnalysisSample.stats(noKind, 2);
    assertEquals(List.of(new AnalysisSample.ErrorKindCount("unknown", 3, List.of(
        new AnalysisSample.ErrorExample("e0", "why 0"), new AnalysisSample.ErrorExample("e1", "why 1")))),
        st.errorsByKind());
  }

  // ---- thumbnails

  @Test
  void thumbnailLetterboxesAndAveragesAreas() {
    // 8 wide, 4 high → side 4: scale 1/2, content 4 × 2 centred (rows 1 and 2), black rows 0, 3.
    // Each output pixel is the mean of a 2 × 2 block: red a, a+2, a+4, a+6 → a + 3.
    BufferedImage img = new BufferedImage(8, 4, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 8; x++) {
        int bx = x / 2;
        int by = y / 2;
        int red = 40 * bx + 100 * by + 2 * (x % 2) + 4 * (y % 2);
        img.setRGB(x, y, red << 16 | (255 - red) << 8 | (10 * bx + by));
      }
    }
    byte[] t = AnalysisSample.thumbnail(Images.png(img), 4);
    assertEquals(3 * 16, t.length);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        int o = 3 * (y * 4 + x);
        int[] got = {t[o] & 0xFF, t[o + 1] & 0xFF, t[o + 2] & 0xFF};
        int[] want;
        if (y == 0 || y == 3) {
          want = new int[] {0, 0, 0};
        } else {
          int red = 40 * x + 100 * (y - 1) + 3;
          want = new int[] {red, 255 - red, 10 * x + (y - 1)};
        }
        assertArrayEquals(want, got, "x=" + x + " y=" + y);
      }
    }
  }

  @Test
  void thumbnailUpscalesATallImageWithSideBars() {
    // 2 wide, 4 high → side 8: scale 2, content 4 × 8 at columns 2..5.
    BufferedImage img = new BufferedImage(2, 4, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 2; x++) {
        img.setRGB(x, y, (30 + 50 * y) << 16 | (200 - 90 * x) << 8 | 7);
      }
    }
    byte[] t = AnalysisSample.thumbnail(Images.png(img), 8);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        int o = 3 * (y * 8 + x);
        int[] got = {t[o] & 0xFF, t[o + 1] & 0xFF, t[o + 2] & 0xFF};
        int[] want = x < 2 || x > 5 ? new int[] {0, 0, 0}
            : new int[] {30 + 50 * (y / 2), 200 - 90 * ((x - 2) / 2), 7};
        assertArrayEquals(want, got, "x=" + x + " y=" + y);
      }
    }
  }

  @Test
  void thumbnailOfUnreadableBytesIsNull() {
    assertNull(AnalysisSample.thumbnail(new byte[] {1, 2, 3, 4}, 8));
  }

  // ---- schema

  @Test
  void checkSchemaNamesTheMissingColumn() {
    StructType noEmbedding = rows.drop("embedding").schema();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AnalysisSample.checkSchema(noEmbedding, "/data/x"));
    assertTrue(e.getMessage().contains("'embedding'"), e.getMessage());
    assertTrue(e.getMessage().contains("/data/x"), e.getMessage());
    assertDoesNotThrow(() -> AnalysisSample.checkSchema(AnalysisSchema.SCHEMA, "/data/x"));
    assertFalse(List.of(noEmbedding.fieldNames()).contains("embedding"));
  }

  // ---- helpers

  private static Row row(Spec s) {
    Object[] v = new Object[AnalysisSchema.SCHEMA.length()];
    put(v, "schema_version", AnalysisSchema.VERSION);
    put(v, "run_id", "run-1");
    put(v, "model_id", "model-a");
    put(v, "dataset", s.dataset());
    put(v, "id", s.id());
    put(v, "source", "/in/" + s.id() + ".png");
    put(v, "record_index", 0L);
    put(v, "label", s.label() == null ? -1 : CLASSES.indexOf(s.label()));
    put(v, "label_name", s.label());
    put(v, "status", s.ok() ? AnalysisSchema.STATUS_OK : AnalysisSchema.STATUS_ERROR);
    put(v, "error_kind", s.errorKind());
    put(v, "error", s.error());
    if (s.ok()) {
      put(v, "predicted", CLASSES.indexOf(s.predicted()));
      put(v, "predicted_name", s.predicted());
      put(v, "correct", s.correct());
      put(v, "top_k_name", List.of(s.predicted()));
      put(v, "top_k_prob", List.of(s.prob()));
      put(v, AnalysisSchema.INPUT_PNG, PNG);
    }
    if (s.embedding() != null) {
      List<Float> e = new ArrayList<>();
      for (float f : s.embedding()) {
        e.add(f);
      }
      put(v, "embedding", e);
    }
    return RowFactory.create(v);
  }

  private static void put(Object[] v, String column, Object value) {
    v[AnalysisSchema.SCHEMA.fieldIndex(column)] = value;
  }

  private static float[] vector(Random random) {
    float[] v = new float[DIMS];
    for (int i = 0; i < DIMS; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  private static float[] flat(float r, float g, float b, int h, int w) {
    float[] p = new float[3 * h * w];
    Arrays.fill(p, 0, h * w, r);
    Arrays.fill(p, h * w, 2 * h * w, g);
    Arrays.fill(p, 2 * h * w, 3 * h * w, b);
    return p;
  }

  private static Map<String, Spec> byId() {
    Map<String, Spec> m = new HashMap<>();
    SPECS.forEach(s -> m.put(s.id(), s));
    return m;
  }

  private static Map<String, Long> classCounts() {
    Map<String, Long> m = new HashMap<>();
    SPECS.stream().filter(Spec::ok).forEach(s -> m.merge(s.reportClass(), 1L, Long::sum));
    return m;
  }

  private static List<String> classesByFrequency() {
    Map<String, Long> m = classCounts();
    return m.keySet().stream()
        .sorted(Comparator.comparing((String c) -> -m.get(c)).thenComparing(c -> c)).toList();
  }

  private static List<AnalysisSample.ErrorExample> examples(int first, int n) {
    List<AnalysisSample.ErrorExample> out = new ArrayList<>();
    for (int j = first; j < first + n; j++) {
      out.add(new AnalysisSample.ErrorExample(String.format("err-%02d", j), "bad <" + j + ">"));
    }
    return out;
  }

  private static List<String> ids(List<Row> rows) {
    return rows.stream().map(r -> r.getString(r.fieldIndex("id"))).toList();
  }
}
