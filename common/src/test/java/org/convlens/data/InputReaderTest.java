package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.convlens.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputReaderTest {
  private final HadoopConf conf = new HadoopConf(new Configuration());

  private static Row file(Path p, long length) {
    return InputSchema.file("d", p.getFileName().toString(), p.toUri().toString(), length, -1, null);
  }

  private ErrorKind kindOf(InputReader reader, Row row) {
    return assertThrows(InputException.class, () -> reader.read(row)).kind();
  }

  @Test
  void readsWholeFilesAndCifarRecords(@TempDir Path dir) throws Exception {
    byte[] bytes = Fixtures.cifar10(3, 4);
    Path p = Fixtures.write(dir.resolve("b.bin"), bytes);
    try (InputReader reader = new InputReader(conf, 1 << 20)) {
      assertArrayEquals(bytes, reader.read(file(p, bytes.length)));
      assertArrayEquals(bytes, reader.read(file(p, -1)));
      Row second = InputSchema.cifar("d", "d/b.bin#1", p.toUri().toString(), 1, 3073 + 1, 4, null);
      byte[] px = reader.read(second);
      assertEquals(3072, px.length);
      assertEquals(1, px[0]);
    }
  }

  @Test
  void missingEmptyAndOversizedFilesAreTypedErrors(@TempDir Path dir) throws Exception {
    Path empty = Fixtures.write(dir.resolve("e.png"), new byte[0]);
    Path big = Fixtures.write(dir.resolve("big.png"), new byte[2048]);
    try (InputReader reader = new InputReader(conf, 1024)) {
      assertEquals(ErrorKind.NOT_FOUND, kindOf(reader, file(dir.resolve("gone.png"), -1)));
      assertEquals(ErrorKind.NOT_FOUND, kindOf(reader, file(dir.resolve("gone2.png"), 10)));
      assertEquals(ErrorKind.EMPTY, kindOf(reader, file(empty, 0)));
      assertEquals(ErrorKind.EMPTY, kindOf(reader, file(empty, -1)));
      assertEquals(ErrorKind.FILE_TOO_LARGE, kindOf(reader, file(big, -1)));
    }
  }
}
