package org.convlens.attribution;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.config.InvalidConfigException;
import org.convlens.data.ImageOps;
import org.convlens.config.Key;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession.Gradients;
import org.convlens.model.ModelDescription;

/**
 * Grad-CAM (Selvaraju et al., 2017): with A the activation of a convolutional layer (K×h×w) and
 * y the target's score (its logit), {@code α_k = mean_ij ∂y/∂A_kij} and the map is {@code
 * ReLU(Σ_k α_k A_k)}, upsampled bilinearly ({@code align_corners=False}) to the input size and
 * stored in [0, 1] with its maximum as scale. The layer is {@code analyze.gradcam.layer}, by
 * default the model description's feature map. Departures: the paper upsamples without saying
 * how; we match PyTorch's bilinear interpolation (Captum's {@code LayerAttribution.interpolate}
 * defaults to nearest). Activation and gradient come from the batch's shared backward.
 */
public final class GradCam implements AttributionMethod {
  public static final String NAME = "gradcam";
  // Its keys under analyze.*, declared here with their defaults, ranges and docs; AttributionSettings
  // reads them into its record and conf/convlens.conf holds the same keys (ConfFileMatchesDeclaredKeysTest).
  public static final Key<String> LAYER = Key.string(AttributionSettings.P + "gradcam.layer", "",
      "Grad-CAM's layer; empty = the model description's feature map")
      .normalised(String::strip);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Grad-CAM";
  }

  @Override
  public List<MapColumn> maps() {
    return List.of(new MapColumn(NAME, MapEncoding.Range.UNIT, true));
  }

  /** First: a class-discriminative layer map localises the object (or the cue) best. */
  @Override
  public int attentionRank() {
    return 1;
  }

  /** The layer it ran on, as resolved for the model. */
  @Override
  public Map<String, Object> recorded(AttributionSettings settings, Classifier model) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("gradcam_layer", gradientLayer(settings, model));
    return out;
  }

  @Override
  public String consoleNote(AttributionSettings settings, Classifier model) {
    return ", " + title() + " layer " + gradientLayer(settings, model);
  }

  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    return settings.gradCamLayer().isEmpty() ? model.defaultGradientLayer() : settings.gradCamLayer();
  }

  @Override
  public void check(Classifier model, AttributionSettings settings) {
    requireLayer(model, gradientLayer(settings, model), "analyze.gradcam.layer", NAME);
  }

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

  @Override
  public Object[][] attribute(AttributionBatch batch) {
    return maps(batch, batch.gradients(gradientLayer(batch.settings(), batch.model())), false);
  }

  /**
   * Σ_k α_k A_k per image, upsampled to the input size; {@code cam} = CAM's scaling and no
   * ReLU (see {@link Cam}), else Grad-CAM's ReLU.
   */
  static Object[][] maps(AttributionBatch batch, Gradients g, boolean cam) {
    ModelDescription.Input in = batch.description().input();
    int k = g.layerShape()[0];
    int h = g.layerShape()[1];
    int w = g.layerShape()[2];
    Object[][] out = new Object[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      float[] up = rawMap(g.layerActivations()[i], g.layerGradients()[i], k, h, w, in.height(),
          in.width(), cam);
      out[i] = new Object[] {batch.store(up, 1, in.height(), in.width(),
          (cam ? new Cam() : new GradCam()).maps().get(0).kind())};
    }
    return out;
  }

  /**
   * The unscaled map of one image: {@code Σ_k α_k A_k} with {@code α_k} the spatial mean of the
   * gradient, ReLU-ed (Grad-CAM) or multiplied by h·w (CAM), upsampled to outH×outW.
   */
  public static float[] rawMap(float[] activation, float[] gradient, int k, int h, int w,
      int outH, int outW, boolean cam) {
    float[] alpha = Maps.channelMeans(gradient, k, h * w);
    float[] map = Maps.weightedSum(activation, alpha, h * w);
    for (int p = 0; p < map.length; p++) {
      map[p] = cam ? map[p] * h * w : Math.max(0f, map[p]);
    }
    return ImageOps.bilinear(map, 1, h, w, outH, outW);
  }
}
