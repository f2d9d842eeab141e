package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.InvalidConfigException;
import org.convlens.testing.Fixtures;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Folder layouts as users really have them: names starting with {@code _} or {@code .}, names
 * that are not UTF-8, broken and looping links, FIFOs. Every entry is a row or a counted skip;
 * nothing vanishes, nothing is listed twice, nothing hangs.
 */
class HostileListingTest {
  private final SparkSession spark = SharedSpark.get();

  private static Map<String, Row> byId(List<Row> rows) {
    Map<String, Row> out = new TreeMap<>();
    for (Row r : rows) {
      assertNull(out.put(r.getAs(InputSchema.ID), r), "one id per row: " + r);
    }
    return out;
  }

  private static String kind(Row r) {
    String k = r.getAs(InputSchema.ERROR_KIND);
    return k == null ? "ok" : k;
  }

  @Test
  void everyFileIsARowOrACountedSkip(@TempDir Path tmp) throws Exception {
    Path root = tmp.resolve("data");
    Fixtures.write(root.resolve("cat/ok.png"), TestResources.png());
    Fixtures.write(root.resolve("cat/_DSC0001.png"), TestResources.png());
    Fixtures.write(root.resolve("cat/.dot.png"), TestResources.png());
    Fixtures.write(root.resolve("cat/a:b.png"), TestResources.png());
    Fixtures.write(root.resolve("_background/b.png"), TestResources.png());
    Fixtures.write(root.resolve(".cache/c.png"), TestResources.png());
    Fixtures.write(root.resolve("cat/notes.txt"), "not an image".getBytes());
    Path cat = root.resolve("cat");
    // A name that is not UTF-8 (Latin-1 "café"), a dangling link, a link to itself, a FIFO.
    Fixtures.sh(cat, "printf x > \"$(printf 'caf\\351.png')\" && ln -s nowhere.png dangling.png"
        + " && ln -s selfie.png selfie.png && mkfifo pipe.png");
    Path outside = Fixtures.write(tmp.resolve("elsewhere/dog/d.png"), TestResources.png()).getParent();
    Files.createSymbolicLink(root.resolve("dog"), outside); // followed: outside the input
    Files.createSymbolicLink(cat.resolve("again"), root.resolve("_background")); // listed at its own place

    ImageSource source = ImageSources.open(root.toString(), null, TestResources.inputSettings(), spark);
    assertEquals(List.of(".cache", "_background", "cat", "dog"), source.classNames());
    Map<String, Row> rows = byId(source.list(spark).collectAsList());
    Map<String, String> kinds = rows.values().stream().collect(Collectors.toMap(
        r -> r.getAs(InputSchema.ID), HostileListingTest::kind, (a, b) -> a, TreeMap::new));
    Map<String, String> expected = new TreeMap<>(Map.of(
        "data/cat/ok.png", "ok",
        "data/cat/_DSC0001.png", "ok",
        "data/cat/.dot.png", "ok",
        "data/cat/a:b.png", "ok",
        "data/_background/b.png", "ok",
        "data/.cache/c.png", "ok",
        "data/dog/d.png", "ok",
        "data/cat/dangling.png", "broken_link",
        "data/cat/selfie.png", "broken_link",
        "data/cat/pipe.png", "unsupported_format"));
    expected.put("data/cat/caf\uFFFD.png", "bad_file_name");
    assertEquals(expected, kinds);
    assertEquals("cat", rows.get("data/cat/_DSC0001.png").getAs(InputSchema.LABEL_NAME));
    assertEquals("_background", rows.get("data/_background/b.png").getAs(InputSchema.LABEL_NAME));
    assertEquals("dog", rows.get("data/dog/d.png").getAs(InputSchema.LABEL_NAME));
    assertTrue(((String) rows.get("data/cat/dangling.png").getAs(InputSchema.ERROR)).contains("nowhere.png"));
    assertTrue(((String) rows.get("data/cat/caf\uFFFD.png").getAs(InputSchema.ERROR)).contains("not valid UTF-8"));
    assertEquals(Map.of("not_an_image", 1L, "link_inside_input", 1L), source.skipped(spark));

    // The readable ones are read, the name with a colon included.
    try (InputReader reader = new InputReader(new HadoopConf(spark.sparkContext().hadoopConfiguration()), 1 << 20)) {
      for (String id : List.of("data/cat/a:b.png", "data/cat/_DSC0001.png", "data/dog/d.png")) {
        assertEquals(TestResources.png().length, reader.read(rows.get(id)).length, id);
      }
      InputException broken = assertThrows(InputException.class, () -> reader.read(
          InputSchema.file("data", "x", cat.resolve("dangling.png").toUri().toString(), -1, -1, null)));
      assertEquals(ErrorKind.BROKEN_LINK, broken.kind());
    }
  }

