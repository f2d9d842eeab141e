package org.convlens.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Test models: the committed TorchScript fixture and a seeded SmallCnn saved to a folder. */
final class ModelFixtures {
  /** Every test uses these, so the first one to start the engine fixes them for the JVM. */
  static final int THREADS = 1;
  static final int INTEROP_THREADS = 1;

  static final int DJL_SIZE = 32;
  static final List<String> DJL_CLASSES = List.of("circle", "square", "triangle");
  static final String DJL_ARTIFACT = "smallcnn-0000.params";

  private ModelFixtures() {}

  static ModelSpec cpuSpec(Path path) {
    return new ModelSpec(path.toString(), "cpu", THREADS, INTEROP_THREADS);
  }

  /** {@code sample-data/torchscript}, found from the module or the repository root. */
  static Path torchscriptDir() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve("sample-data").resolve("torchscript");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("sample-data/torchscript not found above "
        + Path.of("").toAbsolutePath());
  }

  static Path tinyPt() {
    return torchscriptDir().resolve("tiny_cnn.pt");
  }

  /** Reference inputs and torch's outputs for tiny_cnn.pt (see make_test_model.py). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Reference(String torch, int[] shape, float[][] inputs, float[][] logits,
      float[][] embeddings) {}

  static Reference tinyReference() throws IOException {
    return new ObjectMapper().readValue(
        torchscriptDir().resolve("tiny_cnn_reference.json").toFile(), Reference.class);
  }

  /** Copies tiny_cnn.pt and its sidecar into {@code dir}; returns the copied .pt. */
  static Path copyTiny(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.copy(tinyPt(), dir.resolve("tiny_cnn.pt"));
    Files.copy(torchscriptDir().resolve("tiny_cnn.json"), dir.resolve("tiny_cnn.json"));
    return dir.resolve("tiny_cnn.pt");
  }

  static ModelDescription djlDescription(String id, List<String> classes) {
    return ModelDescription.builder()
        .formatVersion(ModelDescription.FORMAT_VERSION)
        .id(id)
        .engine("djl")
        .architecture(SmallCnn.ARCHITECTURE)
        .artifact(DJL_ARTIFACT)
        .epoch(0)
        .input(new ModelDescription.Input(3, DJL_SIZE, DJL_SIZE))
        .preprocessing(new ModelDescription.Preprocessing(0, new float[] {0.5f, 0.5f, 0.5f},
            new float[] {0.25f, 0.25f, 0.25f}))
        .classNames(classes)
        .outputs(new ModelDescription.Outputs(0, 1, 2, "features", true))
        .testAccuracy(null)
        .notes("test fixture")
        .layers(null)
        .build();
  }

  /**
   * A SmallCnn with Xavier weights (engine seed) and seeded random biases and batch-norm
   * statistics, so that a loader which forgot any parameter would give different outputs. The
   * caller closes the model.
   */
  static Model seededSmallCnn(int numClasses, int seed) {
    EngineSetup.configure(THREADS, INTEROP_THREADS);
    Engine.getInstance().setRandomSeed(seed);
    SmallCnn block = new SmallCnn(numClasses);
    block.setInitializer(new XavierInitializer(), Parameter.Type.WEIGHT);
    Model model = Model.newInstance("fixture", Device.cpu(), EngineSetup.ENGINE);
    model.setBlock(block);
    block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, DJL_SIZE, DJL_SIZE));
    Random random = new Random(seed);
    for (var pair : block.getParameters()) {
      Parameter p = pair.getValue();
      NDArray a = p.getArray();
      float[] v = new float[(int) a.size()];
      switch (p.getType()) {
        case WEIGHT:
          continue;
        case RUNNING_VAR:
        case GAMMA:
          for (int i = 0; i < v.length; i++) {
            v[i] = 0.5f + random.nextFloat();
          }
          break;
        default:
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) (0.2 * random.nextGaussian());
          }
      }
      a.set(v);
    }
    return model;
  }

  /** Saves {@code model} as {@code dir/smallcnn-0000.params} plus {@code dir/model.json}. */
  static Path save(Model model, ModelDescription description, Path dir) throws IOException {
    Files.createDirectories(dir);
    model.setProperty("Epoch", "0");
    model.save(dir, "smallcnn");
    description.write(dir.resolve(ModelLoader.DESCRIPTION_FILE));
    return dir;
  }

  /** Outputs (logits, embedding) of an in-memory model, grad mode off, on this thread. */
  static float[][][] forward(Model model, float[][] images, int size) {
    try (NDManager m = model.getNDManager().newSubManager()) {
      float[] flat = new float[images.length * 3 * size * size];
      for (int i = 0; i < images.length; i++) {
        System.arraycopy(images[i], 0, flat, i * 3 * size * size, 3 * size * size);
      }
      NDArray x = m.create(flat, new Shape(images.length, 3, size, size));
      NDList out = BlockSession.withoutGrad(
          () -> model.getBlock().forward(new ParameterStore(m, false), new NDList(x), false));
      return new float[][][] {
        BlockSession.rows(out.get(0), images.length), BlockSession.rows(out.get(1), images.length)
      };
    }
  }

  /** Seeded N(0,1) images, each C×H×W flattened. */
  static float[][] images(int n, int channels, int size, long seed) {
    Random random = new Random(seed);
    float[][] x = new float[n][channels * size * size];
    for (float[] row : x) {
      for (int i = 0; i < row.length; i++) {
        row[i] = (float) random.nextGaussian();
      }
    }
    return x;
  }

  static float maxAbsDiff(float[][] a, float[][] b) {
    float max = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i].length != b[i].length) {
        throw new AssertionError("row " + i + ": " + a[i].length + " vs " + b[i].length);
      }
      for (int j = 0; j < a[i].length; j++) {
        max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return max;
  }
}
