package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import java.net.URI;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.testing.Fixtures;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Manifests and URIs as a careless or hostile user writes them: each record stays one row. */
class HostileManifestTest {
  private final SparkSession spark = SharedSpark.get();

  private List<Row> list(Path manifest, String... sets) {
    return ImageSources.open(manifest.toString(), null, TestResources.inputSettings(sets), spark).list(spark).collectAsList();
  }

  private static String kind(Row r) {
    String k = r.getAs(InputSchema.ERROR_KIND);
    return k == null ? "ok" : k;
  }

  @Test
  void recordsFollowRfc4180AndBadCellsAreErrorRows(@TempDir Path dir) throws Exception {
    Fixtures.write(dir.resolve("imgs/a.png"), TestResources.png());
    Fixtures.write(dir.resolve("imgs/new\nline.png"), TestResources.png());
    Fixtures.write(dir.resolve("imgs/x:y.png"), TestResources.png());
    Fixtures.write(dir.resolve("imgs/say \"hi\", twice.png"), TestResources.png());
    Files.writeString(dir.resolve("m.csv"), String.join("\r\n",
        "path,label",
        "imgs/a.png,3",
        "imgs/x:y.png,99999999999",
        "\"imgs/new\nline.png\",2",
        "\"imgs/say \"\"hi\"\", twice.png\",1",
        "./imgs/a.png,4",
        ",1",
        "imgs/x:y.png,2") + "\r\n", StandardCharsets.UTF_8);
    List<Row> rows = list(dir.resolve("m.csv"));
    assertEquals(7, rows.size(), "one row per record: " + rows);
    assertEquals(List.of("ok", "bad_label", "ok", "ok", "duplicate", "not_found", "duplicate"),
        rows.stream().map(HostileManifestTest::kind).toList());
    assertEquals(List.of("m/imgs/a.png", "m/imgs/x:y.png", "m/imgs/new\nline.png", "m/imgs/say \"hi\", twice.png",
        "m/./imgs/a.png@row5", "m/@row6", "m/imgs/x:y.png@row7"),
        rows.stream().map(r -> (String) r.getAs(InputSchema.ID)).toList());
    assertTrue(((String) rows.get(1).getAs(InputSchema.ERROR)).contains("99999999999"));
    assertEquals(-1, (int) rows.get(1).getAs(InputSchema.LABEL));
    assertTrue(((String) rows.get(4).getAs(InputSchema.ERROR)).contains("record 1"), rows.get(4).toString());
    assertTrue(((String) rows.get(6).getAs(InputSchema.ERROR)).contains("record 2"), rows.get(6).toString());
    try (InputReader reader = new InputReader(new HadoopConf(spark.sparkContext().hadoopConfiguration()), 1 << 20)) {
      for (int i : new int[] {0, 2, 3}) {
        assertArrayEquals(TestResources.png(), reader.read(rows.get(i)), rows.get(i).toString());
      }
    }
  }

  @Test
  void pathsLeavingTheManifestFolderCanBeRefused(@TempDir Path dir) throws Exception {
    Fixtures.write(dir.resolve("data/imgs/a.png"), TestResources.png());
    Path secret = Fixtures.write(dir.resolve("secret.png"), TestResources.png());
    Fixtures.writeLines(dir.resolve("data/m.csv"), List.of("path,label", "imgs/a.png,x", "../secret.png,x",
        secret + ",x", "imgs/../../secret.png,x", "file://" + secret + ",x"));
    List<Row> anywhere = list(dir.resolve("data/m.csv"));
    assertTrue(anywhere.stream().allMatch(r -> kind(r).equals("ok") || kind(r).equals("duplicate")), anywhere.toString());
    List<Row> below = list(dir.resolve("data/m.csv"), "input.manifest-paths=below-manifest");
    assertEquals(List.of("ok", "path_not_allowed", "duplicate", "duplicate", "duplicate"),
        below.stream().map(HostileManifestTest::kind).toList());
    assertThrows(IllegalArgumentException.class, () -> TestResources.inputSettings("input.manifest-paths=nowhere"));
  }

