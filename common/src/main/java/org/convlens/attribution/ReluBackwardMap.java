package org.convlens.attribution;

import java.util.List;
import org.convlens.config.InvalidConfigException;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession.Gradients;
import org.convlens.model.ModelDescription;
import org.convlens.model.ReluRule;

/**
 * The input-space maps of a modified backward ({@link ReluRule}): the target logit's backward
 * signal carried to the input with the rule applied at every ReLU call, stored as the input gradient is
 * ({@code max_c |signal|} in [0, 1], and the signed signal of every channel). The signal comes
 * from one extra forward+backward of the batch ({@link AttributionBatch#reluGradients}), shared
 * by every method that asks for the same rule. Not picked unasked to describe attention: Adebayo
 * et al. (2018) found these maps barely change when the model's weights are randomised.
 */
abstract class ReluBackwardMap implements AttributionMethod {
  /** The rule applied at every ReLU. */
  abstract ReluRule rule();

  @Override
  public List<MapColumn> maps() {
    return List.of(new MapColumn(name(), MapEncoding.Range.UNIT, true),
        new MapColumn(name() + "_signed", MapEncoding.Range.SYMMETRIC, false));
  }

  /** Off by default: one more forward+backward per image, and a map that ignores the model's weights. */
  @Override
  public boolean runsByDefault() {
    return false;
  }

  /** Null: nothing from the shared plain backward; its own pass is {@link #extraForwardsPerImage}. */
  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    return null;
  }

  /** One forward and one backward of its own, through the model's segments. */
  @Override
  public long extraForwardsPerImage(AttributionSettings settings, ModelDescription model) {
    return 2;
  }

  @Override
  public void check(Classifier model, AttributionSettings settings) {
    requireReluBackward(model, name());
  }

  @Override
  public Object[][] attribute(AttributionBatch batch) {
    Gradients g = batch.reluGradients(null, rule());
    return stored(batch, g.inputGradients());
  }

  /** Per image the unsigned map (max |value| over channels) and the signed values, as the input gradient is stored. */
  static Object[][] stored(AttributionBatch batch, float[][] signed) {
    ModelDescription.Input in = batch.description().input();
    int plane = in.height() * in.width();
    Object[][] out = new Object[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      float[] map = Maps.maxAbsOverChannels(signed[i], in.channels(), plane);
      out[i] = new Object[] {
          batch.store(map, 1, in.height(), in.width(), MapEncoding.Range.UNIT),
          batch.store(signed[i], in.channels(), in.height(), in.width(), MapEncoding.Range.SYMMETRIC)};
    }
    return out;
  }

  /**
   * Refuses, naming {@code analyze.methods}, a model without a modified ReLU backward (a
   * TorchScript file exported without its relu-backward sibling, see docs/attribution.md).
   */
  static void requireReluBackward(Classifier model, String method) {
    String missing = model.reluBackwardMissing();
    if (missing != null) {
      throw new InvalidConfigException("analyze.methods", method + " needs a modified ReLU backward, but "
          + missing + "; or remove " + method + " from analyze.methods");
    }
  }
}
