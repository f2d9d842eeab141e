package org.convlens.attribution;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import org.convlens.config.Choice;
import org.convlens.config.InvalidConfigException;

/**
 * {@code analyze.*} settings of the attribution methods, validated once on the driver and shipped
 * to executors as a value. Practical ranges are in {@code conf/convlens.conf}.
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

  public AttributionSettings {
    methods = List.copyOf(methods);
    for (String m : methods) {
      if (!Attributions.NAMES.contains(m)) {
        throw InvalidConfigException.range("analyze.methods", m, String.join(", ", Attributions.NAMES));
      }
    }
    if (new HashSet<>(methods).size() != methods.size()) {
      throw new InvalidConfigException("analyze.methods", "analyze.methods lists a method twice: " + methods);
    }
    if (target == null || target.isBlank()) {
      throw new InvalidConfigException("analyze.target",
          "analyze.target must not be empty: predicted, label, or a class name or index of the model");
    }
    target = target.strip();
    if (mapMaxSide != 0 && (mapMaxSide < 4 || mapMaxSide > 4096)) {
      throw InvalidConfigException.range("analyze.maps.max-side", mapMaxSide, "0 (input size) or 4 to 4096");
    }
    if (smoothGradSamples < 1 || smoothGradSamples > 1000) {
      throw InvalidConfigException.range("analyze.smoothgrad.samples", smoothGradSamples, "integers from 1 to 1000");
    }
    if (!(smoothGradNoise > 0 && smoothGradNoise <= 1)) {
      throw InvalidConfigException.range("analyze.smoothgrad.noise", smoothGradNoise, "numbers in (0, 1], typically 0.1 to 0.2");
    }
    gradCamLayer = gradCamLayer == null ? "" : gradCamLayer.strip();
    occlusionWindows = List.copyOf(occlusionWindows);
    occlusionStrides = List.copyOf(occlusionStrides);
    if (occlusionWindows.isEmpty()) {
      throw new InvalidConfigException("analyze.occlusion.windows", "analyze.occlusion.windows must list at least one window side");
    }
    for (int w : occlusionWindows) {
      if (w < 1 || w > 4096) {
        throw InvalidConfigException.range("analyze.occlusion.windows", w, "window sides from 1 to 4096");
      }
    }
    if (occlusionStrides.size() > 1 && occlusionStrides.size() != occlusionWindows.size()) {
      throw new InvalidConfigException("analyze.occlusion.strides", "analyze.occlusion.strides has "
          + occlusionStrides.size() + " values for " + occlusionWindows.size()
          + " windows: give none (half of each window), one, or one per window");
    }
    for (int i = 0; i < occlusionWindows.size(); i++) {
      int s = strideOf(occlusionWindows, occlusionStrides, i);
      if (s < 1 || s > occlusionWindows.get(i)) {
        throw InvalidConfigException.range("analyze.occlusion.strides", s,
            "strides from 1 to the window side (" + occlusionWindows.get(i) + "), as Captum requires");
      }
    }
    if (perturbationsPerEval < 0 || perturbationsPerEval > 4096) {
      throw InvalidConfigException.range("analyze.occlusion.perturbations-per-eval", perturbationsPerEval,
          "0 (auto) or integers from 1 to 4096");
    }
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

  private static int strideOf(List<Integer> windows, List<Integer> strides, int i) {
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
    return new AttributionSettings(m, target, mapEncoding, mapMaxSide, smoothGradSamples,
        smoothGradNoise, seed, gradCamLayer, occlusionWindows, occlusionStrides, occlusionBaseline,
        perturbationsPerEval);
  }

  /** These settings with another perturbation batch (benchmarks and tests). */
  public AttributionSettings withPerturbationsPerEval(int p) {
    return new AttributionSettings(methods, target, mapEncoding, mapMaxSide, smoothGradSamples,
        smoothGradNoise, seed, gradCamLayer, occlusionWindows, occlusionStrides, occlusionBaseline, p);
  }

  /** These settings with other occlusion windows and strides (benchmarks and tests). */
  public AttributionSettings withOcclusion(List<Integer> windows, List<Integer> strides) {
    return new AttributionSettings(methods, target, mapEncoding, mapMaxSide, smoothGradSamples,
        smoothGradNoise, seed, gradCamLayer, windows, strides, occlusionBaseline, perturbationsPerEval);
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
