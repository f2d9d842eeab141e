package org.convlens.attribution;

import java.util.List;
import java.util.SplittableRandom;
import org.convlens.config.InvalidConfigException;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.InferenceSession.Gradients;

/**
 * Class activation mapping (Zhou et al., 2016) for models that end in global average pooling
 * and one linear layer: {@code CAM_c = Σ_k w_ck A_k} over the last feature map A (K×h×w).
 *
 * <p>The weights are read from the gradient rather than from the head's parameters, so that it
 * works the same for DJL and TorchScript models: for such a head {@code ∂y_c/∂A_kij = w_ck/(hw)}
 * at every position, hence {@code CAM_c = hw · Σ_k mean_ij(∂y_c/∂A_k) A_k} — Grad-CAM without
 * the ReLU. That identity holds only for GAP + linear, so {@link #check} verifies it on the
 * driver (the feature-map gradient must be constant over space) and refuses other models. No
 * ReLU, as in the paper; the map is upsampled bilinearly to the input size and stored min–max.
 */
public final class Cam extends ChannelWeightedLayerMap {
  public static final String NAME = "cam";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "CAM";
  }

  /** Min–max: without the ReLU the map is signed. */
  @Override
  public List<MapColumn> maps() {
    return List.of(new MapColumn(NAME, MapEncoding.Range.MIN_MAX, true));
  }

  /** After Grad-CAM and the perturbation grid: the same layer map, unrectified. */
  @Override
  public int attentionRank() {
    return 3;
  }

  /** Always the model's own feature map (the one pooled into the embedding). */
  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    return model.defaultGradientLayer();
  }

  @Override
  public void check(Classifier model, AttributionSettings settings) {
    requireLayer(model, model.defaultGradientLayer(), "model.path", NAME);
    int[] shape = model.gradientLayers().get(model.defaultGradientLayer());
    var in = model.description().input();
    SplittableRandom r = new SplittableRandom(settings.seed());
    float[][] x = new float[2][in.channels() * in.height() * in.width()];
    for (float[] row : x) {
      for (int p = 0; p < row.length; p++) {
        row[p] = (float) (r.nextDouble() * 2 - 1);
      }
    }
    Gradients g;
    try (InferenceSession s = model.newSession()) {
      g = s.gradients(x, (i, logits) -> i % logits.length, model.defaultGradientLayer());
    }
    int plane = shape[1] * shape[2];
    for (float[] grad : g.layerGradients()) {
      float maxAbs = 0;
      float spread = 0;
      for (int k = 0; k < shape[0]; k++) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < plane; p++) {
          float v = grad[k * plane + p];
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
          maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        spread = Math.max(spread, hi - lo);
      }
      if (spread > 1e-4f * maxAbs + 1e-12f) {
        throw new InvalidConfigException("analyze.methods", "cam needs a model that ends in global average"
            + " pooling and one linear layer after '" + model.defaultGradientLayer() + "', but the gradient of"
            + " model " + model.description().id() + " varies over that feature map (spread " + spread
            + " vs max " + maxAbs + "): use a layer-attribution method that does not assume that head instead");
      }
    }
  }

  /** Signed and scaled by h·w: the paper's class map, no ReLU. */
  @Override
  boolean linearHead() {
    return true;
  }
}
