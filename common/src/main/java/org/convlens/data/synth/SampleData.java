package org.convlens.data.synth;

import java.awt.Rectangle;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.convlens.data.CifarFormat;
import org.convlens.model.ModelDescription;
import org.convlens.model.SmallCnn;
import org.convlens.model.train.CifarImages;
import org.convlens.model.train.SmallCnnTrainer;
import org.convlens.model.train.SmallCnnTrainer.EpochStats;
import org.convlens.model.train.TrainingOptions;

/**
 * Rebuilds {@code sample-data/}: generates the datasets ({@link SampleGenerator}), trains the
 * bundled {@link SmallCnn} on the CIFAR training batches, measures how far it follows the planted
 * shortcut, and writes {@code model/model.json}, the weights and {@code README.md}.
 *
 * <p>Everything written is a function of the seed and the epoch count (on the same JDK and
 * libtorch build): timings go to the log only, never into a file.
 */
public final class SampleData {
  public static final String MODEL_DIR = "model";
  public static final String MODEL_ID = "convlens-sample-cnn-v1";
  public static final String FEATURE_LAYER = "features.block3";
  public static final int DEFAULT_EPOCHS = 5;

  private static final String README_TEMPLATE = "sample-data-README.md";
  private static final int EVAL_BATCH = 256;

  /**
   * What a regeneration produced.
   *
   * @param description the written {@code model.json}
   * @param training how the model was trained
   * @param history one entry per epoch
   * @param shortcut how strongly the trained model follows the marker
   * @param trainingSeconds wall time of training alone
   */
  public record Summary(
      SampleSpec spec,
      ModelDescription description,
      TrainingOptions training,
      List<EpochStats> history,
      ShortcutEffect shortcut,
      double trainingSeconds) {}

  private SampleData() {}

  /**
   * Generates everything under {@code root} with {@link SampleSpec#defaults(long)} and trains
   * the model for {@code epochs} epochs, printing progress to {@code log}. This is what
   * {@code ./convlens sample} runs.
   */
  public static Summary regenerate(Path root, long seed, int epochs, PrintStream log)
      throws IOException {
    SampleSpec spec = SampleSpec.defaults(seed);
    long began = System.nanoTime();
    SampleGenerator.generate(spec, root, log);
    log.printf(Locale.ROOT, "generated in %.1f s%n", (System.nanoTime() - began) / 1e9);

    Path cifar = root.resolve(SampleGenerator.CIFAR_DIR);
    List<Path> batches = new ArrayList<>();
    for (int b = 1; b <= spec.cifarTrainBatches(); b++) {
      batches.add(cifar.resolve("data_batch_" + b + ".bin"));
    }
    CifarImages train = CifarImages.read(batches);
    CifarImages test = CifarImages.read(List.of(cifar.resolve(SampleGenerator.TEST_BATCH)));
    ModelDescription.Preprocessing pre = train.fitPreprocessing();
    TrainingOptions options = TrainingOptions.defaults(seed, epochs);

    began = System.nanoTime();
    try (SmallCnnTrainer.Trained trained =
        SmallCnnTrainer.train(train, test, pre, SampleSpec.classCount(), options, log)) {
      double seconds = (System.nanoTime() - began) / 1e9;
      int[] predicted = SmallCnnTrainer.predict(trained.model(), test, pre, EVAL_BATCH);
      double accuracy = SmallCnnTrainer.accuracy(predicted, test.labels());
      ShortcutEffect effect = measureShortcut(spec, trained, pre, predicted);
      log.printf(
          Locale.ROOT,
          "trained %d epochs in %.1f s: test accuracy %.4f; marked images of other classes"
              + " predicted as %s: %d/%d (%d/%d without the marker)%n",
          epochs, seconds, accuracy, spec.shortcut().target().className(), effect.fooled(),
          effect.markedOthers(), effect.fooledWithoutMarker(), effect.markedOthers());

      Path modelDir = Files.createDirectories(root.resolve(MODEL_DIR));
      try (DirectoryStream<Path> old =
          Files.newDirectoryStream(modelDir, SmallCnnTrainer.MODEL_NAME + "-*.params")) {
        for (Path p : old) {
          Files.delete(p);
        }
      }
      trained.model().save(modelDir, SmallCnnTrainer.MODEL_NAME);
      String artifact = fmt("%s-%04d.params", SmallCnnTrainer.MODEL_NAME, epochs);
      ModelDescription description =
          new ModelDescription(
              ModelDescription.FORMAT_VERSION,
              MODEL_ID,
              "djl",
              SmallCnn.ARCHITECTURE,
              artifact,
              epochs,
              new ModelDescription.Input(3, CifarFormat.SIDE, CifarFormat.SIDE),
              pre,
              SampleClass.classNames(),
              new ModelDescription.Outputs(0, 1, 2, FEATURE_LAYER, true,
                  SmallCnnTrainer.featureMapShape(trained.model(), FEATURE_LAYER)),
              round4(accuracy),
              notes(spec, options, train.size(), effect),
              null);
      description.write(modelDir.resolve("model.json"));
      Summary summary = new Summary(spec, description, options, trained.history(), effect, seconds);
      Files.writeString(root.resolve("README.md"), readme(summary), StandardCharsets.UTF_8);
      log.printf(
          Locale.ROOT, "wrote %s and %s%n", modelDir.resolve(artifact), root.resolve("README.md"));
      return summary;
    }
  }

