package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TorchScriptModelTest {
  /** Agreement with PyTorch's own outputs for the same traced module and inputs. */
  static final float TOLERANCE = 1e-5f;

  @Test
  void agreesWithTorchOnTheReferenceInputs() throws Exception {
    ModelFixtures.Reference ref = ModelFixtures.tinyReference();
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()));
        InferenceSession s = c.newSession()) {
      assertInstanceOf(TorchScriptClassifier.class, c);
      assertEquals("tiny-torchscript-test", c.description().id());
      assertEquals("cpu()", c.device());
      assertEquals(16, ((BlockClassifier) c).embeddingDim());
      InferenceSession.Forward out = s.forward(ref.inputs());
      float logitsDiff = ModelFixtures.maxAbsDiff(ref.logits(), out.logits());
      float embeddingDiff = ModelFixtures.maxAbsDiff(ref.embeddings(), out.embeddings());
      System.out.printf("tiny_cnn.pt vs torch %s: max |diff| logits %.3g, embeddings %.3g%n",
          ref.torch(), logitsDiff, embeddingDiff);
      assertTrue(logitsDiff <= TOLERANCE, "logits differ by " + logitsDiff);
      assertTrue(embeddingDiff <= TOLERANCE, "embeddings differ by " + embeddingDiff);

      // One at a time gives the same rows as the batch.
      for (int i = 0; i < ref.inputs().length; i++) {
        InferenceSession.Forward one = s.forward(new float[][] {ref.inputs()[i]});
        assertArrayEquals(out.logits()[i], one.logits()[0], 1e-6f);
      }
    }
  }

  @Test
  void loadsFromTheSidecarJsonPathToo() throws Exception {
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(
            ModelFixtures.torchscriptDir().resolve("tiny_cnn.json")))) {
      assertEquals(List.of("circle", "square", "triangle", "star"), c.description().classNames());
    }
  }

  @Test
  void emptyBatchAndWrongSizedImages() throws Exception {
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()));
        InferenceSession s = c.newSession()) {
      assertEquals(0, s.forward(new float[0][]).logits().length);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> s.forward(new float[][] {new float[3 * 16 * 16], new float[10]}));
      assertTrue(e.getMessage().contains("image 1"), e.getMessage());
      assertTrue(e.getMessage().contains("768"), e.getMessage());
    }
  }

  @Test
  void sessionsRefuseToRunOnAClosedClassifier() throws Exception {
    Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()));
    InferenceSession s = c.newSession();
    c.close();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> s.forward(new float[][] {new float[3 * 16 * 16]}));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertThrows(IllegalStateException.class, c::newSession);
    s.close();
  }

  @Test
  void forwardOnAThreadWithGradModeOnTurnsItOffAndRestoresIt() throws Exception {
    ModelFixtures.Reference ref = ModelFixtures.tinyReference();
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()))) {
      AtomicReference<Object> result = new AtomicReference<>();
      Thread worker = new Thread(() -> {
        try (InferenceSession s = c.newSession()) {
          JniUtils.setGradMode(true); // what a fresh thread may inherit from a gradient method
          InferenceSession.Forward out = s.forward(ref.inputs());
          result.set(JniUtils.isGradMode() ? out : "grad mode not restored");
        } catch (Throwable t) {
          result.set(t);
        }
      });
      worker.start();
      worker.join();
      InferenceSession.Forward out = assertInstanceOf(InferenceSession.Forward.class, result.get());
      assertTrue(ModelFixtures.maxAbsDiff(ref.logits(), out.logits()) <= TOLERANCE);
    }
  }

  /** The loaded module is ready for input gradients (saliency, Grad-CAM) with frozen weights. */
  @Test
  void supportsInputGradientsWithFrozenWeights() throws Exception {
    ModelFixtures.Reference ref = ModelFixtures.tinyReference();
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()))) {
      BlockClassifier bc = (BlockClassifier) c;
      bc.block().getParameters().forEach(p ->
          assertTrue(!p.getValue().requiresGradient(), p.getKey() + " is not frozen"));
      try (NDManager m = bc.model().getNDManager().newSubManager()) {
        NDArray x = m.create(ref.inputs()[0], new Shape(1, 3, 16, 16));
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDList out = bc.block().forward(new ParameterStore(m, false), bc.inputs(x, null), true);
          assertEquals(3, out.size());
          gc.backward(out.get(0).get(0, 0));
        }
        float[] grad = x.getGradient().toFloatArray();
        double norm = 0;
        for (float g : grad) {
          norm += g * g;
        }
        assertTrue(norm > 0, "input gradient is zero");
      }
    }
  }
}
