package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.convlens.attribution.AttributionBatch;
import org.convlens.attribution.AttributionSettings;
import org.convlens.attribution.SmoothGrad;
import org.convlens.attribution.MapEncoding;
import org.convlens.attribution.Occlusion;
import org.convlens.config.ConvLensHome;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.ModelLoader;
import org.convlens.model.ModelSpec;
import org.junit.jupiter.api.Test;

class ExplanationQualityTest {
  @Test
  void aucIsTheTrapezoidAreaOverZeroToOne() {
    assertEquals(0.7, ExplanationQuality.auc(new float[] {0.7f, 0.7f, 0.7f}), 1e-6);
    assertEquals(0.5, ExplanationQuality.auc(new float[] {1, 0.75f, 0.5f, 0.25f, 0}), 1e-6);
    assertEquals(0.25, ExplanationQuality.auc(new float[] {0, 0, 1}), 1e-6, "a jump at the end");
  }

  @Test
  void pixelsGoInOrderOfImportanceTiesByIndex() {
    assertArrayEquals(new int[] {2, 0, 1, 3}, ExplanationQuality.order(new float[] {0.3f, 0.1f, 0.5f, 0.1f}, 2, 2, 2));
  }

  @Test
  void replacingSetsEveryChannelOfThePixels() {
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8}; // 2 channels of a 2×2 image
    assertArrayEquals(new float[] {1, 0, 3, 0, 5, 0, 7, 0}, ExplanationQuality.replace(x, new int[] {1, 3, 0, 2}, 2,
        null, 2, 4), "deletion: the first 2 pixels of the order become 0");
    float[] blurred = new float[8];
    assertArrayEquals(new float[] {0, 2, 0, 0, 0, 6, 0, 0}, ExplanationQuality.replace(blurred, new int[] {1, 3, 0, 2},
        1, x, 2, 4), "insertion: the first pixel comes from the image");
  }

  @Test
  void occlusionRerunsAtStepsSpreadFromTheFirstToTheLast() {
    assertEquals(Set.of(1, 5, 9, 13), ExplanationQuality.cascadeSteps(13, 4));
    assertEquals(Set.of(1, 13), ExplanationQuality.cascadeSteps(13, 2));
    assertEquals(Set.of(1, 2, 3), ExplanationQuality.cascadeSteps(3, 3));
    ExplanationQuality.Options every = ExplanationQuality.Options.builder()
        .model(null)
        .description(null)
        .attribution(null)
        .maxFileBytes(0)
        .maxPixels(0)
        .batchSize(1)
        .cascadeLayers(0)
        .gridSteps(0)
        .curveSteps(16)
        .blurSigma(5)
        .seed(1)
        .build();
    ExplanationQuality.Options four = ExplanationQuality.Options.builder()
        .model(null)
        .description(null)
        .attribution(null)
        .maxFileBytes(0)
        .maxPixels(0)
        .batchSize(1)
        .cascadeLayers(0)
        .gridSteps(4)
        .curveSteps(16)
        .blurSigma(5)
        .seed(1)
        .build();
    for (int step = 1; step <= 13; step++) {
      assertTrue(every.gridReruns(step, 13));
      assertEquals(step == 1 || step == 5 || step == 9 || step == 13, four.gridReruns(step, 13), "step " + step);
    }
    assertTrue(four.gridReruns(2, 3), "more re-runs than steps: every step");
  }

  /** The cascade's reference tiles, taken from the trained grid, are what occlusion computes with stride = window. */
  @Test
  void tilesTakenFromTheOverlappingGridAreOcclusionsOwnTiles() throws Exception {
    try (Classifier model = ModelLoader.load(new ModelSpec(ConvLensHome.bundledModel().toString(), "cpu", 1, 1));
        InferenceSession session = model.newSession()) {
      Random r = new Random(3);
      float[][] x = new float[2][3 * 32 * 32];
      for (float[] image : x) {
        for (int i = 0; i < image.length; i++) {
          image[i] = (float) r.nextGaussian();
        }
      }
      AttributionSettings grid = AttributionSettings.defaults().withMethods(List.of("occlusion")).with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.F16)
          .with(AttributionSettings.MAP_MAX_SIDE, 0).with(SmoothGrad.SAMPLES, 4)
          .with(SmoothGrad.NOISE, 0.15)
          .with(AttributionSettings.SEED, 7L).with(Occlusion.SPEC, o -> o.withGrids(List.of(8), List.of(4)))
          .with(Occlusion.BASELINE, Occlusion.Baseline.GREY)
          .with(Occlusion.PERTURBATIONS_PER_EVAL, 16);
      Row[] fine = grids(session, model, grid, x);
      Row[] tiles = grids(session, model, Occlusion.withGrids(grid, List.of(8), List.of(8)), x);
      for (int i = 0; i < x.length; i++) {
        Row derived = ExplanationQuality.tilesOf(fine[i], 32, 32);
        assertEquals(4, derived.getInt(2));
        assertEquals(8, derived.getInt(1));
        assertArrayEquals((float[]) tiles[i].get(5), (float[]) derived.get(5), 1e-5f, "drops of image " + i);
        assertArrayEquals((int[]) tiles[i].get(6), (int[]) derived.get(6));
      }
      // Stride 3 does not divide the window: no tiles among the positions.
      Row odd = grids(session, model, Occlusion.withGrids(grid, List.of(8), List.of(3)), x)[0];
      assertNull(ExplanationQuality.tilesOf(odd, 32, 32));
    }
  }

  private static Row[] grids(InferenceSession session, Classifier model, AttributionSettings settings, float[][] x) {
    AttributionBatch batch = AttributionBatch.run(session, model, settings, x, new String[] {"a", "b"}, (i, logits) -> 0);
    Object[][] values = new Occlusion().attribute(batch);
    Row[] out = new Row[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = ((Row[]) values[i][0])[0];
    }
    return out;
  }
}