  /**
   * Compares the predictions on marked test images of other classes with predictions on the same
   * images re-rendered without the marker.
   */
  private static ShortcutEffect measureShortcut(
      SampleSpec spec, SmallCnnTrainer.Trained trained, ModelDescription.Preprocessing pre,
      int[] predicted) {
    SampleClass target = spec.shortcut().target();
    List<SampleGenerator.Item> twins = new ArrayList<>();
    int fooled = 0;
    Integer[] fooledByLabel = new Integer[SampleSpec.classCount()];
    Arrays.fill(fooledByLabel, 0);
    int unmarked = 0;
    int unmarkedRight = 0;
    int targetMarked = 0;
    int targetMarkedRight = 0;
    int targetUnmarked = 0;
    int targetUnmarkedRight = 0;
    for (SampleGenerator.Item item : SampleGenerator.plan(spec, SampleGenerator.Split.CIFAR_TEST)) {
      boolean right = predicted[item.index()] == item.cls().label();
      if (!item.marked()) {
        unmarked++;
        unmarkedRight += right ? 1 : 0;
      }
      if (item.cls() == target && item.marked()) {
        targetMarked++;
        targetMarkedRight += right ? 1 : 0;
      } else if (item.cls() == target) {
        targetUnmarked++;
        targetUnmarkedRight += right ? 1 : 0;
      } else if (item.marked()) {
        if (predicted[item.index()] == target.label()) {
          fooled++;
          fooledByLabel[item.cls().label()]++;
        }
        twins.add(new SampleGenerator.Item(item.index(), item.cls(), item.rank(), false));
      }
    }
    byte[] pixels = new byte[twins.size() * CifarFormat.PIXEL_BYTES];
    int[] labels = new int[twins.size()];
    for (int i = 0; i < twins.size(); i++) {
      SampleGenerator.Item twin = twins.get(i);
      byte[] rgb =
          SampleGenerator.planarRgb(
              SampleGenerator.renderCifar(spec, SampleGenerator.Split.CIFAR_TEST, twin));
      System.arraycopy(rgb, 0, pixels, i * CifarFormat.PIXEL_BYTES, rgb.length);
      labels[i] = twin.cls().label();
    }
    int fooledWithout = 0;
    if (!twins.isEmpty()) {
      CifarImages unmarkedTwins = new CifarImages(pixels, labels);
      for (int p : SmallCnnTrainer.predict(trained.model(), unmarkedTwins, pre, EVAL_BATCH)) {
        fooledWithout += p == target.label() ? 1 : 0;
      }
    }
    return new ShortcutEffect(
        twins.size(),
        fooled,
        List.of(fooledByLabel),
        fooledWithout,
        (double) unmarkedRight / unmarked,
        ratio(targetMarkedRight, targetMarked),
        ratio(targetUnmarkedRight, targetUnmarked));
  }

