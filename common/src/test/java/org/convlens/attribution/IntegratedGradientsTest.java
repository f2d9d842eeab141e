package org.convlens.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.convlens.config.InvalidConfigException;
import org.convlens.data.ImageOps;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.ModelDescription;
import org.convlens.pipeline.ConfigLoader;
import org.junit.jupiter.api.Test;

/**
 * Integrated Gradients' known answers: its quadrature against numpy's {@code leggauss} and Captum's
 * Riemann rules, and on a linear model, where the integral is exact ((x − x') ⊙ W_t) and the
 * completeness error is 0 for every baseline and rule; its settings' refusals. Against PyTorch
 * on a ReLU network it is {@link AttributionTableTest}'s row.
 */
class IntegratedGradientsTest {

  @Test
  void gaussLegendreIsNumpysLeggaussMappedToTheUnitInterval() {
    // numpy.polynomial.legendre.leggauss(50) and (7), first node and weight; the middle one of 50.
    double[][] fifty = IntegratedGradients.gaussLegendre(50);
    assertEquals(-0.998866404420071, fifty[0][0], 1e-14);
    assertEquals(0.0029086225531578685, fifty[1][0], 1e-14);
    assertEquals(-0.031098338327188876, fifty[0][24], 1e-14);
    assertEquals(0.062176616655347, fifty[1][24], 1e-14);
    double[][] seven = IntegratedGradients.gaussLegendre(7);
    assertEquals(-0.9491079123427585, seven[0][0], 1e-14);
    assertEquals(0.12948496616887065, seven[1][0], 1e-14);
    // n = 1: the midpoint; n = 3: nodes 0, ±√(3/5), weights 8/9, 5/9 (on [−1, 1]).
    IntegratedGradients.Rule one = IntegratedGradients.Quadrature.GAUSS_LEGENDRE.rule(1);
    assertEquals(0.5, one.alphas()[0], 1e-15);
    assertEquals(1.0, one.weights()[0], 1e-15);
    IntegratedGradients.Rule three = IntegratedGradients.Quadrature.GAUSS_LEGENDRE.rule(3);
    double[] alphas = {0.5 * (1 - Math.sqrt(0.6)), 0.5, 0.5 * (1 + Math.sqrt(0.6))};
    double[] weights = {5.0 / 18, 8.0 / 18, 5.0 / 18};
    for (int s = 0; s < 3; s++) {
      assertEquals(alphas[s], three.alphas()[s], 1e-15, "alpha " + s);
      assertEquals(weights[s], three.weights()[s], 1e-15, "weight " + s);
    }
    // n points integrate polynomials up to degree 2n − 1 exactly: ∫₀¹ t^k dt = 1/(k + 1).
    for (int n : new int[] {2, 5, 50}) {
      IntegratedGradients.Rule r = IntegratedGradients.Quadrature.GAUSS_LEGENDRE.rule(n);
      for (int k = 0; k <= 2 * n - 1; k++) {
        double sum = 0;
        for (int s = 0; s < n; s++) {
          sum += r.weights()[s] * Math.pow(r.alphas()[s], k);
        }
        assertEquals(1.0 / (k + 1), sum, 1e-13, "n " + n + ", t^" + k);
      }
      for (int s = 1; s < n; s++) {
        assertTrue(r.alphas()[s] > r.alphas()[s - 1], "nodes ascending, as numpy's");
      }
    }
  }

