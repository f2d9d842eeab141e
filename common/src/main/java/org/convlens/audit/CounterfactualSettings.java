package org.convlens.audit;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.convlens.config.ConfigValues;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * {@code audit.counterfactual.*}: the settings of the {@link CounterfactualDetector}, validated
 * when the configuration loads. Each key, its default and its range are declared once below
 * ({@link #SPEC}); conf/convlens.conf documents the same keys.
 *
 * @param edits the edits applied to every image, in order; empty turns the detector off
 * @param maxImages at most this many usable images (a seeded sample by content); 0 = all
 * @param seed seed of the image sample and of the bootstrap
 * @param bootstrap bootstrap replicates of each rate difference (resampling images)
 * @param minDifference a class is flagged for an edit only when its rate exceeds the other
 *     classes' mean rate by at least this much (0..1)
 * @param alpha family-wise error rate of the flags: each one-sided test is judged at {@code
 *     alpha / m} (Bonferroni), m being the number of tests judged in the audit
 * @param minImages a rate is tested only when its denominator has at least this many images
 * @param examples before/after image pairs kept per finding
 * @param fragileKinds a class whose flip-away tests are flagged for global edits of at least this
 *     many cue kinds is fragile, not shortcut-driven ({@link FlipTest#fragility}); 2..4 (4: never)
 */
public record CounterfactualSettings(List<ImageEdit> edits, int maxImages, long seed, int bootstrap,
    double minDifference, double alpha, int minImages, int examples, int fragileKinds) implements Serializable {
  static final String P = "audit.counterfactual.";
  public static final Key<List<ImageEdit>> EDITS = Key.custom(P + "edits", CounterfactualSettings::edits,
      parse(List.of("brighten:0.4", "darken:0.4", "contrast:0.5", "desaturate:1", "hue:30", "hue:-30", "balance:1",
          "blur:0.5", "jpeg:50", "flip", "crop:0.05")),
      "label-preserving global edits, each \"name\" or \"name:strength\"; [] turns the detector off");
  public static final Key<Integer> MAX_IMAGES = Key.integer(P + "max-images", 2000,
      "at most this many usable images (smallest xxhash64(seed, id)); 0 = every usable image").within(0, 10_000_000);
  public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611, "seed of the sample and of the bootstrap");
  public static final Key<Integer> BOOTSTRAP = Key.integer(P + "bootstrap", 1000,
      "bootstrap replicates of each rate difference").within(100, 100_000);
  public static final Key<Double> MIN_DIFFERENCE = Key.number(P + "min-difference", 0.15,
      "a class is flagged when its flip rate exceeds the others' mean by at least this")
      .aboveUpTo(0, 1);
  public static final Key<Double> ALPHA = Key.number(P + "alpha", 0.05,
      "family-wise error rate of the flags (Bonferroni)")
      .allow(v -> v > 0 && v < 1, "numbers between 0 and 1, e.g. 0.05");
  public static final Key<Integer> MIN_IMAGES = Key.integer(P + "min-images", 10,
      "a rate is tested only when its denominator holds at least this many images").within(1, 1_000_000);
  public static final Key<Integer> EXAMPLES = Key.integer(P + "examples", 4,
      "before/after image pairs kept per finding").within(0, 100);
  // One kind is a shortcut's own; global edits probe three kinds (illumination, tint,
  // background), so 4 never marks a class fragile.
  public static final Key<Integer> FRAGILE_KINDS = Key.integer(P + "fragile-kinds", 3,
      "a class flagged for global edits of at least this many cue kinds is fragile, not shortcut-driven")
      .within(2, 4);
  public static final SettingsSpec<CounterfactualSettings> SPEC = SettingsSpec.of(CounterfactualSettings.class, EDITS,
      MAX_IMAGES, SEED, BOOTSTRAP, MIN_DIFFERENCE, ALPHA, MIN_IMAGES, EXAMPLES, FRAGILE_KINDS);

  public CounterfactualSettings {
    edits = List.copyOf(edits);
    List<String> labels = new ArrayList<>();
    for (ImageEdit e : edits) {
      if (labels.contains(e.label())) {
        throw new InvalidConfigException(P + "edits", P + "edits lists " + e.label() + " twice: list each edit once");
      }
      labels.add(e.label());
    }
    MAX_IMAGES.check(maxImages);
    BOOTSTRAP.check(bootstrap);
    MIN_DIFFERENCE.check(minDifference);
    ALPHA.check(alpha);
    MIN_IMAGES.check(minImages);
    EXAMPLES.check(examples);
    FRAGILE_KINDS.check(fragileKinds);
  }

  /** Reads and validates {@code audit.counterfactual.*} of the whole configuration. */
  public static CounterfactualSettings of(Config c) {
    return SPEC.from(c);
  }

  /** Every key at its default (those of conf/convlens.conf). */
  public static CounterfactualSettings defaults() {
    return SPEC.defaults();
  }

  /** These settings with {@code key} set to {@code value} (checked like a configured value). */
  public <T> CounterfactualSettings with(Key<T> key, T value) {
    return SPEC.with(this, key, value);
  }

  private static List<ImageEdit> edits(Config c, String key) {
    return parse(ConfigValues.strings(c, key));
  }

  private static List<ImageEdit> parse(List<String> specs) {
    List<ImageEdit> edits = new ArrayList<>();
    for (String spec : specs) {
      edits.add(ImageEdit.parse(spec, P + "edits"));
    }
    return edits;
  }
}
