package org.convlens.audit;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.convlens.config.ConfigValues;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Settings;

/**
 * {@code audit.counterfactual.*}: the settings of the {@link CounterfactualDetector}, validated
 * when the configuration loads (conf/convlens.conf documents each key and its range).
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
 */
public record CounterfactualSettings(List<ImageEdit> edits, int maxImages, long seed, int bootstrap,
    double minDifference, double alpha, int minImages, int examples) implements Serializable {
  static final String P = "audit.counterfactual.";

  public CounterfactualSettings {
    edits = List.copyOf(edits);
    List<String> labels = new ArrayList<>();
    for (ImageEdit e : edits) {
      if (labels.contains(e.label())) {
        throw new InvalidConfigException(P + "edits", P + "edits lists " + e.label() + " twice: list each edit once");
      }
      labels.add(e.label());
    }
    Settings.between(P + "max-images", maxImages, 0, 10_000_000);
    Settings.between(P + "bootstrap", bootstrap, 100, 100_000);
    if (!(minDifference > 0 && minDifference <= 1)) {
      throw InvalidConfigException.range(P + "min-difference", minDifference, "numbers above 0, up to 1");
    }
    if (!(alpha > 0 && alpha < 1)) {
      throw InvalidConfigException.range(P + "alpha", alpha, "numbers between 0 and 1, e.g. 0.05");
    }
    Settings.between(P + "min-images", minImages, 1, 1_000_000);
    Settings.between(P + "examples", examples, 0, 100);
  }

  /** Reads and validates {@code audit.counterfactual.*} of the whole configuration. */
  public static CounterfactualSettings of(Config c) {
    List<ImageEdit> edits = new ArrayList<>();
    for (String spec : ConfigValues.strings(c, P + "edits")) {
      edits.add(ImageEdit.parse(spec, P + "edits"));
    }
    return new CounterfactualSettings(edits, (int) bounded(c, "max-images"), ConfigValues.num(c, P + "seed"),
        (int) bounded(c, "bootstrap"), ConfigValues.dbl(c, P + "min-difference"), ConfigValues.dbl(c, P + "alpha"),
        (int) bounded(c, "min-images"), (int) bounded(c, "examples"));
  }

  /** An integer key, refused before the int cast can wrap it. */
  private static long bounded(Config c, String key) {
    long v = ConfigValues.num(c, P + key);
    Settings.between(P + key, v, Integer.MIN_VALUE, Integer.MAX_VALUE);
    return v;
  }
}
