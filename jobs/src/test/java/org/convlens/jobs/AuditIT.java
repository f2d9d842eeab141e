package org.convlens.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.audit.AuditSchema;
import org.convlens.config.ConvLensHome;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit on the demo's analysis (sample-data/, whose class {@code ring} carries a planted
 * magenta marker in the bottom-right corner, and {@code square}, {@code triangle}, {@code cross}
 * and {@code checkerboard} a cue of another kind each: sample-data/shortcuts.json): the
 * region-based shortcut finder must find the marker and flag no other class (the other cues are
 * no fixed region: a whole-image darkening or cast, a background, a logo that moves, which the
 * finder is not built to see, docs/audit.md; the other detectors are, and every planted shortcut
 * must be a finding of its kind), its suspects must be the marked images of other
 * classes the marker fools, its mistake tables must agree with the analysis, the
 * explanation-quality checks must behave as the papers say, and {@code audit diff} must see
 * what changed between two audits.
 */
class AuditIT {
  static final List<String> CLASSES = List.of("circle", "square", "triangle", "cross", "ring", "horizontal_stripes",
      "vertical_stripes", "checkerboard", "diagonal_stripes", "dots");
  static final int RING = 4;

  static SparkSession spark() {
    return SharedSpark.get();
  }

  static Dataset<Row> table(String name) throws Exception {
    return spark().read().parquet(DemoOutput.dir().resolve("audit").resolve(name).toString());
  }

  static JsonNode summary() throws Exception {
    return new ObjectMapper().readTree(DemoOutput.dir().resolve("audit/audit.json").toFile());
  }

  @Test
  void findsThePlantedShortcutAndFlagsNoCleanClass() throws Exception {
    Dataset<Row> shortcuts = table(AuditSchema.SHORTCUTS);
    for (String t : AuditSchema.TABLES.keySet()) {
      assertEquals(columns(AuditSchema.of(t)), columns(table(t).schema()), "columns of " + t);
    }
    Set<Integer> flagged = new TreeSet<>();
    int ringMethods = 0;
    for (Row r : shortcuts.collectAsList()) {
      int cls = r.getAs("class");
      if (r.<Boolean>getAs("class_flagged")) {
        flagged.add(cls);
      }
      if (cls == RING && r.<Boolean>getAs("method_flagged")) {
        ringMethods++;
        // The region holds the marker (pixels 27..29 of 32, centre 0.89) in the bottom-right.
        float x0 = r.getAs("x0");
        float y0 = r.getAs("y0");
        float x1 = r.getAs("x1");
        float y1 = r.getAs("y1");
        assertTrue(x0 <= 0.89 && x1 >= 0.89 && y0 <= 0.89 && y1 >= 0.89, r.getAs("method") + " region " + x0 + ","
            + y0 + "–" + x1 + "," + y1 + " misses the marker");
        assertTrue(r.<Double>getAs("lift") >= 3, "lift");
        assertTrue(r.<Double>getAs("consistency") >= 0.8, "most marked ring images look there");
      }
      if (cls != RING) {
        assertFalse(r.<Boolean>getAs("method_flagged"), CLASSES.get(cls) + " flagged by " + r.getAs("method")
            + " with lift " + r.getAs("lift"));
      }
    }
    assertEquals(Set.of(RING), flagged, "only ring's shortcut is a fixed region");
    assertTrue(ringMethods >= 2, "methods agreeing on the ring shortcut: " + ringMethods);
    assertEquals(1056, summary().get("images").asInt(), "the 4 error rows are not audited");
  }

  static List<String> columns(org.apache.spark.sql.types.StructType schema) {
    List<String> c = new ArrayList<>();
    for (var f : schema.fields()) {
      c.add(f.name() + ":" + f.dataType().simpleString());
    }
    return c;
  }

