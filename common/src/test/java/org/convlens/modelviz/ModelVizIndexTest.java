package org.convlens.modelviz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.convlens.spark.OutputJson;
import org.junit.jupiter.api.Test;

/**
 * model-viz.json as a {@link ModelVizIndex}: the record writes, byte for byte, the file the earlier
 * {@code Map<String,Object>} code wrote. The golden file is the model-viz.json of a real run of
 * that code on the bundled model ({@code ./convlens model-viz --set model-viz.maximize.steps=20}
 * after an analyze run).
 */
class ModelVizIndexTest {
  /** The golden run's targets as Parquet gave them: kind, index, name, objectives, p, top-1, seconds. */
  private static final Object[][] TARGETS = {
      {"class", 0, "circle", 1.3920199f, 4.8211765f, 0.84273213f, "circle", 0.579079377},
      {"class", 1, "square", 1.1717247f, 3.4502053f, 0.7265556f, "square", 0.581574095},
      {"class", 2, "triangle", 0.4628576f, 4.8453746f, 0.54152286f, "triangle", 0.452320028},
      {"class", 3, "cross", -0.212393f, 9.654757f, 0.056242473f, "dots", 0.364202617},
      {"class", 4, "ring", -2.0939844f, 17.395895f, 0.9999992f, "ring", 0.299348454},
      {"class", 5, "horizontal_stripes", -0.30379847f, 26.330072f, 1.0f, "horizontal_stripes", 0.245238338},
      {"class", 6, "vertical_stripes", -2.5589893f, 29.327908f, 1.0f, "vertical_stripes", 0.407811245},
      {"class", 7, "checkerboard", -1.5512404f, 30.83704f, 1.0f, "checkerboard", 0.170811117},
      {"class", 8, "diagonal_stripes", -2.522609f, 28.543207f, 0.99999917f, "diagonal_stripes", 0.265652819},
      {"class", 9, "dots", -1.0516484f, 44.15488f, 1.0f, "dots", 0.231129645}};

  private static String golden() throws IOException {
    try (InputStream in = ModelVizIndexTest.class.getResourceAsStream("/org/convlens/golden/model-viz.json")) {
      assertNotNull(in);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A maximisation row in {@link ModelVizIndex.TargetEntry#COLUMNS} order. */
  private static Row row(Object[] t, String error) {
    return RowFactory.create(t[0], t[1], t[2], null, error == null ? "ok" : "error", error,
        error == null ? new byte[] {1} : null, t[3], t[4], t[5], t[6], t[7]);
  }

  @Test
  void readsBackAsTheRecordThatWroteIt() throws IOException {
    ModelVizIndex read = OutputJson.parse(golden(), ModelVizIndex.class);
    assertEquals("djl", read.engine());
    assertEquals(17.69, read.seconds());
    assertEquals(2, read.filters().size());
    ModelVizIndex.FilterEntry second = read.filters().get(1);
    assertEquals("by_input_channel", second.layout());
    assertArrayEquals(new long[] {32, 32, 3, 3}, second.shape());
    assertEquals(6, second.groupColumns());
    assertEquals(50, read.classVectors().analysisRows());
    assertEquals("head.weight", read.classVectors().headWeight());
    assertEquals(20, read.maximization().settings().get("steps").asInt());
    assertEquals(0.056242473f, read.maximization().targets().get(3).finalProb());
    assertTrue(read.maximization().targets().stream().allMatch(ModelVizIndex.TargetEntry::finished));
    assertEquals(golden(), OutputJson.text(read), "read, then written again: the same bytes");
  }

  @Test
  void targetsFromTheirRowsWriteTheGoldenBytes() throws IOException {
    ModelVizIndex read = OutputJson.parse(golden(), ModelVizIndex.class);
    List<ModelVizIndex.TargetEntry> targets = new ArrayList<>();
    for (Object[] t : TARGETS) {
      targets.add(ModelVizIndex.TargetEntry.of(row(t, null), "maximization-png/class-" + t[1] + ".png"));
    }
    ModelVizIndex.MaximizationEntry m = read.maximization();
    ModelVizIndex rebuilt = ModelVizIndex.builder()
        .runId(read.runId())
        .finishedAt(read.finishedAt())
        .modelId(read.modelId())
        .engine(read.engine())
        .device(read.device())
        .seconds(read.seconds())
        .summary(read.summary())
        .architecture(read.architecture())
        .filters(read.filters())
        .classVectors(read.classVectors())
        .maximization(new ModelVizIndex.MaximizationEntry(m.path(), m.schemaVersion(), m.settings(), targets))
        .build();
    assertEquals(golden(), OutputJson.text(rebuilt));
  }

  /** A failed target has its error and none of a finished one's keys (absent, not null). */
  @Test
  void aFailedTargetHasAnErrorAndNoResults() {
    ModelVizIndex.TargetEntry failed = ModelVizIndex.TargetEntry.of(row(TARGETS[0], "NaN objective"), null);
    assertFalse(failed.finished());
    assertNull(failed.seconds());
    assertEquals("{\n  \"kind\" : \"class\",\n  \"index\" : 0,\n  \"name\" : \"circle\",\n  \"layer\" : null,\n"
        + "  \"status\" : \"error\",\n  \"error\" : \"NaN objective\"\n}\n", OutputJson.text(failed));
  }

  /** The report embeds parts of the index with its own mapper: the keys must be the same. */
  @Test
  void anyMapperWritesTheSameKeys() throws IOException {
    ModelVizIndex read = OutputJson.parse(golden(), ModelVizIndex.class);
    assertEquals(OutputJson.tree(read), new ObjectMapper().valueToTree(read));
  }
}
