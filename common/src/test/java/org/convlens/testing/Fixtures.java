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

  /** Runs a shell script in {@code dir} (for what Java cannot make: bad names, FIFOs); fails on error. */
  public static void sh(Path dir, String script) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(script + ": " + out);
    }
  }

  public static void writeLines(Path file, List<String> lines) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, lines);
  }

  /**
   * A PNG whose header declares w×h pixels but whose data is a few bytes: a decompression bomb
   * must be refused from the header alone.
   */
  public static byte[] bombPng(int w, int h) {
    java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13);
    ihdr.putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  /**
   * A real w×h RGB PNG of one colour, compressed as it is written (a 10,000,000×1 image is about
   * 30 KB): a small file that decodes to many pixels.
   */
  public static byte[] solidPng(int w, int h, Color colour) {
    java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13);
    ihdr.putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    byte[] row = new byte[1 + 3 * w];
    for (int x = 0; x < w; x++) {
      row[1 + 3 * x] = (byte) colour.getRed();
      row[2 + 3 * x] = (byte) colour.getGreen();
      row[3 + 3 * x] = (byte) colour.getBlue();
    }
    try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(idat)) {
      for (int y = 0; y < h; y++) {
        z.write(row);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IDAT", idat.toByteArray());
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    crc.update(t);
    crc.update(data);
    out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(t);
    out.writeBytes(data);
    out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
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