  /** Ground truth: ids of the images that carry the marker. */
  static Set<String> markedIds() throws Exception {
    Path data = ConvLensHome.sampleData();
    Set<String> marked = new HashSet<>();
    List<String> cifar = Files.readAllLines(data.resolve("cifar10/test_markers.csv"));
    String batch = data.resolve("cifar10/test_batch.bin").toUri().toString();
    for (String line : cifar.subList(1, cifar.size())) {
      String[] f = line.split(",");
      if (f[2].equals("true")) {
        marked.add(f[0]);
      }
    }
    Set<String> files = new HashSet<>();
    List<String> imagenet = Files.readAllLines(data.resolve("imagenet/markers.csv"));
    for (String line : imagenet.subList(1, imagenet.size())) {
      String[] f = line.split(",");
      if (f[2].equals("true") && f[0].startsWith("val/")) {
        files.add(f[0].substring(4));
      }
    }
    Set<String> ids = new HashSet<>();
    for (Row r : spark().read().parquet(DemoOutput.dir().resolve("analysis").toString()).select("id", "source",
        "record_index").collectAsList()) {
      String id = r.getString(0);
      String name = id.substring(id.lastIndexOf('/') + 1);
      boolean cifarMarked = r.getString(1).endsWith("test_batch.bin") && marked.contains(String.valueOf(r.getLong(2)));
      if (cifarMarked || files.contains(name)) {
        ids.add(id);
      }
    }
    assertTrue(batch.length() > 0);
    return ids;
  }

  @Test
  void suspectsAreTheMarkedImagesTheMarkerFools() throws Exception {
    Set<String> marked = markedIds();
    assertEquals(45 + 9 + 90 + 4, marked.size(), "marked images in the demo's inputs");
    // Fooled: marked images of other classes that the model calls ring.
    Set<String> fooled = new HashSet<>();
    for (Row r : spark().read().parquet(DemoOutput.dir().resolve("analysis").toString())
        .filter(col("status").equalTo("ok").and(col("predicted").equalTo(RING)).and(col("label_name").notEqual("ring")))
        .select("id").collectAsList()) {
      if (marked.contains(r.getString(0))) {
        fooled.add(r.getString(0));
      }
    }
    List<String> suspects = new ArrayList<>();
    for (Row r : table(AuditSchema.SHORTCUT_IMAGES).filter(col("role").equalTo("suspect")).collectAsList()) {
      assertEquals(RING, r.<Integer>getAs("shortcut_class"));
      assertEquals(RING, r.<Integer>getAs("predicted"));
      assertTrue(r.<Integer>getAs("true_class") != RING);
      suspects.add(r.getAs("id"));
    }
    long hits = suspects.stream().filter(marked::contains).count();
    long found = fooled.stream().filter(suspects::contains).count();
    System.out.printf("audit suspects: %d, of which marked %d; fooled marked images %d, found %d%n", suspects.size(),
        hits, fooled.size(), found);
    assertTrue(fooled.size() >= 19, "the marker fools the model: " + fooled.size());
    assertTrue(hits >= 0.9 * suspects.size(), "suspects that carry the marker: " + hits + " of " + suspects.size());
    assertTrue(found >= 0.8 * fooled.size(), "fooled images found: " + found + " of " + fooled.size());
    // Examples of the shortcut class are ring images, most marked.
    List<Row> examples = table(AuditSchema.SHORTCUT_IMAGES).filter(col("role").equalTo("example")).collectAsList();
    assertFalse(examples.isEmpty());
    for (Row e : examples) {
      assertEquals(RING, e.<Integer>getAs("true_class"));
      assertTrue(marked.contains(e.<String>getAs("id")), "the clearest examples carry the marker: " + e.getAs("id"));
      assertTrue(e.getAs("input_png") != null, "examples carry their preview");
    }
  }

  /** The demo's planted shortcuts, class name to kind, from sample-data/shortcuts.json. */
  static Map<String, String> planted() throws Exception {
    Map<String, String> m = new java.util.TreeMap<>();
    for (JsonNode p : new ObjectMapper().readTree(ConvLensHome.sampleData().resolve("shortcuts.json").toFile())
        .get("shortcuts")) {
      m.put(p.get("class").asText(), p.get("kind").asText());
    }
    return m;
  }

