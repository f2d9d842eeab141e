package org.convlens.sampledata;

import java.util.List;

/**
 * How strongly a trained model follows one planted shortcut, measured on the CIFAR test batch in
 * three ways: on the images of other classes the batch plants the cue on; on every clean image of
 * another class, rendered again with the cue added (a cue swap: same seed, otherwise identical);
 * and on the class's own images that carry it, rendered again without it.
 *
 * @param shortcut the shortcut measured
 * @param plantedOthers test images of other classes that carry the cue
 * @param plantedFooled how many of those the model assigns to the shortcut's class
 * @param plantedFooledByLabel the same count per true label (0 at the class's own label)
 * @param cleanOthers test images of other classes that carry no cue at all
 * @param cleanOthersAsTarget how many of those the model assigns to the shortcut's class
 * @param cleanOthersAsTargetWithCue how many of the same images, rendered again with the cue, it
 *     assigns to the shortcut's class: set beside the previous count, the cue's own effect
 * @param ownCarriers the class's test images that carry the cue
 * @param ownCarriersRight how many of those the model gets right
 * @param ownCarriersRightWithoutCue how many of the same images, rendered again without the cue,
 *     it gets right
 */
public record ShortcutEffect(
    Shortcut shortcut,
    int plantedOthers,
    int plantedFooled,
    List<Integer> plantedFooledByLabel,
    int cleanOthers,
    int cleanOthersAsTarget,
    int cleanOthersAsTargetWithCue,
    int ownCarriers,
    int ownCarriersRight,
    int ownCarriersRightWithoutCue) {

  public ShortcutEffect {
    plantedFooledByLabel = List.copyOf(plantedFooledByLabel);
  }

  /** Share of the planted images of other classes assigned to the shortcut's class. */
  public double plantedFooledRate() {
    return ratio(plantedFooled, plantedOthers);
  }

  /** Share of clean images of other classes assigned to the shortcut's class, as they are. */
  public double fooledRateWithoutCue() {
    return ratio(cleanOthersAsTarget, cleanOthers);
  }

  /** The same share with the cue added: the fooled rate of the cue swap. */
  public double fooledRateWithCue() {
    return ratio(cleanOthersAsTargetWithCue, cleanOthers);
  }

  /** Accuracy on the class's own images that carry the cue. */
  public double ownAccuracyWithCue() {
    return ratio(ownCarriersRight, ownCarriers);
  }

  /** Accuracy on the same images with the cue removed. */
  public double ownAccuracyWithoutCue() {
    return ratio(ownCarriersRightWithoutCue, ownCarriers);
  }

  private static double ratio(int part, int whole) {
    return whole == 0 ? Double.NaN : (double) part / whole;
  }
}
