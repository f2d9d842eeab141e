package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.convlens.model.ModelDescription.Input;
import org.convlens.model.ModelDescription.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Preprocessor against PyTorch: tensors written by {@code preprocess/make_reference.py} (PIL 9.4
 * resize, torchvision 0.14's crop/ToTensor/Normalize), then known answers for each step.
 */
class PreprocessorTest {
  private static final JsonNode REFERENCE = TestResources.json("/preprocess/reference.json");
  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  static Stream<JsonNode> referenceCases() {
    List<JsonNode> cases = new ArrayList<>();
    REFERENCE.get("cases").forEach(cases::add);
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("referenceCases")
  void matchesTorchvisionOnPil(JsonNode c) throws Exception {
    Preprocessor p = new Preprocessor(
        new Input(c.get("channels").asInt(), c.get("height").asInt(), c.get("width").asInt()),
        new Preprocessing(c.get("resize").asInt(), floats(c.get("mean")), floats(c.get("std"))));
    String folder = "/preprocess/";
    BufferedImage image =
        ImageDecoder.decode(TestResources.bytes(folder + c.get("input").asText()), 10_000_000);
    float[] expected = littleEndianFloats(TestResources.bytes(folder + c.get("file").asText()));

    float[] actual = p.apply(image);

    assertEquals(expected.length, actual.length);
    double maxDiff = 0;
    for (int i = 0; i < actual.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    }
    float minStd = Float.MAX_VALUE;
    for (float s : floats(c.get("std"))) {
      minStd = Math.min(minStd, s);
    }
    double oneLevel = 1.0 / 255 / minStd + 1e-5;
    System.out.printf("%-22s max |diff| vs PIL/torch = %g%n", c.get("name").asText(), maxDiff);
    assertTrue(maxDiff <= oneLevel, "more than one 8-bit level off: " + maxDiff);
    // The resampling is a transcription of PIL's integer code, so today it is bit-exact; a
    // difference means the transcription drifted (or PIL changed: rerun make_reference.py).
    assertArrayEquals(expected, actual, "not bit-exact");
  }

  @Test
  void constantImageGivesTheNormalisedConstantEverywhere() {
    BufferedImage image = new BufferedImage(50, 41, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 41; y++) {
      for (int x = 0; x < 50; x++) {
        image.setRGB(x, y, 10 << 16 | 128 << 8 | 250);
      }
    }
    float[] out = imagenet(32, 32, 32).apply(image);
    int[] level = {10, 128, 250};
    for (int c = 0; c < 3; c++) {
      float expected = ((float) level[c] / 255f - MEAN[c]) / STD[c];
      for (int i = 0; i < 32 * 32; i++) {
        assertEquals(expected, out[c * 32 * 32 + i], 0f, "channel " + c);
      }
    }
  }

  @Test
  void chwLayoutAndIdentityResize() {
    // R = x, G = y, B = x + y: resize 32 of a 32x32 image is the identity, as in PIL.
    BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        image.setRGB(x, y, x << 16 | y << 8 | (x + y));
      }
    }
    float[] out = imagenet(32, 32, 32).apply(image);
    assertEquals(3 * 32 * 32, out.length);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        int[] v = {x, y, x + y};
        for (int c = 0; c < 3; c++) {
          assertEquals(((float) v[c] / 255f - MEAN[c]) / STD[c], out[c * 32 * 32 + y * 32 + x],
              0f, "c=" + c + " y=" + y + " x=" + x);
        }
      }
    }
  }

  @Test
  void cropOffsetsRoundHalfToEvenAndPadBeforeWithTheFloor() {
    // int(round((size - crop) / 2.0)) with Python's banker's rounding.
    assertEquals(0, Preprocessor.cropOffset(33, 32)); // round(0.5) = 0
    assertEquals(1, Preprocessor.cropOffset(34, 32));
    assertEquals(2, Preprocessor.cropOffset(35, 32)); // round(1.5) = 2
    assertEquals(2, Preprocessor.cropOffset(37, 32)); // round(2.5) = 2
    assertEquals(4, Preprocessor.cropOffset(39, 32)); // round(3.5) = 4
    assertEquals(0, Preprocessor.cropOffset(32, 32));
    // Smaller than the crop: (crop - size) // 2 zeros before.
    assertEquals(-2, Preprocessor.cropOffset(24, 28));
    assertEquals(-1, Preprocessor.cropOffset(25, 28));
  }

  @Test
  void cropTakesTheCentreAndPadsWithNormalisedZeros() {
    // 7 wide, 3 high, grey; resize 3 keeps it 7x3; crop 5 high x 4 wide: columns from
    // round(3 / 2.0) = 2, rows padded with one zero row above and one below.
    BufferedImage image = new BufferedImage(7, 3, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 7; x++) {
        image.setRGB(x, y, (10 * y + x) * 0x010101);
      }
    }
    Preprocessor p = new Preprocessor(new Input(1, 5, 4),
        new Preprocessing(3, new float[] {0}, new float[] {1}));
    float[] out = p.apply(image);
    float[] expected = new float[5 * 4];
    for (int y = 1; y <= 3; y++) {
      for (int x = 0; x < 4; x++) {
        expected[y * 4 + x] = (10 * (y - 1) + x + 2) / 255f;
      }
    }
    assertArrayEquals(expected, out);
  }

  @Test
  void greyIsPilsRoundedLuma() {
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 10 << 16 | 200 << 8 | 30);
    image.setRGB(1, 0, 255 << 16 | 128);
    Preprocessor p = new Preprocessor(new Input(1, 1, 2),
        new Preprocessing(0, new float[] {0}, new float[] {1}));
    // PIL 9.4 convert("L"): 124 and 91, where R*299/1000 + ... truncated would give 123 and 90.
    assertArrayEquals(new float[] {124 / 255f, 91 / 255f}, p.apply(image));
  }

  @Test
  void planarCifarPathEqualsTheImagePath() {
    Random random = new Random(42);
    byte[] planar = new byte[CifarFormat.PIXEL_BYTES];
    random.nextBytes(planar);
    BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < 32 * 32; i++) {
      int r = planar[i] & 0xFF;
      int g = planar[1024 + i] & 0xFF;
      int b = planar[2048 + i] & 0xFF;
      image.setRGB(i % 32, i / 32, r << 16 | g << 8 | b);
    }
    for (Preprocessor p : List.of(
        imagenet(32, 32, 32),
        imagenet(0, 28, 28),
        imagenet(40, 32, 32),
        new Preprocessor(new Input(1, 24, 24),
            new Preprocessing(24, new float[] {0.5f}, new float[] {0.25f})))) {
      assertArrayEquals(p.apply(image), p.applyPlanarRgb(planar, 32, 32));
    }
    assertThrows(IllegalArgumentException.class,
        () -> imagenet(32, 32, 32).applyPlanarRgb(planar, 31, 32));
  }

  @Test
  void otherImageTypesGiveTheSameNumbers() {
    Random random = new Random(9);
    BufferedImage rgb = new BufferedImage(45, 30, BufferedImage.TYPE_INT_RGB);
    BufferedImage bgr = new BufferedImage(45, 30, BufferedImage.TYPE_3BYTE_BGR);
    BufferedImage argb = new BufferedImage(45, 30, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 45; x++) {
        int v = random.nextInt();
        rgb.setRGB(x, y, v);
        bgr.setRGB(x, y, v);
        argb.setRGB(x, y, v | 0xFF000000);
      }
    }
    Preprocessor p = imagenet(32, 32, 32);
    float[] expected = p.apply(rgb);
    assertArrayEquals(expected, p.apply(bgr));
    assertArrayEquals(expected, p.apply(argb));
  }

  @Test
  void survivesSerialization() throws Exception {
    Preprocessor p = imagenet(40, 32, 32);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(buf)) {
      out.writeObject(p);
    }
    Preprocessor copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(buf.toByteArray()))) {
      copy = (Preprocessor) in.readObject();
    }
    byte[] planar = new byte[3 * 50 * 37];
    new Random(1).nextBytes(planar);
    assertArrayEquals(p.applyPlanarRgb(planar, 50, 37), copy.applyPlanarRgb(planar, 50, 37));
  }

  @Test
  void unitPixelsUndoTheNormalisationOfTheCroppedInput() {
    // 30 x 26 with resize 26: already the resized size (no resampling), then the centre
    // 20 x 24 crop from column round(10 / 2.0) = 5, row round(2 / 2.0) = 1.
    Random random = new Random(5);
    BufferedImage image = new BufferedImage(30, 26, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 26; y++) {
      for (int x = 0; x < 30; x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    Preprocessor p = new Preprocessor(new Input(3, 24, 20), new Preprocessing(26, MEAN, STD));
    float[] unit = p.unitPixels(p.apply(image));
    assertEquals(3 * 24 * 20, unit.length);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 24; y++) {
        for (int x = 0; x < 20; x++) {
          int level = (image.getRGB(x + 5, y + 1) >> (16 - 8 * c)) & 0xFF;
          assertEquals(level / 255.0, unit[c * 24 * 20 + y * 20 + x], 1e-6, "c=" + c + " y=" + y + " x=" + x);
        }
      }
    }

    // Padding (crop larger than the image) comes back as black.
    Preprocessor padded = new Preprocessor(new Input(3, 32, 32), new Preprocessing(26, MEAN, STD));
    float[] u = padded.unitPixels(padded.apply(image));
    assertEquals(0f, u[0], 1e-6);
    assertEquals(0f, u[2 * 32 * 32 + 31 * 32 + 31], 1e-6);

    // Values outside what apply() can give are clamped to [0, 1].
    float[] wild = new float[p.outputLength()];
    for (int i = 0; i < wild.length; i++) {
      wild[i] = i % 2 == 0 ? 1e3f : -1e3f;
    }
    float[] clamped = p.unitPixels(wild);
    for (int i = 0; i < clamped.length; i++) {
      assertEquals(i % 2 == 0 ? 1f : 0f, clamped[i], 0f, "i=" + i);
    }
    assertThrows(IllegalArgumentException.class, () -> p.unitPixels(new float[5]));
  }

  @Test
  void normaliseRedoesWhatUnitPixelsUndid() {
    // The counterfactual edits' round trip: apply, back to [0, 1], edit, normalise again. With no
    // edit in between it gives the tensor apply gave, to float rounding.
    Random random = new Random(6);
    BufferedImage image = new BufferedImage(30, 26, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 26; y++) {
      for (int x = 0; x < 30; x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    Preprocessor p = new Preprocessor(new Input(3, 24, 20), new Preprocessing(26, MEAN, STD));
    float[] x = p.apply(image);
    float[] back = p.normalise(p.unitPixels(x));
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], back[i], 2e-6f * Math.max(1f, Math.abs(x[i])), "i=" + i);
    }
    assertThrows(IllegalArgumentException.class, () -> p.normalise(new float[5]));
  }

  @Test
  void randomSizesGiveTheNumbersOfTheWholeResizeThenCrop() {
    // Up- and downscales, resize 0, crops larger than the image (padding), odd and even margins,
    // grey models, extreme aspect ratios: the windowed path against the straightforward one.
    Random random = new Random(1234);
    float[] grey = {0.5f};
    float[] greyStd = {0.25f};
    for (int trial = 0; trial < 1500; trial++) {
      int w;
      int h;
      int maxResize = 100;
      if (trial % 10 == 0) {
        w = 1 + random.nextInt(3);
        h = 1 + random.nextInt(600);
        maxResize = 30;
      } else if (trial % 10 == 1) {
        w = 1 + random.nextInt(600);
        h = 1 + random.nextInt(3);
        maxResize = 30;
      } else {
        w = 1 + random.nextInt(90);
        h = 1 + random.nextInt(90);
      }
      int channels = random.nextInt(4) == 0 ? 1 : 3;
      int resize = random.nextInt(6) == 0 ? 0 : 1 + random.nextInt(maxResize);
      int height = 1 + random.nextInt(100);
      int width = random.nextInt(3) == 0 ? height : 1 + random.nextInt(100);
      byte[] planar = new byte[3 * w * h];
      random.nextBytes(planar);
      float[] mean = channels == 1 ? grey : MEAN;
      float[] std = channels == 1 ? greyStd : STD;
      Preprocessor p = new Preprocessor(new Input(channels, height, width),
          new Preprocessing(resize, mean, std));

      float[] expected = FullResizeReference.preprocess(
          planar, w, h, channels, height, width, resize, mean, std);

      assertArrayEquals(expected, p.applyPlanarRgb(planar, w, h),
          w + "x" + h + ", resize " + resize + ", crop " + height + "x" + width + ", "
              + channels + " channel(s)");
    }
  }

  @Test
  void cropOffsetsAreTorchvisionsForEverySize() {
    for (int size = 1; size < 300; size++) {
      for (int crop = 1; crop < 300; crop++) {
        assertEquals(FullResizeReference.cropOffset(size, crop),
            Preprocessor.cropOffset(size, crop), size + " cropped to " + crop);
      }
    }
    // Sizes past an int: the longer side of 89,000,000 x 1 resized to 32.
    assertEquals(1_423_999_984L, Preprocessor.cropOffset(2_848_000_000L, 32));
    assertEquals(1_423_999_984L, Preprocessor.cropOffset(2_848_000_001L, 32)); // 1423999984.5
    assertEquals(1_423_999_986L, Preprocessor.cropOffset(2_848_000_003L, 32)); // 1423999985.5
  }

  @Test
  void extremeAspectRatiosPreprocessInBoundedMemory() {
    // 10,000,000 x 1 with the shorter side resized to 32 is 320,000,000 x 32 pixels; and the
    // other way round. A constant image stays that constant wherever the crop lands.
    int n = 10_000_000;
    int[] level = {10, 128, 250};
    byte[] planar = constantPlanar(n, level);
    Preprocessor p = imagenet(32, 32, 32);
    Preprocessor luma = new Preprocessor(new Input(1, 32, 32),
        new Preprocessing(32, new float[] {0}, new float[] {1}));
    int l = (level[0] * 19595 + level[1] * 38470 + level[2] * 7471 + 0x8000) >> 16;
    for (int[] size : new int[][] {{n, 1}, {1, n}}) {
      long[] allocated = new long[1];
      float[] out = allocatedBy(() -> p.applyPlanarRgb(planar, size[0], size[1]), allocated);
      assertConstant(out, level, size);
      // The window, its weights and sums: kilobytes (the source itself is 30 MB).
      assertTrue(allocated[0] < (1 << 20),
          size[0] + "x" + size[1] + " allocated " + allocated[0] + " bytes");

      float[] grey = luma.applyPlanarRgb(planar, size[0], size[1]);
      for (float v : grey) {
        assertEquals(l / 255f, v, 0f);
      }
    }

    // The same through a BufferedImage, as a decoded PNG would come.
    BufferedImage image = new BufferedImage(n, 1, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < n; x++) {
      image.setRGB(x, 0, level[0] << 16 | level[1] << 8 | level[2]);
    }
    assertConstant(p.apply(image), level, new int[] {n, 1});
  }

  @Test
  void aLongerSideBeyondAnInt() {
    // 89,000,000 x 1 (just under the decoder's pixel limit) resized to 32 high: 2,848,000,000
    // wide, which no int holds; the crop starts at column 1,423,999,984.
    int n = 89_000_000;
    int[] level = {200, 3, 77};
    byte[] planar = constantPlanar(n, level);
    assertConstant(imagenet(32, 32, 32).applyPlanarRgb(planar, n, 1), level, new int[] {n, 1});
  }

  @Test
  void extremeGradientsCropTheSameWindowAsTheWholeResize() {
    // 200,000 x 3 resized to 2,133,333 x 32 (and transposed): still small enough to resize whole
    // here. Red is a horizontal (vertical) gradient, green a sawtooth that pins the position,
    // blue varies across the short side.
    int longSide = 200_000;
    for (boolean wide : new boolean[] {true, false}) {
      int w = wide ? longSide : 3;
      int h = wide ? 3 : longSide;
      byte[] planar = new byte[3 * w * h];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int along = wide ? x : y;
          int across = wide ? y : x;
          int i = y * w + x;
          planar[i] = (byte) (along * 255L / (longSide - 1));
          planar[w * h + i] = (byte) (along * 7);
          planar[2 * w * h + i] = (byte) (across * 100);
        }
      }
      // Margins that are halves, rounded to even: wide, 32 of 2,133,333 columns from
      // round(1066650.5) = 1066650 (down); tall, 34 of 2,133,333 rows from round(1066649.5) =
      // 1066650 (up), and 31 of 32 columns from round(0.5) = 0.
      int cropHeight = wide ? 32 : 34;
      int cropWidth = wide ? 32 : 31;
      float[] zero = {0, 0, 0};
      float[] one = {1, 1, 1};
      Preprocessor p = new Preprocessor(new Input(3, cropHeight, cropWidth),
          new Preprocessing(32, zero, one));
      float[] actual = p.applyPlanarRgb(planar, w, h);
      assertArrayEquals(
          FullResizeReference.preprocess(planar, w, h, 3, cropHeight, cropWidth, 32, zero, one),
          actual, wide ? "wide" : "tall");
      // The middle of the gradient: 127 or 128.
      assertEquals(127.5f / 255f, actual[cropHeight / 2 * cropWidth + cropWidth / 2], 1f / 255f);
    }
  }

  private static byte[] constantPlanar(int pixels, int[] level) {
    byte[] planar = new byte[3 * pixels];
    for (int c = 0; c < 3; c++) {
      Arrays.fill(planar, c * pixels, (c + 1) * pixels, (byte) level[c]);
    }
    return planar;
  }

  private static void assertConstant(float[] out, int[] level, int[] size) {
    assertEquals(3 * 32 * 32, out.length);
    for (int c = 0; c < 3; c++) {
      float expected = ((float) level[c] / 255f - MEAN[c]) / STD[c];
      for (int i = 0; i < 32 * 32; i++) {
        assertEquals(expected, out[c * 32 * 32 + i], 0f,
            size[0] + "x" + size[1] + " channel " + c + " at " + i);
      }
    }
  }

  /** Runs {@code task} and puts the bytes this thread allocated meanwhile in {@code bytes[0]}. */
  private static <T> T allocatedBy(Supplier<T> task, long[] bytes) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(threads.isThreadAllocatedMemorySupported()
        && threads.isThreadAllocatedMemoryEnabled());
    long id = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(id);
    T result = task.get();
    bytes[0] = threads.getThreadAllocatedBytes(id) - before;
    return result;
  }

  @Test
  void meanAndStdMustMatchTheChannels() {
    assertThrows(IllegalArgumentException.class, () -> new Preprocessor(new Input(1, 8, 8),
        new Preprocessing(8, MEAN, STD)));
  }

  private static Preprocessor imagenet(int resize, int height, int width) {
    return new Preprocessor(new Input(3, height, width), new Preprocessing(resize, MEAN, STD));
  }

  private static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }

  private static float[] littleEndianFloats(byte[] bytes) {
    float[] out = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }
}