  /**
   * Issue 17's promise on the demo: every shortcut planted in sample-data/shortcuts.json is a
   * finding of its own kind (several detectors signal the class, the lead names the cue the
   * generator planted), and no clean control class is a finding.
   */
  @Test
  void everyPlantedShortcutIsAFindingOfItsKindAndNoCleanClassIs() throws Exception {
    Map<String, String> found = new java.util.TreeMap<>();
    StringBuilder lines = new StringBuilder();
    for (JsonNode f : summary().get("findings")) {
      found.put(f.get("class_name").asText(), f.get("kind").asText());
      lines.append(f.get("detectors")).append(' ').append(f.get("statement").asText()).append('\n');
      assertTrue(f.get("detectors").size() >= 2 || f.get("detectors").toString().equals("[\"patch\"]"),
          "a finding is signalled by two detectors, or by the patch detector (audit.findings.alone): "
              + f.get("detectors"));
    }
    assertEquals(planted(), found, lines.toString());
    assertEquals(found.size(), table(AuditSchema.FINDINGS).count());
    Set<String> confirmed = new HashSet<>();
    for (Row r : table(AuditSchema.SIGNALS).filter("confirmed").select("class_name").collectAsList()) {
      confirmed.add(r.getString(0));
    }
    assertEquals(found.keySet(), confirmed, "confirmed signals belong to the findings' classes");
  }

  /**
   * The strategy and slice detectors signal no clean class, find the ring marker too (as a
   * strategy of ring's Grad-CAM maps, and as a slice of ring's embeddings) and every suspect they
   * name for ring nearly always carries the marker (precision at least 0.9).
   */
  @Test
  void strategiesAndSlicesSignalNoCleanClassAndTheirRingSuspectsCarryTheMarker() throws Exception {
    Set<String> marked = markedIds();
    Map<String, String> planted = planted();
    int ring = 0;
    for (JsonNode f : summary().get("signals")) {
      String detector = f.get("detector").asText();
      if (!detector.equals("strategies") && !detector.equals("slices")) {
        continue;
      }
      String cls = f.get("class_name").asText();
      assertTrue(planted.containsKey(cls), detector + " signals a clean class: " + f);
      if (!cls.equals("ring")) {
        continue;
      }
      ring++;
      assertEquals("marker", f.get("kind").asText(), f.get("statement").asText());
      assertTrue(f.get("suspect_count").asLong() >= 5, f.get("statement").asText());
      List<String> unmarked = new ArrayList<>();
      for (JsonNode id : f.get("suspects")) {
        if (!marked.contains(id.asText())) {
          unmarked.add(id.asText());
        }
      }
      // Issue 17's bar for suspects: precision at least 0.9 (measured on 2026-12-05: 33 of 34).
      assertTrue(unmarked.size() <= 0.1 * f.get("suspects").size(), detector + " suspects without the marker: "
          + unmarked + " of " + f.get("suspects").size());
    }
    assertTrue(ring >= 1, "strategies or slices find the ring marker");
  }

