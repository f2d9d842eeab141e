package org.convlens.sampledata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class MarkerTest {
  @Test
  void boundsScaleWithTheSide() {
    Marker m = Marker.DEFAULT;
    assertEquals(new Rectangle(27, 27, 3, 3), m.bounds(32, 32));
    assertEquals(new Rectangle(81, 81, 9, 9), m.bounds(96, 96));
    assertEquals(new Rectangle(108, 108, 12, 12), m.bounds(128, 128));
  }

  @Test
  void paintedMarkerIsDetectedAndOnlyThere() {
    BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    assertFalse(Marker.DEFAULT.isPresent(image, 30));
    Marker.DEFAULT.paint(image);
    assertTrue(Marker.DEFAULT.isPresent(image, 0));
    assertEquals(0xFF00FF, image.getRGB(27, 29) & 0xFFFFFF);
    assertEquals(0, image.getRGB(26, 29) & 0xFFFFFF);
    assertEquals(0, image.getRGB(30, 30) & 0xFFFFFF);
  }

  @Test
  void rejectsAMarkerOutsideTheCornerQuadrant() {
    assertThrows(IllegalArgumentException.class, () -> new Marker(0xFF00FF, 12, 8));
    assertThrows(IllegalArgumentException.class, () -> new Marker(0x1FF00FF, 3, 2));
  }
}
