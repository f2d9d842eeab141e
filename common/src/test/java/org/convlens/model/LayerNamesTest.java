package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.convlens.config.ConvLensHome;
import org.junit.jupiter.api.Test;

/** PyTorch-style layer and parameter names for DJL block trees and TorchScript modules. */
class LayerNamesTest {
  /** The bundled model's leaf modules, as its torch.nn equivalent would name them, in forward order. */
  static List<String> bundledLayers() {
    List<String> names = new ArrayList<>();
    for (int b = 1; b <= 3; b++) {
      for (int i = 1; i <= 2; i++) {
        for (String m : List.of("conv", "bn", "relu")) {
          names.add("features.block" + b + "." + m + i);
        }
      }
      if (b < 3) {
        names.add("features.pool" + b);
      }
    }
    names.add("head");
    return names;
  }

  @Test
  void bundledModelHasPyTorchNamesAndTypes() throws Exception {
    try (Classifier model = ModelLoader.load(ModelFixtures.cpuSpec(ConvLensHome.bundledModel()))) {
      LayerNames names = LayerNames.of(((BlockClassifier) model).block());
      List<LayerNames.Module> leaves = names.leaves();
      assertEquals(bundledLayers(), leaves.stream().map(LayerNames.Module::name).toList());
      assertEquals(List.of("Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"),
          leaves.subList(0, 7).stream().map(LayerNames.Module::type).toList());
      assertEquals("Linear", leaves.get(leaves.size() - 1).type());

      ModelParameters params = ModelParameters.of(model);
      assertEquals(List.of("features.block1.conv1.weight", "features.block1.conv1.bias",
          "features.block1.bn1.weight", "features.block1.bn1.bias", "features.block1.bn1.running_mean",
          "features.block1.bn1.running_var"), params.list().subList(0, 6).stream().map(ModelParameters.Param::name).toList());
      ModelParameters.Param last = params.list().get(params.list().size() - 1);
      assertEquals("head.bias", last.name());
      assertEquals("head", last.module());
      assertEquals("bias", last.role());
      for (ModelParameters.Param p : params.list()) {
        assertFalse(p.name().matches(".*\\d\\d[A-Z].*") || p.name().contains("_0"), "no DJL names: " + p.name());
        assertEquals(p.role().startsWith("running_"), !p.trainable(), p.name());
      }

      // Only to tell a user what an old name is called now.
      assertEquals("features.block2.conv1", names.fromDjlName("01features_08Conv2d"));
      assertEquals("features.block1.relu1", names.fromDjlName("01features_03LambdaBlock"));
      assertEquals("head.weight", params.fromDjlName("02head_weight"));
      assertEquals("features.block1.bn1.running_var", params.fromDjlName("01features_02BatchNorm_runningVar"));
      assertNull(names.fromDjlName("features.block1.conv1"));
    }
  }

  /**
   * A tappable layer {@code features.blockN} is its block's output: the second ReLU (nothing
   * negative, some zeros), before the pooling (full resolution for block 1).
   */
  @Test
  void tappedLayersAreTheirBlocksLastReLU() throws Exception {
    try (Classifier model = ModelLoader.load(ModelFixtures.cpuSpec(ConvLensHome.bundledModel()))) {
      BlockClassifier c = (BlockClassifier) model;
      assertArrayEquals(new int[] {32, 32, 32}, c.gradientLayers().get("features.block1"));
      assertArrayEquals(new int[] {64, 16, 16}, c.gradientLayers().get("features.block2"));
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray x = m.randomNormal(new Shape(1, 3, 32, 32));
        for (String layer : SmallCnn.LAYERS) {
          PairList<String, Object> tap = new PairList<>();
          tap.add(LayerTaps.TAP, layer);
          NDArray a = c.block().forward(new ParameterStore(m, false), new NDList(x), false, tap).get(2);
          assertTrue(a.min().getFloat() == 0f, layer + " is a ReLU's output");
          assertTrue(a.eq(0).sum().getLong() > 0, layer);
        }
      }
    }
  }

  /** The committed TorchScript fixture: its own module names, no module tree. */
  @Test
  void torchScriptKeepsItsOwnNames() throws Exception {
    try (Classifier model = ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.tinyPt()))) {
      assertTrue(LayerNames.of(((BlockClassifier) model).block()).leaves().isEmpty());
      ModelParameters params = ModelParameters.of(model);
      assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"),
          params.list().stream().map(ModelParameters.Param::name).toList());
      assertEquals(List.of("conv1", "conv1", "conv2", "conv2", "fc", "fc"),
          params.list().stream().map(ModelParameters.Param::module).toList());
    }
  }

  /**
   * Without {@link LayerNames.Named}: a sequential's children by index (nn.Sequential), other
   * children by the name they were added with; DJL's lambdas as PyTorch's classes.
   */
  @Test
  void otherDjlTreesAreNamedAsTorchWould() {
    SequentialBlock body = new SequentialBlock()
        .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build())
        .add(BatchNorm.builder().build())
        .add(Activation.reluBlock())
        .add(Pool.avgPool2dBlock(new Shape(2, 2)))
        .add(Pool.globalAvgPool2dBlock())
        .add(Blocks.batchFlattenBlock());
    Block root = new TwoPart(body, Linear.builder().setUnits(2).build());
    try (NDManager m = NDManager.newBaseManager()) {
      root.initialize(m, DataType.FLOAT32, new Shape(1, 3, 8, 8));
      LayerNames names = LayerNames.of(root);
      assertEquals(List.of("body.0", "body.1", "body.2", "body.3", "body.4", "body.5", "head"),
          names.leaves().stream().map(LayerNames.Module::name).toList());
      assertEquals(List.of("Conv2d", "BatchNorm2d", "ReLU", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "Linear"),
          names.leaves().stream().map(LayerNames.Module::type).toList());
      List<String> params = new ArrayList<>();
      for (var p : root.getParameters()) {
        params.add(names.owner(p.getValue()).name());
      }
      assertEquals(List.of("body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "body.1.running_mean",
          "body.1.running_var", "head.weight", "head.bias"), params);
    }
  }

  /** body, then a head on its (flattened) output. */
  private static final class TwoPart extends AbstractBlock {
    private final Block body;
    private final Block head;

    TwoPart(Block body, Block head) {
      this.body = addChildBlock("body", body);
      this.head = addChildBlock("head", head);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
        PairList<String, Object> params) {
      return head.forward(ps, body.forward(ps, inputs, training, params), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] in) {
      return head.getOutputShapes(body.getOutputShapes(in));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... in) {
      body.initialize(manager, dataType, in);
      head.initialize(manager, dataType, body.getOutputShapes(in));
    }
  }
}
