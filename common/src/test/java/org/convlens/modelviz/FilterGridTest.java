package org.convlens.modelviz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.convlens.config.InvalidConfigException;
import org.convlens.data.Images;
import org.convlens.model.ModelParameters;
import org.convlens.model.ModelParameters.Param;
import org.junit.jupiter.api.Test;

/** Filter grids of the bundled DJL model and the TorchScript fixture. */
class FilterGridTest {
  @Test
  void layersAreChosenAutomaticallyOrByNameOnBothEngines() throws Exception {
    ModelParameters p = ModelParameters.of(FeatureModels.bundled());
    List<Param> auto = FilterGrid.chooseLayers(p, "", "");
    assertEquals("features.block1.conv1.weight", auto.get(0).name());
    assertEquals("features.block1.conv1", auto.get(0).module());
    assertEquals("features.block1.conv2.weight", auto.get(1).name());
    List<Param> named = FilterGrid.chooseLayers(p, "features.block2.conv1", "features.block2.conv2.weight");
    assertEquals("features.block2.conv1.weight", named.get(0).name());
    assertEquals("features.block2.conv2.weight", named.get(1).name());
    // DJL's own block names are refused, naming what the layer is called now.
    InvalidConfigException old = assertThrows(InvalidConfigException.class,
        () -> FilterGrid.chooseLayers(p, "01features_08Conv2d", ""));
    assertEquals("model-viz.filters.first-layer", old.key());
    assertTrue(old.getMessage().contains("now features.block2.conv1"), old.getMessage());
    assertTrue(old.getMessage().contains("features.block1.conv1, features.block1.conv2, features.block2.conv1"),
        old.getMessage());

    ModelParameters t = ModelParameters.of(FeatureModels.tiny());
    List<Param> ts = FilterGrid.chooseLayers(t, "", "");
    assertEquals("conv1.weight", ts.get(0).name());
    assertEquals("conv2.weight", ts.get(1).name());
    assertEquals(1, FilterGrid.chooseLayers(t, "conv2", "").size()); // nothing after conv2

    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> FilterGrid.chooseLayers(t, "fc", ""));
    assertEquals("model-viz.filters.first-layer", e.key());
    assertTrue(e.getMessage().contains("conv1, conv2"), e.getMessage());
    e = assertThrows(InvalidConfigException.class, () -> FilterGrid.chooseLayers(t, "", "nosuch"));
    assertEquals("model-viz.filters.second-layer", e.key());
  }

  /** First layer: one RGB tile per filter, each spanning [0,1] on its own. */
  @Test
  void firstLayerTilesAreRgbAndNormalisedPerFilter() throws Exception {
    ModelParameters p = ModelParameters.of(FeatureModels.bundled());
    Param w = FilterGrid.chooseLayers(p, "", "").get(0);
    FilterGrid g = FilterGrid.of(p, w, true);
    assertEquals(FilterGrid.Layout.RGB, g.layout());
    assertArrayEquals(new long[] {32, 3, 3, 3}, g.shape());
    assertEquals(32, g.tiles().length);
    assertEquals(6, g.columns());
    assertEquals(6, g.rows());
    assertEquals(4, g.scale()); // 3×3 kernels drawn 12×12
    assertEquals(6 * 12 + 5, g.width());
    assertEquals(6 * 12 + 5, g.height());
    float[] raw = p.values(w.name());
    for (int o = 0; o < 32; o++) {
      float[] tile = g.tiles()[o];
      assertEquals(27, tile.length);
      float min = 1;
      float max = 0;
      for (float v : tile) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assertEquals(0f, min, 0);
      assertEquals(1f, max, 1e-6);
      // Affine in the filter's own weights: the order of values is kept.
      float lo = Float.MAX_VALUE;
      float hi = -Float.MAX_VALUE;
      for (int i = 0; i < 27; i++) {
        lo = Math.min(lo, raw[o * 27 + i]);
        hi = Math.max(hi, raw[o * 27 + i]);
      }
      assertEquals((raw[o * 27 + 13] - lo) / (hi - lo), tile[13], 1e-5);
    }
    // The picture: tile 7's top-left kernel value in red/green/blue at its origin.
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(Images.png(g.render())));
    assertEquals(g.width(), img.getWidth());
    int[] at = g.tileOrigin(7);
    assertArrayEquals(new int[] {1 * 13, 1 * 13}, at);
    int rgb = img.getRGB(at[0] + 3, at[1] + 3); // inside the enlarged (0,0) value
    float[] t7 = g.tiles()[7];
    assertEquals(Images.byteOf(t7[0]), (rgb >> 16) & 0xff);
    assertEquals(Images.byteOf(t7[9]), (rgb >> 8) & 0xff);
    assertEquals(Images.byteOf(t7[18]), rgb & 0xff);
  }

  /** Second layer: grey k×k tiles of W[o, c], grouped by input channel c. */
  @Test
  void secondLayerTilesAreGroupedByInputChannel() throws Exception {
    ModelParameters p = ModelParameters.of(FeatureModels.tiny());
    Param w = FilterGrid.chooseLayers(p, "", "").get(1);
    FilterGrid g = FilterGrid.of(p, w, false);
    assertEquals(FilterGrid.Layout.BY_INPUT_CHANNEL, g.layout());
    assertEquals(16 * 8, g.tiles().length);
    assertEquals(4, g.columns()); // 16 kernels per group: 4×4
    assertEquals(4, g.rows());
    assertEquals(3, g.groupColumns()); // 8 groups: 3×3
    assertEquals(3, g.groupRows());
    float[] raw = p.values(w.name()); // 16×8×3×3
    int o = 5;
    int c = 6;
    float[] expected = FilterGrid.normalised(raw, (o * 8 + c) * 9, 9);
    assertArrayEquals(expected, g.tiles()[c * 16 + o], 0);
    // Group 6 sits in the third row of groups, first column.
    int groupW = 4 * (3 * g.scale() + 1) - 1;
    int[] at = g.tileOrigin(c * 16);
    assertArrayEquals(new int[] {0, 2 * (groupW + FilterGrid.GROUP_GAP)}, at);
    assertEquals(3 * (groupW + FilterGrid.GROUP_GAP) - FilterGrid.GROUP_GAP, g.width());
  }

  @Test
  void aConstantFilterIsMidGrey() {
    assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, FilterGrid.normalised(new float[] {2, 2, 2, 2}, 1, 3), 0);
  }
}