  @Test
  void riemannRulesAreCaptums() {
    IntegratedGradients.Rule trapezoid = IntegratedGradients.Quadrature.RIEMANN_TRAPEZOID.rule(5);
    assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, trapezoid.alphas(), "trapezoid points");
    assertArrayEquals(new double[] {0.1, 0.2, 0.2, 0.2, 0.1}, trapezoid.weights(), "trapezoid weights");
    assertArrayEquals(new double[] {0, 0.2, 0.4, 0.6, 0.8},
        IntegratedGradients.Quadrature.RIEMANN_LEFT.rule(5).alphas(), "left points");
    assertArrayEquals(new double[] {0.2, 0.4, 0.6, 0.8, 1},
        IntegratedGradients.Quadrature.RIEMANN_RIGHT.rule(5).alphas(), "right points");
    assertArrayEquals(new double[] {0.1, 0.3, 0.5, 0.7, 0.9},
        IntegratedGradients.Quadrature.RIEMANN_MIDDLE.rule(5).alphas(), "middle points");
    assertArrayEquals(new double[] {0.2, 0.2, 0.2, 0.2, 0.2},
        IntegratedGradients.Quadrature.RIEMANN_MIDDLE.rule(5).weights(), "middle weights");
  }

  // A linear model: ∂logit_t/∂x = W_t on the whole path, so IG = (x − x') ⊙ W_t exactly and
  // Σ IG = W_t·x − W_t·x' = F(x) − F(x'): the completeness error is 0 up to float rounding. Every
  // rule's weights sum to 1 except Captum's trapezoid (1/n each, the ends halved: (n − 1)/n), whose
  // integral is that fraction of the exact one and whose error is −1/n of F(x) − F(x').
  @Test
  void onALinearModelItIsTheDifferenceTimesTheWeightsForEveryBaselineAndRule() throws Exception {
    int c = 3, h = 8, w = 8, classes = 4, size = c * h * w, plane = h * w;
    TestModels.LinearModel block = new TestModels.LinearModel(classes);
    ModelDescription d = TestModels.description("linear", c, h, w, classes);
    try (Classifier model = TestModels.wrap(block, d); InferenceSession session = model.newSession()) {
      float[] weight = TestModels.gaussian(classes * size, 1);
      block.set(weight, TestModels.gaussian(classes, 2));
      float[][] x = {TestModels.gaussian(size, 3), TestModels.gaussian(size, 4), TestModels.gaussian(size, 5)};
      String[] ids = {"a", "b", "c"};
      for (IntegratedGradients.Baseline baseline : IntegratedGradients.Baseline.values()) {
        for (IntegratedGradients.Quadrature rule : IntegratedGradients.Quadrature.values()) {
          AttributionSettings s = TestModels.settings(List.of(IntegratedGradients.NAME))
              .with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.F32)
              .with(IntegratedGradients.BASELINE, baseline).with(IntegratedGradients.QUADRATURE, rule)
              .with(IntegratedGradients.STEPS, 7).with(IntegratedGradients.BLUR_SIGMA, 1.0)
              .with(IntegratedGradients.INTERNAL_BATCH_SIZE, 5);
          AttributionBatch batch = AttributionBatch.run(session, model, s, x, ids, (i, logits) -> i);
          double weightSum = rule == IntegratedGradients.Quadrature.RIEMANN_TRAPEZOID ? 6.0 / 7 : 1;
          Object[][] out = new IntegratedGradients().attribute(batch);
          for (int i = 0; i < x.length; i++) {
            String what = baseline.code() + ", " + rule.code() + ", image " + i;
            int t = batch.target(i);
            assertEquals(i, t);
            float[] xPrime = expectedBaseline(baseline, x[i], c, h, w);
            float[] expected = new float[plane];
            double expectedScoreDifference = 0;
            for (int p = 0; p < size; p++) {
              float term = (x[i][p] - xPrime[p]) * weight[t * size + p];
              expected[p % plane] += (float) (weightSum * term);
              expectedScoreDifference += term;
            }
            AttributionCorrectnessTest.assertClose(expected, MapEncoding.decode((Row) out[i][0]), 1e-5, what);
            float delta = (Float) out[i][1];
            assertEquals((weightSum - 1) * expectedScoreDifference, delta,
                1e-5 * Math.max(1, Math.abs(expectedScoreDifference)), what + ": the completeness error");
          }
        }
      }
    }
  }

  /** The baseline as the docs define it, written out independently of the method's code. */
  private static float[] expectedBaseline(IntegratedGradients.Baseline b, float[] image, int c, int h, int w) {
    float[] out = new float[image.length];
    switch (b) {
      case BLACK -> java.util.Arrays.fill(out, (0f - 0.5f) / 0.25f); // TestModels.description: mean 0.5, std 0.25
      case MEAN -> { }
      case BLURRED -> out = ImageOps.blur(image, c, h, w, ImageOps.gaussianKernel(1.0));
    }
    return out;
  }

  @Test
  void extraForwardsAndRunJsonEntries() {
    AttributionSettings s = AttributionSettings.defaults().withMethods(List.of(IntegratedGradients.NAME));
    assertEquals(2 * 50 + 1, new IntegratedGradients().extraForwardsPerImage(s, null),
        "a forward and a backward per step, and the baseline's forward");
    assertEquals(Map.of("integrated_gradients_steps", 50, "integrated_gradients_quadrature", "gausslegendre",
        "integrated_gradients_baseline", "black", "integrated_gradients_internal_batch_size", 0),
        Attributions.recorded(s, null));
    assertEquals(1.5, Attributions.recorded(s.with(IntegratedGradients.BASELINE, IntegratedGradients.Baseline.BLURRED)
        .with(IntegratedGradients.BLUR_SIGMA, 1.5), null).get("integrated_gradients_blur_sigma"));
    IntegratedGradients.Settings own = s.of(IntegratedGradients.SPEC);
    assertEquals(64, own.pointsPerPass(3 * 32 * 32));
    assertEquals(6, own.pointsPerPass(3 * 224 * 224));
    assertEquals(9, s.with(IntegratedGradients.INTERNAL_BATCH_SIZE, 9).of(IntegratedGradients.SPEC)
        .pointsPerPass(3 * 224 * 224));
  }

  @Test
  void badSettingsNameTheirKey() {
    assertKey("analyze.integrated_gradients.steps", "analyze.integrated_gradients.steps=0");
    assertKey("analyze.integrated_gradients.steps", "analyze.integrated_gradients.steps=1",
        "analyze.integrated_gradients.quadrature=riemann_trapezoid");
    assertKey("analyze.integrated_gradients.baseline", "analyze.integrated_gradients.baseline=white");
    assertKey("analyze.integrated_gradients.quadrature", "analyze.integrated_gradients.quadrature=simpson");
    assertKey("analyze.integrated_gradients.blur-sigma", "analyze.integrated_gradients.blur-sigma=0");
    assertKey("analyze.integrated_gradients.internal-batch-size",
        "analyze.integrated_gradients.internal-batch-size=-1");
    // One step is Captum's minimum for Gauss–Legendre: the midpoint rule.
    assertEquals(1, ConfigLoader.load(null, Map.of(), List.of("analyze.integrated_gradients.steps=1"))
        .analyze().attribution().of(IntegratedGradients.SPEC).steps());
  }

  private static void assertKey(String key, String... sets) {
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(null, Map.of(), List.of(sets)));
    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }

  private static void assertArrayEquals(double[] expected, double[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-15, what + " " + i);
    }
  }
}
