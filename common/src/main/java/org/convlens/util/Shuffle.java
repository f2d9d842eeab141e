package org.convlens.util;

import java.util.SplittableRandom;

/** Seeded shuffling, shared by the sample generator, the trainer and the embedding samples. */
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

  /** 0..n−1 in a seeded random order. */
  public static int[] permutation(int n, long seed) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    shuffle(a, new SplittableRandom(seed));
    return a;
  }
}