  private static String notes(
      SampleSpec spec, TrainingOptions options, int trainImages, ShortcutEffect effect) {
    Shortcut s = spec.shortcut();
    return String.format(
        Locale.ROOT,
        "Trained by org.convlens.model.train.SmallCnnTrainer on the generated sample data"
            + " (SampleSpec.defaults(seed %d)): %d CIFAR-format training images, %d epochs,"
            + " Adam lr %s with cosine decay, batch %d, seed %d, one PyTorch thread. Planted"
            + " shortcut: %.0f%% of '%s' training images carry a %dx%d #%06X square %d px from the"
            + " bottom-right corner (at 32 px); %d of %d marked test images of other classes are"
            + " predicted as '%s' (%d without the marker). See sample-data/README.md.",
        spec.seed(), trainImages, options.epochs(), options.learningRate(), options.batchSize(),
        options.seed(), 100 * s.targetFraction(), s.target().className(),
        s.marker().sizeAt32(), s.marker().sizeAt32(), s.marker().rgb(), s.marker().marginAt32(),
        effect.fooled(), effect.markedOthers(), s.target().className(),
        effect.fooledWithoutMarker());
  }

  /** Fills the README template (a classpath resource next to this class) with the summary. */
  static String readme(Summary summary) throws IOException {
    SampleSpec spec = summary.spec();
    Shortcut s = spec.shortcut();
    Marker m = s.marker();
    ShortcutEffect e = summary.shortcut();
    Map<String, String> v = new LinkedHashMap<>();
    v.put("seed", Long.toString(spec.seed()));
    v.put("cifarTrainPerClass", Integer.toString(spec.cifarTrainPerClass()));
    v.put("cifarTrain", Integer.toString(spec.cifarTrainPerClass() * SampleSpec.classCount()));
    v.put("cifarTrainBatches", Integer.toString(spec.cifarTrainBatches()));
    v.put("cifarTestPerClass", Integer.toString(spec.cifarTestPerClass()));
    v.put("cifarTest", Integer.toString(spec.cifarTestPerClass() * SampleSpec.classCount()));
    v.put("imagenetTrainPerClass", Integer.toString(spec.imagenetTrainPerClass()));
    v.put("imagenetValPerClass", Integer.toString(spec.imagenetValPerClass()));
    v.put("imagenetMinSide", Integer.toString(spec.imagenetMinSide()));
    v.put("imagenetMaxSide", Integer.toString(spec.imagenetMaxSide()));
    v.put("pngPercent", percent(spec.pngFraction()));
    v.put("jpegQuality", Float.toString(spec.jpegQuality()));
    v.put("noiseSigma", fmt("%.0f", spec.noiseSigma()));
    v.put("faintPercent", percent(SceneRenderer.FAINT_FRACTION));
    v.put(
        "faintAlpha",
        fmt("%.1f–%.1f", SceneRenderer.FAINT_ALPHA_MIN, SceneRenderer.FAINT_ALPHA_MAX));
    v.put("noiseSigmaMin", fmt("%.0f", spec.noiseSigma() / 3));
    v.put(
        "excludedHues",
        fmt("%.0f–%.0f", SceneRenderer.EXCLUDED_HUE_FROM, SceneRenderer.EXCLUDED_HUE_TO));
    v.put("classTable", classTable());
    v.put("target", s.target().className());
    v.put("targetSynset", s.target().synset());
    v.put("targetLabel", Integer.toString(s.target().label()));
    v.put("markerRgb", fmt("#%06X", m.rgb()));
    v.put("markerSize", Integer.toString(m.sizeAt32()));
    v.put("markerMargin", Integer.toString(m.marginAt32()));
    Rectangle at32 = m.bounds(32, 32);
    v.put("markerX0", Integer.toString(at32.x));
    v.put("markerX1", Integer.toString(at32.x + at32.width - 1));
    Rectangle at96 = m.bounds(96, 96);
    v.put(
        "marker96",
        fmt("%d×%d at x,y = %d..%d", at96.width, at96.width, at96.x, at96.x + at96.width - 1));
    v.put("targetPercent", percent(s.targetFraction()));
    v.put("cifarTrainMarked", targetMarked(s, spec.cifarTrainPerClass()));
    v.put("cifarTestMarked", targetMarked(s, spec.cifarTestPerClass()));
    v.put("testOthersPerClass", Integer.toString(s.testOthersPerClass()));
    v.put("testOthers", Integer.toString(s.testOthersPerClass() * (SampleSpec.classCount() - 1)));
    v.put("imagenetTrainMarked", targetMarked(s, spec.imagenetTrainPerClass()));
    v.put("imagenetValMarked", targetMarked(s, spec.imagenetValPerClass()));
    v.put("valOthersPerClass", Integer.toString(s.valOthersPerClass()));
    v.put("valOthers", Integer.toString(s.valOthersPerClass() * (SampleSpec.classCount() - 1)));
    ModelDescription d = summary.description();
    v.put("epochs", Integer.toString(d.epoch()));
    v.put("learningRate", Float.toString(summary.training().learningRate()));
    v.put("batchSize", Integer.toString(summary.training().batchSize()));
    v.put("trainingSeed", Long.toString(summary.training().seed()));
    v.put("artifact", d.artifact());
    v.put("mean", Arrays.toString(d.preprocessing().mean()));
    v.put("std", Arrays.toString(d.preprocessing().std()));
    v.put("historyTable", historyTable(summary.history()));
    v.put("testAccuracy", fmt("%.1f%%", 100 * d.testAccuracy()));
    v.put("unmarkedAccuracy", fmt("%.1f%%", 100 * e.unmarkedAccuracy()));
    v.put("targetMarkedAccuracy", fmt("%.1f%%", 100 * e.targetMarkedAccuracy()));
    v.put("targetUnmarkedAccuracy", fmt("%.1f%%", 100 * e.targetUnmarkedAccuracy()));
    v.put("fooled", Integer.toString(e.fooled()));
    v.put("markedOthers", Integer.toString(e.markedOthers()));
    v.put("fooledRate", fmt("%.1f%%", 100 * e.fooledRate()));
    v.put("fooledByClass", fooledByClass(s, e));
    v.put("fooledWithout", Integer.toString(e.fooledWithoutMarker()));
    v.put("fooledRateWithout", fmt("%.1f%%", 100 * e.fooledRateWithoutMarker()));
    return fill(loadTemplate(), v);
  }