  @Test
  void mistakesAgreeWithTheAnalysis() throws Exception {
    // odd-images/ has no labels: those rows have no true class and are not in these tables
    Dataset<Row> analysis = spark().read().parquet(DemoOutput.dir().resolve("analysis").toString())
        .filter(col("status").equalTo("ok").and(col("label_name").isNotNull()));
    Map<String, long[]> expected = new HashMap<>(); // name -> images, correct
    for (Row r : analysis.select("label_name", "correct").collectAsList()) {
      long[] v = expected.computeIfAbsent(r.getString(0), k -> new long[2]);
      v[0]++;
      v[1] += r.getBoolean(1) ? 1 : 0;
    }
    long labelled = 0;
    long diagonal = 0;
    for (Row r : table(AuditSchema.CONFUSION).collectAsList()) {
      labelled += r.<Long>getAs("images");
      if (r.<Integer>getAs("true_class").equals(r.<Integer>getAs("predicted"))) {
        diagonal += r.<Long>getAs("images");
      }
    }
    assertEquals(analysis.count(), labelled);
    Map<Integer, Double> thresholds = new HashMap<>();
    long correct = 0;
    for (Row r : table(AuditSchema.CLASSES).collectAsList()) {
      long[] e = expected.get(r.<String>getAs("class_name"));
      assertEquals(e[0], r.<Long>getAs("images").longValue(), r.<String>getAs("class_name"));
      assertEquals(e[1], r.<Long>getAs("correct").longValue(), r.<String>getAs("class_name"));
      assertEquals((double) e[1] / e[0], r.<Double>getAs("accuracy"), 1e-12);
      double h = r.getAs("mean_entropy");
      assertTrue(h >= 0 && h <= Math.log(10), "entropy in [0, ln 10]: " + h);
      thresholds.put(r.getAs("class"), r.getAs("threshold"));
      correct += r.<Long>getAs("correct");
    }
    assertEquals(correct, diagonal, "the diagonal is the correct predictions");
    // 894 of the 1,050 labelled images (test batch and val folder) of the sample data.
    assertEquals(0.8514, summary().get("mistakes").get("accuracy").asDouble(), 1e-4);
    // Wrong-prediction entropy is higher on average than right ones' (a sanity check of the column).
    List<Row> mistakes = table(AuditSchema.MISTAKES).orderBy("kind", "rank").collectAsList();
    float previous = 2;
    int confident = 0;
    int issues = 0;
    for (Row m : mistakes) {
      assertTrue(!m.<Integer>getAs("true_class").equals(m.<Integer>getAs("predicted"))
          || m.getAs("kind").equals("label_issue"));
      if (m.getAs("kind").equals("confident_mistake")) {
        confident++;
        assertTrue(m.<Float>getAs("confidence") <= previous, "sorted by confidence");
        previous = m.getAs("confidence");
        assertNull(m.getAs("suggested"));
      } else {
        issues++;
        int suggested = m.getAs("suggested");
        assertTrue(suggested != m.<Integer>getAs("true_class"));
        assertTrue(m.<Float>getAs("confidence") >= thresholds.get(suggested) - 1e-6, "confident in the suggestion");
        assertTrue(m.<Float>getAs("confidence") >= 0.5);
      }
    }
    assertEquals(24, confident);
    assertTrue(issues > 0 && issues <= 50, "label issues kept: " + issues);
  }

  @Test
  void explanationQualityBehavesAsThePapersSay() throws Exception {
    Map<String, Double> last = new HashMap<>();
    Map<String, Integer> lastStep = new HashMap<>();
    // The cascade names the bundled model's layers as PyTorch would, from the logits down.
    Map<Integer, String> layers = Map.of(1, "head", 2, "features.block3.bn2", 3, "features.block3.conv2",
        13, "features.block1.conv1");
    for (Row r : table(AuditSchema.RANDOMIZATION).collectAsList()) {
      String m = r.getAs("method");
      int step = r.getAs("step");
      assertTrue(r.<Long>getAs("images") > 0, m + " step " + step);
      double mean = r.getAs("spearman_mean");
      assertTrue(r.<Double>getAs("spearman_lo") <= mean && mean <= r.<Double>getAs("spearman_hi"),
          m + " step " + step + ": the interval holds the mean");
      if (layers.containsKey(step)) {
        assertEquals(layers.get(step), r.getAs("layer"), m + " step " + step);
      }
      if (step > lastStep.getOrDefault(m, 0)) {
        lastStep.put(m, step);
        last.put(m, r.getAs("spearman_mean"));
      }
    }
    assertEquals(Set.of("saliency", "gradcam", "cam", "occlusion"), last.keySet());
    for (JsonNode r : summary().at("/quality/randomization")) {
      assertTrue(r.get("layer").asText().matches("head|features\\.block[123]\\.(conv|bn)[12]"), r.toString());
    }
    for (var e : last.entrySet()) {
      assertTrue(lastStep.get(e.getKey()) >= 5, "the cascade covers every layer of the bundled model");
      // Randomising every layer must change each map: rank correlation far from 1.
      assertTrue(e.getValue() < 0.5, e.getKey() + " after full randomisation: ρ = " + e.getValue());
    }
    Map<String, Double> auc = new HashMap<>();
    for (Row r : table(AuditSchema.FAITHFULNESS).collectAsList()) {
      auc.put(r.getAs("method") + "/" + r.getAs("kind"), r.getAs("auc_mean"));
      double lo = r.getAs("auc_lo");
      double hi = r.getAs("auc_hi");
      assertTrue(lo <= r.<Double>getAs("auc_mean") && r.<Double>getAs("auc_mean") <= hi && lo < hi,
          r.getAs("method") + " " + r.getAs("kind") + ": [" + lo + ", " + hi + "]");
      assertEquals(17, r.<scala.collection.Seq<?>>getAs("curve").size(), "curve-steps + 1 points");
    }
    for (String m : List.of("saliency", "gradcam", "cam", "occlusion")) {
      assertTrue(auc.get(m + "/deletion") < auc.get("random/deletion"), m + " deletion beats random: " + auc);
      assertTrue(auc.get(m + "/insertion") > auc.get("random/insertion"), m + " insertion beats random: " + auc);
    }
    // The sanity verdicts follow from these figures: every method here has ρ < 0.5 after full
    // randomisation and beats random on both curves, so all pass, ranked by their final ρ.
    List<Row> sanity = table(AuditSchema.SANITY).orderBy("rank").collectAsList();
    assertEquals(4, sanity.size());
    List<String> byRho = last.keySet().stream().sorted(java.util.Comparator.comparing(last::get)).toList();
    assertEquals(byRho, sanity.stream().map(r -> r.<String>getAs("method")).toList());
    for (Row r : sanity) {
      assertEquals("pass", r.getAs("verdict"), r.toString());
      assertEquals(last.get(r.<String>getAs("method")), r.<Double>getAs("randomized_rho"), 1e-12);
    }
    for (JsonNode a : summary().at("/attention")) {
      assertEquals("pass", a.get("sanity").asText(), a.get("method").asText());
    }
  }

