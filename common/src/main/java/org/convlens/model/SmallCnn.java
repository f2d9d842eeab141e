package org.convlens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bundled classifier: three conv blocks (32, 64, 128 channels; each conv3×3–BN–ReLU twice,
 * 2×2 max-pool after the first two), global average pooling, one linear layer.
 *
 * <p>Forward returns three outputs, in the order recorded in {@code model.json}: logits (N×C),
 * the pooled embedding (N×128) and a feature map, by default the last one (N×128×H/4×W/4).
 * Because the head is a single linear layer on globally averaged features, class activation
 * maps (Zhou et al., 2016) are exact for this model.
 *
 * <p>Gradients of a feature map (layer attribution): forward takes an optional second input {@code delta}
 * that is added (broadcasting) to the tapped feature map, which is then returned as the third
 * output; the gradient w.r.t. {@code delta} is the feature map's gradient, from the same single
 * backward that gives the input gradient. The tap is the output of a conv block's last ReLU,
 * chosen by the forward parameter {@link LayerTaps#TAP} (one of {@link #LAYERS}; default the
 * last).
 *
 * <p>Layer names ({@link LayerNames.Named}) are those of the equivalent {@code torch.nn} tree:
 * {@code features.block1.{conv1, bn1, relu1, conv2, bn2, relu2}}, {@code features.pool1}, …,
 * {@code features.block3.relu2}, and the linear {@code head}; the global average pooling is a
 * function in {@code forward} (as {@code x.mean((2, 3))} would be in PyTorch), not a module. A
 * tappable layer {@code features.blockN} is the output of its block, before the pooling. The DJL
 * tree itself stays flat ({@code features} holds the 20 blocks), because the parameter file
 * records it.
 */
public final class SmallCnn extends AbstractBlock implements LayerTaps, LayerNames.Named, StagedModel {
  public static final String ARCHITECTURE = "convlens-small-cnn-v1";
  public static final int EMBEDDING_DIM = 128;
  private static final byte VERSION = 1;
  /** Tappable layers: each conv block's output after its second ReLU, before pooling. */
  public static final List<String> LAYERS =
      List.of("features.block1", "features.block2", "features.block3");

  private final Block features;
  private final Block head;
  /** The PyTorch-style name of each child of {@code features}. */
  private final Map<Block, String> names = new IdentityHashMap<>();
  /** Index, in {@code features}, of the block that ends each layer of {@link #LAYERS}. */
  private final int[] tapChild = new int[LAYERS.size()];

  public SmallCnn(int numClasses) {
    super(VERSION);
    SequentialBlock f = new SequentialBlock();
    convBlock(f, 1, 32, true);
    convBlock(f, 2, 64, true);
    convBlock(f, 3, EMBEDDING_DIM, false);
    features = addChildBlock("features", f);
    head = addChildBlock("head", Linear.builder().setUnits(numClasses).build());
    // A layer's output is that of its last module (the second ReLU).
    List<Block> children = f.getChildren().values();
    for (int i = 0; i < LAYERS.size(); i++) {
      for (int c = 0; c < children.size(); c++) {
        if (names.get(children.get(c)).startsWith(LAYERS.get(i) + ".")) {
          tapChild[i] = c;
        }
      }
    }
  }

