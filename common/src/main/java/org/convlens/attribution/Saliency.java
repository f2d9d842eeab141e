package org.convlens.attribution;

import java.util.List;
import org.convlens.model.Classifier;
import org.convlens.model.ModelDescription;

/**
 * Vanilla gradient saliency (Simonyan, Vedaldi & Zisserman, 2014): the gradient of the target's
 * score — its logit, before softmax, as in the paper and Captum's {@code Saliency} on a model
 * that returns logits — w.r.t. the normalised input pixels.
 *
 * <p>{@code saliency}: {@code max_c |∂score/∂x_c|} per pixel (the paper's map for colour
 * images), stored in [0, 1] with the maximum as scale. {@code saliency_signed}: the signed
 * gradient, all channels, stored symmetric. Both come from the batch's shared backward.
 */
public final class Saliency implements AttributionMethod {
  public static final String NAME = "saliency";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return NAME;
  }

  /** The unsigned map (overlaid in the report) and the signed gradient of every channel. */
  @Override
  public List<MapColumn> maps() {
    return List.of(new MapColumn(NAME, MapEncoding.Range.UNIT, true),
        new MapColumn(NAME + "_signed", MapEncoding.Range.SYMMETRIC, false));
  }

  /** Last: a pixel-gradient map is the noisiest description of where a class looks. */
  @Override
  public int attentionRank() {
    return 4;
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
      float[] map = Maps.maxAbsOverChannels(g[i], in.channels(), plane);
      out[i] = new Object[] {
          batch.store(map, 1, in.height(), in.width(), MapEncoding.Range.UNIT),
          batch.store(g[i], in.channels(), in.height(), in.width(), MapEncoding.Range.SYMMETRIC)};
    }
    return out;
  }
}
