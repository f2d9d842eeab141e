package org.convlens.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.ConvLensHome;
import org.convlens.testing.Fixtures;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line against inputs and options a hostile user would try: every input is one row
 * (or a counted skip), every bad option one sentence and exit status 2, before any work.
 */
class HostileInputIT {
  private static Dataset<Row> analysis(Path out) {
    return SharedSpark.get().read().parquet(out.resolve("analysis").toString());
  }

  private static Map<String, String> kinds(Path out) {
    Map<String, String> m = new TreeMap<>();
    for (Row r : analysis(out).select("id", "error_kind").collectAsList()) {
      m.put(r.getString(0), r.isNullAt(1) ? "ok" : r.getString(1));
    }
    return m;
  }

  @Test
  void extremeImagesAndAwkwardNamesEachBecomeOneRow(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("data");
    // 10 MP in 30 KB, under input.max-pixels: it ran the JVM out of heap; 1,000,000×1 gave an
    // internal NegativeArraySizeException.
    Fixtures.write(data.resolve("cat/wide.png"), Fixtures.solidPng(10_000_000, 1, Color.ORANGE));
    Fixtures.write(data.resolve("cat/tall.png"), Fixtures.solidPng(1, 1_000_000, Color.ORANGE));
    byte[] png = Fixtures.image("png", 12, 10, Color.GREEN);
    Fixtures.write(data.resolve("cat/_DSC0001.png"), png);
    Fixtures.write(data.resolve("cat/.small.png"), png);
    Fixtures.write(data.resolve("cat/a:b.png"), png);
    Fixtures.write(data.resolve("_background/x.png"), png);
    Fixtures.write(data.resolve("cat/readme.txt"), "notes".getBytes(StandardCharsets.UTF_8));
    Fixtures.sh(data.resolve("cat"), "printf x > \"$(printf 'caf\\351.png')\" && ln -s missing.png dangling.png"
        + " && ln -s loop.png loop.png && ln -s . self && ln -s .. up");
    Path out = tmp.resolve("out");
    CliRun run = CliRun.of("analyze", "--input", data.toString(), "--out", out.toString(),
        "--set", "analyze.methods=[saliency]", "--set", "analyze.batch-size=4");
    assertEquals(0, run.code(), run.err());
    Map<String, String> expected = new TreeMap<>(Map.of(
        "data/cat/wide.png", "ok", "data/cat/tall.png", "ok", "data/cat/_DSC0001.png", "ok",
        "data/cat/.small.png", "ok", "data/cat/a:b.png", "ok", "data/_background/x.png", "ok",
        "data/cat/dangling.png", "broken_link", "data/cat/loop.png", "broken_link"));
    expected.put("data/cat/caf\uFFFD.png", "bad_file_name");
    assertEquals(expected, kinds(out));
    Row wide = analysis(out).filter(col("id").equalTo("data/cat/wide.png")).first();
    assertEquals(List.of(10_000_000, 1), List.of(wide.<Integer>getAs("width"), wide.<Integer>getAs("height")));
    assertTrue(run.out().contains("9 rows (6 ok, 3 errors {bad_file_name=1, broken_link=2})"), run.out());
    assertTrue(run.out().contains("skipped 3 entries on purpose: 2 folder link(s) leading back to a folder above"
        + " them (a loop), 1 without an image extension"), run.out());
    JsonNode runJson = new ObjectMapper().readTree(out.resolve("run.json").toFile());
    assertEquals(3, runJson.get("skipped_files").asInt());
    assertEquals(2, runJson.get("skipped_by_reason").get("link_loop").asInt());
  }

