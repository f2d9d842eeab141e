package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.convlens.config.ConvLensHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The modified ReLU backward ({@link InferenceSession#reluGradients}) on both engines: known
 * answers worked out by hand on a one-ReLU network, and, with the plain rule, the ordinary
 * gradient of every layer of the bundled model and of tiny_cnn.pt (which holds only if every
 * ReLU of the model is a segment boundary and the segments chain correctly).
 */
class ReluBackwardTest {
  /**
   * one_relu.pt (make_test_model.py): x = (x1, x2) one channel, z_a = x, z_b = -x, a = relu(z),
   * logits = W · mean_p(a), W = [[1, -2], [-1, 3]]. For x = (2, -1): z_a = (2, -1), z_b = (-2, 1).
   * Class 0: the signal at a_a is W00/2 = 0.5 per pixel, at a_b W01/2 = -1. Plain: (0.5, 0) on z_a
   * and (0, -1) on z_b, dx = z_a's − z_b's = (0.5, 1). Guided: the negative signal is cut, (0.5, 0)
   * and 0, dx = (0.5, 0). Relu rule: (0.5, 0.5) and 0, dx = (0.5, 0.5). Class 1: signals −0.5 and
   * 1.5; plain dx = (−0.5, −1.5), guided (0, −1.5), relu (−1.5, −1.5). The layer (after the ReLU)
   * gets the head's signal under every rule: class 0 (0.5, 0.5, −1, −1), class 1 (−0.5, −0.5,
   * 1.5, 1.5). The logits: mean a_a = 1, mean a_b = 0.5, so (1 − 1, −1 + 1.5) = (0, 0.5).
   */
  @Test
  void oneReluNetworkGivesTheHandComputedSignals() throws Exception {
    Path pt = ConvLensHome.sampleData().resolve("torchscript").resolve("one_relu.pt");
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(pt)); InferenceSession s = c.newSession()) {
      assertNull(c.reluBackwardMissing());
      float[][] x = {{2f, -1f}, {2f, -1f}};
      int[] targets = {0, 1};
      Map<ReluRule, float[][]> want = Map.of(
          ReluRule.PLAIN, new float[][] {{0.5f, 1f}, {-0.5f, -1.5f}},
          ReluRule.GUIDED, new float[][] {{0.5f, 0f}, {0f, -1.5f}},
          ReluRule.RELU, new float[][] {{0.5f, 0.5f}, {-1.5f, -1.5f}});
      float[][] layer = {{0.5f, 0.5f, -1f, -1f}, {-0.5f, -0.5f, 1.5f, 1.5f}};
      for (ReluRule rule : ReluRule.values()) {
        InferenceSession.Gradients g = s.reluGradients(x, targets, "conv", rule);
        for (int i = 0; i < 2; i++) {
          assertArrayEquals(want.get(rule)[i], g.inputGradients()[i], 1e-6f, rule + " class " + i);
          assertArrayEquals(layer[i], g.layerGradients()[i], 1e-6f, rule + " layer, class " + i);
          assertArrayEquals(new float[] {2f, 0f, 0f, 1f}, g.layerActivations()[i], 1e-6f);
        }
        assertArrayEquals(new float[] {0f, 0.5f}, g.logits()[0], 1e-6f);
      }
      // The plain rule is the ordinary gradient.
      InferenceSession.Gradients plain = s.gradients(x, (i, l) -> targets[i], "conv");
      assertArrayEquals(plain.inputGradients()[0], want.get(ReluRule.PLAIN)[0], 1e-6f);
      assertArrayEquals(plain.inputGradients()[1], want.get(ReluRule.PLAIN)[1], 1e-6f);
    }
  }

  @Test
  void plainRuleIsTheGradientOfEveryLayerOfTheBundledModel() throws Exception {
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ConvLensHome.bundledModel()));
        InferenceSession s = c.newSession()) {
      assertNull(c.reluBackwardMissing());
      float[][] x = images(3, c.description().input(), 5);
      int[] targets = {0, 1, 2};
      for (String layer : c.gradientLayers().keySet()) {
        compare(s, x, targets, layer);
      }
      compare(s, x, targets, null);
      assertRuleMatters(s, x, targets);
    }
  }

  @Test
  void plainRuleIsTheGradientOfTinyCnn() throws Exception {
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()));
        InferenceSession s = c.newSession()) {
      assertNull(c.reluBackwardMissing());
      float[][] x = images(3, c.description().input(), 6);
      int[] targets = {3, 0, 2};
      compare(s, x, targets, c.defaultGradientLayer());
      compare(s, x, targets, null);
      assertRuleMatters(s, x, targets);
    }
  }

  @Test
  void aTorchScriptModelWithoutItsSiblingHasNone(@TempDir Path dir) throws Exception {
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.copyTiny(dir)));
        InferenceSession s = c.newSession()) {
      String missing = c.reluBackwardMissing();
      assertNotNull(missing);
      assertTrue(missing.contains("tiny_cnn.relu-backward.pt") && missing.contains("export_model.py"), missing);
      float[][] x = images(1, c.description().input(), 1);
      assertThrows(IllegalStateException.class, () -> s.reluGradients(x, new int[] {0}, null, ReluRule.GUIDED));
    }
  }

  /** The plain rule gives the ordinary gradients of the input and {@code layer}, 1e-5 relative. */
  private static void compare(InferenceSession s, float[][] x, int[] targets, String layer) {
    InferenceSession.Gradients plain = s.gradients(x, (i, l) -> targets[i], layer);
    InferenceSession.Gradients segmented = s.reluGradients(x, targets, layer, ReluRule.PLAIN);
    for (int i = 0; i < x.length; i++) {
      assertArrayEquals(plain.logits()[i], segmented.logits()[i], 1e-5f);
      assertRelative(plain.inputGradients()[i], segmented.inputGradients()[i], "input, layer " + layer);
      if (layer != null) {
        assertRelative(plain.layerGradients()[i], segmented.layerGradients()[i], "layer " + layer);
        assertRelative(plain.layerActivations()[i], segmented.layerActivations()[i], "activation " + layer);
      }
    }
  }

  /** The guided and relu rules change the signal, and guided's is zero wherever plain's is. */
  private static void assertRuleMatters(InferenceSession s, float[][] x, int[] targets) {
    float[][] plain = s.reluGradients(x, targets, null, ReluRule.PLAIN).inputGradients();
    for (ReluRule rule : new ReluRule[] {ReluRule.GUIDED, ReluRule.RELU}) {
      float[][] modified = s.reluGradients(x, targets, null, rule).inputGradients();
      double diff = 0;
      for (int i = 0; i < x.length; i++) {
        for (int p = 0; p < plain[i].length; p++) {
          diff = Math.max(diff, Math.abs(plain[i][p] - modified[i][p]));
        }
      }
      assertTrue(diff > 1e-6, rule + " gives the plain gradient");
    }
  }

  private static void assertRelative(float[] want, float[] got, String what) {
    double scale = 0;
    double diff = 0;
    for (int p = 0; p < want.length; p++) {
      scale = Math.max(scale, Math.abs(want[p]));
      diff = Math.max(diff, Math.abs(want[p] - got[p]));
    }
    assertTrue(scale > 0, what + ": all zero");
    assertTrue(diff <= 1e-5 * scale, what + ": relative difference " + diff / scale);
  }

  private static float[][] images(int n, ModelDescription.Input in, long seed) {
    Random r = new Random(seed);
    float[][] x = new float[n][in.channels() * in.height() * in.width()];
    for (float[] image : x) {
      for (int p = 0; p < image.length; p++) {
        image[p] = (float) r.nextGaussian();
      }
    }
    return x;
  }
}