  @Test
  void folderLinkLoopsEndAndListNothingTwice(@TempDir Path tmp) throws Exception {
    Path root = tmp.resolve("loops");
    Fixtures.write(root.resolve("a/1.png"), TestResources.png());
    Fixtures.write(root.resolve("a/sub/2.png"), TestResources.png());
    Files.createSymbolicLink(root.resolve("a/self"), Path.of("."));
    Files.createSymbolicLink(root.resolve("a/sub/up"), Path.of(".."));
    Files.createSymbolicLink(root.resolve("a/sub/top"), root);
    Files.createSymbolicLink(root.resolve("here"), Path.of("."));
    // Two links into a folder outside, which links back: followed once each way, then a loop.
    Path outside = Fixtures.write(tmp.resolve("out-of-tree/3.png"), TestResources.png()).getParent();
    Files.createSymbolicLink(root.resolve("a/ext"), outside);
    Files.createSymbolicLink(outside.resolve("back"), outside);

    ImageSource source = ImageSources.open(root.toString(), null, TestResources.inputSettings(), spark);
    List<Row> listed = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> source.list(spark).collectAsList());
    Map<String, Row> rows = byId(listed);
    assertEquals(List.of("loops/a/1.png", "loops/a/ext/3.png", "loops/a/sub/2.png"), List.copyOf(rows.keySet()));
    // self, up, top, here and back all lead to a folder above them.
    assertEquals(Map.of("link_loop", 5L), source.skipped(spark));
  }

  @Test
  void datasetsWithTheSameRelativePathsGetDistinctIdsAndNamesMustDiffer(@TempDir Path tmp) throws Exception {
    Fixtures.write(tmp.resolve("dsA/cat/1.png"), TestResources.png());
    Fixtures.write(tmp.resolve("dsB/cat/1.png"), TestResources.png());
    Fixtures.write(tmp.resolve("x/val/cat/1.png"), TestResources.png());
    Fixtures.write(tmp.resolve("y/val/cat/1.png"), TestResources.png());
    List<ImageSource> sources = ImageSources.openAll(
        TestResources.inputSettings("input.paths=[\"" + tmp.resolve("dsA") + "\", \"" + tmp.resolve("dsB") + "\"]"), spark);
    assertEquals(List.of("dsA/cat/1.png"), ids(sources.get(0)));
    assertEquals(List.of("dsB/cat/1.png"), ids(sources.get(1)));

    String twoVals = "input.paths=[\"" + tmp.resolve("x/val") + "\", \"" + tmp.resolve("y/val") + "\"]";
    InvalidConfigException clash = assertThrows(InvalidConfigException.class,
        () -> ImageSources.openAll(TestResources.inputSettings(twoVals), spark));
    assertEquals("input.names", clash.key());
    assertTrue(clash.getMessage().contains("'val'") && clash.getMessage().contains("input.names"), clash.getMessage());
    List<ImageSource> named = ImageSources.openAll(TestResources.inputSettings(twoVals, "input.names=[val_x, val_y]"), spark);
    assertEquals(List.of("val_x/cat/1.png"), ids(named.get(0)));
    assertEquals(List.of("val_y/cat/1.png"), ids(named.get(1)));
    String same = "input.paths=[\"" + tmp.resolve("dsA") + "\", \"" + tmp.resolve("dsA") + "\"]";
    assertTrue(assertThrows(InvalidConfigException.class, () -> ImageSources.openAll(TestResources.inputSettings(same), spark))
        .getMessage().contains("list each input once"));
    assertThrows(InvalidConfigException.class, () -> TestResources.inputSettings(twoVals, "input.names=[only_one]"));
    assertThrows(InvalidConfigException.class, () -> TestResources.inputSettings(twoVals, "input.names=[a/b, c]"));
  }

  private List<String> ids(ImageSource s) {
    return s.list(spark).collectAsList().stream().map(r -> (String) r.getAs(InputSchema.ID)).toList();
  }

  @Test
  void theSameDataAtTwoPlacesHasTheSameIds(@TempDir Path tmp) throws Exception {
    for (String place : List.of("one/val", "two/deeper/val")) {
      Fixtures.write(tmp.resolve(place + "/cat/1.png"), TestResources.png());
      Fixtures.write(tmp.resolve(place + "/2.png"), TestResources.png());
      Fixtures.write(tmp.resolve(place + "/batch/b.bin"), Fixtures.cifar10(0, 1));
      Fixtures.writeLines(tmp.resolve(place + "/batch/batches.meta.txt"), List.of("a", "b"));
    }
    for (String sub : List.of("", "/batch/b.bin")) {
      List<String> one = ids(ImageSources.open(tmp.resolve("one/val" + sub).toString(), null, TestResources.inputSettings(), spark));
      List<String> two = ids(ImageSources.open(tmp.resolve("two/deeper/val" + sub).toString(), null, TestResources.inputSettings(), spark));
      assertEquals(one, two);
      assertTrue(one.stream().noneMatch(id -> id.contains(tmp.toString())), one.toString());
    }
  }
}
