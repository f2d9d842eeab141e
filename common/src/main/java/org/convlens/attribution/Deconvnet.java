package org.convlens.attribution;

import org.convlens.model.ReluRule;

/**
 * The deconvnet visualisation (Zeiler & Fergus, 2014) as a backward pass: the target logit's
 * signal to the input pixels with, at every ReLU, the signal rectified by its own sign only,
 * whatever the forward input was ({@link ReluRule#RELU}; keras-vis's {@code 'relu'} backprop
 * modifier, Captum's {@code Deconvolution}). Max-pooling routes the signal to the forward's
 * maxima, as the paper's switches do. Stored as the input gradient is: {@code deconvnet} = max over channels
 * of |signal| in [0, 1], {@code deconvnet_signed} = the signal of every channel. Off by default.
 */
public final class Deconvnet extends ReluBackwardMap {
  public static final String NAME = "deconvnet";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return NAME;
  }

  @Override
  ReluRule rule() {
    return ReluRule.RELU;
  }
}
