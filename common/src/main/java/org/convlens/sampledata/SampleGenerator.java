package org.convlens.sampledata;

import static org.convlens.util.Shuffle.shuffle;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;
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
 * {@code imagenet/} as an ImageNet-style folder tree, with the spec's {@link ShortcutPlan}
 * planted, every image's cues listed in a CSV and the shortcuts themselves in
 * {@code shortcuts.json}, so audits have ground truth.
 *
 * <p>Deterministic: each image's {@link SplittableRandom} is seeded from (spec seed, split, image
 * index), each cue's from the image's seed and the shortcut's position in the plan, and the
 * order of classes in a split and the choice of the images that carry each cue come from a
 * generator seeded from (spec seed, split). Nothing depends on thread scheduling, hash order or
 * the clock, so equal specs give byte-identical files; and an image rendered with and without a
 * cue differs only by the cue.
 *
 * <p>Which images carry which cue: first each shortcut's own class gets its share ({@link
 * Shortcut#ownCount}), then in the evaluation splits each other class gets its few ({@link
 * Shortcut#othersCount}); every choice takes the images that carry the fewest cues so far (ties
 * broken at random; for other classes' cues, the fewest other classes' cues first), so cues share
 * an image only where the counts leave no other way, and an image carries a second cue of another
 * class only where every image of its class already carries one.
 *
 * <p>Layout written under the output root:
 *
 * <pre>
 * shortcuts.json                                the planted shortcuts (ground truth)
 * cifar10/data_batch_1.bin … data_batch_N.bin   training records
 * cifar10/test_batch.bin                        test records
 * cifar10/batches.meta.txt                      class names, one per line, label order
 * cifar10/test_markers.csv                      index,label,marked,cues,boxes per test record
 * imagenet/train/&lt;synset&gt;/&lt;synset&gt;_&lt;n&gt;.{png,jpg}
 * imagenet/val/VAL_&lt;8 digits&gt;.{png,JPEG}
 * imagenet/val_labels.csv                       filename,synset
 * imagenet/LOC_synset_mapping.txt               "n90000001 circle" per line
 * imagenet/imagenet_class_index.json            Keras style {"0": ["n90000001", "circle"], …}
 * imagenet/markers.csv                          path,synset,marked,cues,boxes per image
 * </pre>
 *
 * <p>In the CSVs, {@code marked} says whether the image carries a {@code marker} cue (the
 * column older readers know), {@code cues} lists every cue on it as {@code kind:class} tokens
 * joined by {@code ;} in plan order, and {@code boxes} gives, token for token, where a local cue
 * lies as {@code x y width height} in the image's own pixels (empty for a cue that covers the
 * whole image).
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
  public static final String GROUND_TRUTH = "shortcuts.json";
  public static final String TEST_MARKERS_HEADER = "index,label,marked,cues,boxes";
  public static final String IMAGENET_MARKERS_HEADER = "path,synset,marked,cues,boxes";

  /** Offset of the cue streams from the image's; shortcut k draws from stream CUE_STREAM + k. */
  private static final int CUE_STREAM = 16;

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

    boolean training() {
      return this == CIFAR_TRAIN || this == IMAGENET_TRAIN;
    }

    /** How many of the shortcut's own class's images carry its cue. */
    int ownCount(Shortcut s, int perClass) {
      return Shortcut.ownCount(training() ? s.trainRate() : s.testRate(), perClass);
    }

    /** How many images of each other class carry the cue: none in training data. */
    int othersCount(Shortcut s, int perClass) {
      return switch (this) {
        case CIFAR_TRAIN, IMAGENET_TRAIN -> 0;
        case CIFAR_TEST -> Shortcut.othersCount(s.otherClassesTestRate(), perClass);
        case IMAGENET_VAL -> Shortcut.othersCount(s.otherClassesValRate(), perClass);
      };
    }
  }

  /**
   * One image of a split.
   *
   * @param index position in the split (record index, or val file number minus one)
   * @param rank how many images of the same class come before it in the split
   * @param cues positions in the plan of the shortcuts whose cue the image carries, ascending
   */
  record Item(int index, SampleClass cls, int rank, List<Integer> cues) {
    Item {
      cues = List.copyOf(cues);
    }

    boolean carries(int shortcut) {
      return cues.contains(shortcut);
    }

    /** The same image with other cues. */
    Item withCues(List<Integer> other) {
      return new Item(index, cls, rank, other.stream().sorted().toList());
    }
  }

  /**
   * A rendered image and where its cues lie.
   *
   * @param boxes one per entry of the item's cues, in pixels; null for a cue over the whole image
   */
  record Rendered(BufferedImage image, List<Rectangle> boxes) {}

  private SampleGenerator() {}

  /** Writes both datasets and the ground truth {@value #GROUND_TRUTH} under {@code root}. */
  public static void generate(SampleSpec spec, Path root, PrintStream log) throws IOException {
    writeCifar10(spec, root.resolve(CIFAR_DIR), log);
    writeImageNet(spec, root.resolve(IMAGENET_DIR), log);
    writeGroundTruth(spec, root.resolve(GROUND_TRUTH));
    log.printf(Locale.ROOT, "wrote %s (%d shortcuts)%n", root.resolve(GROUND_TRUTH),
        spec.shortcuts().shortcuts().size());
  }

  /**
   * Writes the plan as {@value #GROUND_TRUTH}: {@link ShortcutPlan#toJson()} with, per shortcut,
   * the class's label and how many images carry the cue in each split (counted on the plans
   * written), and the control classes.
   */
  public static void writeGroundTruth(SampleSpec spec, Path file) throws IOException {
    ObjectNode root = spec.shortcuts().toJson();
    ArrayNode entries = (ArrayNode) root.get("shortcuts");
    List<Shortcut> shortcuts = spec.shortcuts().shortcuts();
    for (int k = 0; k < shortcuts.size(); k++) {
      Shortcut s = shortcuts.get(k);
      ObjectNode e = (ObjectNode) entries.get(k);
      e.put("label", s.target().label());
      ObjectNode images = e.putObject("images");
      for (Split split : Split.values()) {
        int own = 0;
        int others = 0;
        for (Item item : plan(spec, split)) {
          if (item.carries(k)) {
            own += item.cls() == s.target() ? 1 : 0;
            others += item.cls() == s.target() ? 0 : 1;
          }
        }
        String name = splitName(split);
        images.put(name, own);
        if (!split.training()) {
          images.put(name + "OtherClasses", others);
        }
      }
    }
    ArrayNode controls = root.putArray("controls");
    spec.shortcuts().controls().forEach(c -> controls.add(c.className()));
    DefaultPrettyPrinter pretty =
        new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
    Files.writeString(
        file,
        new ObjectMapper().writer(pretty).writeValueAsString(root) + "\n",
        StandardCharsets.UTF_8);
  }

  private static String splitName(Split split) {
    return switch (split) {
      case CIFAR_TRAIN -> "cifarTrain";
      case CIFAR_TEST -> "cifarTest";
      case IMAGENET_TRAIN -> "imagenetTrain";
      case IMAGENET_VAL -> "imagenetVal";
    };
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
      Files.write(file, cifarRecords(spec, Split.CIFAR_TRAIN, slice, null));
      log.printf(Locale.ROOT, "wrote %s (%d images)%n", file, slice.size());
    }

    List<Item> test = plan(spec, Split.CIFAR_TEST);
    List<List<Rectangle>> boxes = new ArrayList<>();
    Files.write(dir.resolve(TEST_BATCH), cifarRecords(spec, Split.CIFAR_TEST, test, boxes));
    writeLines(dir.resolve(CifarFormat.Variant.CIFAR10.metaFile), SampleClass.classNames());
    List<String> markers = new ArrayList<>(List.of(TEST_MARKERS_HEADER));
    for (Item item : test) {
      markers.add(item.index() + "," + item.cls().label() + "," + cueColumns(spec, item,
          boxes.get(item.index())));
    }
    writeLines(dir.resolve(TEST_MARKERS), markers);
    log.printf(
        Locale.ROOT,
        "wrote %s (%d images, %d marked, %d with a cue)%n",
        dir.resolve(TEST_BATCH),
        test.size(),
        test.stream().filter(i -> marked(spec, i)).count(),
        test.stream().filter(i -> !i.cues().isEmpty()).count());
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

    List<String> markers = new ArrayList<>(List.of(IMAGENET_MARKERS_HEADER));
    int marked = 0;
    for (Item item : plan(spec, Split.IMAGENET_TRAIN)) {
      String synset = item.cls().synset();
      Path classDir = Files.createDirectories(trainDir.resolve(synset));
      String name = synset + "_" + (item.rank() + 1);
      List<Rectangle> boxes = new ArrayList<>();
      String file =
          writeImageFile(spec, Split.IMAGENET_TRAIN, item, classDir, name, ".jpg", boxes);
      markers.add("train/" + synset + "/" + file + "," + synset + "," + cueColumns(spec, item,
          boxes));
      marked += marked(spec, item) ? 1 : 0;
    }
    List<String> valLabels = new ArrayList<>(List.of("filename,synset"));
    for (Item item : plan(spec, Split.IMAGENET_VAL)) {
      String synset = item.cls().synset();
      String name = String.format(Locale.ROOT, "VAL_%08d", item.index() + 1);
      List<Rectangle> boxes = new ArrayList<>();
      String file = writeImageFile(spec, Split.IMAGENET_VAL, item, valDir, name, ".JPEG", boxes);
      valLabels.add(file + "," + synset);
      markers.add("val/" + file + "," + synset + "," + cueColumns(spec, item, boxes));
      marked += marked(spec, item) ? 1 : 0;
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
    log.printf(Locale.ROOT, "wrote %s (%d files, %d marked)%n", dir, markers.size() - 1, marked);
  }

  /**
   * The images of a split, in order: which class each is and which cues it carries. Each class
   * has {@code perClass} images; which of them carry each cue is chosen as the class comment
   * says.
   */
  static List<Item> plan(SampleSpec spec, Split split) {
    int classes = SampleSpec.classCount();
    int perClass = split.perClass(spec);
    SplittableRandom r = new SplittableRandom(seedFor(spec.seed(), split.stream, -1));
    List<Shortcut> shortcuts = spec.shortcuts().shortcuts();

    // carries[label][rank]: the shortcuts whose cue that image carries, in plan order.
    List<List<List<Integer>>> carries = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      List<List<Integer>> ranks = new ArrayList<>();
      for (int k = 0; k < perClass; k++) {
        ranks.add(new ArrayList<>());
      }
      carries.add(ranks);
    }
    for (int k = 0; k < shortcuts.size(); k++) {
      Shortcut s = shortcuts.get(k);
      List<List<Integer>> ranks = carries.get(s.target().label());
      choose(ranks, k, split.ownCount(s, perClass), rank -> ranks.get(rank).size(), r);
    }
    for (int k = 0; k < shortcuts.size(); k++) {
      Shortcut s = shortcuts.get(k);
      for (SampleClass cls : SampleClass.values()) {
        if (cls != s.target()) {
          List<List<Integer>> ranks = carries.get(cls.label());
          // Other classes' cues weigh most: an image gets a second one only when all have one.
          ToIntFunction<Integer> load =
              rank -> {
                List<Integer> cues = ranks.get(rank);
                long foreign = cues.stream().filter(c -> shortcuts.get(c).target() != cls).count();
                return (int) foreign * (shortcuts.size() + 1) + cues.size();
              };
          choose(ranks, k, split.othersCount(s, perClass), load, r);
        }
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
      List<Integer> cues = carries.get(labels[i]).get(rank).stream().sorted().toList();
      items.add(new Item(i, SampleClass.ofLabel(labels[i]), rank, cues));
    }
    return items;
  }

  /**
   * Adds shortcut {@code k} to {@code count} of one class's images: those of least {@code load}
   * that do not carry it yet, ties in the order of a random permutation.
   */
  private static void choose(
      List<List<Integer>> ranks, int k, int count, ToIntFunction<Integer> load,
      SplittableRandom r) {
    int[] order = permutation(ranks.size(), r);
    Integer[] byLoad = new Integer[ranks.size()];
    for (int i = 0; i < byLoad.length; i++) {
      byLoad[i] = order[i];
    }
    // A stable sort keeps the permutation's order among images of equal load.
    Arrays.sort(byLoad, Comparator.comparingInt(load));
    int added = 0;
    for (int i = 0; i < byLoad.length && added < count; i++) {
      List<Integer> cues = ranks.get(byLoad[i]);
      if (!cues.contains(k)) {
        cues.add(k);
        added++;
      }
    }
  }

  /** Whether {@code item} carries a {@code marker} cue: the CSVs' {@code marked} column. */
  static boolean marked(SampleSpec spec, Item item) {
    return item.cues().stream()
        .anyMatch(k -> spec.shortcuts().shortcuts().get(k).cue() instanceof Marker);
  }

  /** The CIFAR image of {@code item}, cues included, as a 32×32 image. */
  static Rendered renderCifar(SampleSpec spec, Split split, Item item) {
    return render(spec, split, item, CifarFormat.SIDE, imageRandom(spec, split, item));
  }

  /** The {@code marked,cues,boxes} columns of an image's row in the markers CSVs. */
  private static String cueColumns(SampleSpec spec, Item item, List<Rectangle> boxes) {
    List<String> tokens = new ArrayList<>();
    List<String> places = new ArrayList<>();
    for (int i = 0; i < item.cues().size(); i++) {
      tokens.add(spec.shortcuts().shortcuts().get(item.cues().get(i)).token());
      Rectangle b = boxes.get(i);
      places.add(b == null ? "" : b.x + " " + b.y + " " + b.width + " " + b.height);
    }
    return marked(spec, item) + "," + String.join(";", tokens) + "," + String.join(";", places);
  }

  /** The records of {@code items}; each one's cue boxes go to {@code boxes} when not null. */
  private static byte[] cifarRecords(
      SampleSpec spec, Split split, List<Item> items, List<List<Rectangle>> boxes) {
    int recordBytes = CifarFormat.Variant.CIFAR10.recordBytes();
    byte[] out = new byte[items.size() * recordBytes];
    for (int i = 0; i < items.size(); i++) {
      Item item = items.get(i);
      Rendered rendered = renderCifar(spec, split, item);
      CifarFormat.writeCifar10(
          out, i * recordBytes, item.cls().label(), planarRgb(rendered.image()));
      if (boxes != null) {
        boxes.add(rendered.boxes());
      }
    }
    return out;
  }

  /**
   * Renders and writes one ImageNet-style file; its side and format are the first draws of the
   * image's generator. Returns the file name.
   */
  private static String writeImageFile(
      SampleSpec spec, Split split, Item item, Path dir, String stem, String jpegExtension,
      List<Rectangle> boxes)
      throws IOException {
    SplittableRandom r = imageRandom(spec, split, item);
    int side =
        spec.imagenetMinSide() + r.nextInt(spec.imagenetMaxSide() - spec.imagenetMinSide() + 1);
    boolean png = r.nextDouble() < spec.pngFraction();
    Rendered rendered = render(spec, split, item, side, r);
    boxes.addAll(rendered.boxes());
    BufferedImage image = rendered.image();
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

  /**
   * Renders {@code item}: the scene from {@code r}, with background cues painted in place of its
   * background, then the other cues stage by stage ({@link ShortcutCue.Stage}) and, within a
   * stage, in plan order, each from its own generator.
   */
  private static Rendered render(
      SampleSpec spec, Split split, Item item, int side, SplittableRandom r) {
    double sigma = SampleClass.between(r, spec.noiseSigma() / 3, spec.noiseSigma());
    List<Shortcut> shortcuts = spec.shortcuts().shortcuts();
    List<ShortcutCue> backgrounds = new ArrayList<>();
    List<SplittableRandom> backgroundRandoms = new ArrayList<>();
    for (int k : item.cues()) {
      ShortcutCue cue = shortcuts.get(k).cue();
      if (cue.stage() == ShortcutCue.Stage.BACKGROUND) {
        backgrounds.add(cue);
        backgroundRandoms.add(cueRandom(spec, split, item, k));
      }
    }
    SceneRenderer.Background background =
        backgrounds.isEmpty()
            ? null
            : (g, mean) -> {
                for (int i = 0; i < backgrounds.size(); i++) {
                  backgrounds.get(i).paintBackground(g, mean, backgroundRandoms.get(i));
                }
              };
    BufferedImage image = SceneRenderer.render(item.cls(), side, sigma, r, background);
    Rectangle[] boxes = new Rectangle[item.cues().size()];
    for (ShortcutCue.Stage stage : ShortcutCue.Stage.values()) {
      if (stage == ShortcutCue.Stage.BACKGROUND) {
        continue;
      }
      for (int i = 0; i < boxes.length; i++) {
        int k = item.cues().get(i);
        ShortcutCue cue = shortcuts.get(k).cue();
        if (cue.stage() == stage) {
          boxes[i] = cue.paint(image, cueRandom(spec, split, item, k));
        }
      }
    }
    return new Rendered(image, Arrays.asList(boxes));
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

  /** Shortcut {@code k}'s generator on {@code item}: apart from the scene's and other cues'. */
  private static SplittableRandom cueRandom(SampleSpec spec, Split split, Item item, int k) {
    return new SplittableRandom(
        seedFor(seedFor(spec.seed(), split.stream, item.index()), CUE_STREAM + k, 0));
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