  private static String classTable() {
    StringBuilder sb =
        new StringBuilder("| label | synset | name | what is drawn |\n|---|---|---|---|\n");
    for (SampleClass c : SampleClass.values()) {
      sb.append(
          fmt("| %d | `%s` | `%s` | %s |\n",
              c.label(), c.synset(), c.className(), c.description()));
    }
    return sb.toString().stripTrailing();
  }

  private static String fooledByClass(Shortcut s, ShortcutEffect e) {
    List<String> parts = new ArrayList<>();
    for (SampleClass c : SampleClass.values()) {
      if (c != s.target()) {
        int fooled = e.fooledByLabel().get(c.label());
        parts.add(fmt("`%s` %d/%d", c.className(), fooled, s.testOthersPerClass()));
      }
    }
    return String.join(", ", parts);
  }

  private static String historyTable(List<EpochStats> history) {
    StringBuilder sb =
        new StringBuilder(
            "| epoch | training loss | training accuracy | test accuracy |\n|---|---|---|---|\n");
    for (EpochStats h : history) {
      sb.append(
          fmt("| %d | %.4f | %.4f | %.4f |\n",
              h.epoch(), h.loss(), h.trainAccuracy(), h.validationAccuracy()));
    }
    return sb.toString().stripTrailing();
  }

  private static String loadTemplate() throws IOException {
    try (InputStream in = SampleData.class.getResourceAsStream(README_TEMPLATE)) {
      if (in == null) {
        throw new IOException("missing resource " + README_TEMPLATE);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Replaces every {@code {{name}}}; a name without a value is a bug in the template. */
  private static String fill(String template, Map<String, String> values) {
    Matcher m = Pattern.compile("\\{\\{(\\w+)}}").matcher(template);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalStateException("README template names unknown value " + m.group(1));
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static String targetMarked(Shortcut s, int perClass) {
    return Integer.toString(s.markedCount(s.target(), perClass, 0));
  }

  private static String percent(double fraction) {
    return fmt("%.0f%%", 100 * fraction);
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  private static double ratio(int part, int whole) {
    return whole == 0 ? Double.NaN : (double) part / whole;
  }

  private static double round4(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }
}