  @Test
  void aHostileManifestKeepsEveryRecordAsOneRow(@TempDir Path tmp) throws Exception {
    Fixtures.write(tmp.resolve("imgs/a.png"), Fixtures.image("png", 12, 10, Color.GREEN));
    Fixtures.write(tmp.resolve("imgs/x:y.png"), Fixtures.image("png", 12, 10, Color.BLUE));
    Files.writeString(tmp.resolve("m.csv"), String.join("\n",
        "path,label",
        "imgs/a.png,3",
        "imgs/x:y.png,99999999999",
        "\"imgs/new",
        "line.png\",2",
        "./imgs/a.png,4",
        "http://127.0.0.1:9/x.png,1",
        "hdfs://unknown-host.invalid/x.png,1",
        "../../../../../../../../etc/passwd,1") + "\n", StandardCharsets.UTF_8);
    Path out = tmp.resolve("out");
    CliRun run = CliRun.of("analyze", "--input", tmp.resolve("m.csv").toString(), "--out", out.toString(),
        "--set", "analyze.methods=[]");
    assertEquals(0, run.code(), run.err());
    assertEquals(Map.of(
        "m/imgs/a.png", "ok",
        "m/imgs/x:y.png", "bad_label",
        "m/imgs/new\nline.png", "not_found",
        "m/./imgs/a.png@row4", "duplicate",
        "m/http://127.0.0.1:9/x.png", "read_failed",
        "m/hdfs://unknown-host.invalid/x.png", "read_failed",
        "m/../../../../../../../../etc/passwd", "unsupported_format"), kinds(out));
    for (Row r : analysis(out).select("error").collectAsList()) {
      String error = r.getString(0);
      assertFalse(error != null && error.contains("root"), "no file content in a message: " + error);
    }
    assertTrue(run.out().contains("7 rows (1 ok, 6 errors"), run.out());

    CliRun below = CliRun.of("analyze", "--input", tmp.resolve("m.csv").toString(), "--out", out.toString(),
        "--set", "analyze.methods=[]", "--set", "input.manifest-paths=below-manifest");
    assertEquals(0, below.code(), below.err());
    assertEquals("path_not_allowed", kinds(out).get("m/../../../../../../../../etc/passwd"));
  }

  @Test
  void idsAreQualifiedByTheDatasetSoResumeFindsEveryInput(@TempDir Path tmp) throws Exception {
    byte[] png = Fixtures.image("png", 12, 10, Color.GREEN);
    Fixtures.write(tmp.resolve("dsA/cat/1.png"), png);
    Fixtures.write(tmp.resolve("dsB/cat/1.png"), png);
    Path out = tmp.resolve("out");
    CliRun first = CliRun.of("analyze", "--input", tmp.resolve("dsA").toString(), "--out", out.toString(),
        "--set", "analyze.methods=[]");
    assertEquals(0, first.code(), first.err());
    CliRun both = CliRun.of("analyze", "--input", tmp.resolve("dsA").toString(), "--input",
        tmp.resolve("dsB").toString(), "--out", out.toString(), "--set", "analyze.methods=[]",
        "--set", "output.mode=resume");
    assertEquals(0, both.code(), both.err());
    assertTrue(both.out().contains("resume: 1 input(s) already in") && both.out().contains(", 1 new"), both.out());
    assertEquals(Map.of("dsA/cat/1.png", "ok", "dsB/cat/1.png", "ok"), kinds(out));

    // Two inputs whose folders share a name: refused before any work, unless named.
    Fixtures.write(tmp.resolve("x/val/1.png"), png);
    Fixtures.write(tmp.resolve("y/val/1.png"), png);
    CliRun clash = CliRun.of("analyze", "--input", tmp.resolve("x/val").toString(), "--input",
        tmp.resolve("y/val").toString(), "--out", tmp.resolve("o2").toString());
    assertEquals(2, clash.code(), clash.err());
    assertTrue(clash.err().startsWith("error: inputs ") && clash.err().contains("input.names"), clash.err());
    CliRun twice = CliRun.of("analyze", "--input", tmp.resolve("dsA").toString(), "--input",
        tmp.resolve("dsA").toString(), "--out", tmp.resolve("o3").toString());
    assertEquals(2, twice.code(), twice.err());
    CliRun named = CliRun.of("analyze", "--input", tmp.resolve("x/val").toString(), "--input",
        tmp.resolve("y/val").toString(), "--out", tmp.resolve("o4").toString(), "--set", "analyze.methods=[]",
        "--set", "input.names=[val_x, val_y]");
    assertEquals(0, named.code(), named.err());
    assertEquals(Map.of("val_x/1.png", "ok", "val_y/1.png", "ok"), kinds(tmp.resolve("o4")));
  }

