package org.convlens.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared table: every registered method, on the bundled DJL model and on the TorchScript
 * fixture, gives values of its declared types and shapes, the same values on a second run, and
 * finite numbers. Adding a method to {@link Attributions} adds its rows here.
 */
class AttributionMethodsTest {
  static Stream<Arguments> table() {
    return Attributions.NAMES.stream().flatMap(m -> Stream.of(Arguments.of(m, "djl"), Arguments.of(m, "torchscript")));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("table")
  void givesDeterministicValuesOfItsDeclaredShape(String method, String engine) throws Exception {
    try (Classifier model = engine.equals("djl") ? TestModels.bundled() : TestModels.tinyTorchScript();
        InferenceSession session = model.newSession()) {
      var in = model.description().input();
      float[][] x = new float[3][];
      for (int i = 0; i < x.length; i++) {
        x[i] = TestModels.gaussian(in.channels() * in.height() * in.width(), 40 + i);
      }
      AttributionSettings s = AttributionSettings.defaults().withMethods(List.of(method)).with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.U8)
          .with(AttributionSettings.MAP_MAX_SIDE, 8).with(SmoothGrad.SAMPLES, 3)
          .with(SmoothGrad.NOISE, 0.15)
          .with(AttributionSettings.SEED, 9L).with(Occlusion.SPEC, o -> o.withGrids(List.of(4, 8), List.of()))
          .with(Occlusion.BASELINE, Occlusion.Baseline.IMAGE_MEAN)
          .with(Occlusion.PERTURBATIONS_PER_EVAL, 16);
      AttributionMethod m = Attributions.byName(method);
      m.check(model, s);
      String[] ids = {"x0", "x1", "x2"};
      Object[][] first = m.attribute(AttributionBatch.run(session, model, s, x, ids, (i, l) -> i % l.length));
      Object[][] second = m.attribute(AttributionBatch.run(session, model, s, x, ids, (i, l) -> i % l.length));
      assertEquals(x.length, first.length);
      List<StructField> fields = m.fields();
      for (int i = 0; i < x.length; i++) {
        assertEquals(fields.size(), first[i].length);
        for (int f = 0; f < fields.size(); f++) {
          Object v = first[i][f];
          assertNotNull(v, fields.get(f).name());
          if (fields.get(f).dataType() instanceof StructType) { // a map
            Row map = (Row) v;
            assertTrue(map.getInt(1) <= 8 && map.getInt(2) <= 8, "stored at max-side 8: " + map);
            for (float value : MapEncoding.decode(map)) {
              assertTrue(Float.isFinite(value));
            }
            assertArrayEquals((byte[]) map.get(6), (byte[]) ((Row) second[i][f]).get(6), fields.get(f).name() + " repeats");
            assertEquals(map.getFloat(5), ((Row) second[i][f]).getFloat(5), fields.get(f).name() + " scale repeats");
          } else { // occlusion grids
            Row[] grids = (Row[]) v;
            assertEquals(2, grids.length);
            for (int k = 0; k < grids.length; k++) {
              int cells = grids[k].getInt(2) * grids[k].getInt(3);
              assertEquals(cells, ((float[]) grids[k].get(4)).length);
              assertEquals(cells, ((float[]) grids[k].get(5)).length);
              assertEquals(cells, ((int[]) grids[k].get(6)).length);
              assertArrayEquals((float[]) grids[k].get(4), (float[]) ((Row[]) second[i][f])[k].get(4));
            }
          }
        }
      }
    }
  }
}
