package org.convlens.audit;

import java.io.Serializable;
import java.util.List;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Settings;

/**
 * {@code audit.*}: where the audit reads and writes, and every threshold it applies. Validated
 * here so that a bad value stops the run before any row is read, naming the key. See {@code
 * docs/audit.md} for what each score means.
 *
 * @param analysis the analyze output; empty = {@code <output.dir>/analysis}
 * @param dir where the audit tables go; empty = {@code <output.dir>/audit}
 * @param grid side of the attention grids every map is resampled to (cells per side)
 * @param methods map methods to aggregate; empty = every map method the analysis holds
 * @param regionSides sides of the candidate square regions, as fractions of the image side
 * @param border width of the border bands, as a fraction of the image side
 * @param minLift a region's share of the class's mass over its share under the other classes'
 *     mean map, at least this to flag
 * @param minMass the class's mean mass in the region, at least this share to flag
 * @param minConsistency share of the class's images whose own lift in the region is at least
 *     {@code imageLift}, at least this to flag
 * @param imageLift an image "looks at" a region when its own lift there is at least this
 * @param minMethods a class is flagged when this many methods flag it (capped at the methods run)
 * @param minImages classes with fewer usable images are not judged
 * @param examples example images kept per flagged class and method
 * @param maxSuspects suspects per flagged class in the report (the table keeps them all)
 * @param mistakes most-confident mistakes kept
 * @param labelIssues candidate label issues kept
 * @param labelIssueMinConfidence a label issue needs the predicted class at least this probable
 * @param qualitySamples images of the explanation-quality checks (0 = skip them)
 * @param qualitySeed seed of the quality sample, the randomised weights and the bootstrap
 * @param qualityOffset the sample skips this many images of the seed's order (samples = offset
 *     draws a sample disjoint from the default one)
 * @param bootstrap resamples of the percentile bootstrap behind each quality figure's 95% interval
 * @param cascadeLayers randomisation steps, from the top layer down (0 = every layer)
 * @param occlusionSteps cascade steps at which occlusion is re-run, spread evenly from the first to
 *     the last (0 = every step)
 * @param curveSteps deletion / insertion steps (pixels change in this many equal shares)
 * @param qualityBatchSize images per forward pass of the quality checks (the sampled images, the
 *     curves' steps, occlusion's tiles)
 * @param insertionBlur σ in pixels of the blurred start image of the insertion game (RISE)
 * @param diffShift {@code audit diff} marks a class's attention as shifted when the total
 *     variation distance between its two mean maps is at least this
 * @param detectors each shortcut detector's own settings, by detector name (see {@link
 *     ShortcutDetector#settings}); detectors without settings are absent
 */
public record AuditSettings(
    String analysis,
    String dir,
    int grid,
    List<String> methods,
    List<Double> regionSides,
    double border,
    double minLift,
    double minMass,
    double minConsistency,
    double imageLift,
    int minMethods,
    int minImages,
    int examples,
    int maxSuspects,
    int mistakes,
    int labelIssues,
    double labelIssueMinConfidence,
    int qualitySamples,
    long qualitySeed,
    int qualityOffset,
    int bootstrap,
    int cascadeLayers,
    int occlusionSteps,
    int curveSteps,
    int qualityBatchSize,
    double insertionBlur,
    double diffShift,
    java.util.Map<String, Serializable> detectors)
    implements Serializable {

  private static final String P = "audit.";

  public AuditSettings {
    analysis = analysis.strip();
    dir = dir.strip();
    Settings.between(P + "grid", grid, 4, 64);
    methods = List.copyOf(methods);
    for (String m : methods) {
      if (!AttentionMaps.METHODS.contains(m)) {
        throw new InvalidConfigException(P + "methods", "invalid value '" + m + "' in audit.methods: allowed"
            + " values are " + AttentionMaps.METHODS + " (or [] for every map the analysis holds)");
      }
    }
    regionSides = List.copyOf(regionSides);
    if (regionSides.isEmpty()) {
      throw new InvalidConfigException(P + "shortcut.region-sides",
          "audit.shortcut.region-sides must list at least one side, e.g. [0.125, 0.25]");
    }
    for (double s : regionSides) {
      fraction(P + "shortcut.region-sides", s, 0.01, 0.5);
    }
    fraction(P + "shortcut.border", border, 0.01, 0.25);
    if (!(minLift >= 1 && minLift <= 1000)) {
      throw InvalidConfigException.range(P + "shortcut.min-lift", minLift, "numbers from 1 to 1000");
    }
    fraction(P + "shortcut.min-mass", minMass, 0, 1);
    fraction(P + "shortcut.min-consistency", minConsistency, 0, 1);
    if (!(imageLift >= 1 && imageLift <= 1000)) {
      throw InvalidConfigException.range(P + "shortcut.image-lift", imageLift, "numbers from 1 to 1000");
    }
    Settings.between(P + "shortcut.min-methods", minMethods, 1, 5);
    Settings.between(P + "shortcut.min-images", minImages, 1, 1_000_000);
    Settings.between(P + "shortcut.examples", examples, 0, 1000);
    Settings.between(P + "shortcut.max-suspects", maxSuspects, 0, 100_000);
    Settings.between(P + "mistakes.gallery", mistakes, 0, 10_000);
    Settings.between(P + "mistakes.label-issues", labelIssues, 0, 100_000);
    fraction(P + "mistakes.label-issue-min-confidence", labelIssueMinConfidence, 0, 1);
    Settings.between(P + "quality.samples", qualitySamples, 0, 100_000);
    Settings.between(P + "quality.sample-offset", qualityOffset, 0, 1_000_000);
    // Fewer resamples would put the 2.5% and 97.5% ends on a handful of resampled means.
    Settings.between(P + "quality.bootstrap", bootstrap, 200, 1_000_000);
    Settings.between(P + "quality.cascade-layers", cascadeLayers, 0, 10_000);
    Settings.between(P + "quality.occlusion-steps", occlusionSteps, 0, 10_000);
    if (occlusionSteps == 1) {
      throw new InvalidConfigException(P + "quality.occlusion-steps", "audit.quality.occlusion-steps must be 0 (every"
          + " step) or at least 2 (the first and the last step are always among them), got 1");
    }
    Settings.between(P + "quality.curve-steps", curveSteps, 2, 1024);
    Settings.between(P + "quality.batch-size", qualityBatchSize, 1, 4096);
    if (!(insertionBlur > 0 && insertionBlur <= 100)) {
      throw InvalidConfigException.range(P + "quality.insertion-blur", insertionBlur, "numbers above 0, up to 100");
    }
    fraction(P + "diff.attention-shift", diffShift, 0, 1);
    detectors = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(detectors));
  }

  /** Every detector's settings, read from {@code config} and validated. */
  public static java.util.Map<String, Serializable> detectorSettings(com.typesafe.config.Config config) {
    java.util.Map<String, Serializable> m = new java.util.LinkedHashMap<>();
    for (ShortcutDetector d : ShortcutDetectors.all()) {
      Serializable s = d.settings(config);
      if (s != null) {
        m.put(d.name(), s);
      }
    }
    m.put(Verdicts.NAME, Verdicts.settings(config));
    return m;
  }

  private static void fraction(String key, double v, double min, double max) {
    if (!(v >= min && v <= max)) {
      throw InvalidConfigException.range(key, v, "numbers from " + min + " to " + max);
    }
  }
}
