package org.convlens.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.convlens.config.ConvLensHome;
import org.convlens.config.InvalidConfigException;
import org.convlens.data.CifarFormat;
import org.convlens.data.ImageOps;
import org.convlens.data.Preprocessor;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.InferenceSession.Gradients;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelLoader;
import org.convlens.model.ModelSpec;
import org.junit.jupiter.api.Test;

/**
 * The known answers of the attribution methods (models built for them, the engine's gradients
 * against PyTorch, invariants); every method against PyTorch's maps is {@link AttributionTableTest}.
 */
class AttributionCorrectnessTest {

  // 1. A linear model: the gradient of logit c w.r.t. the input is W_c, exactly.
  @Test
  void linearModelSaliencyAndGradCamHaveTheirKnownValues() throws Exception {
    int c = 3, h = 8, w = 8, classes = 4, size = c * h * w;
    TestModels.LinearModel block = new TestModels.LinearModel(classes);
    try (Classifier model = TestModels.wrap(block, TestModels.description("linear", c, h, w, classes));
        InferenceSession session = model.newSession()) {
      float[] weight = TestModels.gaussian(classes * size, 1);
      float[] bias = TestModels.gaussian(classes, 2);
      block.set(weight, bias);
      float[][] x = {TestModels.gaussian(size, 3), TestModels.gaussian(size, 4), TestModels.gaussian(size, 5)};
      AttributionSettings s = TestModels.settings(List.of("saliency", "gradcam"));
      AttributionBatch batch = AttributionBatch.run(session, model, s, x, new String[] {"a", "b", "c"},
          (i, logits) -> argmax(logits));
      List<Object[][]> out = Attributions.attribute(batch);
      for (int i = 0; i < x.length; i++) {
        int t = batch.target(i);
        // the target is the arg-max of W·x + b, computed here independently
        float[] logits = new float[classes];
        for (int k = 0; k < classes; k++) {
          logits[k] = bias[k];
          for (int p = 0; p < size; p++) {
            logits[k] += weight[k * size + p] * x[i][p];
          }
        }
        assertEquals(argmax(logits), t);
        float[] gradient = batch.inputGradients()[i];
        float[] expectedSaliency = new float[h * w];
        float[] alpha = new float[c];
        for (int p = 0; p < size; p++) {
          assertEquals(weight[t * size + p], gradient[p], 1e-6f, "∂logit/∂x = W_t at " + p);
          expectedSaliency[p % (h * w)] = Math.max(expectedSaliency[p % (h * w)], Math.abs(weight[t * size + p]));
          alpha[p / (h * w)] += weight[t * size + p] / (h * w);
        }
        float[] expectedCam = new float[h * w];
        for (int p = 0; p < h * w; p++) {
          for (int k = 0; k < c; k++) {
            expectedCam[p] += alpha[k] * x[i][k * h * w + p];
          }
          expectedCam[p] = Math.max(0, expectedCam[p]);
        }
        assertClose(expectedSaliency, MapEncoding.decode((Row) out.get(0)[i][0]), 1e-3, "saliency");
        assertClose(slice(weight, t * size, size),
            MapEncoding.decode((Row) out.get(0)[i][1]), 1e-3, "signed saliency");
        assertClose(expectedCam, MapEncoding.decode((Row) out.get(1)[i][0]), 1e-3, "Grad-CAM");
      }
      // CAM is only defined for GAP + linear heads; this model is not one.
      InvalidConfigException e = assertThrows(InvalidConfigException.class,
          () -> new Cam().check(model, TestModels.settings(List.of("cam"))));
      assertEquals("analyze.methods", e.key());
    }
  }

