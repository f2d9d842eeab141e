package org.convlens.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.convlens.data.HadoopConf;
import org.convlens.data.InputReader;
import org.convlens.data.InputSchema;
import org.convlens.data.Preprocessor;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.ModelCache;
import org.convlens.model.ModelSpec;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One image that breaks its batch's forward pass costs that image only. */
class AnalyzerGuardTest {
  /** The bundled model, with an engine that fails on any batch holding {@code black} (preprocessed). */
  private record Poisoned(Classifier real, float[] black) implements Classifier {
    @Override
    public org.convlens.model.ModelDescription description() {
      return real.description();
    }

    @Override
    public int embeddingDim() {
      return real.embeddingDim();
    }

    @Override
    public String device() {
      return real.device();
    }

    @Override
    public Map<String, int[]> gradientLayers() {
      return real.gradientLayers();
    }

    @Override
    public String defaultGradientLayer() {
      return real.defaultGradientLayer();
    }

    @Override
    public String reluBackwardMissing() {
      return real.reluBackwardMissing();
    }

    @Override
    public InferenceSession newSession() {
      InferenceSession session = real.newSession();
      return new InferenceSession() {
        @Override
        public Forward forward(float[][] images) {
          check(images);
          return session.forward(images);
        }

        @Override
        public Gradients gradients(float[][] images, TargetChooser targets, String layer) {
          check(images);
          return session.gradients(images, targets, layer);
        }

        @Override
        public Gradients reluGradients(float[][] images, int[] targets, String layer,
            org.convlens.model.ReluRule rule) {
          check(images);
          return session.reluGradients(images, targets, layer, rule);
        }

        @Override
        public ObjectiveGradients objective(float[][] images, Objective objective) {
          return session.objective(images, objective);
        }

        @Override
        public float[][] patchedLogits(float[] image, int height, int width, java.util.List<Patch> patches,
            int perEval, boolean incremental) {
          return InferenceSession.byForward(this, image, height, width, patches, perEval);
        }

        @Override
        public void close() {
          session.close();
        }
      };
    }

    private void check(float[][] images) {
      for (float[] image : images) {
        int plane = image.length / 3;
        if (image[0] == black[0] && image[plane] == black[plane] && image[2 * plane] == black[2 * plane]) {
          throw new IllegalStateException("the engine failed on this batch");
        }
      }
    }

    @Override
    public void close() {}
  }

  @Test
  void aBatchThatFailsIsRetriedImageByImage(@TempDir Path dir) throws Exception {
    ConvLensConfig config = ConfigLoader.load(null, Map.of(), List.of("analyze.methods=[saliency]"));
    Classifier real = ModelCache.get(ModelSpec.of(config.model()));
    Preprocessor pre = Preprocessor.of(real.description());
    float[] black = pre.applyPlanarRgb(new byte[3 * 4 * 4], 4, 4);
    Analyzer.Options o = Analyzer.Options.builder()
        .runId("run")
        .model(ModelSpec.of(config.model()))
        .description(real.description())
        .topK(3)
        .batchSize(8)
        .maxFileBytes(1 << 20)
        .maxPixels(1 << 24)
        .attribution(config.analyze().attribution())
        .fixedTarget(-1)
        .thumbnailSide(0)
        .build();
    List<Row> inputs = new ArrayList<>();
    for (String name : List.of("red", "black", "green", "blue")) {
      Color c = switch (name) {
        case "red" -> Color.RED;
        case "black" -> Color.BLACK;
        case "green" -> Color.GREEN;
        default -> Color.BLUE;
      };
      Path file = Fixtures.write(dir.resolve(name + ".png"), Fixtures.solidPng(32, 32, c));
      inputs.add(InputSchema.file("d", "d/" + name, file.toUri().toString(), -1, -1, null));
    }
    ArrayDeque<Row> out = new ArrayDeque<>();
    HadoopConf hadoop = new HadoopConf(new org.apache.hadoop.conf.Configuration());
    Classifier poisoned = new Poisoned(real, black);
    try (InputReader reader = new InputReader(hadoop, 1 << 20); InferenceSession session = poisoned.newSession()) {
      new Analyzer.Partition(o, hadoop, null).nextBatch(inputs.iterator(), reader, pre, poisoned, session, out);
    }
    Map<String, Row> rows = new TreeMap<>();
    out.forEach(r -> rows.put((String) get(r, "id"), r));
    assertEquals(List.of("d/black", "d/blue", "d/green", "d/red"), List.copyOf(rows.keySet()));
    for (String ok : List.of("d/red", "d/green", "d/blue")) {
      assertEquals("ok", get(rows.get(ok), "status"), ok);
      assertTrue(get(rows.get(ok), "saliency") != null, ok);
    }
    Row failed = rows.get("d/black");
    assertEquals("inference_failed", get(failed, "error_kind"));
    assertTrue(((String) get(failed, "error")).contains("alone, after its batch of 4 failed"), failed.toString());
    assertEquals(32, get(failed, "width"));
  }

  /** Rows are built without a schema, as the stage emits them: read by the schema's positions. */
  private static Object get(Row r, String column) {
    return r.get(AnalysisSchema.SCHEMA.fieldIndex(column));
  }
}
