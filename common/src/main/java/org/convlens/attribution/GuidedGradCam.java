package org.convlens.attribution;

import java.io.Serializable;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession.Gradients;
import org.convlens.model.ModelDescription;
import org.convlens.model.ReluRule;

/**
 * Guided Grad-CAM (Selvaraju et al., 2017): guided backpropagation's input signal ({@link
 * GuidedBackprop}) multiplied, at every pixel and channel, by the class's rectified
 * channel-weighted layer map {@code ReLU(Σ_k α_k A_k)} with ordinary gradients, upsampled
 * bilinearly ({@code align_corners=False}) to the input size as the paper does. Captum's {@code
 * GuidedGradCam} computes the same product but upsamples with nearest-neighbour by default. The
 * layer is {@code analyze.guided_gradcam.layer}, by default the model description's feature map.
 * Stored as the input gradient is: the unsigned map (max over channels of |value|, in [0, 1]) and the signed
 * product of every channel. Off by default.
 */
public final class GuidedGradCam extends ReluBackwardMap implements OwnLayerMethod {
  public static final String NAME = "guided_gradcam";
  // Its key under analyze.*, declared here with its default and doc; conf/convlens.conf holds it
  // (ConfFileMatchesDeclaredKeysTest).
  public static final Key<String> LAYER = Key.string(AttributionSettings.P + NAME + ".layer", "",
      "Guided Grad-CAM's layer; empty = the model description's feature map")
      .normalised(String::strip);
  public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, LAYER);

  /**
   * {@code analyze.guided_gradcam.*}.
   *
   * @param layer the layer of its class map; empty = the model description's feature map
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
  public String title() {
    return "Guided Grad-CAM";
  }

  @Override
  public SettingsSpec<Settings> settingsSpec() {
    return SPEC;
  }

  @Override
  ReluRule rule() {
    return ReluRule.GUIDED;
  }

  @Override
  public Key<String> layerKey() {
    return LAYER;
  }

  @Override
  public String configuredLayer(AttributionSettings settings) {
    return settings.of(SPEC).layer();
  }

  /**
   * Its layer (the layer map's activation and ordinary gradient come from the shared backward):
   * its own key's, not the base class's.
   */
  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    return OwnLayerMethod.super.gradientLayer(settings, model);
  }

  /** Its layer, then what the modified backward needs. */
  @Override
  public void check(Classifier model, AttributionSettings settings) {
    OwnLayerMethod.super.check(model, settings);
    super.check(model, settings);
  }

  @Override
  public Object[][] attribute(AttributionBatch batch) {
    ModelDescription.Input in = batch.description().input();
    int plane = in.height() * in.width();
    Gradients layer = batch.gradients(gradientLayer(batch.settings(), batch.model()));
    float[][] guided = batch.reluGradients(null, rule()).inputGradients();
    int k = layer.layerShape()[0];
    int h = layer.layerShape()[1];
    int w = layer.layerShape()[2];
    float[][] product = new float[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      float[] cam = ChannelWeightedLayerMap.rawMap(layer.layerActivations()[i], layer.layerGradients()[i],
          k, h, w, in.height(), in.width(), false);
      product[i] = new float[guided[i].length];
      for (int c = 0; c < in.channels(); c++) {
        for (int p = 0; p < plane; p++) {
          product[i][c * plane + p] = guided[i][c * plane + p] * cam[p];
        }
      }
    }
    return stored(batch, product);
  }
}
