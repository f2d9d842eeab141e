package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ImageDecoder against PIL: committed fixtures (see {@code images/make_fixtures.py}) must decode to
 * exactly the RGB that PIL's {@code convert("RGB")} gave; lossless images written here by ImageIO
 * must decode to their source pixels; every error kind comes with its own message.
 */
class ImageDecoderTest {
  private static final long LIMIT = 10_000_000;
  private static final JsonNode EXPECTED = TestResources.json("/images/expected.json");

  static Stream<String> pilFixtures() {
    List<String> names = new ArrayList<>();
    EXPECTED.fieldNames().forEachRemaining(names::add);
    return names.stream();
  }

  @ParameterizedTest
  @MethodSource("pilFixtures")
  void decodesLikePilConvertRgb(String name) throws Exception {
    DecodedImage image = ImageDecoder.read(resource(name), LIMIT);
    assertEquals(BufferedImage.TYPE_INT_RGB, image.rgb().getType());
    assertEquals(name.substring(0, name.indexOf('_')), image.format());
    assertSamePixels(expectedRgb(name), image.rgb(), name);
  }

  @Test
  void jpegIccProfileIsIgnoredAsPilDoes() throws Exception {
    // A linear-light profile: honouring it (TwelveMonkeys' default) would brighten every pixel.
    byte[] profile = ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData();
    byte[] jpeg = withIccProfile(resource("jpeg_baseline.jpg"), profile);
    assertSamePixels(expectedRgb("jpeg_baseline.jpg"), ImageDecoder.decode(jpeg, LIMIT), "icc");
  }