  private void convBlock(SequentialBlock seq, int block, int channels, boolean pool) {
    for (int i = 1; i <= 2; i++) {
      add(seq, "block" + block + ".conv" + i,
          Conv2d.builder()
              .setKernelShape(new Shape(3, 3))
              .optPadding(new Shape(1, 1))
              .setFilters(channels)
              .build());
      add(seq, "block" + block + ".bn" + i, BatchNorm.builder().build());
      add(seq, "block" + block + ".relu" + i, Activation.reluBlock());
    }
    if (pool) {
      add(seq, "pool" + block, Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
    }
  }

  private void add(SequentialBlock seq, String name, Block block) {
    seq.add(block);
    names.put(block, "features." + name);
  }

  @Override
  public Map<Block, String> moduleNames() {
    return Collections.unmodifiableMap(names);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    int tap = tapChild(params);
    NDArray delta = inputs.size() > 1 ? inputs.get(1) : null;
    NDList x = new NDList(inputs.get(0));
    NDArray tapped = null;
    int i = 0;
    for (Block child : features.getChildren().values()) {
      x = child.forward(ps, x, training, params);
      if (i++ == tap) {
        if (delta != null) {
          x = new NDList(x.singletonOrThrow().add(delta));
        }
        tapped = x.singletonOrThrow();
      }
    }
    NDArray featureMap = x.singletonOrThrow();
    // DJL's PyTorch mean takes one axis at a time; width then height gives the global average.
    NDArray embedding = featureMap.mean(new int[] {3}).mean(new int[] {2});
    NDArray logits = head.forward(ps, new NDList(embedding), training, params).singletonOrThrow();
    return new NDList(logits, embedding, tapped);
  }

  /**
   * The modified backward of {@link InferenceSession#reluGradients}, block by block: the forward
   * runs the 20 blocks of {@code features} one at a time and replaces each ReLU's output by a new
   * leaf (its value detached), so the graph falls into segments (conv–BN, or max-pool–conv–BN)
   * between ReLUs; the global average pooling and the linear head follow the last one. The
   * backward then goes back segment by segment: the head's vector-Jacobian product with {@code
   * gradLogits} gives the signal at the last ReLU's output, {@code rule} turns it into the signal
   * at that ReLU's input, which one backward of that segment carries to the previous ReLU's
   * output, and so on down to {@code x}. Every nonlinearity other than the ReLUs (max-pool) keeps
   * its ordinary gradient, as under Captum's hooks on {@code nn.ReLU}. The layer's {@code delta},
   * added after the tapped ReLU as in {@link #forwardInternal}, collects the layer's signal.
   *
   * @return logits, d/dx, d/d{@code delta} (null without it), the tapped feature map
   */
  NDList reluBackward(ParameterStore ps, NDArray x, NDArray delta, NDArray gradLogits,
      PairList<String, Object> params, ReluRule rule) {
    int tap = tapChild(params);
    List<NDArray> inputs = new java.util.ArrayList<>();
    List<NDArray> outputs = new java.util.ArrayList<>();
    NDArray current = x;
    NDArray tapped = null;
    int i = 0;
    for (Block child : features.getChildren().values()) {
      if (names.get(child).contains(".relu")) {
        inputs.add(current);
        current = current.stopGradient().getNDArrayInternal().relu();
        current.setRequiresGradient(true);
        outputs.add(current);
      } else {
        current = child.forward(ps, new NDList(current), false, params).singletonOrThrow();
      }
      if (i++ == tap) {
        if (delta != null) {
          current = current.add(delta);
        }
        tapped = current;
      }
    }
    NDArray embedding = current.mean(new int[] {3}).mean(new int[] {2});
    NDArray logits = head.forward(ps, new NDList(embedding), false, params).singletonOrThrow();
    backward(logits, gradLogits);
    for (int k = outputs.size() - 1; k >= 0; k--) {
      backward(inputs.get(k), rule.apply(inputs.get(k), outputs.get(k).getGradient()));
    }
    return new NDList(logits, x.getGradient(), delta == null ? null : delta.getGradient(), tapped);
  }

  private static void backward(NDArray output, NDArray signal) {
    ai.djl.pytorch.jni.JniUtils.backward((ai.djl.pytorch.engine.PtNDArray) output,
        (ai.djl.pytorch.engine.PtNDArray) signal, false, false);
  }

  /**
   * For incremental inference of patched copies ({@link IncrementalForward}): each conv–BN–ReLU triple is a stage (3×3, stride 1, padding 1),
   * each max-pool one (2×2, stride 2); the global average pooling and the linear layer are the
   * head.
   */
  @Override
  public List<Stage> stages() {
    List<Stage> stages = new java.util.ArrayList<>();
    List<Block> pending = new java.util.ArrayList<>();
    String first = null;
    for (Block child : features.getChildren().values()) {
      String name = names.get(child);
      if (child instanceof Conv2d) {
        first = name;
        pending.clear();
      }
      if (name.contains(".pool")) {
        stages.add(new Stage(name, 2, 2, 0, List.of(child)));
        continue;
      }
      pending.add(child);
      if (name.contains(".relu")) {
        stages.add(new Stage(first, 3, 1, 1, pending));
        pending.clear();
      }
    }
    return stages;
  }

  @Override
  public NDArray head(ParameterStore ps, NDArray featureMap) {
    NDArray embedding = featureMap.mean(new int[] {3}).mean(new int[] {2});
    return head.forward(ps, new NDList(embedding), false).singletonOrThrow();
  }

  @Override
  public List<String> tapLayers() {
    return LAYERS;
  }

  private int tapChild(PairList<String, Object> params) {
    Object name = params == null ? null : params.get(TAP);
    if (name == null) {
      return tapChild[tapChild.length - 1];
    }
    int i = LAYERS.indexOf(name.toString());
    if (i < 0) {
      throw new IllegalArgumentException("SmallCnn has no layer '" + name + "'; layers: " + LAYERS);
    }
    return tapChild[i];
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape fm = features.getOutputShapes(new Shape[] {inputShapes[0]})[0];
    Shape emb = new Shape(fm.get(0), fm.get(1));
    Shape logits = head.getOutputShapes(new Shape[] {emb})[0];
    return new Shape[] {logits, emb, fm};
  }

  @Override
  protected void initializeChildBlocks(
      ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
    features.initialize(manager, dataType, inputShapes);
    Shape fm = features.getOutputShapes(inputShapes)[0];
    head.initialize(manager, dataType, new Shape(fm.get(0), fm.get(1)));
  }
}
