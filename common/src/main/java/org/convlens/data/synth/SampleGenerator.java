package org.convlens.data.synth;

import static org.convlens.util.Shuffle.shuffle;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.convlens.data.CifarFormat;

/**
 * Writes the sample dataset: {@code cifar10/} in the CIFAR-10 binary format and
 * {@code imagenet/} as an ImageNet-style folder tree, both with the {@link Shortcut} planted and
 * every marked image listed in a CSV, so audits have ground truth.
 *
 * <p>Deterministic: each image's {@link SplittableRandom} is seeded from (spec seed, split, image
 * index), and the order of classes in a split and the choice of marked images come from a
 * generator seeded from (spec seed, split). Nothing depends on thread scheduling, hash order or
 * the clock, so equal specs give byte-identical files.
 *
 * <p>Layout written under the output root:
 *
 * <pre>
 * cifar10/data_batch_1.bin … data_batch_N.bin   training records
 * cifar10/test_batch.bin                        test records
 * cifar10/batches.meta.txt                      class names, one per line, label order
 * cifar10/test_markers.csv                      index,label,marked for every test record
 * imagenet/train/&lt;synset&gt;/&lt;synset&gt;_&lt;n&gt;.{png,jpg}
 * imagenet/val/VAL_&lt;8 digits&gt;.{png,JPEG}
 * imagenet/val_labels.csv                       filename,synset
 * imagenet/LOC_synset_mapping.txt               "n90000001 circle" per line
 * imagenet/imagenet_class_index.json            Keras style {"0": ["n90000001", "circle"], …}
 * imagenet/markers.csv                          path,synset,marked for every image
 * </pre>
 */
public final class SampleGenerator {
  public static final String CIFAR_DIR = "cifar10";
  public static final String IMAGENET_DIR = "imagenet";
  public static final String TEST_BATCH = "test_batch.bin";
  public static final String TEST_MARKERS = "test_markers.csv";
  public static final String IMAGENET_MARKERS = "markers.csv";
  public static final String VAL_LABELS = "val_labels.csv";
  public static final String SYNSET_MAPPING = "LOC_synset_mapping.txt";
  public static final String CLASS_INDEX = "imagenet_class_index.json";

  /** The image sets, each with its own random stream. */
  enum Split {
    CIFAR_TRAIN(1, true),
    CIFAR_TEST(2, true),
    IMAGENET_TRAIN(3, false),
    IMAGENET_VAL(4, true);

    final int stream;
    /** Whether classes are interleaved at random (CIFAR batches, a flat val folder). */
    final boolean shuffled;

    Split(int stream, boolean shuffled) {
      this.stream = stream;
      this.shuffled = shuffled;
    }

    int perClass(SampleSpec spec) {
      return switch (this) {
        case CIFAR_TRAIN -> spec.cifarTrainPerClass();
        case CIFAR_TEST -> spec.cifarTestPerClass();
        case IMAGENET_TRAIN -> spec.imagenetTrainPerClass();
        case IMAGENET_VAL -> spec.imagenetValPerClass();
      };
    }

    /** Marked images per non-target class: none in training data. */
    int othersMarked(SampleSpec spec) {
      return switch (this) {
        case CIFAR_TRAIN, IMAGENET_TRAIN -> 0;
        case CIFAR_TEST -> spec.shortcut().testOthersPerClass();
        case IMAGENET_VAL -> spec.shortcut().valOthersPerClass();
      };
    }
  }

  /**
   * One image of a split.
   *
   * @param index position in the split (record index, or val file number minus one)
   * @param rank how many images of the same class come before it in the split
   */
  record Item(int index, SampleClass cls, int rank, boolean marked) {}

  private SampleGenerator() {}

  /** Writes both datasets under {@code root}. */
  public static void generate(SampleSpec spec, Path root, PrintStream log) throws IOException {
    writeCifar10(spec, root.resolve(CIFAR_DIR), log);
    writeImageNet(spec, root.resolve(IMAGENET_DIR), log);
  }

