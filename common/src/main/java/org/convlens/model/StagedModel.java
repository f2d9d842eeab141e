package org.convlens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * A model whose feature extractor ConvLens can run one stage at a time on any rectangle of its
 * input, which is what incremental inference of patched copies ({@link IncrementalForward})
 * needs: each stage is a
 * convolution or pooling (plus pointwise layers such as batch norm and ReLU) whose output at a
 * position depends only on a known window of its input, so the effect of changing one rectangle
 * of the input stays inside a rectangle that the stage's geometry predicts.
 */
public interface StagedModel {
  /** The stages of the feature extractor, in order; the last one's output goes to {@link #head}. */
  List<Stage> stages();

  /** Logits (N×classes) from the last stage's output (N×C×H×W). */
  NDArray head(ParameterStore parameters, NDArray features);

  /**
   * One stage: a sliding operation (kernel, stride, zero padding, the same along both axes)
   * followed by pointwise blocks, run as {@code blocks} in order in inference mode.
   *
   * @param name the stage's name in the model's own layer names (for messages)
   * @param kernel the window the output position reads, per axis
   * @param stride the step between output positions
   * @param padding zeros added on each side of the input (0 for a pooling stage: ConvLens pads
   *     windows with zeros, which is right for convolutions only)
   * @param blocks the DJL blocks that make up the stage, the sliding one first
   */
  record Stage(String name, int kernel, int stride, int padding, List<Block> blocks) {
    public Stage {
      blocks = List.copyOf(blocks);
      if (kernel < 1 || stride < 1 || padding < 0 || kernel < stride) {
        throw new IllegalArgumentException("stage " + name + ": kernel " + kernel + ", stride " + stride
            + ", padding " + padding + " is not a sliding window every input position is read by");
      }
    }

    /** Output length along an axis of input length {@code length}. */
    public int outputLength(int length) {
      return (length + 2 * padding - kernel) / stride + 1;
    }

    /** Runs the stage on {@code x} (N×C×H×W), in inference mode. */
    public NDArray forward(ParameterStore parameters, NDArray x) {
      NDList out = new NDList(x);
      for (Block b : blocks) {
        out = b.forward(parameters, out, false);
      }
      return out.singletonOrThrow();
    }
  }
}
