package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.ConfigLoader;
import org.convlens.config.InputFormat;
import org.convlens.config.Settings.InputSettings;
import org.convlens.testing.Fixtures;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ImageNet train/val layouts, plain folders, manifests and format detection. */
class FolderSourcesTest {
  private final SparkSession spark = SharedSpark.get();
  private final Configuration conf = spark.sparkContext().hadoopConfiguration();
  private static final List<String> EXT = List.of("jpg", "jpeg", "png", "bmp");

  private static byte[] png() {
    return Fixtures.image("png", 8, 6, Color.RED);
  }

  private static Map<String, Row> byId(List<Row> rows) {
    return rows.stream().collect(Collectors.toMap(r -> (String) r.getAs(InputSchema.ID), r -> r));
  }

  private static InputSettings settings(String... sets) {
    return ConfigLoader.load(null, Map.of(), List.of(sets)).input();
  }

  private Path imagenet(Path dir) throws Exception {
    Fixtures.writeLines(dir.resolve("LOC_synset_mapping.txt"),
        List.of("n01440764 tench, Tinca tinca", "n01443537 goldfish, Carassius auratus"));
    Fixtures.write(dir.resolve("train/n01440764/a.JPEG"), Fixtures.image("jpg", 10, 10, Color.BLUE));
    Fixtures.write(dir.resolve("train/n01443537/b.png"), png());
    Fixtures.write(dir.resolve("train/n01443537/c.png"), png());
    Fixtures.write(dir.resolve("train/n99999999/d.png"), png());
    Fixtures.write(dir.resolve("train/n01440764/notes.txt"), "hello".getBytes());
    return dir.resolve("train");
  }

  @Test
  void imagenetTrainLayoutMapsSynsetsThroughTheClassIndex(@TempDir Path dir) throws Exception {
    Path train = imagenet(dir);
    FolderSource source = FolderSource.imagenet(train.toString(), "", EXT, conf);
    assertEquals(List.of("tench, Tinca tinca", "goldfish, Carassius auratus"), source.classNames());
    Map<String, Row> rows = byId(source.list(spark).collectAsList());
    assertEquals(4, rows.size());
    assertEquals(0, (int) rows.get("n01440764/a.JPEG").getAs(InputSchema.LABEL));
    assertEquals("goldfish, Carassius auratus", rows.get("n01443537/c.png").getAs(InputSchema.LABEL_NAME));
    assertNull(rows.get("n01443537/b.png").getAs(InputSchema.ERROR_KIND));
    assertTrue((long) rows.get("n01443537/b.png").getAs(InputSchema.LENGTH) > 0);
    Row unknown = rows.get("n99999999/d.png");
    assertEquals("bad_label", unknown.getAs(InputSchema.ERROR_KIND));
    assertTrue(((String) unknown.getAs(InputSchema.ERROR)).contains("n99999999"));
    assertEquals(1, source.countSkipped(spark));
    assertEquals(InputFormat.IMAGENET, ImageSources.detect(train.toString(), conf));
  }

  @Test
  void kerasJsonClassIndexIsRead(@TempDir Path dir) throws Exception {
    Path index = dir.resolve("imagenet_class_index.json");
    Files.writeString(index, "{\"1\": [\"n2\", \"second\"], \"0\": [\"n1\", \"first\"]}");
    ClassIndex ci = ClassIndex.locate(new org.apache.hadoop.fs.Path(dir.toUri()), index.toString(), conf);
    assertEquals(List.of("n1", "n2"), ci.synsets());
    assertEquals(List.of("first", "second"), ci.names());
  }

  @Test
  void imagenetWithoutClassIndexFailsWithTheFilesItLookedFor(@TempDir Path dir) throws Exception {
    Fixtures.write(dir.resolve("n01440764/a.png"), png());
    InputLayoutException e = assertThrows(InputLayoutException.class,
        () -> FolderSource.imagenet(dir.toString(), "", EXT, conf));
    assertTrue(e.getMessage().contains("LOC_synset_mapping.txt"), e.getMessage());
    assertTrue(e.getMessage().contains("input.class-index"), e.getMessage());
  }