  @Test
  void losslessImagesWrittenByImageIoDecodeToTheirSourcePixels() throws Exception {
    Random random = new Random(7);
    BufferedImage argb = new BufferedImage(11, 7, BufferedImage.TYPE_INT_ARGB);
    BufferedImage gray = new BufferedImage(11, 7, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage indexed = new BufferedImage(11, 7, BufferedImage.TYPE_BYTE_INDEXED);
    for (int y = 0; y < 7; y++) {
      for (int x = 0; x < 11; x++) {
        argb.setRGB(x, y, random.nextInt());
        gray.getRaster().setSample(x, y, 0, random.nextInt(256));
        indexed.getRaster().setSample(x, y, 0, random.nextInt(256));
      }
    }
    BufferedImage rgb = new BufferedImage(11, 7, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, 11, 7, argb.getRGB(0, 0, 11, 7, null, 0, 11), 0, 11);

    // Alpha is dropped, not composited: the colour channels come through unchanged.
    assertSamePixels(rgbOf(argb), ImageDecoder.decode(write(argb, "png"), LIMIT), "png rgba");
    assertSamePixels(rgbOf(rgb), ImageDecoder.decode(write(rgb, "png"), LIMIT), "png rgb");
    assertSamePixels(rgbOf(rgb), ImageDecoder.decode(write(rgb, "bmp"), LIMIT), "bmp 24-bit");
    // Grey replicates its raw value (Java's getRGB would apply a linear-to-sRGB curve).
    int[] grey = new int[77];
    for (int i = 0; i < 77; i++) {
      grey[i] = gray.getRaster().getSample(i % 11, i / 11, 0) * 0x010101;
    }
    assertSamePixels(grey, ImageDecoder.decode(write(gray, "png"), LIMIT), "png grey");
    int[] palette = rgbOf(indexed);
    assertSamePixels(palette, ImageDecoder.decode(write(indexed, "png"), LIMIT), "png palette");
    assertSamePixels(palette, ImageDecoder.decode(write(indexed, "gif"), LIMIT), "gif");
    assertSamePixels(palette, ImageDecoder.decode(write(indexed, "bmp"), LIMIT), "bmp palette");
  }

  @Test
  void paletteIndexPastThePaletteIsGreyAsInPil() throws Exception {
    // PIL starts every palette as the ramp (i, i, i); PLTE overwrites only its own entries.
    byte[] png = png(3, 1, 8, 3, new byte[] {0, 0, 1, (byte) 200},
        chunk("PLTE", new byte[] {10, 20, 30, 40, 50, 60}));
    assertSamePixels(new int[] {0x0A141E, 0x28323C, 0xC8C8C8},
        ImageDecoder.decode(png, LIMIT), "palette");
  }

  // ---- errors -----------------------------------------------------------------------------

  @Test
  void emptyFile() {
    InputException e = refused(new byte[0], ErrorKind.EMPTY);
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void unrecognisedBytesAreUnsupportedAndNamedWhenKnown() throws Exception {
    InputException text = refused("just some text\n".getBytes(StandardCharsets.UTF_8),
        ErrorKind.UNSUPPORTED_FORMAT);
    assertEquals("The data matches no known image signature (it looks like text); supported"
        + " formats are JPEG, PNG, GIF and BMP.", text.getMessage());

    byte[] random = new byte[512];
    new Random(3).nextBytes(random);
    InputException binary = refused(random, ErrorKind.UNSUPPORTED_FORMAT);
    assertTrue(binary.getMessage().startsWith("The data matches no known image signature;"),
        binary.getMessage());
  }

  @Test
  void refusalsEchoNoByteOfTheFile() {
    // Reports carry these messages: a text file given by mistake must not end up in them.
    byte[] passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
        .getBytes(StandardCharsets.US_ASCII);
    String message = refused(passwd, ErrorKind.UNSUPPORTED_FORMAT).getMessage();
    assertTrue(message.contains("it looks like text"), message);
    for (String leak : new String[] {"root", "bash", "daemon", "72 6f", "726f", "x:0"}) {
      assertFalse(message.toLowerCase(Locale.ROOT).contains(leak), leak + " in: " + message);
    }
    // Nor any of the first bytes in hex, whatever the separator.
    String compact = message.replaceAll("[^0-9a-fA-F]", "").toLowerCase(Locale.ROOT);
    for (int i = 0; i + 2 <= 8; i++) {
      String pair = String.format(Locale.ROOT, "%02x%02x", passwd[i], passwd[i + 1]);
      assertFalse(compact.contains(pair), pair + " in: " + message);
    }

    InputException webp = refused(resource("unsupported.webp"), ErrorKind.UNSUPPORTED_FORMAT);
    assertTrue(webp.getMessage().startsWith("WebP images are not supported"), webp.getMessage());
    InputException pdf = refused("%PDF-1.7\n%...".getBytes(StandardCharsets.US_ASCII),
        ErrorKind.UNSUPPORTED_FORMAT);
    assertTrue(pdf.getMessage().startsWith("PDF images are not supported"), pdf.getMessage());
  }

  @Test
  void decompressionBombIsRefusedFromTheHeader() throws Exception {
    // IHDR says 50000x50000 (7.5 GB as RGB) over a tiny valid IDAT: decoding would allocate it.
    byte[] bomb = png(50_000, 50_000, 8, 2, new byte[] {0, 1, 2, 3});
    long start = System.nanoTime();
    InputException e = refused(bomb, ErrorKind.TOO_MANY_PIXELS);
    long millis = (System.nanoTime() - start) / 1_000_000;
    String m = e.getMessage();
    assertTrue(m.contains("50000x50000") && m.contains("2500000000") && m.contains("10000000")
        && m.contains(ImageDecoder.MAX_PIXELS_KEY), m);
    System.out.printf("50000x50000 PNG refused in %d ms%n", millis);
  }

  @Test
  void pixelLimitAppliesToEveryFormat() throws Exception {
    for (String name : List.of("jpeg_baseline.jpg", "bmp_565.bmp", "gif_animated.gif")) {
      InputException e = refused(resource(name), ErrorKind.TOO_MANY_PIXELS, 100);
      assertTrue(e.getMessage().contains("than input.max-pixels = 100."), e.getMessage());
    }
    // A GIF's logical screen is what PIL (and this decoder) allocates, not just the frame.
    byte[] gif = resource("gif_offset_frame.gif");
    gif[6] = (byte) 0xFF;
    gif[7] = (byte) 0xFF;
    gif[8] = (byte) 0xFF;
    gif[9] = (byte) 0xFF;
    InputException e = refused(gif, ErrorKind.TOO_MANY_PIXELS);
    assertTrue(e.getMessage().contains("65535x65535"), e.getMessage());
  }

  @Test
  void impossibleDimensionsAreCorrupt() throws Exception {
    byte[] gif = resource("gif_animated.gif");
    int descriptor = indexOf(gif, new byte[] {0x2C, 0, 0, 0, 0}); // image separator at (0, 0)
    gif[descriptor + 5] = 0; // frame width 0
    gif[descriptor + 6] = 0;
    gif[6] = 0; // logical screen width 0
    gif[7] = 0;
    InputException e = refused(gif, ErrorKind.CORRUPT);
    assertTrue(e.getMessage().equals("The GIF header declares an impossible size 0x9."),
        e.getMessage());
    // The JDK's BMP reader checks this itself; the kind is the same.
    byte[] bmp = write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "bmp");
    ByteBuffer.wrap(bmp).order(ByteOrder.LITTLE_ENDIAN).putInt(18, 0); // biWidth
    InputException jdk = refused(bmp, ErrorKind.CORRUPT);
    assertTrue(jdk.getMessage().contains("Width (0) and height (4) must be > 0"),
        jdk.getMessage());
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.3, 0.6, 0.9, 0.99})
  void truncatedJpegs(double keep) throws Exception {
    for (String name : List.of("jpeg_baseline.jpg", "jpeg_progressive.jpg", "jpeg_cmyk.jpg")) {
      byte[] full = resource(name);
      InputException e = refused(Arrays.copyOf(full, (int) (full.length * keep)),
          ErrorKind.TRUNCATED);
      assertTrue(e.getMessage().startsWith("The JPEG data ends before the image does"),
          name + ": " + e.getMessage());
    }
  }