  @Test
  void unreachableUrisAreReadFailedRowsAndHttpIsRead(@TempDir Path dir) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] image = TestResources.png();
    server.createContext("/img.png", x -> {
      // Chunked, with no length: the reader must not trust a length it was not given.
      x.sendResponseHeaders(200, 0);
      x.getResponseBody().write(image);
      x.close();
    });
    server.start();
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    try (InputReader reader = new InputReader(new HadoopConf(spark.sparkContext().hadoopConfiguration()), 1 << 20)) {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      assertArrayEquals(image, reader.read(InputSchema.file("m", "m/a", base + "/img.png", -1, -1, null)));
      for (String uri : List.of("http://127.0.0.1:" + closed + "/x.png", "hdfs://unknown-host.invalid/x.png",
          "nosuchscheme://host/x.png")) {
        InputException e = assertThrows(InputException.class,
            () -> reader.read(InputSchema.file("m", "m/x", uri, -1, -1, null)), uri);
        assertEquals(ErrorKind.READ_FAILED, e.kind(), uri + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(uri), e.getMessage());
      }
      InputException unknown = assertThrows(InputException.class,
          () -> reader.read(InputSchema.file("m", "m/x", "hdfs://unknown-host.invalid/x.png", -1, -1, null)));
      assertTrue(unknown.getMessage().contains("unknown host"), unknown.getMessage());
    } finally {
      server.stop(0);
    }
  }

  /**
   * A filesystem over the local disk that, like Java opening a file the process may not read,
   * says "not found (Permission denied)" for a file that exists.
   */
  public static final class DeniedFileSystem extends FileSystem {
    @Override
    public URI getUri() {
      return URI.create("denied:///");
    }

    @Override
    public FSDataInputStream open(org.apache.hadoop.fs.Path f, int bufferSize) throws IOException {
      throw new FileNotFoundException(f.toUri().getPath() + " (Permission denied)");
    }

    @Override
    public FileStatus getFileStatus(org.apache.hadoop.fs.Path f) throws IOException {
      java.io.File file = new java.io.File(f.toUri().getPath());
      if (!file.exists()) {
        throw new FileNotFoundException(f.toString());
      }
      return new FileStatus(file.length(), file.isDirectory(), 1, 4096, file.lastModified(), f);
    }

    @Override
    public FSDataOutputStream create(org.apache.hadoop.fs.Path f, FsPermission permission, boolean overwrite,
        int bufferSize, short replication, long blockSize, Progressable progress) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FSDataOutputStream append(org.apache.hadoop.fs.Path f, int bufferSize, Progressable progress) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean rename(org.apache.hadoop.fs.Path src, org.apache.hadoop.fs.Path dst) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean delete(org.apache.hadoop.fs.Path f, boolean recursive) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FileStatus[] listStatus(org.apache.hadoop.fs.Path f) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void setWorkingDirectory(org.apache.hadoop.fs.Path dir) {}

    @Override
    public org.apache.hadoop.fs.Path getWorkingDirectory() {
      return new org.apache.hadoop.fs.Path("denied:///");
    }

    @Override
    public boolean mkdirs(org.apache.hadoop.fs.Path f, FsPermission permission) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void aFileThatExistsButCannotBeReadIsReadFailedNotNotFound(@TempDir Path dir) throws Exception {
    Path file = Fixtures.write(dir.resolve("locked.png"), TestResources.png());
    Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
    conf.set("fs.denied.impl", DeniedFileSystem.class.getName());
    conf.setBoolean("fs.denied.impl.disable.cache", true);
    try (InputReader reader = new InputReader(new HadoopConf(conf), 1 << 20)) {
      InputException e = assertThrows(InputException.class,
          () -> reader.read(InputSchema.file("d", "d/x", "denied://" + file, -1, -1, null)));
      assertEquals(ErrorKind.READ_FAILED, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("Permission denied"), e.getMessage());
    }
    // The same on the local disk, where the process is not root (root reads any file).
    if (!"root".equals(System.getProperty("user.name"))) {
      assertTrue(file.toFile().setReadable(false, false));
      try (InputReader reader = new InputReader(new HadoopConf(spark.sparkContext().hadoopConfiguration()), 1 << 20)) {
        InputException e = assertThrows(InputException.class,
            () -> reader.read(InputSchema.file("d", "d/x", file.toUri().toString(), -1, -1, null)));
        assertEquals(ErrorKind.READ_FAILED, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
      } finally {
        file.toFile().setReadable(true, false);
      }
    }
  }
}
