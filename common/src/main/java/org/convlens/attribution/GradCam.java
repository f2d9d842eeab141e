package org.convlens.attribution;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
import org.convlens.model.Classifier;

/**
 * Grad-CAM (Selvaraju et al., 2017): with A the activation of a convolutional layer (K×h×w) and
 * y the target's score (its logit), {@code α_k = mean_ij ∂y/∂A_kij} and the map is {@code
 * ReLU(Σ_k α_k A_k)}, upsampled bilinearly ({@code align_corners=False}) to the input size and
 * stored in [0, 1] with its maximum as scale. The layer is {@code analyze.gradcam.layer}, by
 * default the model description's feature map. Departures: the paper upsamples without saying
 * how; we match PyTorch's bilinear interpolation (Captum's {@code LayerAttribution.interpolate}
 * defaults to nearest). Activation and gradient come from the batch's shared backward.
 */
public final class GradCam extends ChannelWeightedLayerMap {
  public static final String NAME = "gradcam";
  // Its keys under analyze.*, declared here with their defaults, ranges and docs; AttributionSettings
  // holds its Settings through the registry and conf/convlens.conf holds the same keys
  // (ConfFileMatchesDeclaredKeysTest).
  public static final Key<String> LAYER = Key.string(AttributionSettings.P + "gradcam.layer", "",
      "Grad-CAM's layer; empty = the model description's feature map")
      .normalised(String::strip);
  public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, LAYER);

  /**
   * {@code analyze.gradcam.*}.
   *
   * @param layer the layer; empty = the model description's feature map
   */
  public record Settings(String layer) implements Serializable {
    public Settings {
      layer = layer == null ? "" : LAYER.check(layer);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SettingsSpec<Settings> settingsSpec() {
    return SPEC;
  }

  /** Rectified: the paper's ReLU keeps the features with a positive influence. */
  @Override
  boolean linearHead() {
    return false;
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
    String layer = settings.of(SPEC).layer();
    return layer.isEmpty() ? model.defaultGradientLayer() : layer;
  }

  @Override
  public void check(Classifier model, AttributionSettings settings) {
    requireLayer(model, gradientLayer(settings, model), "analyze.gradcam.layer", NAME);
  }
}