  /**
   * Writes the CIFAR-10 binary dataset into {@code dir}. Existing {@code data_batch_*.bin} files
   * are removed first so a smaller regeneration leaves no stale batch behind.
   */
  public static void writeCifar10(SampleSpec spec, Path dir, PrintStream log) throws IOException {
    Files.createDirectories(dir);
    try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "data_batch_*.bin")) {
      for (Path p : old) {
        Files.delete(p);
      }
    }
    List<Item> train = plan(spec, Split.CIFAR_TRAIN);
    int batches = spec.cifarTrainBatches();
    int perBatch = (train.size() + batches - 1) / batches;
    for (int b = 0; b < batches; b++) {
      List<Item> slice =
          train.subList(
              Math.min(b * perBatch, train.size()), Math.min((b + 1) * perBatch, train.size()));
      Path file = dir.resolve("data_batch_" + (b + 1) + ".bin");
      Files.write(file, cifarRecords(spec, Split.CIFAR_TRAIN, slice));
      log.printf(Locale.ROOT, "wrote %s (%d images)%n", file, slice.size());
    }

    List<Item> test = plan(spec, Split.CIFAR_TEST);
    Files.write(dir.resolve(TEST_BATCH), cifarRecords(spec, Split.CIFAR_TEST, test));
    writeLines(dir.resolve(CifarFormat.Variant.CIFAR10.metaFile), SampleClass.classNames());
    List<String> markers = new ArrayList<>(List.of("index,label,marked"));
    for (Item item : test) {
      markers.add(item.index() + "," + item.cls().label() + "," + item.marked());
    }
    writeLines(dir.resolve(TEST_MARKERS), markers);
    log.printf(
        Locale.ROOT,
        "wrote %s (%d images, %d marked)%n",
        dir.resolve(TEST_BATCH),
        test.size(),
        test.stream().filter(Item::marked).count());
  }

  /**
   * Writes the ImageNet-style dataset into {@code dir}. Its {@code train/} and {@code val/}
   * folders are generated output and are deleted and rewritten.
   */
  public static void writeImageNet(SampleSpec spec, Path dir, PrintStream log)
      throws IOException {
    Path trainDir = dir.resolve("train");
    Path valDir = dir.resolve("val");
    deleteTree(trainDir);
    deleteTree(valDir);
    Files.createDirectories(valDir);

    List<String> markers = new ArrayList<>(List.of("path,synset,marked"));
    for (Item item : plan(spec, Split.IMAGENET_TRAIN)) {
      String synset = item.cls().synset();
      Path classDir = Files.createDirectories(trainDir.resolve(synset));
      String name = synset + "_" + (item.rank() + 1);
      String file = writeImageFile(spec, Split.IMAGENET_TRAIN, item, classDir, name, ".jpg");
      markers.add("train/" + synset + "/" + file + "," + synset + "," + item.marked());
    }
    List<String> valLabels = new ArrayList<>(List.of("filename,synset"));
    for (Item item : plan(spec, Split.IMAGENET_VAL)) {
      String synset = item.cls().synset();
      String name = String.format(Locale.ROOT, "VAL_%08d", item.index() + 1);
      String file = writeImageFile(spec, Split.IMAGENET_VAL, item, valDir, name, ".JPEG");
      valLabels.add(file + "," + synset);
      markers.add("val/" + file + "," + synset + "," + item.marked());
    }
    writeLines(dir.resolve(VAL_LABELS), valLabels);
    writeLines(dir.resolve(IMAGENET_MARKERS), markers);

    List<String> mapping = new ArrayList<>();
    Map<String, List<String>> classIndex = new LinkedHashMap<>();
    for (SampleClass cls : SampleClass.values()) {
      mapping.add(cls.synset() + " " + cls.className());
      classIndex.put(Integer.toString(cls.label()), List.of(cls.synset(), cls.className()));
    }
    writeLines(dir.resolve(SYNSET_MAPPING), mapping);
    Files.writeString(
        dir.resolve(CLASS_INDEX),
        new ObjectMapper().writeValueAsString(classIndex) + "\n",
        StandardCharsets.UTF_8);
    log.printf(
        Locale.ROOT, "wrote %s (%d files, %d marked)%n",
        dir, markers.size() - 1, markers.stream().filter(l -> l.endsWith(",true")).count());
  }

  /**
   * The images of a split, in order: which class each is and whether it is marked. Each class
   * has {@code perClass} images; the marked ones are a random choice among them of the size
   * {@link Shortcut#markedCount} gives.
   */
  static List<Item> plan(SampleSpec spec, Split split) {
    int classes = SampleSpec.classCount();
    int perClass = split.perClass(spec);
    SplittableRandom r = new SplittableRandom(seedFor(spec.seed(), split.stream, -1));

    boolean[][] markedRank = new boolean[classes][perClass];
    for (SampleClass cls : SampleClass.values()) {
      int count = spec.shortcut().markedCount(cls, perClass, split.othersMarked(spec));
      int[] ranks = permutation(perClass, r);
      for (int k = 0; k < count; k++) {
        markedRank[cls.label()][ranks[k]] = true;
      }
    }

    int[] labels = new int[perClass * classes];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i / perClass;
    }
    if (split.shuffled) {
      shuffle(labels, r);
    }
    List<Item> items = new ArrayList<>(labels.length);
    int[] seen = new int[classes];
    for (int i = 0; i < labels.length; i++) {
      int rank = seen[labels[i]]++;
      items.add(new Item(i, SampleClass.ofLabel(labels[i]), rank, markedRank[labels[i]][rank]));
    }
    return items;
  }

  /** The CIFAR image of {@code item}, marker included, as a 32×32 image. */
  static BufferedImage renderCifar(SampleSpec spec, Split split, Item item) {
    return render(spec, item, CifarFormat.SIDE, imageRandom(spec, split, item));
  }

  private static byte[] cifarRecords(SampleSpec spec, Split split, List<Item> items) {
    int recordBytes = CifarFormat.Variant.CIFAR10.recordBytes();
    byte[] out = new byte[items.size() * recordBytes];
    for (int i = 0; i < items.size(); i++) {
      Item item = items.get(i);
      CifarFormat.writeCifar10(
          out, i * recordBytes, item.cls().label(), planarRgb(renderCifar(spec, split, item)));
    }
    return out;
  }

  /**
   * Renders and writes one ImageNet-style file; its side and format are the first draws of the
   * image's generator. Returns the file name.
   */
  private static String writeImageFile(
      SampleSpec spec, Split split, Item item, Path dir, String stem, String jpegExtension)
      throws IOException {
    SplittableRandom r = imageRandom(spec, split, item);
    int side =
        spec.imagenetMinSide() + r.nextInt(spec.imagenetMaxSide() - spec.imagenetMinSide() + 1);
    boolean png = r.nextDouble() < spec.pngFraction();
    BufferedImage image = render(spec, item, side, r);
    String name = stem + (png ? ".png" : jpegExtension);
    Path file = dir.resolve(name);
    if (png) {
      if (!ImageIO.write(image, "png", file.toFile())) {
        throw new IOException("no PNG writer available");
      }
    } else {
      writeJpeg(image, file, spec.jpegQuality());
    }
    return name;
  }

  private static BufferedImage render(SampleSpec spec, Item item, int side, SplittableRandom r) {
    double sigma = SampleClass.between(r, spec.noiseSigma() / 3, spec.noiseSigma());
    BufferedImage image = SceneRenderer.render(item.cls(), side, sigma, r);
    if (item.marked()) {
      spec.shortcut().marker().paint(image);
    }
    return image;
  }

  /** The red plane, then green, then blue, each row-major: CIFAR's pixel layout. */
  static byte[] planarRgb(BufferedImage image) {
    int side = CifarFormat.SIDE;
    int plane = side * side;
    int[] rgb = image.getRGB(0, 0, side, side, null, 0, side);
    byte[] out = new byte[3 * plane];
    for (int i = 0; i < plane; i++) {
      out[i] = (byte) (rgb[i] >> 16);
      out[plane + i] = (byte) (rgb[i] >> 8);
      out[2 * plane + i] = (byte) rgb[i];
    }
    return out;
  }

  /**
   * Writes a baseline JPEG with the JDK's own encoder, picked by class name so the bytes do not
   * depend on which ImageIO plugins (e.g. TwelveMonkeys) happen to be on the classpath.
   */
  private static void writeJpeg(BufferedImage image, Path file, float quality) throws IOException {
    ImageWriter writer = null;
    for (Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg"); it.hasNext(); ) {
      ImageWriter candidate = it.next();
      if (writer == null || candidate.getClass().getName().startsWith("com.sun.imageio.")) {
        writer = candidate;
      }
    }
    if (writer == null) {
      throw new IOException("no JPEG writer available");
    }
    ImageWriteParam param = writer.getDefaultWriteParam();
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(quality);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    Files.write(file, bytes.toByteArray());
  }

  private static SplittableRandom imageRandom(SampleSpec spec, Split split, Item item) {
    return new SplittableRandom(seedFor(spec.seed(), split.stream, item.index()));
  }

  /** SplitMix64's finaliser over (seed, stream, index): well-spread, independent seeds. */
  static long seedFor(long seed, int stream, long index) {
    return mix64(mix64(seed + stream * 0x9E3779B97F4A7C15L) + index);
  }

  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static int[] permutation(int n, SplittableRandom r) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    shuffle(p, r);
    return p;
  }


  private static void writeLines(Path file, List<String> lines) throws IOException {
    Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
