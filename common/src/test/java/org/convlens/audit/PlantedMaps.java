package org.convlens.audit;

import java.util.Random;

/**
 * Made-up normalised attention maps on an 8×8 grid with a known shape, for the strategy and slice
 * detectors' tests: an object (a Gaussian blob of σ 1.2 cells near the centre), a watermark (one
 * cell and a faint halo, anywhere), a fixed marker (the bottom-right cell, beside an object), and
 * a background map (mass on the border, a hole in the middle); each on a noise floor.
 */
final class PlantedMaps {
  static final int SIDE = 8;

  private PlantedMaps() {}

  static float[] object(Random r) {
    double cx = 3.5 + r.nextGaussian() * 0.5;
    double cy = 3.5 + r.nextGaussian() * 0.5;
    float[] m = floor(r);
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
        m[y * SIDE + x] += (float) Math.exp(-d2 / (2 * 1.2 * 1.2));
      }
    }
    return normalise(m);
  }

  static float[] watermark(Random r) {
    return spot(r, r.nextInt(SIDE), r.nextInt(SIDE));
  }

  /** One strong cell at (x, y) with a faint halo. */
  static float[] spot(Random r, int x, int y) {
    float[] m = floor(r);
    m[y * SIDE + x] += 6f;
    for (int[] d : new int[][] {{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
      int nx = x + d[0];
      int ny = y + d[1];
      if (nx >= 0 && ny >= 0 && nx < SIDE && ny < SIDE) {
        m[ny * SIDE + nx] += 0.8f;
      }
    }
    return normalise(m);
  }

  /** An object with as much again in the bottom-right cell. */
  static float[] marker(Random r) {
    float[] m = object(r);
    m[SIDE * SIDE - 1] += 1f;
    return normalise(m);
  }

  static float[] background(Random r) {
    float[] m = floor(r);
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        boolean edge = x == 0 || y == 0 || x == SIDE - 1 || y == SIDE - 1;
        m[y * SIDE + x] += edge ? 0.6f + 0.4f * r.nextFloat() : 0.05f;
      }
    }
    return normalise(m);
  }

  private static float[] floor(Random r) {
    float[] m = new float[SIDE * SIDE];
    for (int i = 0; i < m.length; i++) {
      m[i] = 0.08f * r.nextFloat();
    }
    return m;
  }

  static float[] normalise(float[] m) {
    float sum = 0;
    for (float v : m) {
      sum += v;
    }
    for (int i = 0; i < m.length; i++) {
      m[i] /= sum;
    }
    return m;
  }
}
