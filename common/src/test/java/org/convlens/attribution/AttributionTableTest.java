package org.convlens.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.convlens.config.Choice;
import org.convlens.data.ImageOps;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.InferenceSession.TargetChooser;
import org.convlens.model.TopK;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared method table, in the manner of Captum's {@code tests/attr/helpers/test_config.py}:
 * every registered method ({@link #ROWS}, one row each) × both engines (the bundled DJL {@code
 * SmallCnn}, the TorchScript {@code tiny_cnn.pt}) × three targets (the prediction, a label per
 * image, a class named for every image) × every map encoding. Each cell checks the shape of every
 * column, that every value is finite and within its stored range, that the same batch twice gives
 * the same bytes and that the batch gives what its images give one at a time, and the reference
 * values: on TorchScript PyTorch's own maps ({@code
 * sample-data/torchscript/make_method_table.py} → {@code method_table_reference.json}, 1e-5
 * relative at f32, within the quantisation at u8/s8 and f16); on DJL the cell's f32 values,
 * which the coarser encodings must keep. The known answers on models built for them (a linear
 * model, a model that sees one region) are {@link AttributionCorrectnessTest}'s.
 */
class AttributionTableTest {
  /** How a method's values are compared with the reference. */
  enum Reference {
    /** Each map column against the reference map of the same name. */
    MAPS,
    /** The perturbation grids: probabilities and drops against the reference, arg-max exactly. */
    GRIDS
  }

  /** One row of the table: a registered method and how its values are checked. */
  record MethodRow(String method, Reference reference) {}

  /** Every registered method, once. Adding a method to {@link Attributions#ALL} = one row here. */
  static final List<MethodRow> ROWS = List.of(
      new MethodRow(Saliency.NAME, Reference.MAPS),
      new MethodRow(SmoothGrad.NAME, Reference.MAPS),
      new MethodRow(GradCam.NAME, Reference.MAPS),
      new MethodRow(Cam.NAME, Reference.MAPS),
      new MethodRow(Occlusion.NAME, Reference.GRIDS),
      new MethodRow(GradientXInput.NAME, Reference.MAPS),
      new MethodRow(GradCamPlusPlus.NAME, Reference.MAPS),
      new MethodRow(LayerCam.NAME, Reference.MAPS),
      new MethodRow(IntegratedGradients.NAME, Reference.MAPS),
      new MethodRow(GuidedBackprop.NAME, Reference.MAPS),
      new MethodRow(Deconvnet.NAME, Reference.MAPS),
      new MethodRow(GuidedGradCam.NAME, Reference.MAPS));

  enum Engine {
    /** The bundled model (DJL, 32×32, 10 classes), maps stored at max-side 16 (area-downsampled). */
    DJL(16),
    /** sample-data/torchscript/tiny_cnn.pt (16×16, 4 classes), maps at the input size. */
    TORCHSCRIPT(0);

    final int mapMaxSide;

    Engine(int mapMaxSide) {
      this.mapMaxSide = mapMaxSide;
    }
  }

  /** analyze.target's three kinds. */
  enum Target {
    PREDICTED("predicted"), LABEL("label"), CLASS("class");

    final String fixtureKey;

    Target(String fixtureKey) {
      this.fixtureKey = fixtureKey;
    }
  }

  static final JsonNode REF = read("method_table_reference.json");
  static final String[] IDS = strings(REF.get("ids"));
  private static final Map<Engine, Classifier> MODELS = new EnumMap<>(Engine.class);

  static Stream<Arguments> table() {
    return ROWS.stream().flatMap(row -> Stream.of(Engine.values()).flatMap(engine -> Stream.of(Target.values())
        .flatMap(target -> encodings(row).map(e -> Arguments.of(row, engine, target, e)))));
  }

  /** A grid has no map encoding: its methods get one cell per engine and target. */
  static Stream<MapEncoding.Kind> encodings(MethodRow row) {
    return Attributions.byName(row.method()).maps().isEmpty() ? Stream.of(MapEncoding.Kind.F32)
        : Stream.of(MapEncoding.Kind.values());
  }

