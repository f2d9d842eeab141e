package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.testing.Fixtures;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarSourceTest {
  private static final int RB = CifarFormat.Variant.CIFAR10.recordBytes();
  private static final List<String> NAMES = List.of("a", "b", "c");
  private final SparkSession spark = SharedSpark.get();

  private List<Row> list(Path input, CifarFormat.Variant v) {
    return new CifarSource(input.toString(), null, v, spark.sparkContext().hadoopConfiguration())
        .list(spark).collectAsList();
  }

  private static Path batchDir(Path dir) throws Exception {
    Fixtures.writeLines(dir.resolve("batches.meta.txt"), List.of("a", "b", "", "c"));
    return dir;
  }

  @Test
  void listsOneRowPerRecordWithLabelsAndOffsets(@TempDir Path dir) throws Exception {
    Path file = Fixtures.write(batchDir(dir).resolve("test_batch.bin"), Fixtures.cifar10(2, 0, 1, 1));
    List<Row> rows = list(file, CifarFormat.Variant.CIFAR10);
    assertEquals(4, rows.size());
    for (int i = 0; i < 4; i++) {
      Row r = rows.get(i);
      assertEquals("test_batch", r.getAs(InputSchema.DATASET));
      assertEquals((long) i, (long) r.getAs(InputSchema.RECORD_INDEX));
      assertEquals((long) i * RB + 1, (long) r.getAs(InputSchema.OFFSET));
      assertEquals(3072L, (long) r.getAs(InputSchema.LENGTH));
      assertEquals(InputSchema.ENCODING_CIFAR, r.getAs(InputSchema.ENCODING));
      assertNull(r.getAs(InputSchema.ERROR_KIND));
      // Relative to the dataset, so the same batch elsewhere has the same ids.
      assertEquals("test_batch/test_batch.bin#" + i, r.getAs(InputSchema.ID));
    }
    assertEquals(List.of(2, 0, 1, 1), rows.stream().map(r -> (Integer) r.getAs(InputSchema.LABEL)).toList());
    assertEquals(List.of("c", "a", "b", "b"), rows.stream().map(r -> (String) r.getAs(InputSchema.LABEL_NAME)).toList());
  }

  @Test
  void truncatedFileKeepsItsFullRecordsAndFlagsTheTail(@TempDir Path dir) throws Exception {
    byte[] full = Fixtures.cifar10(0, 1, 2);
    Path file = Fixtures.write(batchDir(dir).resolve("cut.bin"), Arrays.copyOf(full, 2 * RB + 100));
    List<Row> rows = list(file, CifarFormat.Variant.CIFAR10);
    assertEquals(3, rows.size());
    assertNull(rows.get(1).getAs(InputSchema.ERROR_KIND));
    Row tail = rows.get(2);
    assertEquals("truncated_record", tail.getAs(InputSchema.ERROR_KIND));
    assertTrue(((String) tail.getAs(InputSchema.ERROR)).contains("100 of 3073 bytes"), (String) tail.getAs(InputSchema.ERROR));
    assertEquals(2L, (long) tail.getAs(InputSchema.RECORD_INDEX));
  }

  @Test
  void emptyFileAndOutOfRangeLabelsBecomeErrorRows(@TempDir Path dir) throws Exception {
    batchDir(dir);
    Fixtures.write(dir.resolve("a_empty.bin"), new byte[0]);
    Fixtures.write(dir.resolve("b_labels.bin"), Fixtures.cifar10(1, 7));
    List<Row> rows = list(dir, CifarFormat.Variant.CIFAR10);
    assertEquals(3, rows.size());
    assertEquals("empty", rows.get(0).getAs(InputSchema.ERROR_KIND));
    assertNull(rows.get(1).getAs(InputSchema.ERROR_KIND));
    assertEquals("bad_label", rows.get(2).getAs(InputSchema.ERROR_KIND));
    assertTrue(((String) rows.get(2).getAs(InputSchema.ERROR)).contains("label 7"));
    // The schema says -1 for an unknown label; the byte read is in the message only.
    assertEquals(-1, (int) rows.get(2).getAs(InputSchema.LABEL));
  }

  @Test
  void folderReadsEveryBatchInNameOrder(@TempDir Path dir) throws Exception {
    batchDir(dir);
    Fixtures.write(dir.resolve("data_batch_2.bin"), Fixtures.cifar10(1));
    Fixtures.write(dir.resolve("data_batch_1.bin"), Fixtures.cifar10(0, 0));
    Files.writeString(dir.resolve("readme.html"), "not a batch");
    CifarSource source = new CifarSource(dir.toString(), null, CifarFormat.Variant.CIFAR10,
        spark.sparkContext().hadoopConfiguration());
    assertEquals(NAMES, source.classNames());
    List<Row> rows = source.list(spark).collectAsList();
    assertEquals(3, rows.size());
    String dataset = dir.getFileName().toString();
    assertEquals(dataset + "/data_batch_1.bin#0", rows.get(0).getAs(InputSchema.ID));
    assertEquals(dataset + "/data_batch_2.bin#0", rows.get(2).getAs(InputSchema.ID));
  }

  @Test
  void cifar100ReadsFineOrCoarseLabel(@TempDir Path dir) throws Exception {
    Fixtures.writeLines(dir.resolve("fine_label_names.txt"), List.of("f0", "f1", "f2", "f3", "f4", "f5"));
    Fixtures.writeLines(dir.resolve("coarse_label_names.txt"), List.of("c0", "c1"));
    byte[] rec = new byte[2 * CifarFormat.Variant.CIFAR100_FINE.recordBytes()];
    rec[0] = 1; // coarse
    rec[1] = 5; // fine
    rec[CifarFormat.Variant.CIFAR100_FINE.recordBytes()] = 0;
    rec[CifarFormat.Variant.CIFAR100_FINE.recordBytes() + 1] = 3;
    Path file = Fixtures.write(dir.resolve("test.bin"), rec);
    List<Row> fine = list(file, CifarFormat.Variant.CIFAR100_FINE);
    assertEquals(List.of("f5", "f3"), fine.stream().map(r -> (String) r.getAs(InputSchema.LABEL_NAME)).toList());
    assertEquals(2L, (long) fine.get(0).getAs(InputSchema.OFFSET));
    List<Row> coarse = list(file, CifarFormat.Variant.CIFAR100_COARSE);
    assertEquals(List.of("c1", "c0"), coarse.stream().map(r -> (String) r.getAs(InputSchema.LABEL_NAME)).toList());
  }

  @Test
  void missingFileOrClassNamesFailOnTheDriver(@TempDir Path dir) throws Exception {
    var conf = spark.sparkContext().hadoopConfiguration();
    var missing = assertThrows(InputLayoutException.class,
        () -> new CifarSource(dir.resolve("nope.bin").toString(), null, CifarFormat.Variant.CIFAR10, conf));
    assertTrue(missing.getMessage().contains("not found"));
    Path file = Fixtures.write(dir.resolve("x.bin"), Fixtures.cifar10(0));
    var noMeta = assertThrows(InputLayoutException.class,
        () -> new CifarSource(file.toString(), null, CifarFormat.Variant.CIFAR10, conf));
    assertTrue(noMeta.getMessage().contains("batches.meta.txt"), noMeta.getMessage());
  }
}