  // 2. A model that only looks at one region.
  @Test
  void occlusionSaliencyAndGradCamStayInTheRegionTheModelLooksAt() throws Exception {
    int c = 3, h = 16, w = 16, top = 4, left = 9, rh = 4, rw = 5;
    ai.djl.engine.Engine.getInstance().setRandomSeed(11);
    TestModels.RegionModel block = new TestModels.RegionModel(5, top, left, rh, rw);
    try (Classifier model = TestModels.wrap(block, TestModels.description("region", c, h, w, 5));
        InferenceSession session = model.newSession()) {
      float[][] x = new float[6][];
      String[] ids = new String[x.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = TestModels.gaussian(c * h * w, 100 + i);
        ids[i] = "img" + i;
      }
      AttributionSettings s = TestModels.settings(List.of("saliency", "gradcam", "cam", "occlusion"))
          .with(Occlusion.SPEC, o -> o.withGrids(List.of(4), List.of(2)));
      new Cam().check(model, s); // GAP + linear: CAM is allowed
      AttributionBatch batch = AttributionBatch.run(session, model, s, x, ids, (i, logits) -> argmax(logits));
      List<Object[][]> out = Attributions.attribute(batch);
      int camImages = 0;
      for (int i = 0; i < x.length; i++) {
        float[] saliency = MapEncoding.decode((Row) out.get(0)[i][0]);
        for (int r = 0; r < h; r++) {
          for (int col = 0; col < w; col++) {
            boolean inside = r >= top && r < top + rh && col >= left && col < left + rw;
            if (!inside) {
              assertEquals(0f, saliency[r * w + col], 0f, "saliency outside the region at " + r + "," + col);
            }
          }
        }
        float[] gradcam = MapEncoding.decode((Row) out.get(1)[i][0]);
        double inside = 0, total = 0;
        for (int r = 0; r < h; r++) {
          for (int col = 0; col < w; col++) {
            total += gradcam[r * w + col];
            // the 3×3 convolution reaches one pixel beyond the region
            if (r >= top - 1 && r <= top + rh && col >= left - 1 && col <= left + rw) {
              inside += gradcam[r * w + col];
            }
          }
        }
        if (total > 0) {
          camImages++;
          assertTrue(inside / total > 0.999, "Grad-CAM energy in the region: " + inside / total);
        }
        Row grid = ((Row[]) out.get(3)[i][0])[0];
        int rows = grid.getInt(2), cols = grid.getInt(3);
        float[] drop = floats(grid.get(5));
        double maxInside = 0;
        for (int r = 0; r < rows; r++) {
          for (int col = 0; col < cols; col++) {
            int y0 = r * 2, x0 = col * 2;
            boolean touches = y0 < top + rh && y0 + 4 > top && x0 < left + rw && x0 + 4 > left;
            float d = drop[r * cols + col];
            if (touches) {
              maxInside = Math.max(maxInside, Math.abs(d));
            } else {
              assertEquals(0f, d, 1e-6f, "occlusion away from the region changes nothing at " + r + "," + col);
            }
          }
        }
        assertTrue(maxInside > 1e-3, "occluding the region changes the prediction: " + maxInside);
      }
      assertTrue(camImages >= 3, "Grad-CAM non-zero for most images: " + camImages);
    }
  }

  // 3. TorchScript: the engine's gradients agree with PyTorch autograd. What the methods make of
  // them (Grad-CAM, occlusion, every target) is held to PyTorch in AttributionTableTest.
  @Test
  void torchScriptGradientsAgreeWithPyTorchAutograd() throws Exception {
    JsonNode ref = new ObjectMapper().readTree(TestModels.torchscriptDir().resolve("tiny_cnn_reference.json").toFile());
    float[][] x = matrix(ref.get("inputs"));
    try (Classifier model = TestModels.tinyTorchScript(); InferenceSession session = model.newSession()) {
      Gradients g = session.gradients(x, (i, logits) -> argmax(logits), model.defaultGradientLayer());
      for (int i = 0; i < x.length; i++) {
        assertEquals(ref.get("targets").get(i).asInt(), g.targets()[i]);
        assertRelative(floats(ref.get("input_gradients").get(i)), g.inputGradients()[i], "input gradient " + i);
        assertRelative(floats(ref.get("feature_maps").get(i)), g.layerActivations()[i], "feature map " + i);
        assertRelative(floats(ref.get("feature_gradients").get(i)), g.layerGradients()[i], "feature gradient " + i);
        assertRelative(floats(ref.get("gradcam_8_upsampled").get(i)),
            ImageOps.bilinear(floats(ref.get("cam_8").get(i)), 1, 8, 8, 16, 16), "bilinear 8→16 " + i);
      }
    }
  }

