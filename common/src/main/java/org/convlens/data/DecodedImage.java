package org.convlens.data;

import java.awt.image.BufferedImage;

/**
 * An image as {@link ImageDecoder} returns it.
 *
 * @param rgb the pixels, {@link BufferedImage#TYPE_INT_RGB}, converted as PIL's {@code
 *     Image.convert("RGB")} does (alpha dropped, grey replicated, palettes looked up)
 * @param format the container format that was decoded: {@code jpeg}, {@code png}, {@code gif} or
 *     {@code bmp}
 */
public record DecodedImage(BufferedImage rgb, String format) {
  public int width() {
    return rgb.getWidth();
  }

  public int height() {
    return rgb.getHeight();
  }
}
