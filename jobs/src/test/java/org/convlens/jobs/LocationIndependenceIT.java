package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.convlens.config.ConvLensHome;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same data at two places gives the same ids and the same audit: ids are relative to each
 * dataset's root, every seeded sample (the explanation-quality images, the bootstrap) is seeded by
 * content, and nothing depends on the number of partitions. The two copies sit at different
 * depths and are analysed with different partition counts.
 */
class LocationIndependenceIT {
  private static final int RECORDS = 300;
  private static final int CIFAR_RECORD = 3073;

  @Test
  void theSameDataAtTwoPathsGivesTheSameIdsAndTheSameAuditFigures(@TempDir Path tmp) throws Exception {
    Path a = copy(tmp.resolve("a"));
    Path b = copy(tmp.resolve("b/somewhere/much/deeper"));
    JsonNode first = analyseAndAudit(a, tmp.resolve("out-a"), 3);
    JsonNode second = analyseAndAudit(b, tmp.resolve("out-b"), 7);

    Map<String, Integer> idsA = predictions(tmp.resolve("out-a"));
    Map<String, Integer> idsB = predictions(tmp.resolve("out-b"));
    assertEquals(RECORDS + 50, idsA.size(), "every input has a row");
    assertEquals(idsA, idsB, "the same ids with the same predictions");
    assertTrue(idsA.keySet().stream().noneMatch(id -> id.contains(tmp.toString())), "no id holds the data's location");

    assertTrue(first.path("quality").path("measured_images").asInt() > 0, "the quality check ran: " + first.path("quality"));
    assertEquals(figures(first), figures(second), "audit figures at the two locations");
  }

  /** sample-data's first 300 CIFAR test records and its ImageNet-style validation folder, under {@code root}. */
  private static Path copy(Path root) throws IOException {
    Path data = ConvLensHome.sampleData();
    Files.createDirectories(root.resolve("cifar10"));
    byte[] batch = new byte[RECORDS * CIFAR_RECORD];
    try (InputStream in = Files.newInputStream(data.resolve("cifar10/test_batch.bin"))) {
      assertEquals(batch.length, in.readNBytes(batch, 0, batch.length));
    }
    Files.write(root.resolve("cifar10/test_batch.bin"), batch);
    Files.copy(data.resolve("cifar10/batches.meta.txt"), root.resolve("cifar10/batches.meta.txt"));
    Path imagenet = data.resolve("imagenet");
    try (Stream<Path> files = Files.walk(imagenet)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path rel = imagenet.relativize(f);
        if (!rel.startsWith("train")) {
          Path to = root.resolve("imagenet").resolve(rel.toString());
          Files.createDirectories(to.getParent());
          Files.copy(f, to);
        }
      }
    }
    return root;
  }

  private static JsonNode analyseAndAudit(Path data, Path out, int partitions) throws IOException {
    String[] inputs = {"--input", data.resolve("cifar10/test_batch.bin").toString(), "--input",
        data.resolve("imagenet/val").toString()};
    CliRun analyze = CliRun.of(Stream.concat(Stream.of("analyze"), Stream.concat(Stream.of(inputs), Stream.of(
        "--out", out.toString(), "--master", "local[2]", "--set", "input.partitions=" + partitions,
        "--set", "analyze.methods=[saliency, gradcam]"))).toArray(String[]::new));
    assertEquals(0, analyze.code(), analyze.out() + analyze.err());
    // The audit finds the inputs through the analysis's run.json, as a user's would.
    CliRun audit = CliRun.of("audit", "--out", out.toString(), "--master", "local[2]",
        "--set", "audit.quality.samples=12", "--set", "audit.quality.curve-steps=8");
    assertEquals(0, audit.code(), audit.out() + audit.err());
    return new ObjectMapper().readTree(out.resolve("audit/audit.json").toFile());
  }

  private static Map<String, Integer> predictions(Path out) {
    Map<String, Integer> m = new TreeMap<>();
    for (Row r : SharedSpark.get().read().parquet(out.resolve("analysis").toString()).select("id", "predicted")
        .collectAsList()) {
      m.put(r.getString(0), r.isNullAt(1) ? null : r.getInt(1));
    }
    return m;
  }

  /** audit.json without what names the run or the place (ids, times, the analysis path). */
  private static JsonNode figures(JsonNode audit) {
    ObjectNode copy = audit.deepCopy();
    copy.remove(List.of("audit_id", "created_at", "analysis"));
    return copy;
  }
}
