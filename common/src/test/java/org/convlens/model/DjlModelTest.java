package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlModelTest {
  @TempDir Path tmp;

  @Test
  void savedSmallCnnLoadsAndMatchesTheInMemoryModel() throws Exception {
    float[][] images = ModelFixtures.images(5, 3, ModelFixtures.DJL_SIZE, 11);
    float[][][] expected;
    try (Model model = ModelFixtures.seededSmallCnn(ModelFixtures.DJL_CLASSES.size(), 42)) {
      ModelFixtures.save(model,
          ModelFixtures.djlDescription("small-cnn-test", ModelFixtures.DJL_CLASSES), tmp);
      expected = ModelFixtures.forward(model, images, ModelFixtures.DJL_SIZE);
    }
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(tmp));
        InferenceSession s = c.newSession()) {
      assertInstanceOf(DjlClassifier.class, c);
      assertEquals(SmallCnn.EMBEDDING_DIM, ((BlockClassifier) c).embeddingDim());
      InferenceSession.Forward out = s.forward(images);
      assertEquals(5, out.logits().length);
      assertEquals(ModelFixtures.DJL_CLASSES.size(), out.logits()[0].length);
      assertEquals(5, out.embeddings().length);
      assertEquals(SmallCnn.EMBEDDING_DIM, out.embeddings()[0].length);
      float logitsDiff = ModelFixtures.maxAbsDiff(expected[0], out.logits());
      float embeddingDiff = ModelFixtures.maxAbsDiff(expected[1], out.embeddings());
      assertTrue(logitsDiff <= 1e-6f, "logits differ by " + logitsDiff);
      assertTrue(embeddingDiff <= 1e-6f, "embeddings differ by " + embeddingDiff);
      // The seeded model is not degenerate: images get different logits.
      assertTrue(ModelFixtures.maxAbsDiff(new float[][] {out.logits()[0]},
          new float[][] {out.logits()[1]}) > 1e-3f);
    }
  }

  @Test
  void loadsFromTheModelJsonFileToo() throws Exception {
    try (Model model = ModelFixtures.seededSmallCnn(2, 1)) {
      ModelFixtures.save(model,
          ModelFixtures.djlDescription("small-cnn-2", java.util.List.of("a", "b")), tmp);
    }
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(tmp.resolve("model.json")))) {
      assertEquals(2, c.description().numClasses());
    }
  }
}
