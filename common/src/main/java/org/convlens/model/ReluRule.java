package org.convlens.model;

import ai.djl.ndarray.NDArray;

/**
 * What a modified backward does at every ReLU call {@code a = relu(z)} to the backward signal
 * {@code g = ∂score/∂a} before it continues to {@code z} ({@link InferenceSession#reluGradients}).
 * The code is the {@code rule} argument of an exported model's relu-backward module
 * ({@code tools/relu_backward.py}).
 */
public enum ReluRule {
  /** {@code g · [z > 0]}: the ordinary gradient (used to check the segmented backward). */
  PLAIN(0),
  /**
   * {@code g · [z > 0] · [g > 0]}: guided backpropagation (Springenberg et al., 2015); Captum's
   * {@code GuidedBackprop} ({@code relu} of the ReLU's input gradient).
   */
  GUIDED(1),
  /**
   * {@code relu(g)}: the backward ReLU of Zeiler & Fergus's (2014) deconvolutional network,
   * keras-vis's {@code 'relu'} modifier; Captum's {@code Deconvolution} ({@code relu} of the ReLU's
   * output gradient).
   */
  RELU(2);

  private final int code;

  ReluRule(int code) {
    this.code = code;
  }

  /** The rule's number in a relu-backward module's {@code forward(x, delta, grad_logits, rule)}. */
  public int code() {
    return code;
  }

  /** The signal sent on to {@code z}, given the ReLU's input {@code z} and the signal {@code g} at its output. */
  NDArray apply(NDArray z, NDArray g) {
    NDArray open = z.gt(0f).toType(g.getDataType(), false);
    return switch (this) {
      case PLAIN -> g.mul(open);
      case GUIDED -> g.maximum(0f).mul(open);
      case RELU -> g.maximum(0f);
    };
  }
}
