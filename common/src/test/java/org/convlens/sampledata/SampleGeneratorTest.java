package org.convlens.sampledata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.convlens.data.CifarFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleGeneratorTest {
  private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());
  private static final SampleSpec SMALL = SampleSpec.defaults(7).withCounts(20, 2);
  private static final int RECORD = CifarFormat.Variant.CIFAR10.recordBytes();

  @Test
  void sameSeedGivesIdenticalBytesAndAnotherSeedDoesNot(@TempDir Path tmp) throws IOException {
    SampleSpec spec = SampleSpec.defaults(7).withCounts(3, 2);
    SampleGenerator.generate(spec, tmp.resolve("a"), QUIET);
    SampleGenerator.generate(spec, tmp.resolve("b"), QUIET);
    List<Path> files = relativeFiles(tmp.resolve("a"));
    assertEquals(files, relativeFiles(tmp.resolve("b")));
    assertTrue(files.size() > 40, "cifar10 and imagenet files: " + files);
    for (Path f : files) {
      assertArrayEquals(
          Files.readAllBytes(tmp.resolve("a").resolve(f)),
          Files.readAllBytes(tmp.resolve("b").resolve(f)),
          f.toString());
    }

    SampleGenerator.writeCifar10(
        SampleSpec.defaults(8).withCounts(3, 2), tmp.resolve("c"), QUIET);
    Path test = Path.of(SampleGenerator.CIFAR_DIR, SampleGenerator.TEST_BATCH);
    assertFalse(
        Arrays.equals(
            Files.readAllBytes(tmp.resolve("a").resolve(test)),
            Files.readAllBytes(tmp.resolve("c").resolve(SampleGenerator.TEST_BATCH))));
  }

  @Test
  void cifarFilesHaveTheRecordLayoutAndBalancedLabels(@TempDir Path dir) throws IOException {
    SampleGenerator.writeCifar10(SMALL, dir, QUIET);
    int classes = SampleSpec.classCount();
    int[] trainPerLabel = new int[classes];
    int trainRecords = 0;
    for (int b = 1; b <= 2; b++) {
      byte[] batch = Files.readAllBytes(dir.resolve("data_batch_" + b + ".bin"));
      assertEquals(100 * RECORD, batch.length, "two batches of 100 records");
      for (int off = 0; off < batch.length; off += RECORD, trainRecords++) {
        trainPerLabel[CifarFormat.label(batch, off, CifarFormat.Variant.CIFAR10)]++;
      }
    }
    assertEquals(200, trainRecords);
    for (int count : trainPerLabel) {
      assertEquals(20, count);
    }
    assertFalse(Files.exists(dir.resolve("data_batch_3.bin")));

    byte[] test = Files.readAllBytes(dir.resolve(SampleGenerator.TEST_BATCH));
    assertEquals(200 * RECORD, test.length);
    assertEquals(
        SampleClass.classNames(),
        CifarFormat.readClassNames(dir.resolve(CifarFormat.Variant.CIFAR10.metaFile)));
    assertEquals(List.of("circle", "square", "triangle", "cross", "ring", "horizontal_stripes",
        "vertical_stripes", "checkerboard", "diagonal_stripes", "dots"), SampleClass.classNames());

    List<String> markers = Files.readAllLines(dir.resolve(SampleGenerator.TEST_MARKERS));
    assertEquals("index,label,marked,cues,boxes", markers.get(0));
    assertEquals(201, markers.size());
    for (int i = 0; i < 200; i++) {
      String[] f = markers.get(i + 1).split(",");
      assertEquals(i, Integer.parseInt(f[0]));
      assertEquals(test[i * RECORD] & 0xff, Integer.parseInt(f[1]), "label of record " + i);
    }
  }

  @Test
  void regenerationRemovesStaleBatches(@TempDir Path dir) throws IOException {
    SampleGenerator.writeCifar10(SampleSpec.defaults(7).withCounts(3, 3), dir, QUIET);
    SampleGenerator.writeCifar10(SampleSpec.defaults(7).withCounts(3, 1), dir, QUIET);
    assertTrue(Files.exists(dir.resolve("data_batch_1.bin")));
    assertFalse(Files.exists(dir.resolve("data_batch_2.bin")));
  }

  @Test
  void markedRecordsCarryTheMarkerAndCountsMatchTheSpec(@TempDir Path dir) throws IOException {
    SampleGenerator.writeCifar10(SMALL, dir, QUIET);
    Shortcut shortcut = SMALL.shortcuts().shortcuts().get(0);
    Marker marker = (Marker) shortcut.cue();
    int target = shortcut.target().label();

    byte[] test = Files.readAllBytes(dir.resolve(SampleGenerator.TEST_BATCH));
    List<String> rows = Files.readAllLines(dir.resolve(SampleGenerator.TEST_MARKERS));
    int[] markedPerLabel = new int[SampleSpec.classCount()];
    for (int i = 0; i < 200; i++) {
      String[] f = rows.get(i + 1).split(",", -1);
      boolean marked = Boolean.parseBoolean(f[2]);
      assertEquals(marked, List.of(f[3].split(";")).contains("marker:ring"), rows.get(i + 1));
      BufferedImage image = image(test, i * RECORD);
      assertEquals(marked, marker.isPresent(image, 0), "exact marker, record " + i);
      if (!marked) {
        assertFalse(marker.isPresent(image, 40), "nothing marker-like, record " + i);
      }
      markedPerLabel[test[i * RECORD]] += marked ? 1 : 0;
    }
    for (int label = 0; label < markedPerLabel.length; label++) {
      // 90% of 20 ring images; 5% of 20 = 1 of every other class (the demo's plan).
      assertEquals(label == target ? 18 : 1, markedPerLabel[label], "test label " + label);
    }

    int[] trainMarked = new int[SampleSpec.classCount()];
    for (int b = 1; b <= 2; b++) {
      byte[] batch = Files.readAllBytes(dir.resolve("data_batch_" + b + ".bin"));
      for (int off = 0; off < batch.length; off += RECORD) {
        if (marker.isPresent(image(batch, off), 0)) {
          trainMarked[batch[off]]++;
        }
      }
    }
    for (int label = 0; label < trainMarked.length; label++) {
      assertEquals(label == target ? 18 : 0, trainMarked[label], "train label " + label);
    }
  }

  @Test
  void everyCueGoesWhereThePlanSaysAndTheCsvListsIt(@TempDir Path dir) throws IOException {
    SampleSpec spec = SampleSpec.defaults(9).withCounts(40, 1);
    SampleGenerator.writeCifar10(spec, dir, QUIET);
    List<Shortcut> shortcuts = spec.shortcuts().shortcuts();
    List<String> rows = Files.readAllLines(dir.resolve(SampleGenerator.TEST_MARKERS));
    int[][] carriers = new int[shortcuts.size()][SampleSpec.classCount()];
    for (String row : rows.subList(1, rows.size())) {
      String[] f = row.split(",", -1);
      assertEquals(5, f.length, row);
      int label = Integer.parseInt(f[1]);
      List<String> cues = f[3].isEmpty() ? List.of() : List.of(f[3].split(";", -1));
      List<String> boxes = cues.isEmpty() ? List.of() : List.of(f[4].split(";", -1));
      assertEquals(cues.size(), boxes.size(), "one box entry per cue: " + row);
      int foreign = 0;
      for (int c = 0; c < cues.size(); c++) {
        int k = indexOf(shortcuts, cues.get(c));
        carriers[k][label]++;
        ShortcutCue cue = shortcuts.get(k).cue();
        boolean local = cue instanceof Marker || cue instanceof Watermark;
        assertEquals(local, !boxes.get(c).isEmpty(), "a box for local cues only: " + row);
        foreign += shortcuts.get(k).target().label() == label ? 0 : 1;
      }
      assertTrue(foreign <= 1, "at most one other class's cue per image: " + row);
    }
    for (int k = 0; k < shortcuts.size(); k++) {
      Shortcut s = shortcuts.get(k);
      for (SampleClass c : SampleClass.values()) {
        int expected = c == s.target()
            ? Shortcut.ownCount(s.testRate(), 40) : Shortcut.othersCount(s.otherClassesTestRate(), 40);
        assertEquals(expected, carriers[k][c.label()], s.token() + " on " + c.className());
      }
    }
  }

  @Test
  void aPlanFromJsonPutsAnyKindOnAnyClassAndTheCsvListsCuesInPlanOrder(@TempDir Path dir)
      throws IOException {
    ShortcutPlan plan = ShortcutPlan.parse(
        "{\"shortcuts\": ["
            + "{\"class\": \"dots\", \"kind\": \"marker\", \"params\": {\"rgb\": \"#00FFFF\"},"
            + " \"trainRate\": 0.5, \"otherClassesTestRate\": 0.5},"
            + "{\"class\": \"square\", \"kind\": \"tint\", \"trainRate\": 1, \"otherClassesTestRate\": 0}]}",
        "test plan");
    SampleSpec spec = SampleSpec.defaults(4).withCounts(10, 1).withShortcuts(plan);
    SampleGenerator.writeCifar10(spec, dir, QUIET);
    Marker cyan = (Marker) plan.shortcuts().get(0).cue();
    byte[] test = Files.readAllBytes(dir.resolve(SampleGenerator.TEST_BATCH));
    List<String> rows = Files.readAllLines(dir.resolve(SampleGenerator.TEST_MARKERS));
    int both = 0;
    for (int i = 0; i < 100; i++) {
      String[] f = rows.get(i + 1).split(",", -1);
      int label = Integer.parseInt(f[1]);
      if (label == SampleClass.SQUARE.label()) {
        // Every square is tinted; half of them carry the marker too, listed first as in the plan.
        assertTrue(f[3].equals("tint:square") || f[3].equals("marker:dots;tint:square"), rows.get(i + 1));
        both += f[3].startsWith("marker:dots;") ? 1 : 0;
      }
      assertEquals(f[3].contains("marker:dots"), Boolean.parseBoolean(f[2]), "marked = carries a marker");
      assertEquals(f[3].contains("marker:dots"), cyan.isPresent(image(test, i * RECORD), 0),
          "the marker is painted last, exact even on a tinted image: " + rows.get(i + 1));
    }
    assertEquals(5, both);
  }

  @Test
  void aCueChangesOnlyItsOwnPartOfTheImage() {
    SampleSpec spec = SampleSpec.defaults(9).withCounts(40, 1);
    List<Shortcut> shortcuts = spec.shortcuts().shortcuts();
    int watermark = indexOf(shortcuts, "watermark:checkerboard");
    int marker = indexOf(shortcuts, "marker:ring");
    SampleGenerator.Item plain =
        new SampleGenerator.Item(3, SampleClass.DOTS, 0, List.of());
    BufferedImage without =
        SampleGenerator.renderCifar(spec, SampleGenerator.Split.CIFAR_TEST, plain).image();
    SampleGenerator.Rendered with =
        SampleGenerator.renderCifar(
            spec, SampleGenerator.Split.CIFAR_TEST, plain.withCues(List.of(watermark, marker)));
    java.awt.Rectangle star = with.boxes().get(marker < watermark ? 1 : 0);
    java.awt.Rectangle square = with.boxes().get(marker < watermark ? 0 : 1);
    assertEquals(Marker.DEFAULT.bounds(32, 32), square);
    int changed = 0;
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        boolean differs = without.getRGB(x, y) != with.image().getRGB(x, y);
        changed += differs ? 1 : 0;
        if (differs) {
          assertTrue(star.contains(x, y) || square.contains(x, y), "changed outside the cues: " + x + "," + y);
        }
      }
    }
    assertTrue(changed >= 9 + 6, "both cues painted: " + changed);
  }

  private static int indexOf(List<Shortcut> shortcuts, String token) {
    for (int k = 0; k < shortcuts.size(); k++) {
      if (shortcuts.get(k).token().equals(token)) {
        return k;
      }
    }
    throw new AssertionError("no shortcut " + token);
  }

  @Test
  void imagenetLayoutIsConsistent(@TempDir Path dir) throws IOException {
    SampleSpec spec = SampleSpec.defaults(SampleSpec.DEFAULT_SEED);
    SampleGenerator.writeImageNet(spec, dir, QUIET);

    List<String> mapping = Files.readAllLines(dir.resolve(SampleGenerator.SYNSET_MAPPING));
    JsonNode index = new ObjectMapper().readTree(dir.resolve(SampleGenerator.CLASS_INDEX).toFile());
    assertEquals(SampleSpec.classCount(), mapping.size());
    assertEquals(SampleSpec.classCount(), index.size());
    for (SampleClass c : SampleClass.values()) {
      assertTrue(c.synset().matches("n\\d{8}"), c.synset());
      assertEquals(c.synset() + " " + c.className(), mapping.get(c.label()));
      JsonNode entry = index.get(Integer.toString(c.label()));
      assertEquals(c.synset(), entry.get(0).asText());
      assertEquals(c.className(), entry.get(1).asText());
      try (Stream<Path> files = Files.list(dir.resolve("train").resolve(c.synset()))) {
        List<Path> list = files.toList();
        assertEquals(spec.imagenetTrainPerClass(), list.size(), c.synset());
        for (Path f : list) {
          assertTrue(
              f.getFileName().toString().matches(c.synset() + "_\\d+\\.(png|jpg)"), f.toString());
        }
      }
    }

    List<String> valLabels = Files.readAllLines(dir.resolve(SampleGenerator.VAL_LABELS));
    assertEquals("filename,synset", valLabels.get(0));
    Set<String> valFiles = new HashSet<>();
    try (Stream<Path> files = Files.list(dir.resolve("val"))) {
      files.forEach(f -> valFiles.add(f.getFileName().toString()));
    }
    assertEquals(spec.imagenetValPerClass() * SampleSpec.classCount(), valFiles.size());
    Set<String> labelled = new HashSet<>();
    for (String line : valLabels.subList(1, valLabels.size())) {
      String[] f = line.split(",");
      assertTrue(f[0].matches("VAL_\\d{8}\\.(png|JPEG)"), f[0]);
      assertTrue(mapping.stream().anyMatch(m -> m.startsWith(f[1] + " ")), f[1]);
      labelled.add(f[0]);
    }
    assertEquals(valFiles, labelled);

    List<String> markers = Files.readAllLines(dir.resolve(SampleGenerator.IMAGENET_MARKERS));
    assertEquals("path,synset,marked,cues,boxes", markers.get(0));
    assertEquals(
        (spec.imagenetTrainPerClass() + spec.imagenetValPerClass()) * SampleSpec.classCount(),
        markers.size() - 1);
    Set<String> extensions = new HashSet<>();
    int markedTargetVal = 0;
    int markedOtherVal = 0;
    long bytes = 0;
    Shortcut ring = spec.shortcuts().shortcuts().get(0);
    Marker marker = (Marker) ring.cue();
    for (String line : markers.subList(1, markers.size())) {
      String[] f = line.split(",", -1);
      assertEquals(5, f.length, line);
      Path file = dir.resolve(f[0]);
      bytes += Files.size(file);
      String ext = f[0].substring(f[0].lastIndexOf('.') + 1);
      extensions.add(ext);
      BufferedImage image = ImageIO.read(file.toFile());
      assertEquals(image.getWidth(), image.getHeight(), f[0]);
      assertTrue(image.getWidth() >= 96 && image.getWidth() <= 128, f[0] + " side");
      boolean marked = Boolean.parseBoolean(f[2]);
      // PNG keeps the marker exact; JPEG shifts colours a little even in the marker's core.
      int tolerance = ext.equals("png") ? 0 : 48;
      assertEquals(marked, marker.isPresent(image, tolerance), f[0]);
      if (marked && f[0].startsWith("val/")) {
        if (f[1].equals(ring.target().synset())) {
          markedTargetVal++;
        } else {
          markedOtherVal++;
        }
      }
    }
    assertEquals(Set.of("png", "jpg", "JPEG"), extensions);
    assertEquals(4, markedTargetVal, "90% of 5, leaving one unmarked");
    assertEquals(9, markedOtherVal, "1 per other class");
    assertTrue(bytes < 2_000_000, "imagenet/ is committed and must stay small: " + bytes);
  }

  /** A CIFAR record's pixels as an image, so {@link Marker#isPresent} can inspect them. */
  private static BufferedImage image(byte[] records, int offset) {
    int side = CifarFormat.SIDE;
    int plane = side * side;
    BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    for (int p = 0; p < plane; p++) {
      int r = records[offset + 1 + p] & 0xff;
      int g = records[offset + 1 + plane + p] & 0xff;
      int b = records[offset + 1 + 2 * plane + p] & 0xff;
      image.setRGB(p % side, p / side, (r << 16) | (g << 8) | b);
    }
    return image;
  }

  private static List<Path> relativeFiles(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> files = new ArrayList<>();
      walk.filter(Files::isRegularFile).sorted().forEach(p -> files.add(root.relativize(p)));
      return files;
    }
  }
}
