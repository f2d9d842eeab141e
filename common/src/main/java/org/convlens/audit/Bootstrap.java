package org.convlens.audit;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap intervals of a mean over images (Efron and Tibshirani, "An Introduction to
 * the Bootstrap", 1993, ch. 13): the images are resampled with replacement {@code resamples}
 * times, the mean is taken on each resample, and the interval is the 2.5th and 97.5th percentiles
 * of those means (linear interpolation between order statistics, as {@code numpy.percentile} and
 * {@code scipy.stats.bootstrap(method="percentile")}).
 *
 * <p>Every figure of one sample is resampled with the same seeded draws, so the images of a
 * resample are the same for every method and step (a paired bootstrap, scipy's {@code
 * paired=True}): intervals of two methods describe the same resampled image sets. An image
 * without a value for a figure (a map that was all zero) is in the resample but not in that
 * figure's mean, so the interval also carries how many images a figure has.
 *
 * <p>scipy's default is BCa with 9,999 resamples; the percentile method is used here because the
 * statistic is a plain mean (no bias to correct) and BCa's jackknife adds a pass per image per
 * figure for a correction that, on the demo's figures, moved the endpoints by a median 1.3% of the
 * interval's width, at most 12% (docs/audit.md).
 */
public final class Bootstrap {
  /** Two-sided confidence level of every interval. */
  public static final double LEVEL = 0.95;

  /** Mixed into the quality seed so that the bootstrap's draws are not those of the pixel orders. */
  private static final long SALT = 0x626F6F7473747270L; // "bootstrp"

  /** An interval's ends. */
  public record Interval(double lo, double hi) {}

  private final int resamples;
  private final long seed;

  /**
   * @param resamples resamples per interval ({@code audit.quality.bootstrap})
   * @param seed the quality seed ({@code audit.quality.seed}); the draws use a seed derived from it
   */
  public Bootstrap(int resamples, long seed) {
    if (resamples < 1) {
      throw new IllegalArgumentException("resamples must be at least 1, got " + resamples);
    }
    this.resamples = resamples;
    this.seed = seed ^ SALT;
  }

  /**
   * The {@link #LEVEL} interval of the mean of {@code values}; null when no value is finite.
   *
   * @param values one per image, in an order that is the same for every figure of the sample
   *     (sorted by id); NaN where the image has no value for this figure
   */
  public Interval mean(double[] values) {
    int n = values.length;
    double[] means = new double[resamples];
    int kept = 0;
    SplittableRandom random = new SplittableRandom(seed);
    for (int b = 0; b < resamples; b++) {
      double sum = 0;
      int count = 0;
      for (int j = 0; j < n; j++) {
        double v = values[random.nextInt(n)];
        if (!Double.isNaN(v)) {
          sum += v;
          count++;
        }
      }
      // A resample that drew no image with a value has no mean; it is left out, as scipy leaves
      // out NaN statistics.
      if (count > 0) {
        means[kept++] = sum / count;
      }
    }
    if (kept == 0) {
      return null;
    }
    Arrays.sort(means, 0, kept);
    double tail = (1 - LEVEL) / 2;
    return new Interval(percentile(means, kept, tail), percentile(means, kept, 1 - tail));
  }

  /** The {@code q} quantile of the first {@code m} sorted values, interpolated as numpy's "linear". */
  static double percentile(double[] sorted, int m, double q) {
    double h = (m - 1) * q;
    int lo = (int) Math.floor(h);
    int hi = Math.min(m - 1, lo + 1);
    return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
  }
}