  /**
   * The quality figures are estimates from a sample: a second sample of the same size, disjoint
   * from the demo's (the next images in the seed's hash order), must agree with the demo's within
   * what their 95% intervals say. Per figure, the difference of the two means is compared with
   * its standard error read off the two intervals (each width / 3.92); with F figures, each
   * difference may reach Bonferroni's z for a family-wise 0.1%, Φ⁻¹(1 − 0.0005 / F). Asking
   * every one of ~50 pairs of plain 95% intervals to overlap would fail for about one disjoint
   * pair in four whatever the sample size, and asking each mean to lie in the other's interval
   * for one figure in six (docs/audit.md). Intervals much too narrow for their sample fail this;
   * so does a second sample that is not like the first. Computed on whatever sample-data/ and
   * the bundled model hold.
   */
  @Test
  void qualityFiguresOfTwoDisjointSamplesAgreeWithinTheirIntervals(@TempDir Path tmp) throws Exception {
    JsonNode first = summary().get("quality");
    int samples = first.get("samples").asInt();
    CliRun second = CliRun.of("audit", "--out", DemoOutput.dir().toString(), "--dir", tmp.resolve("other").toString(),
        "--master", "local[2]", "--set", "audit.quality.sample-offset=" + samples,
        // Only the quality figures are compared: the counterfactual edits (12 forwards per image)
        // would add their cost and nothing to look at.
        "--set", "audit.counterfactual.edits=[]");
    assertEquals(0, second.code(), second.err());
    JsonNode other = new ObjectMapper().readTree(tmp.resolve("other/audit.json").toFile()).get("quality");

    // Both samples are chosen by a hash of their ids, not their positions: the usable rows with a
    // target, ranked by xxhash64(seed, id).
    List<String> ranked = new ArrayList<>();
    for (Row r : spark().read().parquet(DemoOutput.dir().resolve("analysis").toString())
        .filter(col("status").equalTo("ok").and(col("target").isNotNull()))
        .withColumn("h", org.apache.spark.sql.functions.xxhash64(
            org.apache.spark.sql.functions.lit(first.get("bootstrap").get("seed").asLong()), col("id")))
        .orderBy(col("h"), col("id")).limit(2 * samples).select("id").collectAsList()) {
      ranked.add(r.getString(0));
    }
    assertEquals(new TreeSet<>(ranked.subList(0, samples)), ids(first), "the demo's sample: the first in hash order");
    assertEquals(new TreeSet<>(ranked.subList(samples, 2 * samples)), ids(other), "the second: the next ones");
    assertEquals(samples, first.get("measured_images").asInt());
    assertEquals(samples, other.get("measured_images").asInt());

    Map<String, double[]> a = figures(first);
    Map<String, double[]> b = figures(other);
    assertEquals(a.keySet(), b.keySet(), "the same figures");
    int steps = 0;
    for (JsonNode r : first.get("randomization")) {
      steps = Math.max(steps, r.get("step").asInt());
    }
    for (JsonNode m : first.get("methods")) {
      for (String f : List.of(" step 1", " step " + steps, " deletion", " insertion")) {
        assertTrue(a.containsKey(m.asText() + f), "figure " + m.asText() + f + " with its interval: " + a.keySet());
      }
    }
    assertTrue(a.containsKey("random deletion") && a.containsKey("random insertion"), a.keySet().toString());
    double limit = new org.apache.commons.math3.distribution.NormalDistribution()
        .inverseCumulativeProbability(1 - 0.0005 / a.size());
    List<String> apart = new ArrayList<>();
    int overlapping = 0;
    for (String f : a.keySet()) {
      double[] x = a.get(f);
      double[] y = b.get(f);
      double se = Math.hypot((x[2] - x[1]) / 3.92, (y[2] - y[1]) / 3.92);
      double z = se > 0 ? Math.abs(x[0] - y[0]) / se : 0;
      overlapping += Math.max(x[1], y[1]) <= Math.min(x[2], y[2]) ? 1 : 0;
      System.out.printf(Locale.ROOT, "quality %-22s %.3f [%.3f, %.3f]  vs  %.3f [%.3f, %.3f]  |z| %.2f%n", f, x[0], x[1],
          x[2], y[0], y[1], y[2], z);
      if (z > limit) {
        apart.add(f + " (|z| " + String.format(Locale.ROOT, "%.2f", z) + ")");
      }
    }
    System.out.printf(Locale.ROOT, "quality: %d of %d figures' intervals overlap; |z| limit %.2f%n", overlapping,
        a.size(), limit);
    assertTrue(apart.isEmpty(), "figures further apart than their intervals allow (|z| > " + limit + "): " + apart);
  }