  @Test
  void everyRegisteredMethodHasExactlyOneRow() {
    assertEquals(Attributions.NAMES.stream().sorted().toList(),
        ROWS.stream().map(MethodRow::method).sorted().toList(), "rows of the table vs Attributions.ALL");
    for (MethodRow row : ROWS) {
      assertEquals(Attributions.byName(row.method()).perturbationGrid(), row.reference() == Reference.GRIDS,
          row.method() + ": a grid method is checked as grids, a map method as maps");
    }
  }

  @ParameterizedTest(name = "{0} on {1}, target {2}, {3}")
  @MethodSource("table")
  void cell(MethodRow row, Engine engine, Target target, MapEncoding.Kind encoding) throws Exception {
    Classifier model = model(engine);
    AttributionMethod method = Attributions.byName(row.method());
    AttributionSettings settings = settings(row.method(), engine, encoding);
    method.check(model, settings);
    float[][] x = inputs(engine, model);
    TargetChooser chooser = chooser(target, model);
    Object[][] values;
    try (InferenceSession session = model.newSession()) {
      AttributionBatch batch = AttributionBatch.run(session, model, settings, x, IDS, chooser);
      values = method.attribute(batch);
      assertEquals(x.length, values.length);
      for (int i = 0; i < x.length; i++) {
        assertEquals(chooser.target(i, batch.logits(i)), batch.target(i), "the chosen target of image " + i);
        if (engine == Engine.TORCHSCRIPT) {
          assertEquals(fixture(target).get("targets").get(i).asInt(), batch.target(i), "PyTorch's target of " + i);
        }
        checkShapesAndRanges(method, settings, model, batch, i, values[i]);
      }
      // The same batch again: the same bytes.
      Object[][] again = method.attribute(AttributionBatch.run(session, model, settings, x, IDS, chooser));
      for (int i = 0; i < x.length; i++) {
        assertSame(values[i], again[i], "image " + i + " run twice");
      }
      // One image at a time: the same values up to float rounding (another batch size may take
      // another kernel) and the encoding's last step.
      for (int i = 0; i < x.length; i++) {
        int image = i;
        Object[][] alone = method.attribute(AttributionBatch.run(session, model, settings,
            new float[][] {x[i]}, new String[] {IDS[i]}, (j, logits) -> chooser.target(image, logits)));
        assertClose(method, values[i], alone[0], null, encoding, "image " + i + " alone vs in the batch");
      }
      if (engine == Engine.TORCHSCRIPT) {
        for (int i = 0; i < x.length; i++) {
          assertClose(method, values[i], null, referenceOf(method, target, i), encoding, "PyTorch's values for image " + i);
        }
      } else if (encoding != MapEncoding.Kind.F32) {
        Object[][] exact = method.attribute(AttributionBatch.run(session, model,
            settings.with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.F32), x, IDS, chooser));
        for (int i = 0; i < x.length; i++) {
          assertClose(method, values[i], exact[i], null, encoding, "image " + i + " at " + encoding + " vs f32");
        }
      }
    }
  }

  @AfterAll
  static void closeModels() throws Exception {
    for (Classifier c : MODELS.values()) {
      c.close();
    }
    MODELS.clear();
  }

  // --- the cell's inputs -------------------------------------------------------------------

  /** The table's settings, as make_method_table.py recorded them, with one method and encoding. */
  static AttributionSettings settings(String method, Engine engine, MapEncoding.Kind encoding) {
    JsonNode s = REF.get("settings");
    return AttributionSettings.defaults().withMethods(List.of(method))
        .with(AttributionSettings.MAP_ENCODING, encoding)
        .with(AttributionSettings.MAP_MAX_SIDE, engine.mapMaxSide)
        .with(AttributionSettings.SEED, s.get("seed").asLong())
        .with(SmoothGrad.SAMPLES, s.get("smoothgrad_samples").asInt())
        .with(SmoothGrad.NOISE, s.get("smoothgrad_noise").asDouble())
        .with(Occlusion.SPEC, o -> o.withGrids(ints(s.get("occlusion_windows")), ints(s.get("occlusion_strides"))))
        .with(Occlusion.BASELINE, Occlusion.Baseline.valueOf(s.get("occlusion_baseline").asText().toUpperCase()))
        .with(Occlusion.PERTURBATIONS_PER_EVAL, 7) // not a divisor of the copies: batches straddle images
        .with(IntegratedGradients.STEPS, s.get("integrated_gradients_steps").asInt())
        .with(IntegratedGradients.QUADRATURE, Choice.parse(IntegratedGradients.Quadrature.class, IntegratedGradients.QUADRATURE.path(),
            s.get("integrated_gradients_quadrature").asText()))
        .with(IntegratedGradients.BASELINE, Choice.parse(IntegratedGradients.Baseline.class, IntegratedGradients.BASELINE.path(),
            s.get("integrated_gradients_baseline").asText()))
        .with(IntegratedGradients.BLUR_SIGMA, s.get("integrated_gradients_blur_sigma").asDouble())
        .with(IntegratedGradients.INTERNAL_BATCH_SIZE, 7); // path points of one image straddle passes
  }

  static synchronized Classifier model(Engine engine) throws Exception {
    Classifier c = MODELS.get(engine);
    if (c == null) {
      c = engine == Engine.DJL ? TestModels.bundled() : TestModels.tinyTorchScript();
      MODELS.put(engine, c);
    }
    return c;
  }

  /** TorchScript: the fixture's inputs (those PyTorch used); DJL: the first sample CIFAR images. */
  static float[][] inputs(Engine engine, Classifier model) throws Exception {
    if (engine == Engine.TORCHSCRIPT) {
      return AttributionCorrectnessTest.matrix(read("tiny_cnn_reference.json").get("inputs"));
    }
    return AttributionCorrectnessTest.cifarImages(model, IDS.length);
  }

  static TargetChooser chooser(Target target, Classifier model) {
    return switch (target) {
      case PREDICTED -> (i, logits) -> TopK.argmax(logits);
      case LABEL -> {
        int[] labels = ints(REF.get("labels")).stream().mapToInt(Integer::intValue).toArray();
        yield (i, logits) -> labels[i];
      }
      case CLASS -> {
        int c = model.description().classIndex(REF.get("named_class").asText());
        assertTrue(c >= 0, "both models name the class " + REF.get("named_class"));
        yield (i, logits) -> c;
      }
    };
  }

  static JsonNode fixture(Target target) {
    return REF.get("targets").get(target.fixtureKey);
  }

  /**
   * PyTorch's values of the method's columns for image i: a float[] per map, then a Float per
   * column after the maps (one number per image, e.g. a completeness error), or the grids' node.
   */
  static Object[] referenceOf(AttributionMethod method, Target target, int i) {
    if (method.maps().isEmpty()) {
      return new Object[] {fixture(target).get(method.name()).get(i)};
    }
    List<Object> out = new ArrayList<>();
    for (AttributionMethod.MapColumn c : method.maps()) {
      JsonNode maps = fixture(target).get("maps").get(c.column());
      assertTrue(maps != null, "method_table_reference.json has no maps for column " + c.column()
          + ": add it to make_method_table.py and rerun it");
      out.add(AttributionCorrectnessTest.floats(maps.get(i)));
    }
    for (int f = method.maps().size(); f < method.fields().size(); f++) {
      String column = method.fields().get(f).name();
      JsonNode values = fixture(target).get("values") == null ? null : fixture(target).get("values").get(column);
      assertTrue(values != null, "method_table_reference.json has no values for column " + column
          + ": add it to make_method_table.py and rerun it");
      out.add(values.get(i).floatValue());
    }
    return out.toArray();
  }

  // --- the checks --------------------------------------------------------------------------

  /** Every column present, of its declared shape, finite and within its stored range. */
  static void checkShapesAndRanges(AttributionMethod method, AttributionSettings settings, Classifier model,
      AttributionBatch batch, int i, Object[] v) {
    var in = model.description().input();
    assertEquals(method.fields().size(), v.length, "one value per column");
    if (method.maps().isEmpty()) {
      Row[] grids = (Row[]) v[0];
      Occlusion.Settings own = settings.of(Occlusion.SPEC);
      assertEquals(own.windows().size(), grids.length, "one grid per window");
      float p0 = batch.probabilities(i)[batch.target(i)];
      for (int k = 0; k < grids.length; k++) {
        Row g = grids[k];
        int window = own.windows().get(k);
        int stride = own.stride(k);
        assertEquals(window, g.getInt(0));
        assertEquals(stride, g.getInt(1));
        assertEquals(Occlusion.positions(in.height(), window, stride), g.getInt(2), "rows");
        assertEquals(Occlusion.positions(in.width(), window, stride), g.getInt(3), "cols");
        int cells = g.getInt(2) * g.getInt(3);
        float[] prob = (float[]) g.get(4);
        float[] drop = (float[]) g.get(5);
        int[] argmax = (int[]) g.get(6);
        assertEquals(cells, prob.length);
        assertEquals(cells, drop.length);
        assertEquals(cells, argmax.length);
        for (int p = 0; p < cells; p++) {
          assertTrue(prob[p] >= 0 && prob[p] <= 1, "a probability: " + prob[p]);
          assertEquals(p0 - prob[p], drop[p], 0f, "drop = unoccluded − occluded probability");
          assertTrue(argmax[p] >= 0 && argmax[p] < model.description().numClasses(), "a class: " + argmax[p]);
        }
      }
      return;
    }
    int[] size = ImageOps.storedSize(in.height(), in.width(), settings.mapMaxSide());
    for (int f = method.maps().size(); f < v.length; f++) {
      assertTrue(v[f] instanceof Float value && Float.isFinite(value),
          method.fields().get(f).name() + " of image " + i + ": a finite float, not " + v[f]);
    }
    for (int f = 0; f < method.maps().size(); f++) {
      AttributionMethod.MapColumn column = method.maps().get(f);
      Row map = (Row) v[f];
      String what = column.column() + " of image " + i;
      assertTrue(map.getInt(0) == 1 || map.getInt(0) == in.channels(), what + ": channels " + map.getInt(0));
      assertEquals(size[0], map.getInt(1), what + ": height");
      assertEquals(size[1], map.getInt(2), what + ": width");
      assertEquals(encodingName(settings.mapEncoding(), column.kind()), map.getString(3), what + ": encoding");
      int elements = map.getInt(0) * map.getInt(1) * map.getInt(2);
      assertEquals(elements * bytesPerElement(settings.mapEncoding()), ((byte[]) map.get(6)).length, what + ": bytes");
      float offset = map.getFloat(4);
      float scale = map.getFloat(5);
      assertTrue(Float.isFinite(offset) && Float.isFinite(scale) && scale >= 0, what + ": offset/scale " + offset + "/" + scale);
      float slack = scale * 1e-6f;
      for (float value : MapEncoding.decode(map)) {
        assertTrue(Float.isFinite(value), what + ": finite");
        switch (column.kind()) {
          case UNIT -> assertTrue(value >= 0 && value <= scale + slack, what + ": in [0, max]: " + value);
          case SYMMETRIC -> assertTrue(Math.abs(value) <= scale + slack, what + ": in [−max|v|, max|v|]: " + value);
          case MIN_MAX -> assertTrue(value >= offset - slack && value <= offset + scale + slack, what + ": in [min, max]: " + value);
        }
      }
    }
  }

  /** The same bytes (maps) or the same arrays (grids). */
  static void assertSame(Object[] expected, Object[] actual, String what) {
    for (int f = 0; f < expected.length; f++) {
      if (expected[f] instanceof Row map) {
        Row other = (Row) actual[f];
        assertEquals(map.getFloat(4), other.getFloat(4), what + ": offset");
        assertEquals(map.getFloat(5), other.getFloat(5), what + ": scale");
        assertArrayEquals((byte[]) map.get(6), (byte[]) other.get(6), what + ": data");
      } else if (expected[f] instanceof Float value) {
        assertEquals(value, (Float) actual[f], what + ": column " + f);
      } else {
        Row[] a = (Row[]) expected[f];
        Row[] b = (Row[]) actual[f];
        for (int k = 0; k < a.length; k++) {
          assertArrayEquals((float[]) a[k].get(4), (float[]) b[k].get(4), what + ": probabilities");
          assertArrayEquals((int[]) a[k].get(6), (int[]) b[k].get(6), what + ": arg-max");
        }
      }
    }
  }

  /**
   * {@code actual}'s values equal the expected ones (another stored value, or {@code reference}'s
   * raw floats / grids node) within 1e-5 of the map's largest |value| plus what the encoding
   * loses: half a step of 1/255 (u8) or 1/127 (s8) of the scale, per value of each stored value
   * when both are stored; 2^-11 of the scale for f16; nothing more for f32. Grids: probabilities
   * and drops within 1e-5 relative, arg-max exactly. A number per image (after the maps): within
   * 1e-5 of max(1, |expected|), the scale of the logits it is computed from (a completeness error
   * is a small difference of logits, so relative to itself it would be rounding noise).
   */
  static void assertClose(AttributionMethod method, Object[] actual, Object[] stored, Object[] reference,
      MapEncoding.Kind encoding, String what) {
    for (int f = 0; f < actual.length; f++) {
      if (method.maps().isEmpty()) {
        Row[] grids = (Row[]) actual[f];
        for (int k = 0; k < grids.length; k++) {
          float[] prob;
          float[] drop;
          int[] argmax;
          if (stored != null) {
            Row other = ((Row[]) stored[f])[k];
            prob = (float[]) other.get(4);
            drop = (float[]) other.get(5);
            argmax = (int[]) other.get(6);
          } else {
            JsonNode g = ((JsonNode) reference[f]).get(k);
            assertEquals(g.get("window").asInt(), grids[k].getInt(0), what + ": window");
            prob = AttributionCorrectnessTest.floats(g.get("target_prob"));
            drop = AttributionCorrectnessTest.floats(g.get("drop"));
            argmax = ints(g.get("argmax")).stream().mapToInt(Integer::intValue).toArray();
          }
          AttributionCorrectnessTest.assertRelative(prob, (float[]) grids[k].get(4), what + ": probabilities of grid " + k);
          assertAbsolute(drop, (float[]) grids[k].get(5), 1e-5 * max(prob), what + ": drops of grid " + k);
          assertArrayEquals(argmax, (int[]) grids[k].get(6), what + ": arg-max of grid " + k);
        }
        continue;
      }
      if (f >= method.maps().size()) {
        float expected = stored != null ? (Float) stored[f] : (Float) reference[f];
        float got = (Float) actual[f];
        assertEquals(expected, got, 1e-5 * Math.max(1, Math.abs(expected)),
            what + ": " + method.fields().get(f).name());
        continue;
      }
      Row map = (Row) actual[f];
      float[] got = MapEncoding.decode(map);
      float[] expected = stored != null ? MapEncoding.decode((Row) stored[f]) : (float[]) reference[f];
      MapEncoding.Range kind = method.maps().get(f).kind();
      double step = quantum(encoding, kind) * map.getFloat(5);
      // Both sides quantised: each may be half a step off (and rounding may split at a boundary).
      double lost = stored != null ? 2 * step : step;
      assertAbsolute(expected, got, 1e-5 * max(expected) + lost,
          what + ": " + method.maps().get(f).column() + " at " + encoding);
    }
  }

  /** The largest error of one stored value as a fraction of the scale. */
  static double quantum(MapEncoding.Kind encoding, MapEncoding.Range kind) {
    return switch (encoding) {
      case U8 -> kind == MapEncoding.Range.SYMMETRIC ? 0.5 / 127 : 0.5 / 255;
      case F16 -> 0x1p-11;
      case F32 -> 0;
    };
  }

  static void assertAbsolute(float[] expected, float[] actual, double tolerance, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    int at = -1;
    for (int p = 0; p < expected.length; p++) {
      double d = Math.abs(expected[p] - actual[p]);
      if (d > worst) {
        worst = d;
        at = p;
      }
    }
    assertTrue(worst <= tolerance + 1e-12, what + ": max |diff| " + worst + " at " + at + " > " + tolerance);
  }

  static double max(float[] v) {
    double m = 0;
    for (float x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }

  static String encodingName(MapEncoding.Kind kind, MapEncoding.Range range) {
    return kind == MapEncoding.Kind.U8 ? (range == MapEncoding.Range.SYMMETRIC ? "s8" : "u8") : kind.code();
  }

  static int bytesPerElement(MapEncoding.Kind kind) {
    return switch (kind) {
      case U8 -> 1;
      case F16 -> 2;
      case F32 -> 4;
    };
  }

  // --- the fixture -------------------------------------------------------------------------

  static JsonNode read(String file) {
    try {
      return new ObjectMapper().readTree(TestModels.torchscriptDir().resolve(file).toFile());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static List<Integer> ints(JsonNode n) {
    List<Integer> out = new ArrayList<>();
    n.forEach(v -> out.add(v.asInt()));
    return out;
  }

  static String[] strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.forEach(v -> out.add(v.asText()));
    return out.toArray(new String[0]);
  }
}
