package org.convlens.attribution;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import org.convlens.config.Choice;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * {@code analyze.*} settings of the attribution methods, validated once on the driver and shipped
 * to executors as a value. Each key, its default and its range are declared once below ({@link
 * #SPEC}); {@code conf/convlens.conf} documents the same keys.
 *
 * @param methods methods to run, by {@link AttributionMethod#name()} (see {@link Attributions})
 * @param target whose score is explained: {@code predicted}, {@code label}, or a class name or
 *     index of the model (checked against the model on the driver)
 * @param mapEncoding how maps are stored
 * @param mapMaxSide maps larger than this (longer side) are area-downsampled to it; 0 = keep the
 *     input size
 * @param smoothGradSamples noisy copies per image (SmoothGrad's n)
 * @param smoothGradNoise noise σ as a fraction of the image's value range (SmoothGrad's σ/(max−min))
 * @param seed seed of every random choice (SmoothGrad noise), mixed with the image id
 * @param gradCamLayer Grad-CAM layer; empty = the model description's feature map
 * @param occlusionWindows square window sides, one grid per window
 * @param occlusionStrides one stride for all windows, one per window, or empty = half of each
 *     window
 * @param occlusionBaseline what an occluded pixel becomes
 * @param perturbationsPerEval occluded copies per forward pass (Captum's {@code
 *     perturbations_per_eval}); bounds the memory of occlusion; 0 = auto (see {@link
 *     #perturbationsPerEval(int)})
 */
public record AttributionSettings(
    List<String> methods,
    String target,
    MapEncoding.Kind mapEncoding,
    int mapMaxSide,
    int smoothGradSamples,
    double smoothGradNoise,
    long seed,
    String gradCamLayer,
    List<Integer> occlusionWindows,
    List<Integer> occlusionStrides,
    Baseline occlusionBaseline,
    int perturbationsPerEval)
    implements Serializable {

  public static final String PREDICTED = "predicted";
  public static final String LABEL = "label";

  static final String P = "analyze.";
  public static final Key<List<String>> METHODS = Key.strings(P + "methods",
      Attributions.ALL.stream().filter(AttributionMethod::runsByDefault).map(AttributionMethod::name).toList(),
      "attribution methods to run (docs/attribution.md)")
      .normalised(ms -> ms.stream().map(m -> m.strip().toLowerCase(Locale.ROOT)).toList())
      .<String>each(Attributions.NAMES::contains, String.join(", ", Attributions.NAMES));
  public static final Key<String> TARGET = Key.string(P + "target", PREDICTED,
      "whose score is explained: predicted, label, or a class name or index of the model");
  public static final Key<MapEncoding.Kind> MAP_ENCODING = Key.choice(P + "maps.encoding", MapEncoding.Kind.class,
      MapEncoding.Kind.U8, "how maps are stored: u8 (s8 when signed), f16 or f32");
  public static final Key<Integer> MAP_MAX_SIDE = Key.integer(P + "maps.max-side", 64,
      "maps are area-downsampled when their longer side exceeds this (0 = the input size)")
      .allow(m -> m == 0 || (m >= 4 && m <= 4096), "0 (input size) or 4 to 4096");
  public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611,
      "seed of every random choice (SmoothGrad noise), mixed with each image's id");
  public static final SettingsSpec<AttributionSettings> SPEC = SettingsSpec.of(AttributionSettings.class, METHODS,
      TARGET, MAP_ENCODING, MAP_MAX_SIDE, SmoothGrad.SAMPLES, SmoothGrad.NOISE, SEED, GradCam.LAYER,
      Occlusion.WINDOWS, Occlusion.STRIDES, Occlusion.BASELINE, Occlusion.PERTURBATIONS_PER_EVAL);

  public AttributionSettings {
    methods = List.copyOf(METHODS.check(methods));
    if (new HashSet<>(methods).size() != methods.size()) {
      throw new InvalidConfigException("analyze.methods", "analyze.methods lists a method twice: " + methods);
    }
    if (target == null || target.isBlank()) {
      throw new InvalidConfigException("analyze.target",
          "analyze.target must not be empty: predicted, label, or a class name or index of the model");
    }
    target = target.strip();
    MAP_MAX_SIDE.check(mapMaxSide);
    SmoothGrad.SAMPLES.check(smoothGradSamples);
    SmoothGrad.NOISE.check(smoothGradNoise);
    gradCamLayer = gradCamLayer == null ? "" : GradCam.LAYER.check(gradCamLayer);
    occlusionWindows = List.copyOf(occlusionWindows);
    occlusionStrides = List.copyOf(occlusionStrides);
    Occlusion.checkGrids(occlusionWindows, occlusionStrides);
    Occlusion.PERTURBATIONS_PER_EVAL.check(perturbationsPerEval);
  }

  /** Reads and validates the attribution keys of {@code analyze.*}. */
  public static AttributionSettings from(Config c) {
    return SPEC.from(c);
  }

  /** Every key at its default (those of conf/convlens.conf). */
  public static AttributionSettings defaults() {
    return SPEC.defaults();
  }

  /** These settings with {@code key} set to {@code value} (checked like a configured value). */
  public <T> AttributionSettings with(Key<T> key, T value) {
    return SPEC.with(this, key, value);
  }

  /** Input values per occlusion forward that {@code perturbations-per-eval = 0} aims for. */
  public static final int AUTO_VALUES_PER_EVAL = 1 << 20;

  /**
   * Occluded copies per forward for a model input of {@code values} numbers (C·H·W): the
   * configured value, or for 0 (auto) about {@link #AUTO_VALUES_PER_EVAL} input values per
   * forward, 1 to 64 copies — 64 at 32², 6 at 224². Large batches of large inputs were slower
   * (docs/benchmarks.md), as was measured for PyTorch on the build machine: big activation buffers go back to
   * the OS and fault in again.
   */
  public int perturbationsPerEval(int values) {
    if (perturbationsPerEval > 0) {
      return perturbationsPerEval;
    }
    return Math.max(1, Math.min(64, AUTO_VALUES_PER_EVAL / Math.max(1, values)));
  }

  /** The stride of window {@code i}. */
  public int stride(int i) {
    return strideOf(occlusionWindows, occlusionStrides, i);
  }

  static int strideOf(List<Integer> windows, List<Integer> strides, int i) {
    if (strides.isEmpty()) {
      return Math.max(1, windows.get(i) / 2);
    }
    return strides.size() == 1 ? strides.get(0) : strides.get(i);
  }

  public boolean runs(String method) {
    return methods.contains(method);
  }

  /** These settings with other methods (benchmarks and tests). */
  public AttributionSettings withMethods(List<String> m) {
    return with(METHODS, m);
  }

  /** These settings with another perturbation batch (benchmarks and tests). */
  public AttributionSettings withPerturbationsPerEval(int p) {
    return with(Occlusion.PERTURBATIONS_PER_EVAL, p);
  }

  /** These settings with other occlusion windows and strides (benchmarks and tests). */
  public AttributionSettings withOcclusion(List<Integer> windows, List<Integer> strides) {
    // Strides cleared first: every intermediate copy must be a valid pair of windows and strides.
    return SPEC.with(SPEC.with(this, Occlusion.STRIDES, List.of()), Occlusion.WINDOWS, windows)
        .with(Occlusion.STRIDES, strides);
  }

  /** What an occluded pixel is set to (all channels). */
  public enum Baseline implements Choice {
    /** Pixel value 0.5 on the [0,1] scale, then normalised like the image. */
    GREY("grey"),
    /** Pixel value 0. */
    BLACK("black"),
    /** The normalisation mean, i.e. 0 after normalisation (Captum's default baseline). */
    MEAN("mean"),
    /** The image's own per-channel mean. */
    IMAGE_MEAN("image-mean");

    private final String code;

    Baseline(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }
  }
}