  private static Set<String> ids(JsonNode quality) {
    Set<String> ids = new TreeSet<>();
    quality.get("ids").forEach(n -> ids.add(n.asText()));
    return ids;
  }

  /** "method step k" or "method kind" -> mean, lo, hi (figures without an interval left out). */
  private static Map<String, double[]> figures(JsonNode quality) {
    Map<String, double[]> out = new java.util.TreeMap<>();
    for (JsonNode r : quality.get("randomization")) {
      if (r.hasNonNull("spearman_lo")) {
        out.put(r.get("method").asText() + " step " + r.get("step").asInt(), new double[] {
            r.get("spearman_mean").asDouble(), r.get("spearman_lo").asDouble(), r.get("spearman_hi").asDouble()});
      }
    }
    for (JsonNode r : quality.get("faithfulness")) {
      out.put(r.get("method").asText() + " " + r.get("kind").asText(), new double[] {r.get("auc_mean").asDouble(),
          r.get("auc_lo").asDouble(), r.get("auc_hi").asDouble()});
    }
    return out;
  }

  @Test
  void diffSeesResolvedAndNewShortcutsAndUnchangedAccuracy(@TempDir Path tmp) throws Exception {
    Path base = DemoOutput.dir().resolve("audit");
    Path strict = tmp.resolve("strict");
    CliRun a = CliRun.of("audit", "--out", DemoOutput.dir().toString(), "--dir", strict.toString(), "--master",
        "local[2]", "--set", "audit.shortcut.min-lift=1000", "--set", "audit.quality.samples=0", "--set",
        "audit.grid=8", "--set", "audit.counterfactual.edits=[]");
    assertEquals(0, a.code(), a.err());
    // The region detector flags nothing at that lift (the other detectors may still flag ring),
    // and without the counterfactual edits square's darkening is signalled by one detector only.
    assertTrue(a.out().lines().filter(l -> l.startsWith("audit: finding ("))
        .noneMatch(l -> l.substring(0, l.indexOf(')')).contains("region")), a.out());
    assertFalse(a.out().contains("audit: finding (illumination"), a.out());

    CliRun d = CliRun.of("audit", "diff", base.toString(), strict.toString(), "--diff-dir", tmp.resolve("d1").toString(),
        "--master", "local[2]");
    assertEquals(0, d.code(), d.err());
    assertTrue(d.out().contains("shortcuts resolved: ring"), d.out());
    JsonNode j = new ObjectMapper().readTree(tmp.resolve("d1/diff.json").toFile());
    for (JsonNode c : j.get("classes")) {
      assertEquals(0.0, c.get("accuracy_change").asDouble(), 1e-12, c.toString());
    }
    // Same analysis, grids of 16 and 8 cells: the maps agree once resampled, nothing is "shifted".
    assertEquals(40, j.get("attention").size(), "10 classes x 4 methods");
    for (JsonNode s : j.get("attention")) {
      assertTrue(s.get("distance").asDouble() < 0.02, s.toString());
      assertFalse(s.get("shifted").asBoolean());
    }
    Dataset<Row> changes = spark().read().parquet(tmp.resolve("d1/shortcut_changes").toString());
    assertEquals(1, changes.count());
    // The findings: square's went away with the edits that confirmed it.
    assertTrue(d.out().contains("findings resolved: ") && d.out().contains("square (illumination)"), d.out());
    Row square = spark().read().parquet(tmp.resolve("d1/finding_changes").toString())
        .filter(col("class_name").equalTo("square")).first();
    assertEquals("resolved", square.getAs("status"));
    assertEquals("illumination", square.getAs("kind_base"));
    assertTrue(square.isNullAt(square.fieldIndex("kind_new")));

    CliRun back = CliRun.of("audit", "diff", strict.toString(), base.toString(), "--diff-dir",
        tmp.resolve("d2").toString(), "--master", "local[2]");
    assertEquals(0, back.code(), back.err());
    assertTrue(back.out().contains("shortcuts new: ring"), back.out());
    assertTrue(back.out().contains("findings new: ") && back.out().contains("square (illumination)"), back.out());
  }

