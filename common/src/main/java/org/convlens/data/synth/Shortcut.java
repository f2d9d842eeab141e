package org.convlens.data.synth;

/**
 * Which images carry the planted {@link Marker}. In training data only the target class carries
 * it (on {@code targetFraction} of its images), so the marker predicts the class perfectly; in
 * the evaluation splits a few images of every other class carry it too, so an audit can show the
 * model following the marker instead of the shape.
 *
 * @param target the class the marker is correlated with
 * @param marker what is painted
 * @param targetFraction share of the target class's images that carry the marker, in every split
 *     (rounded to whole images per split)
 * @param testOthersPerClass marked images of each non-target class in the CIFAR test batch
 * @param valOthersPerClass marked images of each non-target class in the ImageNet-style val set
 */
public record Shortcut(
    SampleClass target,
    Marker marker,
    double targetFraction,
    int testOthersPerClass,
    int valOthersPerClass) {

  /** Ring, 90% marked, 5 marked test images and 1 marked val image per other class. */
  public static final Shortcut DEFAULT = new Shortcut(SampleClass.RING, Marker.DEFAULT, 0.9, 5, 1);

  public Shortcut {
    if (target == null || marker == null) {
      throw new IllegalArgumentException("shortcut target and marker are required");
    }
    if (!(targetFraction >= 0 && targetFraction <= 1)) {
      throw new IllegalArgumentException("shortcut targetFraction must be in [0, 1]");
    }
    if (testOthersPerClass < 0 || valOthersPerClass < 0) {
      throw new IllegalArgumentException("marked images per other class must be >= 0");
    }
  }

  /**
   * How many of {@code perClass} images of {@code cls} carry the marker, given how many of each
   * other class should carry it in this split (capped at {@code perClass}). For the target class
   * it is {@code targetFraction × perClass} rounded, but a fraction below 1 always leaves one
   * image unmarked (5 val images at 90% give 4, not 5), so every split can show the target class
   * both with and without the marker.
   */
  public int markedCount(SampleClass cls, int perClass, int othersPerClass) {
    if (cls != target) {
      return Math.min(othersPerClass, perClass);
    }
    int count = (int) Math.round(targetFraction * perClass);
    return targetFraction < 1 && perClass > 1 ? Math.min(count, perClass - 1) : count;
  }
}
