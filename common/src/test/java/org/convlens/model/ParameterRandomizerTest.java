package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
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
      List<String> layers = r.topDown();
      assertEquals("02head", layers.get(0), "the logits layer first");
      assertTrue(layers.size() >= 5, layers.toString());
      ModelParameters params = ModelParameters.of(model);
      String head = params.list().stream().filter(p -> p.module().equals("02head") && p.role().equals("weight"))
          .findFirst().orElseThrow().name();
      String first = params.list().get(0).name();
      float[] headBefore = params.values(head);
      float[] firstBefore = params.values(first);
      float[][] x = {new float[3 * 32 * 32]};
      Arrays.fill(x[0], 0.3f);
      float[] logits = session.forward(x).logits()[0];

      r.randomize("02head", 11);
      float[] headAfter = params.values(head);
      assertFalse(Arrays.equals(headBefore, headAfter), "the head is re-drawn");
      assertArrayEquals(firstBefore, params.values(first), "lower layers are untouched");
      assertEquals(std(headBefore), std(headAfter), 0.1 * std(headBefore), "the scale is kept");
      assertFalse(Arrays.equals(logits, session.forward(x).logits()[0]), "the model's output changes");
      r.restore();
      r.randomize("02head", 11);
      assertArrayEquals(headAfter, params.values(head), "the same seed draws the same weights");
      r.restore();
      assertArrayEquals(headBefore, params.values(head));
      assertArrayEquals(logits, session.forward(x).logits()[0], "restored exactly");
      assertThrows(IllegalArgumentException.class, () -> r.randomize("nope", 1));
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
