package org.convlens.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.util.Arrays;

/**
 * Turns what an ImageIO reader decoded into 8-bit RGB exactly as PIL 9.4's {@code
 * Image.convert("RGB")} does, so that a model sees here the pixels it saw under torchvision's
 * default loader ({@code Image.open(f).convert("RGB")}). Java's own colour conversion
 * ({@code getRGB}, {@code drawImage}) differs in ways that matter: it treats 8-bit grey as linear
 * light (a gamma curve on every grey image), composites nothing but may premultiply, rounds 5- and
 * 6-bit fields differently, and applies embedded ICC profiles. Here only the raw samples are read:
 *
 * <ul>
 *   <li>alpha is dropped, not composited onto a background (PIL's {@code RGBA → RGB});
 *   <li>grey becomes R = G = B; palette indices become their palette colours, and an index past
 *       the end of the palette becomes grey (i, i, i), PIL's initial palette ramp;
 *   <li>16-bit samples keep their high byte (PIL's {@code RGB;16B}, {@code LA;16B} unpackers),
 *       except 16-bit grey without alpha, which PIL opens as mode {@code I} and <em>clips</em> to
 *       0..255 when converting (so most of such an image turns white — PIL's behaviour, kept so
 *       that the model sees what it was trained on);
 *   <li>fields narrower than 8 bits scale by {@code v * 255 / (2^bits - 1)}, truncated (PIL's
 *       {@code BGR;15}/{@code BGR;16} BMP unpackers; exact for 1-, 2- and 4-bit grey);
 *   <li>CMYK uses PIL's naive formula, with no ICC profile.
 * </ul>
 */
final class PilRgb {
  private PilRgb() {}

  /** Converts a palette, grey or RGB image of any bit depth, with or without alpha. */
  static BufferedImage convert(BufferedImage image) throws InputException {
    return convert(image, false, Integer.MAX_VALUE);
  }

