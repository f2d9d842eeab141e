package org.convlens.util;

import java.util.SplittableRandom;

/** Seeded normal draws (SplittableRandom has no nextGaussian on Java 17). */
public final class Gaussian {
  private Gaussian() {}

  /** A standard normal draw (Box–Muller), from the seeded generator only. */
  public static double next(SplittableRandom r) {
    double u = 1.0 - r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
