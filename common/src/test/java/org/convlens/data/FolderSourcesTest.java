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
import org.convlens.config.InputFormat;
import org.convlens.testing.Fixtures;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ImageNet train/val layouts, plain folders, manifests and format detection. */
class FolderSourcesTest {
  private final SparkSession spark = SharedSpark.get();
  private final Configuration conf = spark.sparkContext().hadoopConfiguration();
  private static final List<String> EXT = List.of("jpg", "jpeg", "png", "bmp");

  private static Map<String, Row> byId(List<Row> rows) {
    return rows.stream().collect(Collectors.toMap(r -> (String) r.getAs(InputSchema.ID), r -> r));
  }

  private Path imagenet(Path dir) throws Exception {
    Fixtures.writeLines(dir.resolve("LOC_synset_mapping.txt"),
        List.of("n01440764 tench, Tinca tinca", "n01443537 goldfish, Carassius auratus"));
    Fixtures.write(dir.resolve("train/n01440764/a.JPEG"), Fixtures.image("jpg", 10, 10, Color.BLUE));
    Fixtures.write(dir.resolve("train/n01443537/b.png"), TestResources.png());
    Fixtures.write(dir.resolve("train/n01443537/c.png"), TestResources.png());
    Fixtures.write(dir.resolve("train/n99999999/d.png"), TestResources.png());
    Fixtures.write(dir.resolve("train/n01440764/notes.txt"), "hello".getBytes());
    return dir.resolve("train");
  }

  @Test
  void imagenetTrainLayoutMapsSynsetsThroughTheClassIndex(@TempDir Path dir) throws Exception {
    Path train = imagenet(dir);
    FolderSource source = FolderSource.imagenet(train.toString(), null, "", EXT, conf);
    assertEquals(List.of("tench, Tinca tinca", "goldfish, Carassius auratus"), source.classNames());
    Map<String, Row> rows = byId(source.list(spark).collectAsList());
    assertEquals(4, rows.size());
    assertEquals(0, (int) rows.get("train/n01440764/a.JPEG").getAs(InputSchema.LABEL));
    assertEquals("goldfish, Carassius auratus", rows.get("train/n01443537/c.png").getAs(InputSchema.LABEL_NAME));
    assertNull(rows.get("train/n01443537/b.png").getAs(InputSchema.ERROR_KIND));
    assertTrue((long) rows.get("train/n01443537/b.png").getAs(InputSchema.LENGTH) > 0);
    Row unknown = rows.get("train/n99999999/d.png");
    assertEquals("bad_label", unknown.getAs(InputSchema.ERROR_KIND));
    assertTrue(((String) unknown.getAs(InputSchema.ERROR)).contains("n99999999"));
    assertEquals(Map.of("not_an_image", 1L), source.skipped(spark));
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
    Fixtures.write(dir.resolve("n01440764/a.png"), TestResources.png());
    InputLayoutException e = assertThrows(InputLayoutException.class,
        () -> FolderSource.imagenet(dir.toString(), null, "", EXT, conf));
    assertTrue(e.getMessage().contains("LOC_synset_mapping.txt"), e.getMessage());
    assertTrue(e.getMessage().contains("input.class-index"), e.getMessage());
  }

  @Test
  void imagenetValLayoutReadsTheLabelsFile(@TempDir Path dir) throws Exception {
    imagenet(dir);
    Fixtures.write(dir.resolve("val/VAL_1.JPEG"), Fixtures.image("jpg", 9, 9, Color.GREEN));
    Fixtures.write(dir.resolve("val/VAL_2.png"), TestResources.png());
    Fixtures.write(dir.resolve("val/VAL_3.png"), TestResources.png());
    Fixtures.write(dir.resolve("val/VAL_4.png"), TestResources.png());
    Fixtures.writeLines(dir.resolve("val_labels.csv"),
        List.of("filename,synset", "VAL_1.JPEG,n01443537", "VAL_2.png,n01440764", "VAL_3.png,n00000000"));
    assertEquals(InputFormat.IMAGENET_VAL, ImageSources.detect(dir.resolve("val").toString(), conf));
    ImageSource source = ImageSources.open(dir.resolve("val").toString(), null, TestResources.inputSettings(), spark);
    Map<String, Row> rows = byId(source.list(spark).collectAsList());
    assertEquals(4, rows.size());
    assertEquals(1, (int) rows.get("val/VAL_1.JPEG").getAs(InputSchema.LABEL));
    assertEquals(0, (int) rows.get("val/VAL_2.png").getAs(InputSchema.LABEL));
    assertEquals("bad_label", rows.get("val/VAL_3.png").getAs(InputSchema.ERROR_KIND));
    assertEquals(-1, (int) rows.get("val/VAL_4.png").getAs(InputSchema.LABEL));
    assertNull(rows.get("val/VAL_4.png").getAs(InputSchema.ERROR_KIND));
  }

