package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.convlens.config.ConvLensHome;
import org.junit.jupiter.api.Test;

/** Incremental occlusion gives the logits of full re-inference, on the bundled model's stages. */
class IncrementalForwardTest {
  private static final float TOLERANCE = 1e-5f;

  /** Patches at corners and edges, clipped ones, odd sizes and offsets, one pixel, the whole image. */
  private static List<InferenceSession.Patch> patches(int c, int h, int w, long seed) {
    Random r = new Random(seed);
    int[][] rects = {
        {0, 0, 4, 4}, {28, 28, 4, 4}, {0, 28, 4, 4}, {28, 0, 4, 4}, {30, 30, 2, 2}, {13, 27, 3, 5},
        {12, 9, 8, 8}, {1, 1, 1, 1}, {31, 0, 1, 32}, {0, 0, h, w}, {5, 7, 11, 6}, {16, 16, 16, 16},
    };
    List<InferenceSession.Patch> out = new ArrayList<>();
    for (int[] rect : rects) {
      float[] values = new float[c * rect[2] * rect[3]];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) r.nextGaussian();
      }
      out.add(new InferenceSession.Patch(rect[0], rect[1], rect[2], rect[3], values));
    }
    return out;
  }

  @Test
  void bundledModelMatchesFullReinferenceEverywhere() throws Exception {
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ConvLensHome.bundledModel()));
        InferenceSession s = c.newSession()) {
      assertTrue(c.incrementalPatches(), "the bundled model's stages run incrementally");
      ModelDescription.Input in = c.description().input();
      float[][] images = ModelFixtures.images(3, in.channels(), in.height(), 11);
      for (int i = 0; i < images.length; i++) {
        List<InferenceSession.Patch> patches = patches(in.channels(), in.height(), in.width(), i);
        float[][] full = s.patchedLogits(images[i], in.height(), in.width(), patches, 64, false);
        // Several chunk sizes: the common window of a chunk depends on which copies it holds.
        for (int per : new int[] {64, 5, 1}) {
          float[][] inc = s.patchedLogits(images[i], in.height(), in.width(), patches, per, true);
          assertEquals(patches.size(), inc.length);
          float diff = ModelFixtures.maxAbsDiff(full, inc);
          assertTrue(diff <= TOLERANCE, "image " + i + ", " + per + " per eval: max |Δlogit| " + diff);
        }
        // Not vacuous: the patches do change the logits.
        float[] plain = s.forward(new float[][] {images[i]}).logits()[0];
        float change = 0;
        for (float[] row : full) {
          for (int k = 0; k < row.length; k++) {
            change = Math.max(change, Math.abs(row[k] - plain[k]));
          }
        }
        assertTrue(change > 0.01f, "patches changed the logits by only " + change);
      }
    }
  }

  @Test
  void torchScriptModelsFallBackToFullReinference() throws Exception {
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()));
        InferenceSession s = c.newSession()) {
      assertFalse(c.incrementalPatches());
      ModelDescription.Input in = c.description().input();
      float[] image = ModelFixtures.images(1, in.channels(), in.height(), 3)[0];
      List<InferenceSession.Patch> patches = List.of(
          new InferenceSession.Patch(0, 0, 2, 2, new float[in.channels() * 4]),
          new InferenceSession.Patch(in.height() - 1, in.width() - 1, 1, 1, new float[in.channels()]));
      float[][] got = s.patchedLogits(image, in.height(), in.width(), patches, 8, true);
      float[][] copies = {patches.get(0).applyTo(image, in.height(), in.width()),
          patches.get(1).applyTo(image, in.height(), in.width())};
      float[][] want = s.forward(copies).logits();
      assertArrayEquals(want[0], got[0], 0f);
      assertArrayEquals(want[1], got[1], 0f);
    }
  }

  @Test
  void reachFollowsKernelStrideAndPadding() {
    StagedModel.Stage conv = new StagedModel.Stage("conv", 3, 1, 1, List.of(Activation.reluBlock()));
    // Rows 4..7 changed: outputs 3..8 read them, and those read rows 2..9.
    assertArrayEquals(new int[] {3, 9, 2, 10}, IncrementalForward.reach(conv, 4, 8, 32, 32));
    // At the edges the reach is clipped to the map.
    assertArrayEquals(new int[] {0, 2, 0, 3}, IncrementalForward.reach(conv, 0, 1, 32, 32));
    assertArrayEquals(new int[] {30, 32, 29, 32}, IncrementalForward.reach(conv, 31, 32, 32, 32));
    StagedModel.Stage pool = new StagedModel.Stage("pool", 2, 2, 0, List.of(Activation.reluBlock()));
    // Rows 3..8 of 32 meet the 2×2 cells 1..4, which read rows 2..9.
    assertArrayEquals(new int[] {1, 5, 2, 10}, IncrementalForward.reach(pool, 3, 9, 32, 16));
    StagedModel.Stage wide = new StagedModel.Stage("conv5", 5, 1, 2, List.of(Activation.reluBlock()));
    assertArrayEquals(new int[] {8, 13, 6, 15}, IncrementalForward.reach(wide, 10, 11, 32, 32));
  }

  @Test
  void unsupportedGeometriesAreRefusedNotGuessed() {
    StagedModel.Stage stridedConv = new StagedModel.Stage("conv", 3, 2, 1, List.of(Activation.reluBlock()));
    StagedModel.Stage pool = new StagedModel.Stage("pool", 2, 2, 0, List.of(Activation.reluBlock()));
    assertNull(IncrementalForward.geometry(model(List.of(stridedConv)), 32, 32), "strided, padded convolution");
    assertNull(IncrementalForward.geometry(model(List.of(pool)), 31, 32), "pooling an odd length");
    assertNull(IncrementalForward.geometry(model(List.of()), 32, 32), "no stages");
    assertNotNull(IncrementalForward.geometry(model(List.of(pool, pool)), 32, 32));
    assertThrows(IllegalArgumentException.class,
        () -> new StagedModel.Stage("bad", 1, 2, 0, List.of(Activation.reluBlock())), "a stride that skips inputs");
  }

  @Test
  void patchesOutsideTheImageAreRefused() {
    InferenceSession.Patch p = new InferenceSession.Patch(30, 30, 4, 4, new float[3 * 16]);
    assertThrows(IllegalArgumentException.class, () -> p.applyTo(new float[3 * 32 * 32], 32, 32));
    assertThrows(IllegalArgumentException.class, () -> new InferenceSession.Patch(0, 0, 2, 2, new float[5]));
  }

  private static StagedModel model(List<StagedModel.Stage> stages) {
    return new StagedModel() {
      @Override
      public List<Stage> stages() {
        return stages;
      }

      @Override
      public NDArray head(ParameterStore parameters, NDArray features) {
        return features;
      }
    };
  }
}