  @Test
  void jpegWithoutEndMarkerIsTruncatedAsInPil() throws Exception {
    byte[] full = resource("jpeg_baseline.jpg");
    refused(Arrays.copyOf(full, full.length - 2), ErrorKind.TRUNCATED);
  }

  @Test
  void truncatedPngBmpGif() throws Exception {
    byte[] png = write(noise(40, 30), "png");
    InputException e = refused(Arrays.copyOf(png, png.length / 2), ErrorKind.TRUNCATED);
    assertTrue(e.getMessage().startsWith("The PNG data ends inside its IDAT chunk"),
        e.getMessage());
    // Cut at a chunk boundary, before any image data: the reader runs out of input.
    refused(Arrays.copyOf(png, 8 + 25), ErrorKind.TRUNCATED);

    byte[] bmp = write(noise(40, 30), "bmp");
    refused(Arrays.copyOf(bmp, bmp.length / 2), ErrorKind.TRUNCATED);
    byte[] gif = resource("gif_animated.gif");
    refused(Arrays.copyOf(gif, gif.length / 2), ErrorKind.TRUNCATED);
  }

  @Test
  void pngWithBadCrcOrBrokenImageDataIsCorrupt() throws Exception {
    byte[] png = write(noise(40, 30), "png");
    int idat = indexOf(png, "IDAT".getBytes(StandardCharsets.US_ASCII));
    byte[] flipped = png.clone();
    flipped[idat + 20] ^= 0x55;
    InputException crc = refused(flipped, ErrorKind.CORRUPT);
    assertTrue(crc.getMessage().matches("The PNG IDAT chunk at byte \\d+ has a bad CRC\\."),
        crc.getMessage());

    // Garbage compressed data behind a correct CRC: the inflater refuses it.
    byte[] garbage = new byte[200];
    new Random(5).nextBytes(garbage);
    garbage[0] = 0x78; // a plausible zlib header
    garbage[1] = (byte) 0x9C;
    InputException zlib = refused(png(40, 30, 8, 2, null, chunk("IDAT", garbage)),
        ErrorKind.CORRUPT);
    assertTrue(zlib.getMessage().startsWith("The PNG data could not be decoded"),
        zlib.getMessage());
  }

  @Test
  void garbageAfterAValidJpegHeaderIsCorrupt() throws Exception {
    // The scan replaced by 100 random bytes, then EOI: libjpeg runs out of entropy-coded data
    // mid-image, warns and fills with grey. (Garbage as long as the real scan can decode to noise
    // without a warning, here as in PIL: JPEG has no checksum.)
    byte[] jpeg = resource("jpeg_baseline.jpg");
    int sos = indexOf(jpeg, new byte[] {(byte) 0xFF, (byte) 0xDA});
    int scanData = sos + 2 + ((jpeg[sos + 2] & 0xFF) << 8 | (jpeg[sos + 3] & 0xFF));
    byte[] broken = Arrays.copyOf(jpeg, scanData + 102);
    Random random = new Random(11);
    for (int i = scanData; i < scanData + 100; i++) {
      broken[i] = (byte) random.nextInt(0xFF); // no 0xFF, so no accidental markers
    }
    broken[scanData + 100] = (byte) 0xFF;
    broken[scanData + 101] = (byte) 0xD9;
    InputException e = refused(broken, ErrorKind.CORRUPT);
    assertTrue(e.getMessage().startsWith("The JPEG data is damaged (Corrupt JPEG data"),
        e.getMessage());
  }

