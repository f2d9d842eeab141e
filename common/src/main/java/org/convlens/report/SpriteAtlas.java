package org.convlens.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Scatter thumbnails packed into a few JPEG sprite sheets (as TensorBoard's projector does), so a
 * 50k-point report carries a dozen images instead of 50k. Thumbnail {@code i} is tile {@code i %
 * perAtlas} of sheet {@code i / perAtlas}, row-major with {@code columns} tiles per row; a missing
 * thumbnail is a black tile.
 *
 * @param images the sheets as {@code data:image/jpeg;base64,...} URIs
 */
public record SpriteAtlas(int side, int columns, int perAtlas, List<String> images, long bytes) {
  /** Sheets are at most this many pixels wide and high (every browser's canvas allows it). */
  static final int MAX_SHEET = 2048;
  /** JPEG quality: 0.8 keeps 32 px thumbnails recognisable at about 400 bytes each. */
  static final float QUALITY = 0.8f;

  /** Packs {@code side × side} RGB thumbnails (3·side² bytes each, null = missing). */
  public static SpriteAtlas pack(byte[][] thumbnails, int side) {
    int columns = Math.max(1, MAX_SHEET / side);
    int perAtlas = columns * columns;
    List<String> images = new ArrayList<>();
    long bytes = 0;
    for (int start = 0; start < thumbnails.length; start += perAtlas) {
      int count = Math.min(perAtlas, thumbnails.length - start);
      int rows = (count + columns - 1) / columns;
      int width = side * Math.min(columns, count);
      BufferedImage sheet = new BufferedImage(width, rows * side, BufferedImage.TYPE_INT_RGB);
      for (int t = 0; t < count; t++) {
        byte[] rgb = thumbnails[start + t];
        if (rgb == null) {
          continue;
        }
        int x0 = (t % columns) * side;
        int y0 = (t / columns) * side;
        for (int y = 0; y < side; y++) {
          for (int x = 0; x < side; x++) {
            int o = 3 * (y * side + x);
            sheet.setRGB(x0 + x, y0 + y, ((rgb[o] & 0xFF) << 16) | ((rgb[o + 1] & 0xFF) << 8) | (rgb[o + 2] & 0xFF));
          }
        }
      }
      byte[] jpeg = jpeg(sheet);
      bytes += jpeg.length;
      images.add("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg));
    }
    return new SpriteAtlas(side, columns, perAtlas, images, bytes);
  }

  static byte[] jpeg(BufferedImage image) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam p = writer.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(QUALITY);
      writer.write(null, new IIOImage(image, null, null), p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }
}