  @Test
  void imagenetValLayoutReadsTheLabelsFile(@TempDir Path dir) throws Exception {
    imagenet(dir);
    Fixtures.write(dir.resolve("val/VAL_1.JPEG"), Fixtures.image("jpg", 9, 9, Color.GREEN));
    Fixtures.write(dir.resolve("val/VAL_2.png"), png());
    Fixtures.write(dir.resolve("val/VAL_3.png"), png());
    Fixtures.write(dir.resolve("val/VAL_4.png"), png());
    Fixtures.writeLines(dir.resolve("val_labels.csv"),
        List.of("filename,synset", "VAL_1.JPEG,n01443537", "VAL_2.png,n01440764", "VAL_3.png,n00000000"));
    assertEquals(InputFormat.IMAGENET_VAL, ImageSources.detect(dir.resolve("val").toString(), conf));
    ImageSource source = ImageSources.open(dir.resolve("val").toString(), settings(), spark);
    Map<String, Row> rows = byId(source.list(spark).collectAsList());
    assertEquals(4, rows.size());
    assertEquals(1, (int) rows.get("VAL_1.JPEG").getAs(InputSchema.LABEL));
    assertEquals(0, (int) rows.get("VAL_2.png").getAs(InputSchema.LABEL));
    assertEquals("bad_label", rows.get("VAL_3.png").getAs(InputSchema.ERROR_KIND));
    assertEquals(-1, (int) rows.get("VAL_4.png").getAs(InputSchema.LABEL));
    assertNull(rows.get("VAL_4.png").getAs(InputSchema.ERROR_KIND));
  }

  @Test
  void kaggleValSolutionFormatIsRead() {
    Map<String, String> labels = ImageNetValSource.parseLabels("LOC_val_solution.csv",
        List.of("ImageId,PredictionString", "ILSVRC2012_val_00008726,n02119789 255 142 454 329 n02119789 44 21 322 295"));
    assertEquals("n02119789", labels.get("ILSVRC2012_val_00008726"));
  }

  @Test
  void plainFolderUsesSortedSubfoldersAsClasses(@TempDir Path dir) throws Exception {
    Fixtures.write(dir.resolve("dogs/1.png"), png());
    Fixtures.write(dir.resolve("cats/2.bmp"), Fixtures.image("bmp", 4, 4, Color.BLACK));
    Fixtures.write(dir.resolve("cats/deeper/3.png"), png());
    Fixtures.write(dir.resolve("loose.png"), png());
    Fixtures.write(dir.resolve(".hidden.png"), png());
    assertEquals(InputFormat.FOLDER, ImageSources.detect(dir.toString(), conf));
    ImageSource source = ImageSources.open(dir.toString(), settings(), spark);
    assertEquals(List.of("cats", "dogs"), source.classNames());
    Map<String, Row> rows = byId(source.list(spark).collectAsList());
    assertEquals(4, rows.size(), rows.keySet().toString());
    assertEquals(1, (int) rows.get("dogs/1.png").getAs(InputSchema.LABEL));
    assertEquals(0, (int) rows.get("cats/deeper/3.png").getAs(InputSchema.LABEL));
    assertEquals(-1, (int) rows.get("loose.png").getAs(InputSchema.LABEL));
  }

  @Test
  void manifestResolvesRelativePathsAndNamesClasses(@TempDir Path dir) throws Exception {
    Fixtures.write(dir.resolve("img/a.png"), png());
    Path abs = Fixtures.write(dir.resolve("elsewhere/b.png"), png());
    Fixtures.writeLines(dir.resolve("m.csv"),
        List.of("path,label", "img/a.png,zebra", abs + ",ant", "img/missing.png,zebra", "img/a.png,"));
    assertEquals(InputFormat.MANIFEST, ImageSources.detect(dir.resolve("m.csv").toString(), conf));
    ImageSource source = ImageSources.open(dir.resolve("m.csv").toString(), settings(), spark);
    assertEquals(List.of("ant", "zebra"), source.classNames());
    List<Row> rows = source.list(spark).collectAsList();
    assertEquals(4, rows.size());
    assertEquals(1, (int) rows.get(0).getAs(InputSchema.LABEL));
    assertTrue(((String) rows.get(0).getAs(InputSchema.SOURCE)).endsWith("/img/a.png"));
    assertEquals(abs.toString(), rows.get(1).getAs(InputSchema.SOURCE));
    assertEquals(0, (int) rows.get(1).getAs(InputSchema.LABEL));
    assertEquals(-1L, (long) rows.get(2).getAs(InputSchema.LENGTH));
    assertEquals(-1, (int) rows.get(3).getAs(InputSchema.LABEL));
  }

  @Test
  void manifestWithoutPathColumnOrUnknownInputFailsClearly(@TempDir Path dir) throws Exception {
    Fixtures.writeLines(dir.resolve("bad.csv"), List.of("file,label", "a.png,x"));
    InputLayoutException e = assertThrows(InputLayoutException.class,
        () -> ImageSources.open(dir.resolve("bad.csv").toString(), settings(), spark));
    assertTrue(e.getMessage().contains("'path' column"), e.getMessage());
    assertTrue(assertThrows(InputLayoutException.class,
        () -> ImageSources.detect(dir.resolve("nope").toString(), conf)).getMessage().contains("input not found"));
    Files.writeString(dir.resolve("x.tar"), "x");
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ImageSources.detect(dir.resolve("x.tar").toString(), conf)).getMessage().contains("--format"));
  }
}
