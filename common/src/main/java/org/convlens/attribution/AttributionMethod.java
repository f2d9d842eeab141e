package org.convlens.attribution;

import java.util.List;
import org.convlens.model.ModelDescription;
import org.apache.spark.sql.types.StructField;
import org.convlens.model.Classifier;

/**
 * One attribution method (one class each, registered by name in {@link Attributions}), in the
 * manner of Captum's {@code attribute(inputs, target, ...)}: given a batch whose target classes
 * are already chosen, it returns per image the values of its output columns.
 *
 * <p>Gradient methods do not run their own passes: they say which gradients they need ({@link
 * #gradientLayer}) and the batch computes them once for all methods, in the same forward that
 * gives the predictions and embeddings.
 */
public interface AttributionMethod {
  /** The name used in {@code analyze.methods}. */
  String name();

  /** The columns this method fills (nullable; null on error rows and when not selected). */
  List<StructField> fields();

  /**
   * What the method needs from the batch's shared forward+backward pass: {@code null} = none
   * (a perturbation method), {@code ""} = input gradients, a layer name = input gradients and
   * that layer's activation and gradient.
   */
  String gradientLayer(AttributionSettings settings, Classifier model);

  /**
   * Checks, on the driver before any image is read, that the model supports this method with
   * these settings; throws {@link org.convlens.config.InvalidConfigException} naming the key.
   */
  default void check(Classifier model, AttributionSettings settings) {}

  /**
   * The extra images this method runs through the model per input image, beyond the batch's
   * shared pass (a backward counts as one more forward): occlusion's perturbed copies,
   * SmoothGrad's noisy samples. Progress lines are measured in this work.
   */
  default long extraForwardsPerImage(AttributionSettings settings, ModelDescription model) {
    return 0;
  }

  /** The values of {@link #fields()} for each image of the batch, in order. */
  Object[][] attribute(AttributionBatch batch);
}
