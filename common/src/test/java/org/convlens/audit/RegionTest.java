package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegionTest {
  @Test
  void candidatesAreEverySquarePositionAndTheFourBorders() {
    // sides 2 and 4 cells on a 16-cell grid: 15² + 13² squares, plus 4 bands
    List<Region> c = Region.candidates(16, List.of(0.125, 0.25), 0.125);
    assertEquals(15 * 15 + 13 * 13 + 4, c.size());
    assertEquals(4, c.stream().filter(r -> r.kind().equals(Region.BORDER)).count());
    assertEquals(2.0 / 16, c.get(c.size() - 1).area(), 1e-12, "a band 2 cells wide");
  }

  @Test
  void describesWhereItIs() {
    assertEquals("bottom-right corner", Region.square(14, 14, 16, 16, 16).describe());
    assertEquals("top-left corner", Region.square(0, 0, 2, 2, 16).describe());
    assertEquals("centre", Region.square(7, 7, 9, 9, 16).describe());
    assertEquals("bottom edge, centre", Region.square(7, 14, 9, 16, 16).describe());
    assertEquals("upper right", Region.square(11, 2, 13, 4, 16).describe());
    assertEquals("left border", Region.border(0, 0, 2, 16, 16).describe());
    assertEquals("bottom border", Region.border(0, 14, 16, 16, 16).describe());
    assertArrayEquals(new float[] {0.875f, 0.875f, 1f, 1f}, Region.square(14, 14, 16, 16, 16).box());
  }
}
