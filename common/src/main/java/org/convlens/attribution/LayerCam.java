package org.convlens.attribution;

import java.io.Serializable;
import java.util.List;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * LayerCAM (Jiang et al., 2021, "LayerCAM: Exploring Hierarchical Class Activation Maps for
 * Localization", IEEE TIP 30): with A the activation of a convolutional layer (K×h×w) and g =
 * ∂y/∂A for the target's logit y, each position keeps its own weight instead of a channel mean,
 * {@code map_ij = ReLU(Σ_k ReLU(g_kij) A_kij)} (the {@code LayerCAM} classes of jacobgil's
 * PyTorch library and of torchcam compute the same), upsampled bilinearly ({@code
 * align_corners=False}) to the input size and stored in [0, 1] with its maximum as scale, as the
 * other rectified layer maps.
 *
 * <p>The layer is {@code analyze.layercam.layer}, by default the model description's feature map
 * (the same default as the channel-weighted layer maps, so with default keys it reads the batch's
 * one shared backward). Departure: the paper fuses the maps of several layers (shallow layers'
 * maps scaled by tanh(γ·M/max M), γ = 2 in torchcam); ConvLens computes one layer's map per run.
 * The paper's point is that the element-wise weights stay meaningful on shallower, finer layers:
 * set this key to one (another layer costs one more forward+backward per batch). Off by default.
 */
public final class LayerCam extends ChannelWeightedLayerMap implements OwnLayerMethod {
  public static final String NAME = "layercam";
  // Its key under analyze.*, declared here with its default and doc; AttributionSettings holds
  // its Settings through the registry and conf/convlens.conf holds the same key
  // (ConfFileMatchesDeclaredKeysTest).
  public static final Key<String> LAYER = Key.string(AttributionSettings.P + NAME + ".layer", "",
      "LayerCAM's layer; empty = the model description's feature map (shallower = finer)")
      .normalised(String::strip);
  public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, LAYER);

  /**
   * {@code analyze.layercam.*}.
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

  @Override
  public String title() {
    return "LayerCAM";
  }

  /** Opt-in: the default method list (and the demo's analysis) stays as it was. */
  @Override
  public boolean runsByDefault() {
    return false;
  }

  @Override
  public List<MapColumn> maps() {
    return List.of(new MapColumn(NAME, MapEncoding.Range.UNIT, true));
  }

  /** Rectified, as the paper's map. */
  @Override
  boolean linearHead() {
    return false;
  }

  /** {@code ReLU(Σ_k ReLU(g_k) ⊙ A_k)}: a weight per channel and position. */
  @Override
  float[] layerMap(float[] activation, float[] gradient, int k, int h, int w) {
    int plane = h * w;
    float[] map = new float[plane];
    for (int c = 0; c < k; c++) {
      for (int p = 0; p < plane; p++) {
        float g = gradient[c * plane + p];
        if (g > 0) {
          map[p] += g * activation[c * plane + p];
        }
      }
    }
    for (int p = 0; p < plane; p++) {
      map[p] = Math.max(0f, map[p]);
    }
    return map;
  }

  @Override
  public Key<String> layerKey() {
    return LAYER;
  }

  @Override
  public String configuredLayer(AttributionSettings settings) {
    return settings.of(SPEC).layer();
  }
}
