package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructType;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.StructField;
import org.convlens.attribution.AttributionMethod;
import org.convlens.attribution.Attributions;
import org.convlens.attribution.MapEncoding;
import org.convlens.attribution.Occlusion;
import org.junit.jupiter.api.Test;

class AttentionMapsTest {
  @Test
  void mapsBecomeDistributions() {
    float[] n = AttentionMaps.normalise(new float[] {1, -3, 0, 4});
    assertArrayEquals(new float[] {0.125f, 0.375f, 0, 0.5f}, n, 1e-7f, "|v| / sum |v|");
    assertNull(AttentionMaps.normalise(new float[4]), "an all-zero map says nothing");
  }

  @Test
  void occlusionPixelsAreCaptumsMeanOfCoveringWindows() {
    // 4×4 input, window 2, stride 1: 3×3 positions; drop d(r, c) = r * 3 + c, one negative.
    float[] drop = {0, 1, 2, 3, 4, 5, 6, 7, -8};
    Row grid = RowFactory.create(2, 1, 3, 3, new float[9], drop, new int[9]);
    float[] p = Occlusion.pixelAttribution(grid, 4, 4);
    assertEquals(0, p[0], 1e-6, "pixel (0,0): only window (0,0)");
    assertEquals((0 + 1) / 2f, p[1], 1e-6, "pixel (0,1): windows (0,0), (0,1)");
    assertEquals((0 + 1 + 3 + 4) / 4f, p[5], 1e-6, "pixel (1,1): four windows");
    assertEquals(0, p[15], 1e-6, "pixel (3,3): only window (2,2), whose negative drop counts as 0");
    assertEquals((4 + 5 + 7 + 0) / 4f, p[10], 1e-6, "pixel (2,2): the negative drop clamps at 0");
  }

  @Test
  void readsStoredMapsAndGridsFromARow() {
    StructType schema = new StructType().add("saliency", MapEncoding.STRUCT, true)
        .add("occlusion", new Occlusion().fields().get(0).dataType(), true);
    float[] sal = new float[16];
    sal[15] = 2; // all the mass in the bottom-right pixel of a 4×4 map
    Row map = MapEncoding.encode(sal, 1, 4, 4, MapEncoding.Kind.F16, MapEncoding.Range.UNIT);
    Row grid = RowFactory.create(2, 2, 2, 2, new float[4], new float[] {0, 0, 0, 1}, new int[4]);
    Row row = new GenericRowWithSchema(new Object[] {map, new Row[] {grid}}, schema);
    float[] s = AttentionMaps.of(row, "saliency", 2, 4, 4);
    assertArrayEquals(new float[] {0, 0, 0, 1}, s, 1e-6f, "area-averaged to 2×2, normalised");
    float[] o = AttentionMaps.of(row, "occlusion", 2, 4, 4);
    assertArrayEquals(new float[] {0, 0, 0, 1}, o, 1e-6f, "the window at (2,2) is the bottom-right quarter");
    Row empty = new GenericRowWithSchema(new Object[] {null, null}, schema);
    assertNull(AttentionMaps.of(empty, "saliency", 2, 4, 4));
    assertNull(AttentionMaps.of(empty, "occlusion", 2, 4, 4));
  }

  /**
   * Every registered method, read from a row of its own columns with all its weight planted in
   * the bottom-right quarter, gives a distribution with all its mass there: the audit needs no
   * method-specific code to aggregate a new method.
   */
  @Test
  void everyRegisteredMethodReducesToADistributionWhereItsWeightIs() {
    assertEquals(Attributions.NAMES, AttentionMaps.METHODS, "the audit aggregates every registered method");
    StructType schema = new StructType(Attributions.fields().toArray(new StructField[0]));
    List<Object> values = new ArrayList<>();
    float[] corner = new float[16];
    corner[10] = 1;
    corner[11] = 2;
    corner[14] = 3;
    corner[15] = 4;
    for (AttributionMethod m : Attributions.ALL) {
      if (m.perturbationGrid()) {
        values.add(new Row[] {RowFactory.create(2, 2, 2, 2, new float[4], new float[] {0, 0, 0, 1}, new int[4])});
        continue;
      }
      for (AttributionMethod.MapColumn c : m.maps()) {
        values.add(MapEncoding.encode(corner, 1, 4, 4, MapEncoding.Kind.F32, c.kind()));
      }
    }
    Row row = new GenericRowWithSchema(values.toArray(), schema);
    for (String m : AttentionMaps.METHODS) {
      float[] map = AttentionMaps.of(row, m, 2, 4, 4);
      assertEquals(4, map.length, m);
      assertEquals(0, map[0] + map[1] + map[2], 1e-6, m + ": no mass outside the bottom-right quarter");
      assertEquals(1, map[3], 1e-6, m + ": all its mass in the bottom-right quarter");
    }
  }

  @Test
  void massCountsTheCellsOfARegion() {
    float[] map = new float[16];
    java.util.Arrays.fill(map, 1 / 16f);
    assertEquals(4 / 16.0, AttentionMaps.mass(map, 4, Region.square(2, 2, 4, 4, 4)), 1e-7);
  }
}
