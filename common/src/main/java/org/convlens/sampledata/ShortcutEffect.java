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

  /** A builder, so that a caller names each of the 10 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name; {@link #build()} checks them as the constructor does. */
  public static final class Builder {
    private Shortcut shortcut;
    private int plantedOthers;
    private int plantedFooled;
    private List<Integer> plantedFooledByLabel;
    private int cleanOthers;
    private int cleanOthersAsTarget;
    private int cleanOthersAsTargetWithCue;
    private int ownCarriers;
    private int ownCarriersRight;
    private int ownCarriersRightWithoutCue;

    private Builder() {}

    public Builder shortcut(Shortcut shortcut) {
      this.shortcut = shortcut;
      return this;
    }

    public Builder plantedOthers(int plantedOthers) {
      this.plantedOthers = plantedOthers;
      return this;
    }

    public Builder plantedFooled(int plantedFooled) {
      this.plantedFooled = plantedFooled;
      return this;
    }

    public Builder plantedFooledByLabel(List<Integer> plantedFooledByLabel) {
      this.plantedFooledByLabel = plantedFooledByLabel;
      return this;
    }

    public Builder cleanOthers(int cleanOthers) {
      this.cleanOthers = cleanOthers;
      return this;
    }

    public Builder cleanOthersAsTarget(int cleanOthersAsTarget) {
      this.cleanOthersAsTarget = cleanOthersAsTarget;
      return this;
    }

    public Builder cleanOthersAsTargetWithCue(int cleanOthersAsTargetWithCue) {
      this.cleanOthersAsTargetWithCue = cleanOthersAsTargetWithCue;
      return this;
    }

    public Builder ownCarriers(int ownCarriers) {
      this.ownCarriers = ownCarriers;
      return this;
    }

    public Builder ownCarriersRight(int ownCarriersRight) {
      this.ownCarriersRight = ownCarriersRight;
      return this;
    }

    public Builder ownCarriersRightWithoutCue(int ownCarriersRightWithoutCue) {
      this.ownCarriersRightWithoutCue = ownCarriersRightWithoutCue;
      return this;
    }

    public ShortcutEffect build() {
      return new ShortcutEffect(shortcut, plantedOthers, plantedFooled, plantedFooledByLabel, cleanOthers,
          cleanOthersAsTarget, cleanOthersAsTargetWithCue, ownCarriers, ownCarriersRight, ownCarriersRightWithoutCue);
    }
  }
}
