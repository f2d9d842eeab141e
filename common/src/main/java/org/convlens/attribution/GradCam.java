package org.convlens.attribution;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession.Gradients;
import org.convlens.model.ModelDescription;
import org.convlens.model.ReluRule;

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
  public static final Key<BackpropModifier> BACKPROP_MODIFIER = Key.choice(
      AttributionSettings.P + "gradcam.backprop-modifier", BackpropModifier.class, BackpropModifier.NONE,
      "the backward to the layer, as keras-vis's backprop_modifier: none = the gradient (the paper),"
      + " guided = guided backprop's ReLU rule, relu = the backward signal rectified at every ReLU");
  public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, LAYER, BACKPROP_MODIFIER);

  /**
   * keras-vis's {@code visualize_cam(..., backprop_modifier=None | 'guided' | 'relu')}: the rule
   * applied at the ReLUs between the layer and the logits on the way back to the layer's
   * gradient (nothing changes when no ReLU follows the layer).
   */
  public enum BackpropModifier implements org.convlens.config.Choice {
    NONE("none", null), GUIDED("guided", ReluRule.GUIDED), RELU("relu", ReluRule.RELU);

    private final String code;
    private final ReluRule rule;

    BackpropModifier(String code, ReluRule rule) {
      this.code = code;
      this.rule = rule;
    }

    @Override
    public String code() {
      return code;
    }

    /** The rule at every ReLU; null for the ordinary gradient. */
    public ReluRule rule() {
      return rule;
    }
  }

  /**
   * {@code analyze.gradcam.*}.
   *
   * @param layer the layer; empty = the model description's feature map
   * @param backpropModifier the backward to the layer ({@link BackpropModifier}); none by default
   */
  public record Settings(String layer, BackpropModifier backpropModifier) implements Serializable {
    public Settings {
      layer = layer == null ? "" : LAYER.check(layer);
      backpropModifier = backpropModifier == null ? BackpropModifier.NONE : BACKPROP_MODIFIER.check(backpropModifier);
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

  /** The layer it ran on, as resolved for the model, and its backprop modifier when not none. */
  @Override
  public Map<String, Object> recorded(AttributionSettings settings, Classifier model) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("gradcam_layer", gradientLayer(settings, model));
    BackpropModifier modifier = settings.of(SPEC).backpropModifier();
    if (modifier != BackpropModifier.NONE) {
      out.put("gradcam_backprop_modifier", modifier.code());
    }
    return out;
  }

  @Override
  public String consoleNote(AttributionSettings settings, Classifier model) {
    BackpropModifier modifier = settings.of(SPEC).backpropModifier();
    return ", " + title() + " layer " + gradientLayer(settings, model)
        + (modifier == BackpropModifier.NONE ? "" : " (" + modifier.code() + " backward)");
  }

  /**
   * The layer's activation and, with a backprop modifier, its modified gradient (one more
   * forward+backward); without one, the shared backward's ordinary gradient.
   */
  @Override
  Gradients layerGradients(AttributionBatch batch) {
    ReluRule rule = batch.settings().of(SPEC).backpropModifier().rule();
    String layer = gradientLayer(batch.settings(), batch.model());
    return rule == null ? batch.gradients(layer) : batch.reluGradients(layer, rule);
  }

  /** One more forward and backward per image with a backprop modifier. */
  @Override
  public long extraForwardsPerImage(AttributionSettings settings, ModelDescription model) {
    return settings.of(SPEC).backpropModifier() == BackpropModifier.NONE ? 0 : 2;
  }

  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    String layer = settings.of(SPEC).layer();
    return layer.isEmpty() ? model.defaultGradientLayer() : layer;
  }

  @Override
  public void check(Classifier model, AttributionSettings settings) {
    requireLayer(model, gradientLayer(settings, model), "analyze.gradcam.layer", NAME);
    if (settings.of(SPEC).backpropModifier() != BackpropModifier.NONE) {
      String missing = model.reluBackwardMissing();
      if (missing != null) {
        throw new org.convlens.config.InvalidConfigException(BACKPROP_MODIFIER.path(),
            "analyze.gradcam.backprop-modifier = " + settings.of(SPEC).backpropModifier().code()
            + " needs a modified ReLU backward, but " + missing + "; or set it to none");
      }
    }
  }
}
