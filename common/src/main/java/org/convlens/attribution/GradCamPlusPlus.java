package org.convlens.attribution;

import java.io.Serializable;
import java.util.List;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * Grad-CAM++ (Chattopadhay et al., 2018, "Grad-CAM++: Generalized Gradient-Based Visual
 * Explanations for Deep Convolutional Networks", WACV): with A the activation of a convolutional
 * layer (K×h×w), g = ∂y/∂A for the target's logit y, and {@code S_k = Σ_ab A_kab}, the closed
 * form of the paper's eq. 19 under its exponential-score assumption (Y = exp(y), so the second
 * and third derivatives of Y are powers of g),
 * {@code α_kij = g_kij² / (2 g_kij² + S_k g_kij³)}, {@code w_k = Σ_ij α_kij ReLU(g_kij)} and
 * the map is {@code ReLU(Σ_k w_k A_k)}, upsampled bilinearly ({@code align_corners=False}) to the
 * input size and stored in [0, 1] with its maximum as scale, as Grad-CAM's.
 *
 * <p>Variant and why: the paper's weights carry the common factor exp(y), which only scales the
 * map (and overflows float for large logits); we drop it, as the widely used
 * jacobgil/pytorch-grad-cam does, so the stored scale differs from the paper's and the
 * normalised map does not. Where the denominator is zero (g = 0, or {@code 2 + S_k g = 0}) α is
 * 0: undefined there, and at g = 0 it meets ReLU(g) = 0 anyway (the paper's code sets such
 * denominators to 1, which also gives 0 at g = 0). Unlike pytorch-grad-cam we add no ε = 1e-6 to
 * the denominator: ε is absolute, not relative to g², and where g² is near or below it (about
 * 2e-7 at the last block of a ResNet-18) it dominates the denominator and leans the weights
 * towards {@code Σ g³/ε}; on the reference model tiny_cnn.pt it moves the map by up to a third of
 * its maximum. The product is computed as {@code α ReLU(g) = g / (2 + S_k g)} for g > 0, the same
 * value without g³'s underflow. The paper assumes post-ReLU activations (S_k ≥ 0, hence a
 * positive denominator where g > 0); on a layer with negative activations the formula is applied
 * as is.
 *
 * <p>The layer is {@code analyze.gradcam_plus_plus.layer}, by default the model description's
 * feature map, the same default as Grad-CAM's, so with default keys the three layer maps come
 * from the batch's one shared backward; another layer costs one more forward+backward per batch.
 * Off by default.
 */
public final class GradCamPlusPlus extends ChannelWeightedLayerMap implements OwnLayerMethod {
  public static final String NAME = "gradcam_plus_plus";
  // Its key under analyze.*, declared here with its default and doc; AttributionSettings holds
  // its Settings through the registry and conf/convlens.conf holds the same key
  // (ConfFileMatchesDeclaredKeysTest).
  public static final Key<String> LAYER = Key.string(AttributionSettings.P + NAME + ".layer", "",
      "Grad-CAM++'s layer; empty = the model description's feature map (Grad-CAM's default)")
      .normalised(String::strip);
  public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, LAYER);

  /**
   * {@code analyze.gradcam_plus_plus.*}.
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
    return "Grad-CAM++";
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

  /** {@code ReLU(Σ_k w_k A_k)} with the closed-form weights of the class Javadoc. */
  @Override
  float[] layerMap(float[] activation, float[] gradient, int k, int h, int w) {
    int plane = h * w;
    float[] weight = new float[k];
    for (int c = 0; c < k; c++) {
      double sum = 0;
      for (int p = 0; p < plane; p++) {
        sum += activation[c * plane + p];
      }
      double wc = 0;
      for (int p = 0; p < plane; p++) {
        double g = gradient[c * plane + p];
        double denominator = 2 + sum * g; // 2g² + S g³ over g²
        if (g > 0 && denominator != 0) {
          wc += g / denominator;
        }
      }
      weight[c] = (float) wc;
    }
    float[] map = Maps.weightedSum(activation, weight, plane);
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
