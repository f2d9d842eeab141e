package org.convlens.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.junit.jupiter.api.Test;

/** run.json's {@code config} entry, now derived from the declared keys, is the table it was. */
class RunJsonConfigTest {
  @Test
  void defaultsGiveTheTableRunJsonHadBefore() {
    ConvLensConfig c = ConfigLoader.load(null, Map.of(), List.of());
    Map<String, String> before = new LinkedHashMap<>();
    before.put("input.paths", "");
    before.put("input.format", "auto");
    before.put("model.path", "");
    before.put("model.device", "auto");
    before.put("analyze.top-k", "5");
    before.put("analyze.batch-size", "64");
    before.put("analyze.methods", "saliency,gradcam,cam,occlusion");
    before.put("analyze.target", "predicted");
    before.put("analyze.seed", "20240611");
    Map<String, String> now = AnalyzeRun.summary(c.stage(), c.analyze());
    assertEquals(before, now);
    assertEquals(List.copyOf(before.keySet()), List.copyOf(now.keySet()), "same order");
  }

  @Test
  void overridesShowAsTheyDidBefore() {
    ConvLensConfig c = ConfigLoader.load(null, Map.of(), List.of("input.paths=[a, b]", "input.format=CIFAR10",
        "model.device=CPU", "analyze.methods=[Saliency, occlusion]", "analyze.seed=-3"));
    Map<String, String> now = AnalyzeRun.summary(c.stage(), c.analyze());
    assertEquals("a,b", now.get("input.paths"));
    assertEquals("cifar10", now.get("input.format"));
    assertEquals("cpu", now.get("model.device"));
    assertEquals("saliency,occlusion", now.get("analyze.methods"));
    assertEquals("-3", now.get("analyze.seed"));
  }
}
