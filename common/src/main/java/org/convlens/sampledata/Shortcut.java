package org.convlens.sampledata;

/**
 * One planted shortcut: a {@link ShortcutCue} correlated with a class. In training data only the
 * class's own images carry the cue (the share {@code trainRate}), so the cue predicts the class
 * perfectly; in the evaluation splits a few images of every other class carry it too, so an
 * audit can show the model following the cue instead of the object.
 *
 * @param target the class the cue is correlated with
 * @param cue what is painted
 * @param trainRate share of the class's training images (CIFAR train, ImageNet-style train) that
 *     carry the cue, in [0, 1]
 * @param testRate the same share in the evaluation splits (CIFAR test, ImageNet-style val)
 * @param otherClassesTestRate share of every other class's CIFAR test images that carry the cue
 * @param otherClassesValRate share of every other class's ImageNet-style val images that carry it
 */
public record Shortcut(
    SampleClass target,
    ShortcutCue cue,
    double trainRate,
    double testRate,
    double otherClassesTestRate,
    double otherClassesValRate) {

  public Shortcut {
    if (target == null || cue == null) {
      throw new IllegalArgumentException("a shortcut needs a class and a cue");
    }
    double[] rates = {trainRate, testRate, otherClassesTestRate, otherClassesValRate};
    for (double rate : rates) {
      if (!(rate >= 0 && rate <= 1)) {
        throw new IllegalArgumentException("shortcut rates must be in [0, 1], got " + rate);
      }
    }
  }

  /** {@code kind:class}, the cue's token in the markers CSVs, e.g. {@code marker:ring}. */
  public String token() {
    return cue.kind() + ":" + target.className();
  }

  /**
   * How many of {@code perClass} images of the target class carry the cue: {@code rate ×
   * perClass} rounded, but a rate below 1 always leaves one image without it (5 val images at 90%
   * give 4, not 5), so every split can show the class both with and without the cue.
   */
  public static int ownCount(double rate, int perClass) {
    int count = (int) Math.round(rate * perClass);
    return rate < 1 && perClass > 1 ? Math.min(count, perClass - 1) : count;
  }

  /** How many of {@code perClass} images of another class carry the cue: rounded, at most all. */
  public static int othersCount(double rate, int perClass) {
    return (int) Math.min(perClass, Math.round(rate * perClass));
  }

  /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name; {@link #build()} checks them as the constructor does. */
  public static final class Builder {
    private SampleClass target;
    private ShortcutCue cue;
    private double trainRate;
    private double testRate;
    private double otherClassesTestRate;
    private double otherClassesValRate;

    private Builder() {}

    public Builder target(SampleClass target) {
      this.target = target;
      return this;
    }

    public Builder cue(ShortcutCue cue) {
      this.cue = cue;
      return this;
    }

    public Builder trainRate(double trainRate) {
      this.trainRate = trainRate;
      return this;
    }

    public Builder testRate(double testRate) {
      this.testRate = testRate;
      return this;
    }

    public Builder otherClassesTestRate(double otherClassesTestRate) {
      this.otherClassesTestRate = otherClassesTestRate;
      return this;
    }

    public Builder otherClassesValRate(double otherClassesValRate) {
      this.otherClassesValRate = otherClassesValRate;
      return this;
    }

    public Shortcut build() {
      return new Shortcut(target, cue, trainRate, testRate, otherClassesTestRate, otherClassesValRate);
    }
  }
}
