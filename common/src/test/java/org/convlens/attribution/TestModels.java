package org.convlens.attribution;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.convlens.config.ConvLensHome;
import org.convlens.model.Classifier;
import org.convlens.model.EngineSetup;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelLoader;
import org.convlens.model.ModelSpec;
import org.convlens.model.SmallCnn;

/** Tiny models with known answers, and the committed models, for the attribution tests. */
final class TestModels {
  static final int THREADS = 1;

  private TestModels() {}

  static AttributionSettings settings(List<String> methods) {
    return AttributionSettings.defaults().withMethods(methods).with(AttributionSettings.MAP_ENCODING, MapEncoding.Kind.F16)
          .with(AttributionSettings.MAP_MAX_SIDE, 0).with(SmoothGrad.SAMPLES, 4)
          .with(SmoothGrad.NOISE, 0.15)
          .with(AttributionSettings.SEED, 7L).with(Occlusion.SPEC, o -> o.withGrids(List.of(4, 8), List.of()))
          .with(Occlusion.BASELINE, Occlusion.Baseline.GREY)
          .with(Occlusion.PERTURBATIONS_PER_EVAL, 16);
  }

  static ModelDescription description(String id, int c, int h, int w, int classes) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < classes; i++) {
      names.add("c" + i);
    }
    return ModelDescription.builder()
        .formatVersion(ModelDescription.FORMAT_VERSION)
        .id(id)
        .engine("djl")
        .architecture("test block")
        .artifact("none.params")
        .epoch(0)
        .input(new ModelDescription.Input(c, h, w))
        .preprocessing(new ModelDescription.Preprocessing(0, new float[] {0.5f, 0.5f, 0.5f},
            new float[] {0.25f, 0.25f, 0.25f}))
        .classNames(names)
        .outputs(new ModelDescription.Outputs(0, 1, 2, "fm", true))
        .testAccuracy(null)
        .notes("test")
        .layers(null)
        .build();
  }

  static Classifier wrap(Block block, ModelDescription d) throws Exception {
    EngineSetup.configure(THREADS, THREADS);
    Model model = Model.newInstance(d.id(), Device.cpu(), EngineSetup.ENGINE);
    model.setBlock(block);
    block.initialize(model.getNDManager(), DataType.FLOAT32,
        new Shape(1, d.input().channels(), d.input().height(), d.input().width()));
    block.freezeParameters(true);
    return ModelLoader.fromModel(model, d);
  }

  /** The bundled model (sample-data/model) on the CPU. */
  static Classifier bundled() throws Exception {
    return ModelLoader.load(new ModelSpec(ConvLensHome.bundledModel().toString(), "cpu", THREADS, THREADS));
  }

  /** The committed TorchScript fixture (sample-data/torchscript/tiny_cnn.pt). */
  static Classifier tinyTorchScript() throws Exception {
    return ModelLoader.load(new ModelSpec(torchscriptDir().resolve("tiny_cnn.pt").toString(), "cpu", THREADS, THREADS));
  }

  static Path torchscriptDir() {
    Path p = ConvLensHome.sampleData().resolve("torchscript");
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("no " + p);
    }
    return p;
  }

  /** The same architecture as the bundled model with fresh seeded random weights (Adebayo et al.'s cascade end point). */
  static Classifier randomisedBundled(int seed) throws Exception {
    ModelDescription d = ModelDescription.read(ConvLensHome.bundledModel().resolve("model.json"));
    EngineSetup.configure(THREADS, THREADS);
    Engine.getInstance().setRandomSeed(seed);
    return wrap(new SmallCnn(d.numClasses()), d);
  }

  /** Seeded normal values. */
  static float[] gaussian(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /**
   * logits = W · flatten(x + delta) + b, embedding = the spatial mean of x + delta, feature map =
   * x + delta: the gradient of logit c w.r.t. x is W_c, exactly.
   */
  static final class LinearModel extends AbstractBlock {
    final int classes;
    final Parameter weight;
    final Parameter bias;

    LinearModel(int classes) {
      super((byte) 1);
      this.classes = classes;
      weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
      bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
      NDArray x = inputs.get(0);
      NDArray fm = inputs.size() > 1 ? x.add(inputs.get(1)) : x;
      NDArray w = ps.getValue(weight, x.getDevice(), training);
      NDArray b = ps.getValue(bias, x.getDevice(), training);
      NDArray flat = fm.reshape(fm.getShape().get(0), -1);
      NDArray logits = flat.matMul(w.transpose()).add(b);
      NDArray embedding = fm.mean(new int[] {3}).mean(new int[] {2});
      return new NDList(logits, embedding, fm);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] in) {
      Shape s = in[0];
      return new Shape[] {new Shape(s.get(0), classes), new Shape(s.get(0), s.get(1)), s};
    }

    @Override
    public void prepare(Shape[] in) {
      Shape s = in[0];
      weight.setShape(new Shape(classes, s.get(1) * s.get(2) * s.get(3)));
      bias.setShape(new Shape(classes));
    }

    void set(float[] w, float[] b) {
      weight.getArray().set(w);
      bias.getArray().set(b);
    }
  }

  /**
   * Looks only at a rectangle: x ⊙ mask → conv3×3 (no bias) → ReLU (+ delta, the feature map)
   * → global average pooling → linear. Outside the rectangle dilated by the kernel's reach,
   * the feature map is exactly zero and nothing the model sees changes.
   */
  static final class RegionModel extends AbstractBlock {
    final int top;
    final int left;
    final int height;
    final int width;
    final Block conv;
    final Block head;

    RegionModel(int classes, int top, int left, int height, int width) {
      super((byte) 1);
      this.top = top;
      this.left = left;
      this.height = height;
      this.width = width;
      conv = addChildBlock("conv", Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
          .setFilters(8).optBias(false).build());
      head = addChildBlock("head", ai.djl.nn.core.Linear.builder().setUnits(classes).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
      NDArray x = inputs.get(0);
      Shape s = x.getShape();
      float[] mask = new float[(int) (s.get(2) * s.get(3))];
      for (int r = top; r < top + height; r++) {
        for (int c = left; c < left + width; c++) {
          mask[r * (int) s.get(3) + c] = 1;
        }
      }
      NDManager m = x.getManager();
      NDArray masked = x.mul(m.create(mask, new Shape(1, 1, s.get(2), s.get(3))));
      NDArray fm = conv.forward(ps, new NDList(masked), training, params).singletonOrThrow();
      fm = ai.djl.nn.Activation.relu(fm);
      if (inputs.size() > 1) {
        fm = fm.add(inputs.get(1));
      }
      NDArray embedding = fm.mean(new int[] {3}).mean(new int[] {2});
      NDArray logits = head.forward(ps, new NDList(embedding), training, params).singletonOrThrow();
      return new NDList(logits, embedding, fm);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] in) {
      Shape s = in[0];
      Shape fm = new Shape(s.get(0), 8, s.get(2), s.get(3));
      return new Shape[] {head.getOutputShapes(new Shape[] {new Shape(s.get(0), 8)})[0], new Shape(s.get(0), 8), fm};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... in) {
      conv.initialize(manager, dataType, in[0]);
      head.initialize(manager, dataType, new Shape(in[0].get(0), 8));
    }
  }
}
