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
import java.util.List;

/**
 * The bundled classifier: three conv blocks (32, 64, 128 channels; each conv3×3–BN–ReLU twice,
 * 2×2 max-pool after the first two), global average pooling, one linear layer.
 *
 * <p>Forward returns three outputs, in the order recorded in {@code model.json}: logits (N×C),
 * the pooled embedding (N×128) and a feature map, by default the last one (N×128×H/4×W/4).
 * Because the head is a single linear layer on globally averaged features, class activation
 * maps (Zhou et al., 2016) are exact for this model.
 *
 * <p>Gradients of a feature map (Grad-CAM): forward takes an optional second input {@code delta}
 * that is added (broadcasting) to the tapped feature map, which is then returned as the third
 * output; the gradient w.r.t. {@code delta} is the feature map's gradient, from the same single
 * backward that gives the input gradient. The tap is the output of a conv block's last ReLU,
 * chosen by the forward parameter {@link LayerTaps#TAP} (one of {@link #LAYERS}; default the
 * last).
 */
public final class SmallCnn extends AbstractBlock implements LayerTaps {
  public static final String ARCHITECTURE = "convlens-small-cnn-v1";
  public static final int EMBEDDING_DIM = 128;
  private static final byte VERSION = 1;
  /** Tappable layers: each conv block's output after its second ReLU, before pooling. */
  public static final List<String> LAYERS =
      List.of("features.block1", "features.block2", "features.block3");
  /** Index, in {@code features}, of the ReLU that ends each block of {@link #LAYERS}. */
  private static final int[] TAP_CHILD = {5, 12, 19};

  private final Block features;
  private final Block head;

  public SmallCnn(int numClasses) {
    super(VERSION);
    SequentialBlock f = new SequentialBlock();
    convBlock(f, 32, true);
    convBlock(f, 64, true);
    convBlock(f, EMBEDDING_DIM, false);
    features = addChildBlock("features", f);
    head = addChildBlock("head", Linear.builder().setUnits(numClasses).build());
  }

  private static void convBlock(SequentialBlock seq, int channels, boolean pool) {
    for (int i = 0; i < 2; i++) {
      seq.add(
          Conv2d.builder()
              .setKernelShape(new Shape(3, 3))
              .optPadding(new Shape(1, 1))
              .setFilters(channels)
              .build());
      seq.add(BatchNorm.builder().build());
      seq.add(Activation.reluBlock());
    }
    if (pool) {
      seq.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
    }
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

  @Override
  public List<String> tapLayers() {
    return LAYERS;
  }

  private static int tapChild(PairList<String, Object> params) {
    Object name = params == null ? null : params.get(TAP);
    if (name == null) {
      return TAP_CHILD[TAP_CHILD.length - 1];
    }
    int i = LAYERS.indexOf(name.toString());
    if (i < 0) {
      throw new IllegalArgumentException("SmallCnn has no layer '" + name + "'; layers: " + LAYERS);
    }
    return TAP_CHILD[i];
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
