package org.convlens.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.convlens.attribution.AttributionSettings;
import org.convlens.attribution.Attributions;
import org.convlens.attribution.GradCam;
import org.convlens.spark.OutputJson;
import org.junit.jupiter.api.Test;

/**
 * run.json as a {@link RunRecord}: the record writes, byte for byte, the file the earlier
 * {@code Map<String,Object>} code wrote. The golden file is the run.json of a real analyze run of
 * that code ({@code ./convlens analyze --input sample-data/imagenet/val}, default settings), with
 * the one entry added since ({@code occlusion_incremental}, after {@code perturbations_per_eval}).
 */
class RunRecordTest {
  static String golden(String name) throws IOException {
    try (InputStream in = RunRecordTest.class.getResourceAsStream("/org/convlens/golden/" + name)) {
      assertNotNull(in, name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The golden run's values, set by name as AnalyzeRun sets them. */
  private static RunRecord goldenRun() {
    // The default methods' own entries, as they record them (the layer given: no model is asked).
    AttributionSettings settings = AttributionSettings.defaults().with(GradCam.LAYER, "features.block3");
    Map<String, Object> entries = Attributions.recorded(settings, null);
    Map<String, String> config = new LinkedHashMap<>();
    config.put("input.paths", "sample-data/imagenet/val");
    config.put("input.format", "auto");
    config.put("model.path", "");
    config.put("model.device", "auto");
    config.put("analyze.top-k", "5");
    config.put("analyze.batch-size", "64");
    config.put("analyze.methods", "saliency,gradcam,cam,occlusion");
    config.put("analyze.target", "predicted");
    config.put("analyze.seed", "20240611");
    return RunRecord.builder()
        .runId("20261205T233427Z-07b3")
        .finishedAt("2026-12-05T23:35:13.847196702Z")
        .schemaVersion(3)
        .modelId("convlens-sample-cnn-v1")
        .device("cpu()")
        .datasets(List.of(new RunRecord.Dataset("val", "imagenet-val", "sample-data/imagenet/val",
            List.of("circle", "square", "triangle", "cross", "ring", "horizontal_stripes", "vertical_stripes",
                "checkerboard", "diagonal_stripes", "dots"))))
        .analysis("file:/tmp/typed-before/out/analysis")
        .inputs(50)
        .ok(50)
        .errors(0)
        .errorsByKind(new TreeMap<>())
        .skippedFiles(0)
        .skippedByReason(new TreeMap<>())
        .seconds(57.34)
        .imagesPerSecond(0.9)
        .attribution(RunRecord.Attribution.of(settings, entries))
        .config(config)
        .build();
  }

  @Test
  void writesTheBytesTheMapCodeWrote() throws IOException {
    assertEquals(golden("run.json"), OutputJson.text(goldenRun()));
  }

  @Test
  void readsBackAsTheRecordThatWroteIt() throws IOException {
    RunRecord read = OutputJson.parse(golden("run.json"), RunRecord.class);
    assertEquals("sample-data/imagenet/val", read.datasets().get(0).path());
    assertEquals(10, read.datasets().get(0).classes().size());
    assertEquals(3, read.schemaVersion());
    assertEquals(57.34, read.seconds());
    assertEquals("grey", read.attribution().entries().get("occlusion_baseline"));
    assertEquals(List.of("gradcam_layer", "occlusion", "occlusion_baseline", "perturbations_per_eval",
        "occlusion_incremental"),
        List.copyOf(read.attribution().entries().keySet()), "the methods' entries, in their order");
    assertEquals("u8", read.attribution().mapEncoding());
    assertEquals(golden("run.json"), OutputJson.text(read), "read, then written again: the same bytes");
  }

  @Test
  void nullsAreWrittenAndErrorsKeepTheirOrder() {
    Map<String, Long> byKind = new TreeMap<>(Map.of("decode", 2L, "too_large", 1L));
    RunRecord run = RunRecord.builder().device(null).errorsByKind(byKind)
        .attribution(RunRecord.Attribution.of(AttributionSettings.defaults(), Map.of())).build();
    String text = OutputJson.text(run);
    assertTrue(text.contains("\"device\" : null,"), text);
    assertTrue(text.contains("\"errors_by_kind\" : {\n    \"decode\" : 2,\n    \"too_large\" : 1\n  }"), text);
    assertTrue(text.contains("\"seed\" : 20240611\n  },"), "no method entries, nothing after the seed: " + text);
  }

  /** The report embeds the record in its data with its own mapper: the keys must be the same. */
  @Test
  void anyMapperWritesTheSameKeys() throws IOException {
    RunRecord run = goldenRun();
    assertEquals(OutputJson.tree(run), new ObjectMapper().valueToTree(run));
  }
}
