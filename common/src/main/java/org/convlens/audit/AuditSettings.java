package org.convlens.audit;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.convlens.attribution.Attributions;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingPart;
import org.convlens.config.SettingsSpec;

/**
 * {@code audit.*}: where the audit reads and writes, and every threshold it applies. Each key, its
 * default and its range are declared once below ({@link #SPEC}); validated here so that a bad value
 * stops the run before any row is read, naming the key. See {@code
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
 * @param gridSteps cascade steps at which the perturbation-grid method is re-run, spread evenly
 *     from the first to the last (0 = every step); its key is the method's own ({@link
 *     org.convlens.attribution.PerturbationGridMethod#cascadeSteps()})
 * @param curveSteps deletion / insertion steps (pixels change in this many equal shares)
 * @param qualityBatchSize images per forward pass of the quality checks (the sampled images, the
 *     curves' steps, the perturbation grid's tiles)
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
    int gridSteps,
    int curveSteps,
    int qualityBatchSize,
    double insertionBlur,
    double diffShift,
    Map<String, Serializable> detectors)
    implements Serializable {

  private static final String P = "audit.";
  private static final String S = P + "shortcut.";
  private static final String Q = P + "quality.";
  public static final Key<String> ANALYSIS = Key.string(P + "analysis", "",
      "the analyze output; empty = <output.dir>/analysis").normalised(String::strip).unrecorded();
  public static final Key<String> DIR = Key.string(P + "dir", "", "where the audit tables go; empty = <output.dir>/audit")
      .normalised(String::strip).unrecorded();
  public static final Key<Integer> GRID = Key.integer(P + "grid", 16,
      "every map is resampled to grid x grid cells before it is averaged").within(4, 64);
  /** audit.json lists the methods it aggregated on its own ({@code methods}), so the table leaves them out. */
  public static final Key<List<String>> METHODS = Key.strings(P + "methods", List.of(),
      "map methods to aggregate; [] = every one the analysis holds")
      .normalised(ms -> ms.stream().map(m -> m.strip().toLowerCase(Locale.ROOT)).toList()).unrecorded();
  public static final Key<List<Double>> REGION_SIDES = Key.doubles(S + "region-sides", List.of(0.125, 0.25),
      "candidate square regions' sides as fractions of the image side").eachBetween(0.01, 0.5);
  public static final Key<Double> BORDER = Key.number(S + "border", 0.125,
      "width of the four border bands as a fraction of the side").between(0.01, 0.25);
  public static final Key<Double> MIN_LIFT = Key.number(S + "min-lift", 3.0,
      "a region's share of the class's mass over the other classes' share there, at least this to flag")
      .allow(v -> v >= 1 && v <= 1000, "numbers from 1 to 1000");
  public static final Key<Double> MIN_MASS = Key.number(S + "min-mass", 0.15,
      "the class's mean mass in the region, at least this share to flag").between(0, 1);
  public static final Key<Double> MIN_CONSISTENCY = Key.number(S + "min-consistency", 0.5,
      "share of the class's images whose own lift there is at least image-lift").between(0, 1);
  public static final Key<Double> IMAGE_LIFT = Key.number(S + "image-lift", 2.0,
      "an image looks at a region when its own lift there is at least this")
      .allow(v -> v >= 1 && v <= 1000, "numbers from 1 to 1000");
  public static final Key<Integer> MIN_METHODS = Key.integer(S + "min-methods", 2,
      "a class is flagged when this many methods flag it (capped at the methods run)")
      .within(1, Attributions.ALL.size());
  public static final Key<Integer> MIN_IMAGES = Key.integer(S + "min-images", 10,
      "classes with fewer usable images are not judged").within(1, 1_000_000);
  public static final Key<Integer> EXAMPLES = Key.integer(S + "examples", 8,
      "example images kept per flagged class and method").within(0, 1000);
  public static final Key<Integer> MAX_SUSPECTS = Key.integer(S + "max-suspects", 100,
      "suspects per flagged class in the report (the table keeps them all)").within(0, 100_000);
  public static final Key<Integer> MISTAKES = Key.integer(P + "mistakes.gallery", 24,
      "most confident wrong predictions kept for the gallery").within(0, 10_000).qualifiedInJson();
  public static final Key<Integer> LABEL_ISSUES = Key.integer(P + "mistakes.label-issues", 50,
      "candidate label issues kept (all are counted)").within(0, 100_000);
  public static final Key<Double> LABEL_ISSUE_MIN_CONFIDENCE = Key.number(P + "mistakes.label-issue-min-confidence",
      0.5, "a label issue needs the suggested class at least this probable").between(0, 1);
  public static final Key<Integer> QUALITY_SAMPLES = Key.integer(Q + "samples", 48,
      "images of the explanation-quality checks (0 = skip them)").within(0, 100_000).qualifiedInJson();
  public static final Key<Long> QUALITY_SEED = Key.longInteger(Q + "seed", 20240611,
      "seed of the quality sample, the random weights, the random pixel order and the bootstrap").qualifiedInJson();
  public static final Key<Integer> QUALITY_OFFSET = Key.integer(Q + "sample-offset", 0,
      "skip this many images of the seed's order").within(0, 1_000_000).qualifiedInJson();
  // Fewer resamples would put the 2.5% and 97.5% ends on a handful of resampled means.
  public static final Key<Integer> BOOTSTRAP = Key.integer(Q + "bootstrap", 1000,
      "percentile-bootstrap resamples behind each quality figure's 95% interval").within(200, 1_000_000)
      .qualifiedInJson();
  public static final Key<Integer> CASCADE_LAYERS = Key.integer(Q + "cascade-layers", 0,
      "model-parameter randomisation steps from the top layer down (0 = every layer)").within(0, 10_000);
  /** Declared by the perturbation-grid method, which it concerns; kept at its place in the table. */
  public static final Key<Integer> GRID_STEPS = Attributions.perturbationGrid().cascadeSteps();
  public static final Key<Integer> CURVE_STEPS = Key.integer(Q + "curve-steps", 16,
      "deletion / insertion curves change the pixels in this many equal steps").within(2, 1024);
  public static final Key<Integer> QUALITY_BATCH_SIZE = Key.integer(Q + "batch-size", 16,
      "images per forward pass of the quality checks").within(1, 4096).qualifiedInJson();
  public static final Key<Double> INSERTION_BLUR = Key.number(Q + "insertion-blur", 5,
      "σ in input pixels of the blurred image insertion starts from (RISE uses 5 at 224²)")
      .aboveUpTo(0, 100);
  public static final Key<Double> DIFF_SHIFT = Key.number(P + "diff.attention-shift", 0.15,
      "audit diff marks a class's attention as shifted at this total variation distance").between(0, 1);
  /** Each detector reads its own keys ({@link ShortcutDetector#settings}). */
  public static final SettingPart<Map<String, Serializable>> DETECTORS = SettingsSpec.computed(detectorKeys(),
      AuditSettings::detectorSettings, AuditSettings::defaultDetectorSettings);
  public static final SettingsSpec<AuditSettings> SPEC = SettingsSpec.of(AuditSettings.class, ANALYSIS, DIR, GRID,
      METHODS, REGION_SIDES, BORDER, MIN_LIFT, MIN_MASS, MIN_CONSISTENCY, IMAGE_LIFT, MIN_METHODS, MIN_IMAGES,
      EXAMPLES, MAX_SUSPECTS, MISTAKES, LABEL_ISSUES, LABEL_ISSUE_MIN_CONFIDENCE, QUALITY_SAMPLES, QUALITY_SEED,
      QUALITY_OFFSET, BOOTSTRAP, CASCADE_LAYERS, GRID_STEPS, CURVE_STEPS, QUALITY_BATCH_SIZE, INSERTION_BLUR,
      DIFF_SHIFT, DETECTORS);

  public AuditSettings {
    analysis = ANALYSIS.check(analysis);
    dir = DIR.check(dir);
    GRID.check(grid);
    methods = List.copyOf(METHODS.check(methods));
    for (String m : methods) {
      if (!AttentionMaps.METHODS.contains(m)) {
        throw new InvalidConfigException(P + "methods", "invalid value '" + m + "' in audit.methods: allowed"
            + " values are " + AttentionMaps.METHODS + " (or [] for every map the analysis holds)");
      }
    }
    regionSides = List.copyOf(regionSides);
    if (regionSides.isEmpty()) {
      throw new InvalidConfigException(REGION_SIDES.path(),
          "audit.shortcut.region-sides must list at least one side, e.g. [0.125, 0.25]");
    }
    REGION_SIDES.check(regionSides);
    BORDER.check(border);
    MIN_LIFT.check(minLift);
    MIN_MASS.check(minMass);
    MIN_CONSISTENCY.check(minConsistency);
    IMAGE_LIFT.check(imageLift);
    MIN_METHODS.check(minMethods);
    MIN_IMAGES.check(minImages);
    EXAMPLES.check(examples);
    MAX_SUSPECTS.check(maxSuspects);
    MISTAKES.check(mistakes);
    LABEL_ISSUES.check(labelIssues);
    LABEL_ISSUE_MIN_CONFIDENCE.check(labelIssueMinConfidence);
    QUALITY_SAMPLES.check(qualitySamples);
    QUALITY_OFFSET.check(qualityOffset);
    BOOTSTRAP.check(bootstrap);
    CASCADE_LAYERS.check(cascadeLayers);
    GRID_STEPS.check(gridSteps);
    if (gridSteps == 1) {
      throw new InvalidConfigException(GRID_STEPS.path(), GRID_STEPS.path() + " must be 0 (every"
          + " step) or at least 2 (the first and the last step are always among them), got 1");
    }
    CURVE_STEPS.check(curveSteps);
    QUALITY_BATCH_SIZE.check(qualityBatchSize);
    INSERTION_BLUR.check(insertionBlur);
    DIFF_SHIFT.check(diffShift);
    detectors = Collections.unmodifiableMap(new LinkedHashMap<>(detectors));
  }

  /** Reads and validates {@code audit.*}, each detector's own keys included. */
  public static AuditSettings from(Config c) {
    return SPEC.from(c);
  }

  /** Every key at its default (those of conf/convlens.conf). */
  public static AuditSettings defaults() {
    return SPEC.defaults();
  }

  /** These settings with {@code key} set to {@code value} (checked like a configured value). */
  public <T> AuditSettings with(SettingPart<T> key, T value) {
    return SPEC.with(this, key, value);
  }

  /**
   * audit.json's {@code settings} table: every recorded key by its {@link Key#jsonName()} (e.g.
   * {@code min_lift}, {@code quality_seed}).
   */
  public Map<String, Object> toMap() {
    return SPEC.toMap(this, Key::jsonName);
  }

  /** Every detector's settings, read from {@code config} and validated. */
  public static Map<String, Serializable> detectorSettings(Config config) {
    Map<String, Serializable> m = new LinkedHashMap<>();
    for (ShortcutDetector d : ShortcutDetectors.all()) {
      Serializable s = d.settings(config);
      if (s != null) {
        m.put(d.name(), s);
      }
    }
    m.put(Verdicts.NAME, Verdicts.settings(config));
    m.put(MethodSanity.NAME, MethodSanity.Settings.SPEC.from(config));
    return m;
  }
  /** Every detector's settings at their declared defaults. */
  private static Map<String, Serializable> defaultDetectorSettings() {
    Map<String, Serializable> m = new LinkedHashMap<>();
    for (ShortcutDetector d : ShortcutDetectors.all()) {
      Serializable s = d.defaultSettings();
      if (s != null) {
        m.put(d.name(), s);
      }
    }
    m.put(Verdicts.NAME, Verdicts.Settings.SPEC.defaults());
    m.put(MethodSanity.NAME, MethodSanity.Settings.SPEC.defaults());
    return m;
  }

  /** The keys every detector and the verdicts declare. */
  private static List<Key<?>> detectorKeys() {
    List<Key<?>> keys = new ArrayList<>(Verdicts.Settings.SPEC.keys());
    keys.addAll(MethodSanity.Settings.SPEC.keys());
    for (ShortcutDetector d : ShortcutDetectors.all()) {
      if (d.settingsSpec() != null) {
        keys.addAll(d.settingsSpec().keys());
      }
    }
    return keys;
  }


}
