package org.convlens.attribution;

import org.convlens.config.InvalidConfigException;
import org.convlens.data.ImageOps;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession.Gradients;
import org.convlens.model.ModelDescription;

/**
 * The layer-attribution methods that weight a layer's activation channels by the spatial mean of
 * their gradient, {@code Σ_k α_k A_k} with {@code α_k = mean_ij ∂y/∂A_kij} (Selvaraju et al.,
 * 2017; for a global-average-pooling + linear head the same weights are Zhou et al.'s, 2016),
 * upsampled bilinearly to the input size. Activation and gradient come from the batch's shared
 * backward; a subclass says which layer and whether the sum is rectified, or weighs the
 * activation otherwise ({@link #layerMap}, e.g. Chattopadhay et al.'s weights) and keeps the same
 * layer, pass and upsampling.
 */
abstract class ChannelWeightedLayerMap implements AttributionMethod {
  /**
   * Whether the sum is kept signed and scaled by h·w (a linear head's class map, Zhou et al.)
   * rather than rectified (Selvaraju et al.).
   */
  abstract boolean linearHead();

  /** The layer's activation and gradient: by default the shared backward's ordinary ones. */
  Gradients layerGradients(AttributionBatch batch) {
    return batch.gradients(gradientLayer(batch.settings(), batch.model()));
  }

  @Override
  public Object[][] attribute(AttributionBatch batch) {
    Gradients g = layerGradients(batch);
    ModelDescription.Input in = batch.description().input();
    int k = g.layerShape()[0];
    int h = g.layerShape()[1];
    int w = g.layerShape()[2];
    Object[][] out = new Object[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      float[] map = layerMap(g.layerActivations()[i], g.layerGradients()[i], k, h, w);
      float[] up = ImageOps.bilinear(map, 1, h, w, in.height(), in.width());
      out[i] = new Object[] {batch.store(up, 1, in.height(), in.width(), maps().get(0).kind())};
    }
    return out;
  }

  /**
   * One image's h×w map before upsampling, from its activation and gradient (K×h×w each): by
   * default {@code Σ_k α_k A_k} as {@link #rawMap} computes it; a subclass with other weights
   * overrides it.
   */
  float[] layerMap(float[] activation, float[] gradient, int k, int h, int w) {
    return channelWeighted(activation, gradient, k, h, w, linearHead());
  }

  /**
   * The unscaled map of one image: {@code Σ_k α_k A_k} with {@code α_k} the spatial mean of the
   * gradient, rectified, or multiplied by h·w when {@code linearHead}, upsampled to outH×outW.
   */
  public static float[] rawMap(float[] activation, float[] gradient, int k, int h, int w,
      int outH, int outW, boolean linearHead) {
    return ImageOps.bilinear(channelWeighted(activation, gradient, k, h, w, linearHead), 1, h, w, outH, outW);
  }

  /** {@link #rawMap} before upsampling. */
  private static float[] channelWeighted(float[] activation, float[] gradient, int k, int h, int w,
      boolean linearHead) {
    float[] alpha = Maps.channelMeans(gradient, k, h * w);
    float[] map = Maps.weightedSum(activation, alpha, h * w);
    for (int p = 0; p < map.length; p++) {
      map[p] = linearHead ? map[p] * h * w : Math.max(0f, map[p]);
    }
    return map;
  }

  /** Refuses, naming {@code key}, a model without feature-map gradients or without {@code layer}. */
  static void requireLayer(Classifier model, String layer, String key, String method) {
    if (model.gradientLayers().isEmpty()) {
      throw new InvalidConfigException("analyze.methods", method + " needs feature-map gradients, but model "
          + model.description().id() + " exposes none: give it outputs.featureMap and, for TorchScript, a"
          + " forward(x, delta) with outputs.featureMapDelta = true (see docs/attribution.md), or remove "
          + method + " from analyze.methods");
    }
    if (layer == null || !model.gradientLayers().containsKey(layer)) {
      throw InvalidConfigException.range(key, layer, String.join(", ", model.gradientLayers().keySet())
          + " (layers of model " + model.description().id() + ")");
    }
  }
}