  @Test
  void badInputFailsFastNamingWhatToChange(@TempDir Path tmp) throws Exception {
    String out = DemoOutput.dir().toString();
    CliRun missing = CliRun.of("audit", "--out", tmp.toString(), "--master", "local[1]");
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("audit.analysis"), missing.err());

    CliRun grid = CliRun.of("audit", "--out", out, "--set", "audit.grid=2");
    assertEquals(2, grid.code());
    assertTrue(grid.err().contains("audit.grid"), grid.err());

    CliRun method = CliRun.of("audit", "--out", out, "--dir", tmp.resolve("m").toString(), "--master", "local[1]",
        "--set", "audit.methods=[smoothgrad]");
    assertEquals(2, method.code());
    assertTrue(method.err().contains("audit.methods") && method.err().contains("smoothgrad"), method.err());

    Path tiny = ConvLensHome.sampleData().resolve("torchscript/tiny_cnn.pt");
    CliRun model = CliRun.of("audit", "--out", out, "--dir", tmp.resolve("x").toString(), "--master", "local[1]",
        "--model", tiny.toString());
    assertEquals(2, model.code());
    assertTrue(model.err().contains("model.path"), model.err());

    // An analysis without its run.json: the quality checks cannot know where the images are.
    Path copy = tmp.resolve("copy/analysis");
    spark().read().parquet(DemoOutput.dir().resolve("analysis").toString()).write().parquet(copy.toString());
    CliRun inputs = CliRun.of("audit", "--analysis", copy.toString(), "--dir", tmp.resolve("y").toString(),
        "--master", "local[1]");
    assertEquals(2, inputs.code());
    assertTrue(inputs.err().contains("input.paths"), inputs.err());

    CliRun notAudit = CliRun.of("audit", "diff", tmp.toString(), DemoOutput.dir().resolve("audit").toString(),
        "--master", "local[1]");
    assertEquals(2, notAudit.code());
    assertTrue(notAudit.err().contains("is not an audit"), notAudit.err());
  }
}
