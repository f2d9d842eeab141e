package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The JPEG quality estimate from the luminance quantisation table. */
class JpegQualityTest {
  static BufferedImage noise(int w, int h, long seed) {
    Random r = new Random(seed);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, r.nextInt(0x1000000));
      }
    }
    return img;
  }

  /** The image as a JPEG written by the JDK's ImageIO at {@code quality} (0..1). */
  static byte[] imageIoJpeg(BufferedImage img, float quality) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam p = writer.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(quality);
      writer.write(null, new IIOImage(img, null, null), p);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(ints = {50, 90, 25, 75, 95})
  void imageIoQualityIsRecovered(int quality) throws IOException {
    byte[] jpeg = imageIoJpeg(noise(40, 24, quality), quality / 100f);
    Integer estimate = JpegQuality.estimate(jpeg);
    assertNotNull(estimate);
    // The JDK scales the K.1 table as libjpeg does (quality 0.5 is the table itself): within ±1.
    assertTrue(Math.abs(estimate - quality) <= 1, "ImageIO quality " + quality + " estimated " + estimate);
  }

  @Test
  void everyIjgTableGivesItsQualityBack() {
    for (int q = 1; q <= 100; q++) {
      assertEquals(q, JpegQuality.nearestIjgQuality(JpegQuality.ijgTable(q)), "quality " + q);
    }
  }

  @Test
  void theTableIsReadInZigZagOrderFromTheFirstComponentsTable() {
    // A hand-made header: DQT with table 1 = IJG 30 and table 0 = IJG 80, SOF0 whose first
    // component uses table 1. The estimate follows the component, not the table number.
    int[] q30 = JpegQuality.ijgTable(30);
    int[] q80 = JpegQuality.ijgTable(80);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0xFF);
    b.write(0xD8);
    b.write(0xFF);
    b.write(0xDB);
    b.write(0);
    b.write(2 + 2 * 65);
    for (int[] t : new int[][] {q80, q30}) {
      b.write(t == q80 ? 0x00 : 0x01);
      for (int k = 0; k < 64; k++) {
        b.write(t[zigzag(k)]);
      }
    }
    b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xC0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 1});
    b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD9});
    assertEquals(30, JpegQuality.estimate(b.toByteArray()));
  }

  /** Natural-order position of the k-th zig-zag coefficient, walked out independently of the class. */
  static int zigzag(int k) {
    int i = 0;
    for (int s = 0; s < 15; s++) {
      for (int j = 0; j <= s; j++) {
        int row = s % 2 == 0 ? s - j : j;
        int col = s - row;
        if (row < 8 && col < 8) {
          if (i++ == k) {
            return row * 8 + col;
          }
        }
      }
    }
    throw new IllegalArgumentException();
  }

  @Test
  void notAJpegHasNoQuality() throws IOException {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(noise(8, 8, 1), "png", png);
    assertNull(JpegQuality.estimate(png.toByteArray()));
    assertNull(JpegQuality.estimate(new byte[0]));
    assertNull(JpegQuality.estimate(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xDB, 0, 99}),
        "a DQT segment running past the end");
  }

  /** The committed fixtures, written by PIL (libjpeg-turbo) at known qualities (make_fixtures.py). */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
      "jpeg_baseline.jpg, 90", "jpeg_progressive.jpg, 90", "jpeg_gray.jpg, 90", "jpeg_422.jpg, 90",
      "jpeg_444.jpg, 90", "jpeg_cmyk.jpg, 92", "jpeg_ycck.jpg, 92"})
  void pilQualityIsRecoveredExactly(String name, int quality) {
    assertEquals(quality, JpegQuality.estimate(TestResources.bytes("/images/" + name)), name);
  }
}
