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

/**
 * The bundled classifier: three conv blocks (32, 64, 128 channels; each conv3×3–BN–ReLU twice,
 * 2×2 max-pool after the first two), global average pooling, one linear layer.
 *
 * <p>Forward returns three outputs, in the order recorded in {@code model.json}: logits (N×C),
 * the pooled embedding (N×128) and the last feature map (N×128×H/4×W/4). Because the head is a
 * single linear layer on globally averaged features, class activation maps (Zhou et al., 2016)
 * are exact for this model.
 */
public final class SmallCnn extends AbstractBlock {
  public static final String ARCHITECTURE = "convlens-small-cnn-v1";
  public static final int EMBEDDING_DIM = 128;
  private static final byte VERSION = 1;

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
    NDArray featureMap = features.forward(ps, inputs, training, params).singletonOrThrow();
    // DJL's PyTorch mean takes one axis at a time; width then height gives the global average.
    NDArray embedding = featureMap.mean(new int[] {3}).mean(new int[] {2});
    NDArray logits = head.forward(ps, new NDList(embedding), training, params).singletonOrThrow();
    return new NDList(logits, embedding, featureMap);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape fm = features.getOutputShapes(inputShapes)[0];
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
