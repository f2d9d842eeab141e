package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.convlens.config.ConvLensHome;
import org.junit.jupiter.api.Test;

/** Cascading re-initialisation of a private model copy, and putting it back. */
class ParameterRandomizerTest {
  @Test
  void randomisesLayersTopDownAndRestores() throws Exception {
    try (Classifier model = ModelLoader.load(new ModelSpec(ConvLensHome.bundledModel().toString(), "cpu", 1, 1));
        InferenceSession session = model.newSession()) {
      ParameterRandomizer r = new ParameterRandomizer(model);
      // Modules that own trainable parameters (convolutions, batch norms, the head), logits first.
      List<String> expected = new ArrayList<>(LayerNamesTest.bundledLayers().stream()
          .filter(n -> n.equals("head") || n.matches(".*\\.(conv|bn)\\d")).toList());
      Collections.reverse(expected);
      assertEquals(13, expected.size());
      assertEquals(expected, r.topDown());
      assertEquals(List.of("head", "features.block3.bn2", "features.block3.conv2"), r.topDown().subList(0, 3));
      assertEquals(13, ParameterRandomizer.layerCount(model));
      ModelParameters params = ModelParameters.of(model);
      String head = params.list().stream().filter(p -> p.module().equals("head") && p.role().equals("weight"))
          .findFirst().orElseThrow().name();
      assertEquals("head.weight", head);
      String first = params.list().get(0).name();
      float[] headBefore = params.values(head);
      float[] firstBefore = params.values(first);
      float[][] x = {new float[3 * 32 * 32]};
      Arrays.fill(x[0], 0.3f);
      float[] logits = session.forward(x).logits()[0];

      r.randomize("head", 11);
      float[] headAfter = params.values(head);
      assertFalse(Arrays.equals(headBefore, headAfter), "the head is re-drawn");
      assertArrayEquals(firstBefore, params.values(first), "lower layers are untouched");
      assertEquals(std(headBefore), std(headAfter), 0.1 * std(headBefore), "the scale is kept");
      assertFalse(Arrays.equals(logits, session.forward(x).logits()[0]), "the model's output changes");
      r.restore();
      r.randomize("head", 11);
      assertArrayEquals(headAfter, params.values(head), "the same seed draws the same weights");
      r.restore();
      assertArrayEquals(headBefore, params.values(head));
      assertArrayEquals(logits, session.forward(x).logits()[0], "restored exactly");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.randomize("02head", 1));
      assertTrue(e.getMessage().contains("features.block1.conv1"), e.getMessage());
    }
  }

  /** A TorchScript model's cascade names the modules as the module itself does. */
  @Test
  void torchScriptLayersAreItsModules() throws Exception {
    try (Classifier model = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()))) {
      assertEquals(List.of("fc", "conv2", "conv1"), new ParameterRandomizer(model).topDown());
      assertEquals(3, ParameterRandomizer.layerCount(model));
    }
  }

  static double std(float[] v) {
    double m = 0;
    for (float x : v) {
      m += x;
    }
    m /= v.length;
    double s = 0;
    for (float x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / v.length);
  }
}