  /**
   * As {@link #convert(BufferedImage)}, with what the reader's colour model does not tell.
   *
   * @param gray16Clips the image is a 16-bit grey PNG, which PIL clips instead of shifting
   * @param paletteEntries how many palette entries the file defines, where the reader padded its
   *     colour model (the JDK's PNG reader repeats the last entry; PIL shows grey)
   */
  static BufferedImage convert(BufferedImage image, boolean gray16Clips, int paletteEntries)
      throws InputException {
    int w = image.getWidth();
    int h = image.getHeight();
    ColorModel cm = image.getColorModel();
    Raster raster = image.getRaster();
    if (cm instanceof IndexColorModel palette) {
      int[] indices = raster.getSamples(0, 0, w, h, 0, (int[]) null);
      return fromPalette(indices, w, h, palette, paletteEntries);
    }
    int space = cm.getColorSpace().getType();
    if (space != ColorSpace.TYPE_GRAY && space != ColorSpace.TYPE_RGB) {
      throw new InputException(
          ErrorKind.UNSUPPORTED_FORMAT,
          "The image's colour space is neither grey, RGB nor a palette, which is not supported.");
    }
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] px = pixels(out);
    boolean gray = space == ColorSpace.TYPE_GRAY;
    boolean clip = gray16Clips && gray;
    int[] samples = null;
    for (int band = 0; band < (gray ? 1 : 3); band++) {
      samples = raster.getSamples(0, 0, w, h, band, samples);
      int bits = raster.getSampleModel().getSampleSize(band);
      int shift = gray ? 0 : 16 - 8 * band;
      for (int i = 0; i < px.length; i++) {
        int v = to8Bit(samples[i], bits, clip);
        px[i] |= gray ? v << 16 | v << 8 | v : v << shift;
      }
    }
    return out;
  }

  /**
   * Looks palette indices up, as PIL's {@code P → RGB} does.
   *
   * @param entries how many of the palette's entries the file defined (more than it holds means
   *     all); PIL shows an index past them as grey (i, i, i)
   */
  static BufferedImage fromPalette(
      int[] indices, int w, int h, IndexColorModel palette, int entries) {
    int[] colours = new int[palette.getMapSize()];
    palette.getRGBs(colours);
    colours = Arrays.copyOf(colours, Math.min(entries, colours.length));
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] px = pixels(out);
    for (int i = 0; i < px.length; i++) {
      int index = indices[i];
      px[i] = index < colours.length ? colours[index] & 0xFFFFFF : index * 0x010101;
    }
    return out;
  }

  /**
   * Converts a 4-component JPEG raster read without any colour conversion (TwelveMonkeys'
   * {@code readRaster}) as libjpeg and PIL do. Such a raster holds the samples as stored:
   * Adobe-inverted CMYK, or YCCK. libjpeg turns YCCK into (inverted) CMYK with its integer
   * YCbCr tables; PIL reads all CMYK JPEGs as inverted ({@code CMYK;I}) and converts with {@code
   * cmyk2rgb}: {@code R = (255 - K) - (C * (255 - K)) / 255}, rounded as its {@code MULDIV255}.
   *
   * @param ycck the JPEG's Adobe segment says transform 2 (YCCK) rather than 0 (CMYK)
   */
  static BufferedImage fromJpegCmyk(Raster raster, boolean ycck) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    int[] s = raster.getPixels(raster.getMinX(), raster.getMinY(), w, h, (int[]) null);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] px = pixels(out);
    for (int i = 0, j = 0; i < px.length; i++, j += 4) {
      int c;
      int m;
      int y;
      if (ycck) {
        // libjpeg ycck_cmyk_convert gives 255 - clamp(RGB'); PIL inverts that back to clamp(RGB').
        int luma = s[j];
        int cb = s[j + 1];
        int cr = s[j + 2];
        c = clamp8(luma + YCC.CR_R[cr]);
        m = clamp8(luma + ((YCC.CB_G[cb] + YCC.CR_G[cr]) >> YCC.SCALE_BITS));
        y = clamp8(luma + YCC.CB_B[cb]);
      } else {
        c = 255 - s[j];
        m = 255 - s[j + 1];
        y = 255 - s[j + 2];
      }
      int notK = s[j + 3]; // PIL's K is 255 - stored, and cmyk2rgb works with 255 - K
      px[i] = cmykChannel(c, notK) << 16 | cmykChannel(m, notK) << 8 | cmykChannel(y, notK);
    }
    return out;
  }

  /** PIL's {@code CLIP8(nk - MULDIV255(v, nk))}. */
  private static int cmykChannel(int v, int notK) {
    int t = v * notK + 128;
    return clamp8(notK - (((t >> 8) + t) >> 8));
  }

  private static int to8Bit(int v, int bits, boolean clip) {
    if (bits == 8) {
      return v;
    }
    if (bits == 16) {
      return clip ? Math.min(v, 255) : v >>> 8;
    }
    return (int) ((long) v * 255 / ((1L << bits) - 1));
  }

  private static int clamp8(int v) {
    return v < 0 ? 0 : Math.min(v, 255);
  }

  private static int[] pixels(BufferedImage typeIntRgb) {
    return ((DataBufferInt) typeIntRgb.getRaster().getDataBuffer()).getData();
  }

  /** libjpeg's {@code build_ycc_rgb_table} (jdcolor.c): 16-bit fixed-point YCbCr → RGB. */
  private static final class YCC {
    static final int SCALE_BITS = 16;
    static final int[] CR_R = new int[256];
    static final int[] CB_B = new int[256];
    static final int[] CR_G = new int[256];
    static final int[] CB_G = new int[256];

    static {
      int half = 1 << (SCALE_BITS - 1);
      for (int i = 0; i < 256; i++) {
        int x = i - 128;
        CR_R[i] = (fix(1.40200) * x + half) >> SCALE_BITS;
        CB_B[i] = (fix(1.77200) * x + half) >> SCALE_BITS;
        CR_G[i] = -fix(0.71414) * x;
        CB_G[i] = -fix(0.34414) * x + half;
      }
    }

    private static int fix(double x) {
      return (int) (x * (1L << SCALE_BITS) + 0.5);
    }
  }
}