  @Test
  void kaggleValSolutionFormatIsRead() {
    Map<String, String> labels = ImageNetValSource.parseLabels("LOC_val_solution.csv",
        List.of("ImageId,PredictionString", "ILSVRC2012_val_00008726,n02119789 255 142 454 329 n02119789 44 21 322 295"));
    assertEquals("n02119789", labels.get("ILSVRC2012_val_00008726"));
  }

  @Test
  void plainFolderUsesSortedSubfoldersAsClasses(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("pets");
    Fixtures.write(dir.resolve("dogs/1.png"), TestResources.png());
    Fixtures.write(dir.resolve("cats/2.bmp"), Fixtures.image("bmp", 4, 4, Color.BLACK));
    Fixtures.write(dir.resolve("cats/deeper/3.png"), TestResources.png());
    Fixtures.write(dir.resolve("loose.png"), TestResources.png());
    Fixtures.write(dir.resolve(".hidden.png"), TestResources.png());
    assertEquals(InputFormat.FOLDER, ImageSources.detect(dir.toString(), conf));
    ImageSource source = ImageSources.open(dir.toString(), null, TestResources.inputSettings(), spark);
    assertEquals(List.of("cats", "dogs"), source.classNames());
    Map<String, Row> rows = byId(source.list(spark).collectAsList());
    // Hidden names are the user's files too (torchvision's ImageFolder reads them).
    assertEquals(5, rows.size(), rows.keySet().toString());
    assertEquals(1, (int) rows.get("pets/dogs/1.png").getAs(InputSchema.LABEL));
    assertEquals(0, (int) rows.get("pets/cats/deeper/3.png").getAs(InputSchema.LABEL));
    assertEquals(-1, (int) rows.get("pets/loose.png").getAs(InputSchema.LABEL));
    assertEquals(-1, (int) rows.get("pets/.hidden.png").getAs(InputSchema.LABEL));
  }

  @Test
  void manifestResolvesRelativePathsAndNamesClasses(@TempDir Path dir) throws Exception {
    Fixtures.write(dir.resolve("img/a.png"), TestResources.png());
    Path abs = Fixtures.write(dir.resolve("elsewhere/b.png"), TestResources.png());
    Fixtures.writeLines(dir.resolve("m.csv"),
        List.of("path,label", "img/a.png,zebra", abs + ",ant", "img/missing.png,zebra", "img/a.png,"));
    assertEquals(InputFormat.MANIFEST, ImageSources.detect(dir.resolve("m.csv").toString(), conf));
    ImageSource source = ImageSources.open(dir.resolve("m.csv").toString(), null, TestResources.inputSettings(), spark);
    assertEquals(List.of("ant", "zebra"), source.classNames());
    List<Row> rows = source.list(spark).collectAsList();
    assertEquals(4, rows.size());
    assertEquals("m/img/a.png", rows.get(0).getAs(InputSchema.ID));
    assertEquals(1, (int) rows.get(0).getAs(InputSchema.LABEL));
    assertTrue(((String) rows.get(0).getAs(InputSchema.SOURCE)).endsWith("/img/a.png"));
    assertTrue(((String) rows.get(1).getAs(InputSchema.SOURCE)).endsWith(abs.toString()));
    assertEquals(0, (int) rows.get(1).getAs(InputSchema.LABEL));
    assertEquals(-1L, (long) rows.get(2).getAs(InputSchema.LENGTH));
    // The same file again: one row of its own (a distinct id), analysed once, at record 1.
    assertEquals("m/img/a.png@row4", rows.get(3).getAs(InputSchema.ID));
    assertEquals("duplicate", rows.get(3).getAs(InputSchema.ERROR_KIND));
    assertTrue(((String) rows.get(3).getAs(InputSchema.ERROR)).contains("record 1"));
  }

  @Test
  void manifestWithoutPathColumnOrUnknownInputFailsClearly(@TempDir Path dir) throws Exception {
    Fixtures.writeLines(dir.resolve("bad.csv"), List.of("file,label", "a.png,x"));
    InputLayoutException e = assertThrows(InputLayoutException.class,
        () -> ImageSources.open(dir.resolve("bad.csv").toString(), null, TestResources.inputSettings(), spark));
    assertTrue(e.getMessage().contains("'path' column"), e.getMessage());
    assertTrue(assertThrows(InputLayoutException.class,
        () -> ImageSources.detect(dir.resolve("nope").toString(), conf)).getMessage().contains("input not found"));
    Files.writeString(dir.resolve("x.tar"), "x");
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ImageSources.detect(dir.resolve("x.tar").toString(), conf)).getMessage().contains("--format"));
  }
}
