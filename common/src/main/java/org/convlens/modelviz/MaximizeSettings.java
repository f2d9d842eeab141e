package org.convlens.modelviz;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.List;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

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
 * the gradient) and an optional Gaussian blur every {@code blurEvery} steps. Each key, its default
 * and its range are declared once below ({@link #SPEC}); {@code docs/model-viz.md} explains them.
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
  public static final Key<List<String>> CLASSES = Key.strings(P + "classes", List.of(ALL),
      "class targets: \"all\" classes of the model, [] none, or class names or indices")
      .normalised(cs -> cs.stream().map(String::strip).toList());
  public static final Key<List<Integer>> CHANNELS = Key.ints(P + "channels", List.of(),
      "channels of layer whose mean activation is maximised; [] = none")
      .<Integer>each(c -> c >= 0, "channel indices >= 0");
  public static final Key<String> LAYER = Key.string(P + "layer", "",
      "the layer of the channel targets; empty = the model's default feature layer").normalised(String::strip);
  public static final Key<Integer> STEPS = Key.integer(P + "steps", 128, "gradient-ascent steps per target")
      .within(1, 100_000);
  public static final Key<Double> LR = Key.number(P + "lr", 0.02,
      "step size: pixels move about lr per step (the gradient is divided by its RMS)")
      .allow(v -> v > 0 && v <= 10, "numbers in (0, 10], typically 0.01 to 0.1");
  public static final Key<Double> TV_WEIGHT = Key.number(P + "tv-weight", 0.02,
      "λ of the total-variation step x -= λ·∇TV(x)")
      .allow(v -> v >= 0 && v <= 1, "numbers in [0, 1]; above 0.1 the step oscillates for tv-beta = 2");
  public static final Key<Double> TV_BETA = Key.number(P + "tv-beta", 2,
      "β of the TV regulariser: 2 = smooth (quadratic), 1 = classic TV")
      .allow(v -> v >= 1 && v <= 3, "numbers in [1, 3] (1 = classic TV, 2 = smooth)");
  public static final Key<Integer> JITTER = Key.integer(P + "jitter", 1,
      "random shift in pixels before each forward (0 = none)").within(0, 256);
  public static final Key<Double> BLUR_SIGMA = Key.number(P + "blur-sigma", 0,
      "Gaussian blur σ in pixels applied every blur-every steps (0 = none)")
      .allow(v -> v >= 0 && v <= 16, "numbers in [0, 16] (0 = no blur)");
  public static final Key<Integer> BLUR_EVERY = Key.integer(P + "blur-every", 4, "blur after every this many steps")
      .within(1, 100_000);
  public static final Key<Double> INIT_NOISE = Key.number(P + "init-noise", 0.1,
      "σ of the Gaussian noise around mid-grey that every image starts from")
      .allow(v -> v >= 0 && v <= 1, "numbers in [0, 1]");
  public static final Key<Boolean> NORMALIZE_GRADIENT = Key.bool(P + "normalize-gradient", true,
      "divide the objective's gradient by its root mean square each step");
  public static final Key<Integer> SNAPSHOT_EVERY = Key.integer(P + "snapshot-every", 8,
      "keep the image every N steps for the animation (0 = only the first and the last)").within(0, 100_000);
  public static final Key<Integer> SNAPSHOT_MAX_SIDE = Key.integer(P + "snapshot-max-side", 128,
      "snapshots are downsampled to this longer side (0 = input size)")
      .allow(v -> v == 0 || (v >= 8 && v <= 4096), "0 (input size) or 8 to 4096");
  public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611,
      "seed of the starting noise and the jitter, mixed with each target");
  public static final SettingsSpec<MaximizeSettings> SPEC = SettingsSpec.of(MaximizeSettings.class, CLASSES,
      CHANNELS, LAYER, STEPS, LR, TV_WEIGHT, TV_BETA, JITTER, BLUR_SIGMA, BLUR_EVERY, INIT_NOISE, NORMALIZE_GRADIENT,
      SNAPSHOT_EVERY, SNAPSHOT_MAX_SIDE, SEED);

  public MaximizeSettings {
    classes = CLASSES.check(classes);
    if (classes.contains(ALL) && classes.size() > 1) {
      throw new InvalidConfigException(P + "classes",
          P + "classes: \"all\" cannot be combined with other classes: " + classes);
    }
    channels = List.copyOf(CHANNELS.check(channels));
    layer = layer == null ? "" : LAYER.check(layer);
    STEPS.check(steps);
    LR.check(lr);
    TV_WEIGHT.check(tvWeight);
    TV_BETA.check(tvBeta);
    JITTER.check(jitter);
    BLUR_SIGMA.check(blurSigma);
    BLUR_EVERY.check(blurEvery);
    INIT_NOISE.check(initNoise);
    SNAPSHOT_EVERY.check(snapshotEvery);
    SNAPSHOT_MAX_SIDE.check(snapshotMaxSide);
  }

  /** Reads and validates {@code model-viz.maximize.*}. */
  public static MaximizeSettings from(Config c) {
    return SPEC.from(c);
  }

  /** Every key at its default (those of conf/convlens.conf). */
  public static MaximizeSettings defaults() {
    return SPEC.defaults();
  }

  /** These settings with {@code key} set to {@code value} (checked like a configured value). */
  public <T> MaximizeSettings with(Key<T> key, T value) {
    return SPEC.with(this, key, value);
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
