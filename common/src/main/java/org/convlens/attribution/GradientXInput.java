package org.convlens.attribution;

import java.util.List;
import org.convlens.model.Classifier;
import org.convlens.model.ModelDescription;

/**
 * Input × Gradient (Shrikumar et al., 2016, "Not Just a Black Box"; Captum's {@code
 * InputXGradient}): {@code x ⊙ ∂score/∂x}, with the score the target's logit and x the
 * normalised input the model sees, as Captum on a model that takes normalised tensors. The
 * product is signed: positive where a pixel's value pushes the score up.
 *
 * <p>{@code gradient_x_input}: the product summed over channels per pixel, stored symmetric (1
 * channel, offset 0, scale = max |v|). Captum returns the C×H×W product; summing channels is how
 * Captum's {@code visualize_image_attr} reduces it to a pixel map, and keeps the sign that the
 * plain gradient map's {@code max_c |·|} drops. Since x is normalised, a pixel at the dataset mean
 * (x = 0) gets 0: the implied baseline is the mean image, not black. It post-processes the
 * batch's shared backward, so it costs nothing when another input-gradient method runs too. Off
 * by default.
 */
public final class GradientXInput implements AttributionMethod {
  public static final String NAME = "gradient_x_input";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Input × Gradient";
  }

  /** Opt-in: the default method list (and the demo's analysis) stays as it was. */
  @Override
  public boolean runsByDefault() {
    return false;
  }

  /** Signed, so stored symmetric; the report draws it min–max over the image. */
  @Override
  public List<MapColumn> maps() {
    return List.of(new MapColumn(NAME, MapEncoding.Range.SYMMETRIC, true));
  }

  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    return "";
  }

  @Override
  public Object[][] attribute(AttributionBatch batch) {
    ModelDescription.Input in = batch.description().input();
    int plane = in.height() * in.width();
    float[][] g = batch.inputGradients();
    Object[][] out = new Object[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      float[] x = batch.images()[i];
      float[] map = new float[plane];
      for (int c = 0; c < in.channels(); c++) {
        for (int p = 0; p < plane; p++) {
          map[p] += x[c * plane + p] * g[i][c * plane + p];
        }
      }
      out[i] = new Object[] {batch.store(map, 1, in.height(), in.width(), MapEncoding.Range.SYMMETRIC)};
    }
    return out;
  }
}