  @Test
  void anAnalysisOfAnOlderSchemaIsNotResumed(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    StructType old = new StructType().add("schema_version", DataTypes.IntegerType).add("model_id", DataTypes.StringType)
        .add("id", DataTypes.StringType);
    SharedSpark.get().createDataFrame(List.of(RowFactory.create(2, "convlens-sample-cnn-v1",
        "/somewhere/test_batch.bin#0")), old).write().parquet(out.resolve("analysis").toString());
    CliRun run = CliRun.of("analyze", "--input", ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString(),
        "--out", out.toString(), "--set", "output.mode=resume", "--set", "input.limit=10");
    assertEquals(2, run.code(), run.err());
    assertTrue(run.err().contains("schema version [2]") && run.err().contains("output.mode=overwrite"), run.err());
  }

  @Test
  void outputAndModelProblemsFailBeforeAnyWork(@TempDir Path tmp) throws Exception {
    String cifar = ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString();
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    for (String out : List.of(file.toString(), "/proc/convlens-x", file.resolve("below").toString())) {
      CliRun run = CliRun.of("analyze", "--input", cifar, "--out", out);
      assertEquals(2, run.code(), out + ": " + run.err());
      assertEquals(1, run.err().lines().count(), run.err());
      assertTrue(run.err().contains("choose another --out"), run.err());
      assertFalse(run.out().contains("analyze:"), "no work started: " + run.out());
    }
    // A description declaring 64×64 for the bundled 32×32 network.
    Path model = tmp.resolve("model");
    Files.createDirectories(model);
    Path bundled = ConvLensHome.bundledModel();
    try (var files = Files.list(bundled)) {
      for (Path f : files.toList()) {
        Files.copy(f, model.resolve(f.getFileName()));
      }
    }
    Path json = model.resolve("model.json");
    Files.writeString(json, Files.readString(json).replace("\"height\" : 32", "\"height\" : 64")
        .replace("\"width\" : 32", "\"width\" : 64"));
    CliRun wrongSize = CliRun.of("analyze", "--input", cifar, "--model", model.toString(), "--out",
        tmp.resolve("o").toString());
    assertEquals(2, wrongSize.code(), wrongSize.err());
    assertTrue(wrongSize.err().contains("declares input 3×64×64"), wrongSize.err());
  }

  /** A local disk that is full: every data file written fails as the operating system says. */
  public static final class FullFileSystem extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("full:///");
    }

    @Override
    public FSDataOutputStream create(org.apache.hadoop.fs.Path f, boolean overwrite, int bufferSize,
        short replication, long blockSize, Progressable progress) throws IOException {
      full(f);
      return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public FSDataOutputStream create(org.apache.hadoop.fs.Path f, FsPermission permission, boolean overwrite,
        int bufferSize, short replication, long blockSize, Progressable progress) throws IOException {
      full(f);
      return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }

    private static void full(org.apache.hadoop.fs.Path f) throws IOException {
      if (f.getName().startsWith("part-")) {
        throw new IOException("No space left on device");
      }
    }
  }

  @Test
  void aFullDiskIsSaidInWordsAndKeepsThePreviousOutput(@TempDir Path tmp) throws Exception {
    String cifar = ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString();
    // The command's own session, so that its Hadoop settings apply.
    SharedSpark.get().stop();
    CliRun run = CliRun.of("analyze", "--input", cifar, "--out", "full://" + tmp.resolve("out"),
        "--set", "input.limit=20", "--set", "analyze.methods=[]",
        "--set", "spark.conf.spark.hadoop.fs.full.impl=" + FullFileSystem.class.getName(),
        "--set", "spark.conf.spark.hadoop.fs.full.impl.disable.cache=true");
    assertEquals(1, run.code(), run.err());
    assertTrue(run.err().startsWith("error: the disk is full (No space left on device) while writing to "), run.err());
    assertFalse(run.err().contains("SQLSTATE") || run.err().contains("TASK_WRITE_FAILED"), run.err());
    assertEquals(1, run.err().lines().count(), run.err());
    assertFalse(Files.exists(tmp.resolve("out/analysis")), "nothing half-written");
    try (var left = Files.list(tmp.resolve("out"))) {
      assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList(),
          "no staging folder left behind");
    }
  }
}