  // 4. Batched occlusion = one perturbation per forward; incremental occlusion = full re-inference.
  @Test
  void batchedOcclusionEqualsOnePerturbationAtATime() throws Exception {
    try (Classifier model = TestModels.bundled(); InferenceSession session = model.newSession()) {
      assertTrue(model.incrementalPatches());
      float[][] x = cifarImages(model, 3);
      String[] ids = {"a", "b", "c"};
      float[][] reference = null;
      for (int run = 0; run < 8; run++) {
        int per = new int[] {1, 7, 64, 1000}[run % 4];
        boolean incremental = run >= 4;
        AttributionSettings s = TestModels.settings(List.of("occlusion")).with(Occlusion.PERTURBATIONS_PER_EVAL, per)
            .with(Occlusion.INCREMENTAL, incremental);
        AttributionBatch batch = AttributionBatch.run(session, model, s, x, ids, (i, logits) -> argmax(logits));
        Object[][] out = new Occlusion().attribute(batch);
        float[][] probs = new float[x.length * 2][];
        for (int i = 0; i < x.length; i++) {
          Row[] grids = (Row[]) out[i][0];
          assertEquals(15 * 15, floats(grids[0].get(4)).length); // window 4, stride 2 on 32²
          assertEquals(7 * 7, floats(grids[1].get(4)).length); // window 8, stride 4
          probs[2 * i] = floats(grids[0].get(4));
          probs[2 * i + 1] = floats(grids[1].get(4));
        }
        if (reference == null) {
          reference = probs;
        } else {
          for (int j = 0; j < probs.length; j++) {
            for (int p = 0; p < probs[j].length; p++) {
              assertEquals(reference[j][p], probs[j][p], 1e-5f, "perturbations-per-eval " + per
                  + (incremental ? ", incremental" : "") + " grid " + j + " at " + p);
            }
          }
        }
      }
    }
  }

  // 5. Sanity check (Adebayo et al., 2018): randomised weights must change the saliency map.
  @Test
  void randomisingTheWeightsChangesTheSaliencyMap() throws Exception {
    try (Classifier trained = TestModels.bundled(); Classifier random = TestModels.randomisedBundled(5);
        InferenceSession a = trained.newSession(); InferenceSession b = random.newSession()) {
      float[][] x = cifarImages(trained, 8);
      int plane = 32 * 32;
      Gradients gt = a.gradients(x, (i, logits) -> argmax(logits), null);
      // explain the same class in both models
      Gradients gr = b.gradients(x, (i, logits) -> gt.targets()[i], null);
      Gradients again = a.gradients(x, (i, logits) -> argmax(logits), null);
      double sum = 0;
      for (int i = 0; i < x.length; i++) {
        float[] st = Maps.maxAbsOverChannels(gt.inputGradients()[i], 3, plane);
        float[] sr = Maps.maxAbsOverChannels(gr.inputGradients()[i], 3, plane);
        assertEquals(1.0, spearman(st, Maps.maxAbsOverChannels(again.inputGradients()[i], 3, plane)), 1e-9,
            "the same model gives the same map");
        sum += spearman(st, sr);
      }
      double mean = sum / x.length;
      System.out.printf("saliency rank correlation, trained vs randomised weights: %.3f%n", mean);
      assertTrue(mean < 0.5, "saliency barely changed when the weights were randomised: " + mean);
    }
  }

