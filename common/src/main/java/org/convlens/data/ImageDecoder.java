package org.convlens.data;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ServiceRegistry;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.w3c.dom.Node;

/**
 * Decodes image files (JPEG, PNG, GIF, BMP) into RGB pixels that match what torchvision's default
 * loader, PIL 9.4's {@code Image.open(f).convert("RGB")}, gives for the same bytes; every failure
 * becomes an {@link InputException} with one {@link ErrorKind} and a one-sentence message.
 *
 * <p>What it reproduces, and where it departs from PIL:
 *
 * <ul>
 *   <li><b>Colour</b>: see {@link PilRgb} — alpha dropped (not composited), grey replicated,
 *       palettes looked up, 16-bit reduced as PIL does, embedded ICC profiles ignored (PIL ignores
 *       them too; TwelveMonkeys would apply them, so JPEGs are read in their raw colour space).
 *   <li><b>JPEG</b> goes through TwelveMonkeys (which handles CMYK, YCCK and broken ICC profiles
 *       where the JDK's reader gives up) and, below it, the JDK's libjpeg: same integer IDCT and
 *       fancy upsampling as the libjpeg-turbo under PIL. Measured bit-exact against Debian's PIL
 *       9.4 (libjpeg62-turbo) for baseline 4:2:0, 4:2:2, 4:4:4, 4:4:0 and 4:1:1, progressive,
 *       grey, CMYK and YCCK; other libjpeg builds under PIL were not measured.
 *   <li><b>GIF</b>: the first frame, pasted onto the logical screen as PIL does (filled with the
 *       frame's transparent index, else index 0).
 *   <li><b>Stricter than PIL</b>: JPEG data that libjpeg reports as corrupt (bad Huffman codes,
 *       a segment cut short, a broken progression) is {@link ErrorKind#CORRUPT}, where PIL would
 *       return the grey-filled or garbled picture; and every PNG chunk's CRC is checked, where PIL
 *       skips the CRCs of image data. An audit of a damaged picture would be misleading.
 * </ul>
 *
 * <p><b>Decompression bombs</b>: the width and height come from the header ({@code
 * ImageReader.getWidth(0)}, which reads no pixel data); beyond {@code input.max-pixels} the file is
 * refused before a single pixel buffer is allocated. That limit is the guard against running out of
 * memory; {@code OutOfMemoryError} itself is not caught, since it would say nothing about the file.
 *
 * <p><b>Threads and class loaders</b>: every call builds its own reader and stream, so concurrent
 * calls from Spark task threads share nothing mutable. The TwelveMonkeys reader is created from its
 * provider class directly, not looked up in ImageIO's registry: the registry scans for plugins with
 * the context class loader of whichever thread first touches ImageIO, which on a Spark executor
 * need not be one that sees the application's jars. The JDK's own readers (PNG, GIF, BMP, and the
 * JPEG reader TwelveMonkeys delegates to) are always registered.
 */
public final class ImageDecoder {
  /** The configuration key of the pixel limit, named in error messages. */
  public static final String MAX_PIXELS_KEY = "input.max-pixels";

  private static final ImageReaderSpi JPEG_PROVIDER = twelveMonkeysJpeg();

  private ImageDecoder() {}

  /**
   * Decodes {@code bytes} into a {@link BufferedImage#TYPE_INT_RGB} image.
   *
   * @param maxPixels refuse images whose header declares more than this many pixels
   * @throws InputException with {@link ErrorKind#EMPTY}, {@link ErrorKind#UNSUPPORTED_FORMAT},
   *     {@link ErrorKind#TOO_MANY_PIXELS}, {@link ErrorKind#TRUNCATED} or {@link
   *     ErrorKind#CORRUPT}
   */
  public static BufferedImage decode(byte[] bytes, long maxPixels) throws InputException {
    return read(bytes, maxPixels).rgb();
  }

