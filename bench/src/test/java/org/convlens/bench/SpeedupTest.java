package org.convlens.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The bench's ratios read right on both sides of 1 (a local[1] run printed "0.63× faster"). */
class SpeedupTest {
  @Test
  void aRatioBelowOneIsSlowerNotAFractionFaster() {
    assertEquals("concurrent backward is 1.65× faster than one at a time",
        Speedup.words("concurrent backward", 1.65, "one at a time"));
    assertEquals("concurrent backward is 1.59× slower than one at a time",
        Speedup.words("concurrent backward", 0.63, "one at a time"));
    assertEquals("incremental is as fast as full re-inference", Speedup.words("incremental", 1.001, "full re-inference"));
    assertEquals("x: no ratio to y (NaN)", Speedup.words("x", Double.NaN, "y"));
  }
}
