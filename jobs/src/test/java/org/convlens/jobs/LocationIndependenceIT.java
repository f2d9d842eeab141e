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
import java.util.ArrayList;
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
    List<String> differences = new ArrayList<>();
    compare("", figures(first), figures(second), differences);
    assertEquals(List.of(), differences, "audit figures at the two locations (first 20 differences)");
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

  /**
   * The places where two JSON trees differ (at most 20). Numbers may differ by 1e-9 relative: a
   * mean summed in another order (other partitions) may change the last bit, nothing more.
   */
  private static void compare(String at, JsonNode a, JsonNode b, List<String> out) {
    if (out.size() >= 20) {
      return;
    }
    if (a.isNumber() && b.isNumber()) {
      double x = a.asDouble();
      double y = b.asDouble();
      if (Math.abs(x - y) > 1e-9 * Math.max(1, Math.max(Math.abs(x), Math.abs(y)))) {
        out.add(at + ": " + x + " vs " + y);
      }
    } else if (a.isContainerNode() && b.isContainerNode() && a.getNodeType() == b.getNodeType()
        && a.size() == b.size()) {
      if (a.isArray()) {
        for (int i = 0; i < a.size(); i++) {
          compare(at + "[" + i + "]", a.get(i), b.get(i), out);
        }
      } else {
        for (var names = a.fieldNames(); names.hasNext(); ) {
          String n = names.next();
          compare(at + "." + n, a.get(n), b.has(n) ? b.get(n) : com.fasterxml.jackson.databind.node.MissingNode
              .getInstance(), out);
        }
      }
    } else if (!a.equals(b)) {
      String x = a.toString();
      String y = b.toString();
      out.add(at + ": " + x.substring(0, Math.min(200, x.length())) + " vs " + y.substring(0, Math.min(200, y.length())));
    }
  }

  /** audit.json without what names the run or the place (ids, times, the analysis path). */
  private static JsonNode figures(JsonNode audit) {
    ObjectNode copy = audit.deepCopy();
    copy.remove(List.of("audit_id", "created_at", "analysis"));
    // How long the quality check took is a measurement of the machine, not a figure of the data.
    if (copy.get("quality") instanceof ObjectNode quality) {
      quality.remove(List.of("seconds", "cpu_seconds"));
    }
    return copy;
  }
}
