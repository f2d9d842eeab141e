package org.convlens.util;

import java.util.SplittableRandom;

/** Seeded in-place shuffling, shared by the sample generator and the trainer. */
public final class Shuffle {
  private Shuffle() {}

  /** Fisher–Yates, drawing from {@code r}: the same seed gives the same order on every JVM. */
  public static void shuffle(int[] a, SplittableRandom r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