  // 6. Grad-CAM++ and LayerCAM on a layer computed by hand: the linear model's feature map is its
  // input A (3 channels × 2×2) and the gradient of logit 0 w.r.t. it is the weight row W_0, exactly.
  //   A_0 = [-1, -5, 2, 2]   g_0 = [1, -1, 0.25, 0]      S_0 = Σ A_0 = -2
  //   A_1 = [ 2, -3, 1, 2]   g_1 = [1, 0.5, -0.5, 0.25]  S_1 = 2
  //   A_2 = [ 1,  1, 1, 1]   g_2 = [-1, -1, -1, -1]      (no positive gradient: weight 0 in both)
  // Grad-CAM++: α ReLU(g) = g / (2 + S g) where g > 0 and the denominator is not 0:
  //   w_0: g = 1 gives 2 + (-2)(1) = 0 (dropped), g = 0.25 gives 0.25 / 1.5 = 1/6  → w_0 = 1/6
  //   w_1: 1/(2 + 2) + 0.5/(2 + 1) + 0.25/(2 + 0.5) = 1/4 + 1/6 + 1/10             → w_1 = 31/60
  //   ReLU(w_0 A_0 + w_1 A_1) = ReLU([-10 + 62, -50 - 93, 20 + 31, 20 + 62] / 60) = [52, 0, 51, 82] / 60
  // LayerCAM: ReLU(Σ_k ReLU(g_k) A_k) = ReLU([1·(-1) + 1·2, 0 + 0.5·(-3), 0.25·2 + 0, 0 + 0.25·2])
  //   = [1, 0, 0.5, 0.5] (a plain g · A would give 0 at the third position, and no final ReLU -1.5 at the second)
  @Test
  void gradCamPlusPlusAndLayerCamHaveTheirHandComputedValues() throws Exception {
    int c = 3, h = 2, w = 2, classes = 2;
    TestModels.LinearModel block = new TestModels.LinearModel(classes);
    try (Classifier model = TestModels.wrap(block, TestModels.description("linear2x2", c, h, w, classes));
        InferenceSession session = model.newSession()) {
      float[] weight = new float[classes * c * h * w]; // logit 1's row stays 0
      System.arraycopy(new float[] {1, -1, 0.25f, 0, 1, 0.5f, -0.5f, 0.25f, -1, -1, -1, -1}, 0, weight, 0, c * h * w);
      block.set(weight, new float[classes]);
      float[][] x = {{-1, -5, 2, 2, 2, -3, 1, 2, 1, 1, 1, 1}};
      AttributionSettings s = TestModels.settings(List.of(GradCamPlusPlus.NAME, LayerCam.NAME))
          .with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.F32);
      Attributions.check(model, s);
      AttributionBatch batch = AttributionBatch.run(session, model, s, x, new String[] {"a"}, (i, logits) -> 0);
      List<Object[][]> out = Attributions.attribute(batch);
      assertClose(new float[] {52 / 60f, 0, 51 / 60f, 82 / 60f}, MapEncoding.decode((Row) out.get(0)[0][0]), 1e-6,
          "Grad-CAM++");
      assertClose(new float[] {1, 0, 0.5f, 0.5f}, MapEncoding.decode((Row) out.get(1)[0][0]), 1e-6, "LayerCAM");

      // A layer the model lacks is refused on the driver, naming the method's own key.
      for (var key : List.of(GradCamPlusPlus.LAYER, LayerCam.LAYER)) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
            () -> Attributions.check(model, s.with(key, "conv9")));
        assertEquals(key.path(), e.key());
        assertTrue(e.getMessage().contains("conv9") && e.getMessage().contains("fm"), e.getMessage());
      }
    }
  }

  // ---------------------------------------------------------------------------------------

  static float[][] cifarImages(Classifier model, int n) throws Exception {
    byte[] all = Files.readAllBytes(ConvLensHome.sampleData().resolve("cifar10/test_batch.bin"));
    Preprocessor pre = Preprocessor.of(model.description());
    float[][] x = new float[n][];
    for (int i = 0; i < n; i++) {
      byte[] pixels = java.util.Arrays.copyOfRange(all, i * (CifarFormat.PIXEL_BYTES + 1) + 1,
          (i + 1) * (CifarFormat.PIXEL_BYTES + 1));
      x[i] = pre.applyPlanarRgb(pixels, 32, 32);
    }
    return x;
  }

  static int argmax(float[] v) {
    return org.convlens.model.TopK.argmax(v);
  }

  static double spearman(float[] a, float[] b) {
    return org.convlens.audit.Ranks.spearman(a, b);
  }

  static float[] slice(float[] v, int from, int n) {
    return java.util.Arrays.copyOfRange(v, from, from + n);
  }

  static float[] floats(Object o) {
    if (o instanceof float[] f) {
      return f;
    }
    if (o instanceof JsonNode n) {
      float[] f = new float[n.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = n.get(i).floatValue();
      }
      return f;
    }
    if (o instanceof scala.collection.Seq<?> seq) {
      float[] f = new float[seq.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = (Float) seq.apply(i);
      }
      return f;
    }
    throw new IllegalArgumentException(String.valueOf(o));
  }

  static float[][] matrix(JsonNode n) {
    float[][] m = new float[n.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = floats(n.get(i));
    }
    return m;
  }

  /** max |expected − actual| ≤ tol · max |expected| (the "≤ 1e-5 relative"). */
  static void assertRelative(float[] expected, float[] actual, String what) {
    assertClose(expected, actual, 1e-5, what);
  }

  static void assertClose(float[] expected, float[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = 0, worst = 0;
    for (int i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst <= tol * scale + 1e-12, what + ": max |diff| " + worst + " vs max |ref| " + scale);
  }

  // 6. The modified-backprop methods on one_relu.pt (make_test_model.py), worked out by hand in
  // ReluBackwardTest: for x = (2, -1), class 0 gets guided signal (0.5, 0) and deconvnet's
  // (0.5, 0.5); class 1 (0, -1.5) and (-1.5, -1.5). Its Grad-CAM on the layer after the ReLU
  // (A_a = (2, 0), A_b = (0, 1); alpha = (0.5, -1) for class 0, (-0.5, 1.5) for class 1) is
  // relu((1, -1)) = (1, 0) and relu((-1, 1.5)) = (0, 1.5), so Guided Grad-CAM is (0.5, 0) and
  // (0, -2.25).
  @Test
  void modifiedBackpropMethodsGiveTheHandComputedMaps() throws Exception {
    Path pt = TestModels.torchscriptDir().resolve("one_relu.pt");
    try (Classifier model = ModelLoader.load(new ModelSpec(pt.toString(), "cpu", 1, 1));
        InferenceSession session = model.newSession()) {
      AttributionSettings s = TestModels.settings(List.of("guided_backprop", "deconvnet", "guided_gradcam", "gradcam"))
          .with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.F32);
      Attributions.check(model, s);
      float[][] x = {{2f, -1f}, {2f, -1f}};
      int[] targets = {0, 1};
      AttributionBatch batch = AttributionBatch.run(session, model, s, x, new String[] {"a", "b"}, (i, l) -> targets[i]);
      List<Object[][]> out = Attributions.attribute(batch); // gradcam, guided_backprop, deconvnet, guided_gradcam
      float[][] guided = {{0.5f, 0f}, {0f, -1.5f}};
      float[][] deconvnet = {{0.5f, 0.5f}, {-1.5f, -1.5f}};
      float[][] guidedGradCam = {{0.5f, 0f}, {0f, -2.25f}};
      for (int i = 0; i < 2; i++) {
        assertArrayEquals(guided[i], MapEncoding.decode((Row) out.get(1)[i][1]), 1e-6f, "guided, class " + i);
        assertArrayEquals(deconvnet[i], MapEncoding.decode((Row) out.get(2)[i][1]), 1e-6f, "deconvnet, class " + i);
        assertArrayEquals(guidedGradCam[i], MapEncoding.decode((Row) out.get(3)[i][1]), 1e-6f,
            "Guided Grad-CAM, class " + i);
        // the unsigned column is max_c |signal| (one channel here)
        float[] unsigned = MapEncoding.decode((Row) out.get(2)[i][0]);
        assertArrayEquals(new float[] {Math.abs(deconvnet[i][0]), Math.abs(deconvnet[i][1])}, unsigned, 1e-6f);
      }
    }
  }

  // 7. Grad-CAM's backprop modifier changes the layer's gradient only through the ReLUs after
  // the layer: on the bundled model's last block (no ReLU follows) every modifier gives the same
  // map; on block2 (block3's four ReLUs follow) guided and relu give other maps than none.
  @Test
  void gradCamBackpropModifierActsThroughTheReLUsAfterTheLayer() throws Exception {
    try (Classifier model = TestModels.bundled(); InferenceSession session = model.newSession()) {
      ModelDescription.Input in = model.description().input();
      float[][] x = new float[3][];
      for (int i = 0; i < x.length; i++) {
        x[i] = TestModels.gaussian(in.channels() * in.height() * in.width(), 40 + i);
      }
      for (String layer : List.of("features.block3", "features.block2")) {
        java.util.Map<GradCam.BackpropModifier, float[][]> maps = new java.util.EnumMap<>(GradCam.BackpropModifier.class);
        for (GradCam.BackpropModifier modifier : GradCam.BackpropModifier.values()) {
          AttributionSettings s = TestModels.settings(List.of("gradcam")).with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.F32)
              .with(GradCam.LAYER, layer).with(GradCam.BACKPROP_MODIFIER, modifier);
          Attributions.check(model, s);
          AttributionBatch batch = AttributionBatch.run(session, model, s, x, new String[] {"a", "b", "c"}, (i, l) -> 1);
          Object[][] out = Attributions.attribute(batch).get(0);
          float[][] decoded = new float[x.length][];
          for (int i = 0; i < x.length; i++) {
            decoded[i] = MapEncoding.decode((Row) out[i][0]);
          }
          maps.put(modifier, decoded);
        }
        for (GradCam.BackpropModifier modifier : List.of(GradCam.BackpropModifier.GUIDED, GradCam.BackpropModifier.RELU)) {
          double diff = 0;
          for (int i = 0; i < x.length; i++) {
            for (int p = 0; p < maps.get(modifier)[i].length; p++) {
              diff = Math.max(diff, Math.abs(maps.get(modifier)[i][p] - maps.get(GradCam.BackpropModifier.NONE)[i][p]));
            }
          }
          if (layer.equals("features.block3")) {
            assertTrue(diff < 1e-5, modifier + " changed the last block's map by " + diff);
          } else {
            assertTrue(diff > 1e-3, modifier + " left block2's map unchanged");
          }
        }
      }
    }
  }

  // 8. A model that cannot run the modified backward is refused before any image, naming the key.
  @Test
  void modelsWithoutAModifiedBackwardAreRefusedNamingTheKey(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    for (String file : List.of("tiny_cnn.pt", "tiny_cnn.json")) {
      Files.copy(TestModels.torchscriptDir().resolve(file), dir.resolve(file));
    }
    try (Classifier model = ModelLoader.load(new ModelSpec(dir.resolve("tiny_cnn.pt").toString(), "cpu", 1, 1))) {
      for (String method : List.of("guided_backprop", "deconvnet", "guided_gradcam")) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
            () -> Attributions.check(model, TestModels.settings(List.of(method))));
        assertEquals("analyze.methods", e.key());
        assertTrue(e.getMessage().contains(method) && e.getMessage().contains("tiny_cnn.relu-backward.pt"), e.getMessage());
      }
      AttributionSettings guided = TestModels.settings(List.of("gradcam"))
          .with(GradCam.BACKPROP_MODIFIER, GradCam.BackpropModifier.GUIDED);
      InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Attributions.check(model, guided));
      assertEquals("analyze.gradcam.backprop-modifier", e.key());
      Attributions.check(model, TestModels.settings(List.of("gradcam"))); // none needs nothing more
    }
    com.typesafe.config.Config conf = com.typesafe.config.ConfigFactory.parseFile(
        ConvLensHome.sampleData().resolveSibling("conf").resolve("convlens.conf").toFile());
    InvalidConfigException bad = assertThrows(InvalidConfigException.class, () -> AttributionSettings.from(
        com.typesafe.config.ConfigFactory.parseString("analyze.gradcam.backprop-modifier = sideways").withFallback(conf)));
    assertEquals("analyze.gradcam.backprop-modifier", bad.key());
    assertTrue(bad.getMessage().contains("none, guided, relu"), bad.getMessage());
  }
}
