package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BootstrapTest {
  @Test
  void percentilesInterpolateAsNumpy() {
    double[] v = {1, 2, 3, 4};
    // numpy.percentile([1, 2, 3, 4], [25, 2.5, 97.5]) = 1.75, 1.075, 3.925
    assertEquals(1.75, Bootstrap.percentile(v, 4, 0.25), 1e-12);
    assertEquals(1.075, Bootstrap.percentile(v, 4, 0.025), 1e-12);
    assertEquals(3.925, Bootstrap.percentile(v, 4, 0.975), 1e-12);
    assertEquals(4, Bootstrap.percentile(v, 4, 1), 1e-12);
  }

  @Test
  void seededIntervalsHoldTheMean() {
    double[] v = normal(60, 0.3, 0.4, 7);
    Bootstrap.Interval a = new Bootstrap(1000, 20240611).mean(v);
    assertEquals(a, new Bootstrap(1000, 20240611).mean(v), "the same seed, the same interval");
    assertNotEquals(a, new Bootstrap(1000, 1).mean(v), "another seed, other draws");
    double mean = Arrays.stream(v).average().orElseThrow();
    assertTrue(a.lo() < mean && mean < a.hi(), a + " around " + mean);
    assertEquals(new Bootstrap.Interval(0.5, 0.5), new Bootstrap(500, 3).mean(new double[] {0.5, 0.5, 0.5}));
  }

  @Test
  void widthIsAboutTheNormalIntervalsForALargeSample() {
    double sd = 0.4;
    for (int n : new int[] {100, 400}) {
      Bootstrap.Interval i = new Bootstrap(2000, 5).mean(normal(n, 0, sd, n));
      double expected = 2 * 1.96 * sd / Math.sqrt(n);
      assertEquals(expected, i.hi() - i.lo(), 0.12 * expected, "n = " + n + ": " + i);
    }
  }

  /** The point of an interval: over many samples it holds the true mean about 95% of the time. */
  @Test
  void coversTheTrueMeanAboutNinetyFivePercentOfTheTime() {
    int samples = 400;
    int covered = 0;
    SplittableRandom r = new SplittableRandom(11);
    for (int s = 0; s < samples; s++) {
      double[] v = new double[64];
      for (int i = 0; i < v.length; i++) {
        v[i] = -Math.log(1 - r.nextDouble()); // exponential, mean 1: skewed like a share or an AUC can be
      }
      Bootstrap.Interval i = new Bootstrap(1000, s).mean(v);
      covered += i.lo() <= 1 && 1 <= i.hi() ? 1 : 0;
    }
    double coverage = (double) covered / samples;
    // The percentile interval under-covers slightly for a skewed mean at n = 64 (about 93%).
    assertTrue(coverage > 0.89 && coverage < 0.985, "coverage " + coverage);
  }

  @Test
  void imagesWithoutAValueStayInTheResampleButNotInTheMean() {
    double[] v = {0.2, Double.NaN, 0.6, Double.NaN, 0.4, 0.5, Double.NaN, 0.3};
    Bootstrap.Interval i = new Bootstrap(1000, 2).mean(v);
    assertTrue(i.lo() >= 0.2 && i.hi() <= 0.6 && i.lo() < i.hi(), i.toString());
    assertNull(new Bootstrap(1000, 2).mean(new double[] {Double.NaN, Double.NaN}));
  }

  @Test
  void figuresOfOneSampleAreResampledTogether() {
    // Two figures with the same values on the same images get the same interval: the draws are paired.
    double[] a = normal(40, 0, 1, 3);
    double[] b = a.clone();
    Bootstrap boot = new Bootstrap(1000, 9);
    assertEquals(boot.mean(a), boot.mean(b));
    // A figure that is another one plus 1 gets the interval moved by 1.
    double[] c = Arrays.stream(a).map(x -> x + 1).toArray();
    assertEquals(boot.mean(a).lo() + 1, boot.mean(c).lo(), 1e-12);
  }

  private static double[] normal(int n, double mean, double sd, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = mean + sd * org.convlens.util.Gaussian.next(r);
    }
    return v;
  }
}
