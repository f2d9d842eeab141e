package org.convlens.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.convlens.data.CifarFormat;

/** Small files for tests: CIFAR batches and images written on the fly. */
public final class Fixtures {
  private Fixtures() {}

  /** A CIFAR-10 batch whose record i has label labels[i] and all pixels = i. */
  public static byte[] cifar10(int... labels) {
    byte[] out = new byte[labels.length * CifarFormat.Variant.CIFAR10.recordBytes()];
    for (int i = 0; i < labels.length; i++) {
      byte[] px = new byte[CifarFormat.PIXEL_BYTES];
      java.util.Arrays.fill(px, (byte) i);
      CifarFormat.writeCifar10(out, i * CifarFormat.Variant.CIFAR10.recordBytes(), labels[i], px);
    }
    return out;
  }

  public static Path write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, bytes);
  }

  public static void writeLines(Path file, List<String> lines) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, lines);
  }

  /** An encoded w×h image ("png", "jpg", "bmp") filled with a colour and a white square. */
  public static byte[] image(String format, int w, int h, Color fill) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(fill);
    g.fillRect(0, 0, w, h);
    g.setColor(Color.WHITE);
    g.fillRect(w / 4, h / 4, w / 2, h / 2);
    g.dispose();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(img, format, bytes)) {
        throw new IllegalArgumentException("no writer for " + format);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }
}
