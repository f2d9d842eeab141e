package org.convlens.analyze;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.ConvLensHome;
import org.convlens.data.ImageDecoder;
import org.convlens.data.Preprocessor;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.ModelCache;
import org.convlens.model.ModelSpec;
import org.convlens.model.Softmax;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;
import org.convlens.testing.Fixtures;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analysis stage in local Spark with the tiny TorchScript test model. */
class AnalyzeRunTest {
  private static final Path TINY = ConvLensHome.sampleData().resolve("torchscript/tiny_cnn.pt");
  private final SparkSession spark = SharedSpark.get();

  @Test
  void oneRowPerInputAndPredictionsEqualADirectForward(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    byte[] red = Fixtures.image("png", 40, 24, Color.RED);
    byte[] blue = Fixtures.image("jpg", 17, 31, Color.BLUE);
    Fixtures.write(data.resolve("a/red.png"), red);
    Fixtures.write(data.resolve("b/blue.jpg"), blue);
    Fixtures.write(data.resolve("b/zero.png"), new byte[0]);
    Fixtures.write(data.resolve("b/cut.png"), Arrays.copyOf(red, red.length - 30));
    Path out = dir.resolve("out");
    ConvLensConfig config = ConfigLoader.load(null, Map.of(
        "input.paths", List.of(data.toString()), "model.path", TINY.toString(), "output.dir", out.toString()),
        List.of("analyze.top-k=3", "analyze.batch-size=1", "progress.interval-seconds=0"));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    AnalyzeRun.Summary s = Stages.analyze(config, spark, new PrintStream(console, true));
    assertEquals(4, s.inputs());
    assertEquals(2, s.ok());
    assertEquals(Map.of("empty", 1L, "truncated", 1L), s.errorsByKind());
    assertTrue(console.toString().contains("analyze: 4/4 images (100%)"), console.toString());

    Map<String, Row> rows = spark.read().parquet(out.resolve("analysis").toString()).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(r.fieldIndex("id")), r -> r));
    assertEquals(4, rows.size());
    Row r = rows.get("data/a/red.png");
    assertEquals("ok", r.getAs("status"));
    assertEquals("a", r.getAs("label_name"));
    assertEquals(40, (int) r.getAs("width"));
    assertEquals(AnalysisSchema.VERSION, (int) r.getAs("schema_version"));

    // Known answer: the same image through decoder, preprocessor and one forward, outside Spark.
    Classifier model = ModelCache.get(new ModelSpec(TINY.toString(), "cpu", 1, 1));
    float[] x = Preprocessor.of(model.description()).apply(ImageDecoder.decode(red, 1 << 20));
    InferenceSession.Forward f;
    try (InferenceSession session = model.newSession()) {
      f = session.forward(new float[][] {x});
    }
    float[] probs = Softmax.softmax(f.logits()[0]);
    float[] stored = toFloats(r.getList(r.fieldIndex("probabilities")));
    assertArrayEquals(probs, stored, 1e-6f);
    assertArrayEquals(f.embeddings()[0], toFloats(r.getList(r.fieldIndex("embedding"))), 1e-6f);
    List<Integer> top = r.getList(r.fieldIndex("top_k_index"));
    assertEquals(3, top.size());
    assertTrue(probs[top.get(0)] >= probs[top.get(1)] && probs[top.get(1)] >= probs[top.get(2)]);
    assertEquals(model.description().classNames().get(top.get(0)), r.getAs("predicted_name"));

    Row zero = rows.get("data/b/zero.png");
    assertEquals("error", zero.getAs("status"));
    assertEquals("empty", zero.getAs("error_kind"));
    assertNull(zero.getAs("embedding"));
    assertEquals("b", zero.getAs("label_name"));
    assertTrue(Files.readString(out.resolve("run.json")).contains("\"errors\" : 2"));
  }

  private static float[] toFloats(List<Float> list) {
    float[] out = new float[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    return out;
  }
}
