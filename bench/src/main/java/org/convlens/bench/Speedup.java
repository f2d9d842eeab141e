package org.convlens.bench;

import java.util.Locale;

/**
 * A speed ratio in words that stay true on either side of 1: "1.65× faster" or "1.59× slower",
 * never "0.63× faster".
 */
final class Speedup {
  private Speedup() {}

  /**
   * How {@code subject} compares with {@code other}, given {@code ratio} = subject's speed ÷
   * other's (or other's time ÷ subject's), e.g. "concurrent backward is 1.65× faster than one at a
   * time".
   */
  static String words(String subject, double ratio, String other) {
    if (!(ratio > 0) || Double.isInfinite(ratio)) {
      return String.format(Locale.ROOT, "%s: no ratio to %s (%s)", subject, other, ratio);
    }
    if (Math.abs(ratio - 1) < 0.005) {
      return String.format(Locale.ROOT, "%s is as fast as %s", subject, other);
    }
    return ratio >= 1
        ? String.format(Locale.ROOT, "%s is %.2f× faster than %s", subject, ratio, other)
        : String.format(Locale.ROOT, "%s is %.2f× slower than %s", subject, 1 / ratio, other);
  }
}
