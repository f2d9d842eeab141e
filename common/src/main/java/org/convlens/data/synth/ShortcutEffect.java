package org.convlens.data.synth;

import java.util.List;

/**
 * How strongly a model follows the planted marker on the CIFAR test batch.
 *
 * @param markedOthers test images of non-target classes that carry the marker
 * @param fooled how many of those the model assigns to the target class
 * @param fooledByLabel the same count per true label (0 at the target's own label)
 * @param fooledWithoutMarker how many of the same images, rendered again without the marker (same
 *     seed, so otherwise identical), the model assigns to the target class: the baseline that
 *     shows the marker, not the image, is the cause
 * @param unmarkedAccuracy accuracy on test images without the marker
 * @param targetMarkedAccuracy accuracy on the target class's marked test images
 * @param targetUnmarkedAccuracy accuracy on the target class's unmarked test images
 */
public record ShortcutEffect(
    int markedOthers,
    int fooled,
    List<Integer> fooledByLabel,
    int fooledWithoutMarker,
    double unmarkedAccuracy,
    double targetMarkedAccuracy,
    double targetUnmarkedAccuracy) {

  public ShortcutEffect {
    fooledByLabel = List.copyOf(fooledByLabel);
  }

  /** Share of marked non-target images predicted as the target class. */
  public double fooledRate() {
    return markedOthers == 0 ? Double.NaN : (double) fooled / markedOthers;
  }

  /** The same share for the unmarked twins of those images. */
  public double fooledRateWithoutMarker() {
    return markedOthers == 0 ? Double.NaN : (double) fooledWithoutMarker / markedOthers;
  }
}
