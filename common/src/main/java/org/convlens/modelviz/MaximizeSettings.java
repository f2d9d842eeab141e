package org.convlens.modelviz;

import java.io.Serializable;
import java.util.List;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Settings;

/**
 * {@code model-viz.maximize.*}: input maximisation (feature visualisation) by gradient ascent
 * with a total-variation regulariser, validated once on the driver and shipped to executors as a
 * value. Each step is
 *
 * <pre>
 *   x ← clip(x + lr · g − λ · ∇TV_β(x), 0, 1),   g = ∂a/∂x  (÷ its RMS when normalizeGradient)
 * </pre>
 *
 * on the image in pixel space [0,1] (the model sees it normalised by its own preprocessing), with
 * an optional random jitter (a roll by up to {@code jitter} pixels before each forward, undone on
 * the gradient) and an optional Gaussian blur every {@code blurEvery} steps. The defaults and
 * practical ranges are in {@code conf/convlens.conf} and {@code docs/model-viz.md}.
 *
 * @param classes class targets: {@code ["all"]}, none ({@code []}), or class names / indices
 * @param channels channel targets: channel indices of {@code layer}, each maximised on its own
 * @param layer the layer of the channel targets; empty = the model's default feature layer
 * @param steps gradient-ascent steps per target
 * @param lr step size (pixel units per step when the gradient is RMS-normalised)
 * @param tvWeight λ, the weight of the TV gradient step
 * @param tvBeta β of the TV regulariser (1 to 3)
 * @param jitter largest random shift, in pixels, before each forward (0 = none)
 * @param blurSigma σ in pixels of the Gaussian blur (0 = none)
 * @param blurEvery blur after every this many steps
 * @param initNoise σ of the Gaussian noise around mid-grey (0.5) that the image starts from
 * @param normalizeGradient divide the objective's gradient by its root mean square each step
 * @param snapshotEvery keep the image every this many steps for the animation (0 = first and last)
 * @param snapshotMaxSide snapshots are area-downsampled when their longer side exceeds this (0 =
 *     input size); the final image is always kept at the input size
 * @param seed seed of the starting noise and the jitter, mixed with each target
 */
public record MaximizeSettings(
    List<String> classes,
    List<Integer> channels,
    String layer,
    int steps,
    double lr,
    double tvWeight,
    double tvBeta,
    int jitter,
    double blurSigma,
    int blurEvery,
    double initNoise,
    boolean normalizeGradient,
    int snapshotEvery,
    int snapshotMaxSide,
    long seed)
    implements Serializable {

  public static final String ALL = "all";
  private static final String P = "model-viz.maximize.";

  public MaximizeSettings {
    classes = classes.stream().map(String::strip).toList();
    if (classes.contains(ALL) && classes.size() > 1) {
      throw new InvalidConfigException(P + "classes",
          P + "classes: \"all\" cannot be combined with other classes: " + classes);
    }
    channels = List.copyOf(channels);
    for (int c : channels) {
      if (c < 0) {
        throw InvalidConfigException.range(P + "channels", c, "channel indices >= 0");
      }
    }
    layer = layer == null ? "" : layer.strip();
    Settings.between(P + "steps", steps, 1, 100_000);
    if (!(lr > 0 && lr <= 10)) {
      throw InvalidConfigException.range(P + "lr", lr, "numbers in (0, 10], typically 0.01 to 0.1");
    }
    if (!(tvWeight >= 0 && tvWeight <= 1)) {
      throw InvalidConfigException.range(P + "tv-weight", tvWeight,
          "numbers in [0, 1]; above 0.1 the step oscillates for tv-beta = 2");
    }
    if (!(tvBeta >= 1 && tvBeta <= 3)) {
      throw InvalidConfigException.range(P + "tv-beta", tvBeta, "numbers in [1, 3] (1 = classic TV, 2 = smooth)");
    }
    Settings.between(P + "jitter", jitter, 0, 256);
    if (!(blurSigma >= 0 && blurSigma <= 16)) {
      throw InvalidConfigException.range(P + "blur-sigma", blurSigma, "numbers in [0, 16] (0 = no blur)");
    }
    Settings.between(P + "blur-every", blurEvery, 1, 100_000);
    if (!(initNoise >= 0 && initNoise <= 1)) {
      throw InvalidConfigException.range(P + "init-noise", initNoise, "numbers in [0, 1]");
    }
    Settings.between(P + "snapshot-every", snapshotEvery, 0, 100_000);
    if (snapshotMaxSide != 0 && (snapshotMaxSide < 8 || snapshotMaxSide > 4096)) {
      throw InvalidConfigException.range(P + "snapshot-max-side", snapshotMaxSide, "0 (input size) or 8 to 4096");
    }
  }

  /** Whether every class of the model is a target. */
  public boolean allClasses() {
    return classes.contains(ALL);
  }

  /** The steps after which a snapshot is kept: 0 (the start), every {@code snapshotEvery}, last. */
  public boolean snapshotAt(int step) {
    return step == 0 || step == steps || (snapshotEvery > 0 && step % snapshotEvery == 0);
  }
}
