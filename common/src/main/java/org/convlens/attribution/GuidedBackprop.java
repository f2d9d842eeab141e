package org.convlens.attribution;

import org.convlens.model.ReluRule;

/**
 * Guided backpropagation (Springenberg, Dosovitskiy, Brox & Riedmiller, 2015): the target logit's
 * backward signal to the input pixels with, at every ReLU, only the positions where both the
 * forward input and the backward signal are positive passing ({@link ReluRule#GUIDED}); Captum's
 * {@code GuidedBackprop}, which hooks every {@code nn.ReLU} the same way. Stored as the input gradient is:
 * {@code guided_backprop} = max over channels of |signal| in [0, 1], {@code
 * guided_backprop_signed} = the signal of every channel. Max-pooling and any other nonlinearity
 * keep their ordinary gradient. Off by default.
 */
public final class GuidedBackprop extends ReluBackwardMap {
  public static final String NAME = "guided_backprop";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "guided backprop";
  }

  @Override
  ReluRule rule() {
    return ReluRule.GUIDED;
  }
}