  /** As {@link #decode}, also naming the format that was decoded. */
  public static DecodedImage read(byte[] bytes, long maxPixels) throws InputException {
    if (maxPixels <= 0) {
      throw new IllegalArgumentException(MAX_PIXELS_KEY + " must be positive, got " + maxPixels);
    }
    if (bytes == null || bytes.length == 0) {
      throw new InputException(ErrorKind.EMPTY, "The file is empty (0 bytes).");
    }
    Format format = Format.detect(bytes);
    PngLayout png = format == Format.PNG ? checkPngChunks(bytes) : null;
    ImageReader reader = format.newReader();
    Warnings warnings = new Warnings();
    reader.addIIOReadWarningListener(warnings);
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      // Only the GIF path reads metadata (screen size, frame offset, transparent index).
      reader.setInput(in, true, format != Format.GIF);
      checkSize(format, reader.getWidth(0), reader.getHeight(0), maxPixels);
      BufferedImage rgb =
          switch (format) {
            case JPEG -> readJpeg(reader, bytes);
            case GIF -> readGifFirstFrame(reader, maxPixels);
            case PNG -> PilRgb.convert(reader.read(0), png.greyDepth() == 16,
                png.paletteEntries() > 0 ? png.paletteEntries() : Integer.MAX_VALUE);
            case BMP -> PilRgb.convert(reader.read(0));
          };
      warnings.check(format);
      return new DecodedImage(rgb, format.code);
    } catch (InputException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // Readers signal broken data with anything from IIOException to ArrayIndexOutOfBounds.
      warnings.check(format);
      throw failure(format, bytes, e);
    } finally {
      reader.dispose();
    }
  }

  private static void checkSize(Format format, long width, long height, long maxPixels)
      throws InputException {
    if (width <= 0 || height <= 0) {
      throw new InputException(
          ErrorKind.CORRUPT,
          "The " + format.display + " header declares an impossible size " + width + "x" + height
              + ".");
    }
    if (width * height > maxPixels) {
      throw new InputException(
          ErrorKind.TOO_MANY_PIXELS,
          "The " + format.display + " header declares " + width + "x" + height + " = "
              + width * height + " pixels, more than " + MAX_PIXELS_KEY + " = " + maxPixels + ".");
    }
  }

  /**
   * JPEGs are read without colour management: 1- and 3-component ones into TwelveMonkeys' raw
   * image type (libjpeg's YCbCr → RGB, no ICC conversion), 4-component ones as the raw raster,
   * converted by {@link PilRgb#fromJpegCmyk} (TwelveMonkeys would go through a CMYK profile).
   */
  private static BufferedImage readJpeg(ImageReader reader, byte[] bytes)
      throws IOException, InputException {
    ImageTypeSpecifier raw = reader.getRawImageType(0);
    if (raw != null && raw.getNumBands() == 4) {
      Raster raster = reader.readRaster(0, null);
      return PilRgb.fromJpegCmyk(raster, adobeTransform(bytes) != 0);
    }
    ImageReadParam param = reader.getDefaultReadParam();
    if (raw != null) {
      param.setDestinationType(raw);
    }
    return PilRgb.convert(reader.read(0, param));
  }

  /**
   * libjpeg's rule for a 4-component JPEG: CMYK unless an Adobe APP14 segment says otherwise, and
   * then transform 0 is CMYK and anything else YCCK. Returns 0 when there is no Adobe segment.
   */
  static int adobeTransform(byte[] b) {
    int transform = 0;
    int pos = 2;
    while (pos + 4 <= b.length && (b[pos] & 0xFF) == 0xFF) {
      int marker = b[pos + 1] & 0xFF;
      if (marker == 0xFF) { // fill byte
        pos++;
        continue;
      }
      if (marker == 0xDA || marker == 0xD9) { // start of scan / end of image
        break;
      }
      int length = (b[pos + 2] & 0xFF) << 8 | (b[pos + 3] & 0xFF);
      int data = pos + 4;
      if (marker == 0xEE && length >= 14 && data + 12 <= b.length
          && new String(b, data, 5, StandardCharsets.ISO_8859_1).equals("Adobe")) {
        transform = b[data + 11] & 0xFF;
      }
      pos += 2 + length;
    }
    return transform;
  }

  /**
   * PIL shows a GIF's first frame on its logical screen (enlarged if the frame sticks out), the
   * rest filled with the frame's transparent index or else index 0, coloured by the frame's
   * palette. The JDK reader returns just the frame, so the screen is rebuilt here.
   */
  private static BufferedImage readGifFirstFrame(ImageReader reader, long maxPixels)
      throws IOException, InputException {
    IIOMetadataNode screen = child(reader.getStreamMetadata(), "javax_imageio_gif_stream_1.0",
        "LogicalScreenDescriptor");
    IIOMetadata frameMetadata = reader.getImageMetadata(0);
    IIOMetadataNode descriptor = child(frameMetadata, "javax_imageio_gif_image_1.0",
        "ImageDescriptor");
    IIOMetadataNode control = child(frameMetadata, "javax_imageio_gif_image_1.0",
        "GraphicControlExtension");
    int left = intAttribute(descriptor, "imageLeftPosition", 0);
    int top = intAttribute(descriptor, "imageTopPosition", 0);
    int frameWidth = reader.getWidth(0);
    int frameHeight = reader.getHeight(0);
    int width = Math.max(intAttribute(screen, "logicalScreenWidth", 0), left + frameWidth);
    int height = Math.max(intAttribute(screen, "logicalScreenHeight", 0), top + frameHeight);
    checkSize(Format.GIF, width, height, maxPixels);

    BufferedImage frame = reader.read(0);
    if (!(frame.getColorModel() instanceof IndexColorModel palette)) {
      return PilRgb.convert(frame);
    }
    int fill = control != null && "TRUE".equals(control.getAttribute("transparentColorFlag"))
        ? intAttribute(control, "transparentColorIndex", 0)
        : 0;
    int[] canvas = new int[width * height];
    Arrays.fill(canvas, fill);
    int[] row = new int[frameWidth];
    for (int y = 0; y < frameHeight; y++) {
      frame.getRaster().getSamples(0, y, frameWidth, 1, 0, row);
      System.arraycopy(row, 0, canvas, (top + y) * width + left, frameWidth);
    }
    return PilRgb.fromPalette(canvas, width, height, palette, palette.getMapSize());
  }

  private static IIOMetadataNode child(IIOMetadata metadata, String format, String name) {
    if (metadata == null) {
      return null;
    }
    for (Node n = metadata.getAsTree(format).getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n.getNodeName().equals(name)) {
        return (IIOMetadataNode) n;
      }
    }
    return null;
  }

  private static int intAttribute(IIOMetadataNode node, String name, int otherwise) {
    String value = node == null ? "" : node.getAttribute(name);
    return value.isEmpty() ? otherwise : Integer.parseInt(value);
  }

  /**
   * Walks a PNG's chunks before any decoding: a chunk that runs past the end of the data is
   * {@link ErrorKind#TRUNCATED}; a bad CRC is {@link ErrorKind#CORRUPT} (the JDK's reader checks
   * none, so flipped bits would otherwise decode into silently wrong pixels). Data that stops at a
   * chunk boundary before IEND is left to the decoder, as PIL accepts a missing IEND.
   */
  static PngLayout checkPngChunks(byte[] b) throws InputException {
    CRC32 crc = new CRC32();
    int greyDepth = 0;
    int paletteEntries = 0;
    int pos = 8;
    while (pos < b.length) {
      if (b.length - pos < 12) {
        throw new InputException(
            ErrorKind.TRUNCATED, "The PNG data ends inside a chunk header at byte " + pos + ".");
      }
      long length = readInt(b, pos) & 0xFFFFFFFFL;
      String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
      if (length > b.length - pos - 12) {
        throw new InputException(
            ErrorKind.TRUNCATED,
            "The PNG data ends inside its " + type + " chunk at byte " + pos + " (" + length
                + " bytes declared, " + (b.length - pos - 12) + " present).");
      }
      crc.reset();
      crc.update(b, pos + 4, 4 + (int) length);
      if ((int) crc.getValue() != readInt(b, pos + 8 + (int) length)) {
        throw new InputException(
            ErrorKind.CORRUPT, "The PNG " + type + " chunk at byte " + pos + " has a bad CRC.");
      }
      if (type.equals("IHDR") && length >= 13 && (b[pos + 17] & 0xFF) == 0) {
        greyDepth = b[pos + 16] & 0xFF;
      }
      if (type.equals("PLTE")) {
        paletteEntries = (int) length / 3;
      }
      if (type.equals("IEND")) {
        break;
      }
      pos += 12 + (int) length;
    }
    return new PngLayout(greyDepth, paletteEntries);
  }

  /**
   * What the chunk walk learnt that the JDK reader hides.
   *
   * @param greyDepth bit depth of a grey PNG without alpha (colour type 0), else 0: PIL clips
   *     16-bit grey
   * @param paletteEntries entries in PLTE, 0 without one: the JDK pads a short PLTE with copies
   *     of its last entry, where PIL's palette starts as a grey ramp that PLTE only partly covers
   */
  record PngLayout(int greyDepth, int paletteEntries) {}

  private static int readInt(byte[] b, int pos) {
    return (b[pos] & 0xFF) << 24 | (b[pos + 1] & 0xFF) << 16 | (b[pos + 2] & 0xFF) << 8
        | (b[pos + 3] & 0xFF);
  }

  /**
   * Classifies a reader failure: the data ran out ({@link EOFException} anywhere in the causes —
   * PNG's inflater, BMP's readFully — or a GIF without its trailer byte) is {@link
   * ErrorKind#TRUNCATED}; anything else {@link ErrorKind#CORRUPT}.
   */
  private static InputException failure(Format format, byte[] bytes, Exception e) {
    String detail = describe(e);
    boolean endOfData = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      endOfData |= t instanceof EOFException;
    }
    // The JDK's GIF reader reports running out of LZW data as an "Invalid block length".
    endOfData |= format == Format.GIF && bytes[bytes.length - 1] != 0x3B;
    if (endOfData) {
      return new InputException(
          ErrorKind.TRUNCATED,
          "The " + format.display + " data ends before the image does (" + detail + ").", e);
    }
    return new InputException(
        ErrorKind.CORRUPT,
        "The " + format.display + " data could not be decoded (" + detail + ").", e);
  }

  /**
   * The messages of an exception and its causes, for an error row. Exceptions other than I/O ones
   * are named, since their messages alone ("-1392507904") say nothing.
   */
  private static String describe(Throwable e) {
    List<String> parts = new ArrayList<>();
    for (Throwable t = e; t != null && parts.size() < 3; t = t.getCause()) {
      String m = t.getMessage() == null ? "" : t.getMessage().strip();
      String name = t.getClass().getSimpleName();
      parts.add(m.isEmpty() ? name : t instanceof IOException ? m : name + ": " + m);
    }
    return String.join(": ", parts);
  }

  /** The formats decoded, recognised by their leading bytes, each with its reader. */
  private enum Format {
    JPEG("jpeg", "JPEG"),
    PNG("png", "PNG"),
    GIF("gif", "GIF"),
    BMP("bmp", "BMP");

    /** The lower-case name in {@link DecodedImage#format()} and ImageIO's format name. */
    final String code;
    final String display;

    Format(String code, String display) {
      this.code = code;
      this.display = display;
    }

    static Format detect(byte[] b) throws InputException {
      if (startsWith(b, 0, 0xFF, 0xD8, 0xFF)) {
        return JPEG;
      }
      if (startsWith(b, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
        return PNG;
      }
      if (startsWith(b, 0, 'G', 'I', 'F', '8') && b.length > 5 && b[5] == 'a'
          && (b[4] == '7' || b[4] == '9')) {
        return GIF;
      }
      if (startsWith(b, 0, 'B', 'M')) {
        return BMP;
      }
      // No byte of the data goes into the message: it ends up in reports, and the "image" may be
      // any file (a path typo can point at /etc/passwd).
      String known = unsupportedName(b);
      String supported = "; supported formats are JPEG, PNG, GIF and BMP.";
      throw new InputException(
          ErrorKind.UNSUPPORTED_FORMAT,
          known != null
              ? known + " images are not supported" + supported
              : "The data matches no known image signature"
                  + (looksLikeText(b) ? " (it looks like text)" : "") + supported);
    }

    /** Formats worth naming when refused; anything else is reported without its contents. */
    private static String unsupportedName(byte[] b) {
      if (startsWith(b, 0, 'R', 'I', 'F', 'F') && startsWith(b, 8, 'W', 'E', 'B', 'P')) {
        return "WebP";
      }
      if (startsWith(b, 0, 'I', 'I', 42, 0) || startsWith(b, 0, 'M', 'M', 0, 42)) {
        return "TIFF";
      }
      if (startsWith(b, 4, 'f', 't', 'y', 'p')) {
        String brand = b.length >= 12 ? new String(b, 8, 4, StandardCharsets.ISO_8859_1) : "";
        return brand.startsWith("avi") ? "AVIF" : "HEIF/HEIC";
      }
      if (startsWith(b, 0, 0, 0, 0, 0x0C, 'j', 'P') || startsWith(b, 0, 0xFF, 0x4F, 0xFF, 0x51)) {
        return "JPEG 2000";
      }
      if (startsWith(b, 0, 0xFF, 0x0A) || startsWith(b, 0, 0, 0, 0, 0x0C, 'J', 'X', 'L')) {
        return "JPEG XL";
      }
      if (startsWith(b, 0, '%', 'P', 'D', 'F')) {
        return "PDF";
      }
      if (startsWith(b, 0, '8', 'B', 'P', 'S')) {
        return "Photoshop (PSD)";
      }
      if (startsWith(b, 0, 0, 0, 1, 0)) {
        return "ICO";
      }
      return null;
    }

    private static boolean startsWith(byte[] b, int offset, int... magic) {
      if (b.length < offset + magic.length) {
        return false;
      }
      for (int i = 0; i < magic.length; i++) {
        if ((b[offset + i] & 0xFF) != magic[i]) {
          return false;
        }
      }
      return true;
    }

    /**
     * Whether the first (up to) 512 bytes hold no control character but tab, line feed, form feed
     * and carriage return: ASCII, UTF-8 or Latin-1 text, say, but no binary format.
     */
    private static boolean looksLikeText(byte[] b) {
      int n = Math.min(512, b.length);
      for (int i = 0; i < n; i++) {
        int c = b[i] & 0xFF;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') || c == 0x7F) {
          return false;
        }
      }
      return n > 0;
    }

    ImageReader newReader() {
      if (this == JPEG) {
        try {
          return JPEG_PROVIDER.createReaderInstance(null);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create the TwelveMonkeys JPEG reader", e);
        }
      }
      Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(code);
      if (!readers.hasNext()) {
        throw new IllegalStateException("no ImageIO reader for " + code + " in this JVM");
      }
      return readers.next();
    }
  }

  /**
   * TwelveMonkeys' JPEG provider, built outside ImageIO's registry. It finds the JDK provider it
   * delegates to when a registry registers it, so it is registered in a private registry that
   * holds just that JDK provider.
   */
  private static ImageReaderSpi twelveMonkeysJpeg() {
    Iterator<ImageReaderSpi> providers =
        IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class, false);
    while (providers.hasNext()) {
      ImageReaderSpi jdk = providers.next();
      if (jdk.getClass().getName().equals("com.sun.imageio.plugins.jpeg.JPEGImageReaderSpi")) {
        ServiceRegistry registry =
            new ServiceRegistry(List.<Class<?>>of(ImageReaderSpi.class).iterator());
        registry.registerServiceProvider(jdk, ImageReaderSpi.class);
        ImageReaderSpi twelveMonkeys = new JPEGImageReaderSpi();
        registry.registerServiceProvider(twelveMonkeys, ImageReaderSpi.class);
        return twelveMonkeys;
      }
    }
    throw new IllegalStateException("the JDK's JPEG reader is not registered with ImageIO");
  }

  /**
   * Collects the warnings libjpeg reports through the reader (decoding carries on after them).
   * Premature end of data means {@link ErrorKind#TRUNCATED}: the JDK's libjpeg fills the missing
   * rows with grey and only warns. Corrupt entropy-coded data means {@link ErrorKind#CORRUPT}.
   * Extraneous bytes before a marker are harmless and ignored, as libjpeg itself does.
   */
  private static final class Warnings implements IIOReadWarningListener {
    private final List<String> messages = new ArrayList<>();

    @Override
    public void warningOccurred(ImageReader source, String warning) {
      messages.add(warning == null ? "" : warning);
    }

    void check(Format format) throws InputException {
      for (String w : messages) {
        if (w.contains("Premature end of JPEG file") || w.contains("Missing EOI marker")) {
          throw new InputException(
              ErrorKind.TRUNCATED,
              "The " + format.display + " data ends before the image does (" + w + ").");
        }
      }
      for (String w : messages) {
        if ((w.startsWith("Corrupt JPEG data") && !w.contains("extraneous bytes"))
            || w.startsWith("Inconsistent progression sequence")
            || w.startsWith("Invalid SOS parameters")) {
          throw new InputException(
              ErrorKind.CORRUPT,
              "The " + format.display + " data is damaged (" + w + ").");
        }
      }
    }
  }
}