  @Test
  void runtimeExceptionsFromReadersBecomeCorrupt() throws Exception {
    // bfOffBits with its top bit set: the JDK's BMP reader sizes its palette from it.
    byte[] bmp = write(new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED), "bmp");
    bmp[13] = (byte) 0xC7;
    ImageReader reader = ImageIO.getImageReadersByFormatName("bmp").next();
    reader.setInput(new MemoryCacheImageInputStream(new ByteArrayInputStream(bmp)));
    assertThrows(RuntimeException.class, () -> reader.read(0));
    reader.dispose();
    InputException e = refused(bmp, ErrorKind.CORRUPT);
    assertTrue(e.getMessage().startsWith(
        "The BMP data could not be decoded (NegativeArraySizeException: "), e.getMessage());
  }

  // ---- threads ----------------------------------------------------------------------------

  @Test
  void decodesConcurrentlyFromThreadsWithAForeignContextClassLoader() throws Exception {
    List<String> names = pilFixtures().toList();
    ClassLoader bare = new URLClassLoader(new URL[0], null); // as a Spark task's loader may be
    ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r);
      t.setContextClassLoader(bare);
      return t;
    });
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int thread = 0; thread < 4; thread++) {
        int offset = thread;
        runs.add(pool.submit(() -> {
          for (int round = 0; round < 5; round++) {
            for (int i = 0; i < names.size(); i++) {
              String name = names.get((i + offset) % names.size());
              assertSamePixels(expectedRgb(name), ImageDecoder.decode(resource(name), LIMIT),
                  name);
            }
          }
          return null;
        }));
      }
      for (Future<?> run : runs) {
        run.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static InputException refused(byte[] bytes, ErrorKind kind) {
    return refused(bytes, kind, LIMIT);
  }

  private static InputException refused(byte[] bytes, ErrorKind kind, long limit) {
    InputException e = assertThrows(InputException.class, () -> ImageDecoder.decode(bytes, limit));
    assertEquals(kind, e.kind(), e.getMessage());
    assertTrue(e.getMessage().endsWith("."), "one sentence: " + e.getMessage());
    return e;
  }

  private static void assertSamePixels(int[] expected, BufferedImage actual, String what) {
    int[] got = rgbOf(actual);
    assertEquals(expected.length, got.length, what + ": pixel count");
    int maxDiff = 0;
    int at = -1;
    for (int i = 0; i < got.length; i++) {
      for (int shift = 0; shift <= 16; shift += 8) {
        int d = Math.abs((expected[i] >> shift & 0xFF) - (got[i] >> shift & 0xFF));
        if (d > maxDiff) {
          maxDiff = d;
          at = i;
        }
      }
    }
    assertEquals(0, maxDiff, what + ": largest difference from PIL at pixel " + at);
  }

  private static int[] rgbOf(BufferedImage image) {
    int[] px = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    for (int i = 0; i < px.length; i++) {
      px[i] &= 0xFFFFFF;
    }
    return px;
  }

  private static int[] expectedRgb(String name) {
    JsonNode e = EXPECTED.get(name);
    byte[] rgb = Base64.getDecoder().decode(e.get("rgb").asText());
    int[] px = new int[e.get("width").asInt() * e.get("height").asInt()];
    for (int i = 0; i < px.length; i++) {
      px[i] = (rgb[3 * i] & 0xFF) << 16 | (rgb[3 * i + 1] & 0xFF) << 8 | (rgb[3 * i + 2] & 0xFF);
    }
    return px;
  }

  static byte[] resource(String name) {
    return TestResources.bytes("/images/" + name);
  }

  private static BufferedImage noise(int w, int h) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(w * 31L + h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, random.nextInt());
      }
    }
    return image;
  }

  private static byte[] write(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(image, format, out), "no ImageIO writer for " + format);
    return out.toByteArray();
  }

  /** A PNG with the given IHDR; {@code raw} (filter bytes included) is deflated into IDAT. */
  private static byte[] png(int w, int h, int depth, int colourType, byte[] raw, byte[]... extra) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h);
    ihdr.put((byte) depth).put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0);
    out.writeBytes(chunk("IHDR", ihdr.array()));
    for (byte[] c : extra) {
      out.writeBytes(c);
    }
    if (raw != null) {
      Deflater deflater = new Deflater();
      deflater.setInput(raw);
      deflater.finish();
      byte[] buf = new byte[raw.length + 64];
      int n = deflater.deflate(buf);
      deflater.end();
      out.writeBytes(chunk("IDAT", Arrays.copyOf(buf, n)));
    }
    out.writeBytes(chunk("IEND", new byte[0]));
    return out.toByteArray();
  }

  private static byte[] chunk(String type, byte[] data) {
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(t).put(data)
        .putInt((int) crc.getValue()).array();
  }

  /** Inserts an APP2 ICC_PROFILE segment right after SOI. */
  private static byte[] withIccProfile(byte[] jpeg, byte[] profile) {
    byte[] id = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
    int length = 2 + id.length + 2 + profile.length;
    ByteBuffer b = ByteBuffer.allocate(jpeg.length + 2 + length);
    b.put(jpeg, 0, 2).put((byte) 0xFF).put((byte) 0xE2).putShort((short) length).put(id)
        .put((byte) 1).put((byte) 1).put(profile).put(jpeg, 2, jpeg.length - 2);
    return b.array();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }
}
