package org.convlens.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Pixel arrays in [0,1] to pictures and PNG bytes. */
public final class Images {
  private Images() {}

  /** [0,1] → 0..255, rounded, clamped. */
  public static int byteOf(float v) {
    int b = Math.round(v * 255f);
    return b < 0 ? 0 : (b > 255 ? 255 : b);
  }

  /** A C×H×W image in [0,1] (C = 1 or 3) as an RGB picture. */
  public static BufferedImage fromChw(float[] p, int channels, int height, int width) {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int plane = height * width;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int i = y * width + x;
        int r = byteOf(p[i]);
        int g = channels == 3 ? byteOf(p[plane + i]) : r;
        int b = channels == 3 ? byteOf(p[2 * plane + i]) : r;
        img.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    return img;
  }

  /**
   * A C×H×W image as PNG bytes, area-downsampled first when its longer side exceeds {@code
   * maxSide} (0 = keep the size).
   */
  public static byte[] png(float[] p, int channels, int height, int width, int maxSide) {
    int[] size = maxSide > 0 ? ImageOps.storedSize(height, width, maxSide) : new int[] {height, width};
    float[] q = size[0] == height && size[1] == width ? p
        : ImageOps.area(p, channels, height, width, size[0], size[1]);
    return png(fromChw(q, channels, size[0], size[1]));
  }

  public static byte[] png(BufferedImage img) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(img, "png", out)) {
        throw new IllegalStateException("no PNG writer in this JVM");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
