package org.convlens.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Each image statistic on images with a known answer. */
class ImageStatisticsTest {
  static BufferedImage filled(int w, int h, int rgb) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    return img;
  }

  static ImageStatistics of(BufferedImage img) {
    return ImageStatistics.ofFile(img, new byte[123], "png");
  }

  @Test
  void flatGreyHasNoContrastSharpnessOrColour() {
    ImageStatistics s = of(filled(16, 12, 0x808080));
    assertEquals(128 / 255.0, s.brightness(), 1e-6);
    assertEquals(0, s.contrast());
    assertEquals(0, s.sharpness());
    assertEquals(0, s.colourfulness());
    assertEquals(0, s.saturation());
    assertEquals(0, s.tintRg());
    assertEquals(0, s.tintYb());
    assertEquals(0, s.borderVariation(), "a flat image's border is as uniform as can be");
    assertNull(s.hue(), "grey has no hue");
    assertEquals(123L, s.fileBytes());
    assertNull(s.jpegQuality(), "a PNG has no JPEG quality");
  }

  @Test
  void halfBlackHalfWhite() {
    BufferedImage img = filled(8, 8, 0x000000);
    for (int y = 0; y < 8; y++) {
      for (int x = 4; x < 8; x++) {
        img.setRGB(x, y, 0xFFFFFF);
      }
    }
    ImageStatistics s = of(img);
    assertEquals(0.5, s.brightness(), 1e-6);
    assertEquals(0.5, s.contrast(), 1e-6, "RMS contrast of a 50/50 black/white image");
    // The Laplacian is +255 on the last black column, -255 on the first white one, 0 elsewhere
    // (reflected borders add nothing): variance 2 × 255² / 8 over every row.
    assertEquals(2 * 255.0 * 255 / 8, s.sharpness(), 1e-2);
    assertEquals(0, s.colourfulness(), 1e-4);
    // The 1-px border ring holds 14 black and 14 white pixels: as varied as the whole image.
    assertEquals(1, s.borderVariation(), 1e-6);
  }

  @Test
  void primariesHaveTheirHueTintAndColourfulness() {
    ImageStatistics red = of(filled(5, 7, 0xFF0000));
    assertEquals(0, red.hue(), 1e-4);
    assertEquals(1, red.tintRg(), 1e-6);
    assertEquals(0.5, red.tintYb(), 1e-6);
    assertEquals(1, red.saturation(), 1e-6);
    assertEquals(0.299, red.brightness(), 1e-6, "Rec. 601 luma");
    assertEquals(0, red.contrast(), 1e-6);
    // Hasler and Süsstrunk's M: no spread, mean opponent vector (255, 127.5).
    assertEquals(0.3 * Math.hypot(255, 127.5), red.colourfulness(), 1e-3);
    assertEquals(120, of(filled(5, 7, 0x00FF00)).hue(), 1e-3);
    assertEquals(240, of(filled(5, 7, 0x0000FF)).hue(), 1e-3);
    assertEquals(300, of(filled(5, 7, 0xFF00FF)).hue(), 1e-3);
    ImageStatistics blue = of(filled(5, 7, 0x0000FF));
    assertEquals(-1, blue.tintYb(), 1e-6, "blue is the far end of the yellow-blue axis");
    assertEquals(0, blue.tintRg(), 1e-6);
  }

  @Test
  void hueIsACircularMeanWeightedByChroma() {
    // Half pure red (0°), half a pink of hue 330° ((255, 153, 204): chroma 102): red weighs 2.5×.
    BufferedImage img = filled(10, 2, 0xFF0000);
    for (int x = 5; x < 10; x++) {
      img.setRGB(x, 0, 0xFF99CC);
      img.setRGB(x, 1, 0xFF99CC);
    }
    ImageStatistics s = of(img);
    double r = Math.toRadians(330);
    double expected = Math.toDegrees(Math.atan2(102 * Math.sin(r), 255 + 102 * Math.cos(r))) + 360;
    assertEquals(expected, s.hue(), 0.05, "the mean wraps across 0°/360°");
    assertTrue(s.hue() > 350, "" + s.hue());
  }

  @Test
  void aUniformBorderAroundABusyCentre() {
    Random r = new Random(3);
    BufferedImage framed = filled(64, 64, 0x404040);
    BufferedImage busy = filled(64, 64, 0);
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        int v = r.nextInt(256);
        busy.setRGB(x, y, v * 0x010101);
        if (x >= 8 && x < 56 && y >= 8 && y < 56) {
          framed.setRGB(x, y, v * 0x010101);
        }
      }
    }
    assertEquals(0, of(framed).borderVariation(), 1e-6, "the 8-px band is flat");
    assertEquals(1, of(busy).borderVariation(), 0.1, "noise everywhere");
    assertTrue(of(busy).sharpness() > 1000, "noise is sharp: " + of(busy).sharpness());
  }

  @Test
  void cifarRecordsAreMeasuredLikeTheSameImageWithoutAFile() {
    Random r = new Random(5);
    byte[] planar = new byte[3 * 32 * 32];
    r.nextBytes(planar);
    BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < 1024; i++) {
      img.setRGB(i % 32, i / 32, (planar[i] & 0xFF) << 16 | (planar[1024 + i] & 0xFF) << 8 | (planar[2048 + i] & 0xFF));
    }
    ImageStatistics cifar = ImageStatistics.ofPlanar(planar, 32, 32);
    ImageStatistics file = of(img);
    assertEquals(file.brightness(), cifar.brightness());
    assertEquals(file.sharpness(), cifar.sharpness());
    assertEquals(file.hue(), cifar.hue());
    assertNull(cifar.fileBytes(), "a CIFAR record has no file");
    assertNull(cifar.jpegQuality());
  }

  @Test
  void largeImagesAreMeasuredOnABoxAverage() {
    // 2,500 × 2,000 = 5 M pixels > 4 M: measured at factor 2 (1,250 × 1,000). A horizontal ramp
    // keeps its mean; a 50/50 split along an even column keeps its contrast.
    BufferedImage ramp = new BufferedImage(2500, 2000, BufferedImage.TYPE_INT_RGB);
    double sum = 0;
    for (int x = 0; x < 2500; x++) {
      int v = x * 256 / 2500;
      sum += v;
      for (int y = 0; y < 2000; y++) {
        ramp.setRGB(x, y, v * 0x010101);
      }
    }
    ImageStatistics s = of(ramp);
    assertEquals(sum / 2500 / 255, s.brightness(), 2e-3);
    BufferedImage split = filled(2500, 2000, 0);
    for (int y = 0; y < 2000; y++) {
      for (int x = 1250; x < 2500; x++) {
        split.setRGB(x, y, 0xFFFFFF);
      }
    }
    assertEquals(0.5, of(split).contrast(), 1e-6);
  }

  @Test
  void jpegFilesGetTheirQuality() throws IOException {
    BufferedImage img = filled(16, 16, 0x336699);
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    ImageIO.write(img, "jpeg", jpeg); // the JDK's default quality, 0.75
    ImageStatistics s = ImageStatistics.ofFile(img, jpeg.toByteArray(), "jpeg");
    assertEquals(75, s.jpegQuality(), 1);
    assertEquals(jpeg.size(), s.fileBytes());
  }

  @Test
  void valuesFollowTheColumns() {
    ImageStatistics s = of(filled(4, 4, 0xFF0000));
    Object[] v = s.values();
    assertEquals(ImageStatistics.FIELDS.size(), v.length);
    assertEquals(s.hue(), v[ImageStatistics.FIELDS.indexOf(ImageStatistics.FIELDS.stream()
        .filter(f -> f.name().equals(ImageStatistics.HUE)).findFirst().orElseThrow())]);
    assertEquals(ImageStatistics.FIELDS.size(), AnalysisSchema.SCHEMA.length()
        - AnalysisSchema.SCHEMA.fieldIndex(AnalysisSchema.INPUT_PNG) - 1, "the statistics close the schema");
  }
}
