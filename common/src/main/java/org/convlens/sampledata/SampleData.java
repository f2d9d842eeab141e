package org.convlens.sampledata;

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
import org.convlens.sampledata.train.CifarImages;
import org.convlens.sampledata.train.SmallCnnTrainer;
import org.convlens.sampledata.train.SmallCnnTrainer.EpochStats;
import org.convlens.sampledata.train.TrainingOptions;

/**
 * Rebuilds {@code sample-data/}: generates the datasets ({@link SampleGenerator}), trains the
 * bundled {@link SmallCnn} on the CIFAR training batches, measures how far it follows each
 * planted shortcut ({@link ShortcutEffect}), and writes {@code model/model.json}, the weights
 * and {@code README.md}.
 *
 * <p>Everything written is a function of the seed, the epoch count and the shortcut plan (on the
 * same JDK and libtorch build): timings go to the log only, never into a file.
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
   * @param shortcuts how strongly the trained model follows each shortcut, in plan order
   * @param cleanImages test images that carry no cue
   * @param cleanAccuracy accuracy on those
   * @param trainingSeconds wall time of training alone
   */
  public record Summary(
      SampleSpec spec,
      ModelDescription description,
      TrainingOptions training,
      List<EpochStats> history,
      List<ShortcutEffect> shortcuts,
      int cleanImages,
      double cleanAccuracy,
      double trainingSeconds) {
    public Summary {
      shortcuts = List.copyOf(shortcuts);
    }

    /** A builder, so that a caller names each of the 8 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private SampleSpec spec;
      private ModelDescription description;
      private TrainingOptions training;
      private List<EpochStats> history;
      private List<ShortcutEffect> shortcuts;
      private int cleanImages;
      private double cleanAccuracy;
      private double trainingSeconds;

      private Builder() {}

      public Builder spec(SampleSpec spec) {
        this.spec = spec;
        return this;
      }

      public Builder description(ModelDescription description) {
        this.description = description;
        return this;
      }

      public Builder training(TrainingOptions training) {
        this.training = training;
        return this;
      }

      public Builder history(List<EpochStats> history) {
        this.history = history;
        return this;
      }

      public Builder shortcuts(List<ShortcutEffect> shortcuts) {
        this.shortcuts = shortcuts;
        return this;
      }

      public Builder cleanImages(int cleanImages) {
        this.cleanImages = cleanImages;
        return this;
      }

      public Builder cleanAccuracy(double cleanAccuracy) {
        this.cleanAccuracy = cleanAccuracy;
        return this;
      }

      public Builder trainingSeconds(double trainingSeconds) {
        this.trainingSeconds = trainingSeconds;
        return this;
      }

      public Summary build() {
        return new Summary(spec, description, training, history, shortcuts, cleanImages, cleanAccuracy,
            trainingSeconds);
      }
    }
  }

  private SampleData() {}

  /**
   * Generates everything under {@code root} with {@link SampleSpec#defaults(long)} and trains
   * the model for {@code epochs} epochs, printing progress to {@code log}. This is what
   * {@code ./convlens sample} runs.
   */
  public static Summary regenerate(Path root, long seed, int epochs, PrintStream log)
      throws IOException {
    return regenerate(root, SampleSpec.defaults(seed), epochs, log);
  }

  /**
   * The same with other shortcuts ({@code ./convlens sample --shortcuts FILE}): a new benchmark
   * dataset, its model and its README.
   */
  public static Summary regenerate(Path root, SampleSpec spec, int epochs, PrintStream log)
      throws IOException {
    long seed = spec.seed();
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
      List<SampleGenerator.Item> items =
          SampleGenerator.plan(spec, SampleGenerator.Split.CIFAR_TEST);
      int clean = 0;
      int cleanRight = 0;
      for (SampleGenerator.Item item : items) {
        if (item.cues().isEmpty()) {
          clean++;
          cleanRight += predicted[item.index()] == item.cls().label() ? 1 : 0;
        }
      }
      double cleanAccuracy = ratio(cleanRight, clean);
      log.printf(
          Locale.ROOT,
          "trained %d epochs in %.1f s: test accuracy %.4f (%.4f on the %d images without a cue)%n",
          epochs, seconds, accuracy, cleanAccuracy, clean);
      List<ShortcutEffect> effects = new ArrayList<>();
      for (int k = 0; k < spec.shortcuts().shortcuts().size(); k++) {
        ShortcutEffect e = measureShortcut(spec, k, items, trained, pre, predicted);
        effects.add(e);
        log.printf(
            Locale.ROOT,
            "%s: planted on other classes, predicted %s %d/%d; cue added to clean images of"
                + " other classes %d/%d -> %d/%d; cue removed from %s's own, right %d/%d"
                + " -> %d/%d%n",
            e.shortcut().token(), e.shortcut().target().className(), e.plantedFooled(),
            e.plantedOthers(), e.cleanOthersAsTarget(), e.cleanOthers(),
            e.cleanOthersAsTargetWithCue(), e.cleanOthers(), e.shortcut().target().className(),
            e.ownCarriersRight(), e.ownCarriers(), e.ownCarriersRightWithoutCue(),
            e.ownCarriers());
      }

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
          ModelDescription.builder()
              .formatVersion(ModelDescription.FORMAT_VERSION)
              .id(MODEL_ID)
              .engine("djl")
              .architecture(SmallCnn.ARCHITECTURE)
              .artifact(artifact)
              .epoch(epochs)
              .input(new ModelDescription.Input(3, CifarFormat.SIDE, CifarFormat.SIDE))
              .preprocessing(pre)
              .classNames(SampleClass.classNames())
              .outputs(ModelDescription.Outputs.builder()
                  .logits(0)
                  .embedding(1)
                  .featureMap(2)
                  .featureLayer(FEATURE_LAYER)
                  .featureMapDelta(true)
                  .featureMapShape(SmallCnnTrainer.featureMapShape(trained.model(), FEATURE_LAYER))
                  .build())
              .testAccuracy(round4(accuracy))
              .notes(notes(spec, options, train.size(), effects))
              .layers(null)
              .build();
      description.write(modelDir.resolve("model.json"));
      Summary summary =
          Summary.builder()
              .spec(spec)
              .description(description)
              .training(options)
              .history(trained.history())
              .shortcuts(effects)
              .cleanImages(clean)
              .cleanAccuracy(cleanAccuracy)
              .trainingSeconds(seconds)
              .build();
      Files.writeString(root.resolve("README.md"), readme(summary), StandardCharsets.UTF_8);
      log.printf(
          Locale.ROOT, "wrote %s and %s%n", modelDir.resolve(artifact), root.resolve("README.md"));
      return summary;
    }
  }

  /**
   * Measures shortcut {@code k} ({@link ShortcutEffect}): the planted images from the batch's own
   * predictions, the two cue swaps by rendering the images again with the cue added or removed.
   */
  private static ShortcutEffect measureShortcut(
      SampleSpec spec, int k, List<SampleGenerator.Item> items, SmallCnnTrainer.Trained trained,
      ModelDescription.Preprocessing pre, int[] predicted) {
    Shortcut shortcut = spec.shortcuts().shortcuts().get(k);
    int target = shortcut.target().label();
    int planted = 0;
    int fooled = 0;
    Integer[] fooledByLabel = new Integer[SampleSpec.classCount()];
    Arrays.fill(fooledByLabel, 0);
    List<SampleGenerator.Item> cleanOthers = new ArrayList<>();
    int cleanAsTarget = 0;
    List<SampleGenerator.Item> ownCarriers = new ArrayList<>();
    int ownRight = 0;
    for (SampleGenerator.Item item : items) {
      boolean asTarget = predicted[item.index()] == target;
      if (item.cls() != shortcut.target() && item.carries(k)) {
        planted++;
        if (asTarget) {
          fooled++;
          fooledByLabel[item.cls().label()]++;
        }
      } else if (item.cls() != shortcut.target() && item.cues().isEmpty()) {
        cleanOthers.add(item.withCues(List.of(k)));
        cleanAsTarget += asTarget ? 1 : 0;
      } else if (item.cls() == shortcut.target() && item.carries(k)) {
        ownCarriers.add(
            item.withCues(item.cues().stream().filter(c -> c != k).toList()));
        ownRight += asTarget ? 1 : 0;
      }
    }
    int cleanAsTargetWithCue = 0;
    for (int p : predictRendered(spec, cleanOthers, trained, pre)) {
      cleanAsTargetWithCue += p == target ? 1 : 0;
    }
    int ownRightWithout = 0;
    for (int p : predictRendered(spec, ownCarriers, trained, pre)) {
      ownRightWithout += p == target ? 1 : 0;
    }
    return ShortcutEffect.builder()
        .shortcut(shortcut)
        .plantedOthers(planted)
        .plantedFooled(fooled)
        .plantedFooledByLabel(List.of(fooledByLabel))
        .cleanOthers(cleanOthers.size())
        .cleanOthersAsTarget(cleanAsTarget)
        .cleanOthersAsTargetWithCue(cleanAsTargetWithCue)
        .ownCarriers(ownCarriers.size())
        .ownCarriersRight(ownRight)
        .ownCarriersRightWithoutCue(ownRightWithout)
        .build();
  }

  /** Renders CIFAR test {@code items} again (as they are given) and predicts them. */
  private static int[] predictRendered(
      SampleSpec spec, List<SampleGenerator.Item> items, SmallCnnTrainer.Trained trained,
      ModelDescription.Preprocessing pre) {
    if (items.isEmpty()) {
      return new int[0];
    }
    byte[] pixels = new byte[items.size() * CifarFormat.PIXEL_BYTES];
    int[] labels = new int[items.size()];
    for (int i = 0; i < items.size(); i++) {
      SampleGenerator.Item item = items.get(i);
      byte[] rgb =
          SampleGenerator.planarRgb(
              SampleGenerator.renderCifar(spec, SampleGenerator.Split.CIFAR_TEST, item).image());
      System.arraycopy(rgb, 0, pixels, i * CifarFormat.PIXEL_BYTES, rgb.length);
      labels[i] = item.cls().label();
    }
    return SmallCnnTrainer.predict(trained.model(), new CifarImages(pixels, labels), pre,
        EVAL_BATCH);
  }

  private static String notes(
      SampleSpec spec, TrainingOptions options, int trainImages, List<ShortcutEffect> effects) {
    List<String> cues = new ArrayList<>();
    for (ShortcutEffect e : effects) {
      Shortcut s = e.shortcut();
      cues.add(
          fmt("%s on %.0f%% of '%s' training images (cue added to clean test images of other"
                  + " classes: %.0f%% -> %.0f%% predicted '%s')",
              s.cue().kind(), 100 * s.trainRate(), s.target().className(),
              100 * e.fooledRateWithoutCue(), 100 * e.fooledRateWithCue(),
              s.target().className()));
    }
    return fmt(
        "Trained by org.convlens.sampledata.train.SmallCnnTrainer on the generated sample data"
            + " (seed %d): %d CIFAR-format training images, %d epochs, Adam lr %s with cosine"
            + " decay, batch %d, seed %d, one PyTorch thread. Planted shortcuts: %s. Ground"
            + " truth in shortcuts.json; see the sample data's README.md.",
        spec.seed(), trainImages, options.epochs(), options.learningRate(), options.batchSize(),
        options.seed(), cues.isEmpty() ? "none" : String.join("; ", cues));
  }

  /** Fills the README template (a classpath resource next to this class) with the summary. */
  static String readme(Summary summary) throws IOException {
    SampleSpec spec = summary.spec();
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
    v.put("planDescription", spec.shortcuts().description().isEmpty()
        ? "" : spec.shortcuts().description() + "\n\n");
    v.put("shortcutTable", shortcutTable(spec));
    v.put("countTable", countTable(spec));
    v.put("controls", spec.shortcuts().controls().isEmpty() ? "none"
        : String.join(", ", spec.shortcuts().controls().stream()
            .map(c -> "`" + c.className() + "`").toList()));
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
    v.put("cleanAccuracy", fmt("%.1f%%", 100 * summary.cleanAccuracy()));
    v.put("cleanImages", Integer.toString(summary.cleanImages()));
    v.put("effectTable", effectTable(summary.shortcuts()));
    v.put("fooledByClassTable", fooledByClassTable(summary.shortcuts()));
    return fill(loadTemplate(), v);
  }

  /** One row per shortcut: class, kind, what is painted, rates. */
  private static String shortcutTable(SampleSpec spec) {
    StringBuilder sb =
        new StringBuilder(
            "| class | kind | what is painted | training rate | test rate | other classes' test"
                + " images | other classes' val images |\n|---|---|---|---|---|---|---|\n");
    for (Shortcut s : spec.shortcuts().shortcuts()) {
      sb.append(
          fmt("| `%s` (%d) | `%s` | %s | %s | %s | %s | %s |\n",
              s.target().className(), s.target().label(), s.cue().kind(), s.cue().description(),
              percent(s.trainRate()), percent(s.testRate()), percent(s.otherClassesTestRate()),
              percent(s.otherClassesValRate())));
    }
    return sb.toString().stripTrailing();
  }

  /** One row per shortcut: how many images carry the cue, per split, counted on the plans. */
  private static String countTable(SampleSpec spec) {
    StringBuilder sb =
        new StringBuilder(
            "| cue | `cifar10` train | `cifar10` test | test, other classes | `imagenet/train` |"
                + " `imagenet/val` | val, other classes |\n|---|---|---|---|---|---|---|\n");
    List<Shortcut> shortcuts = spec.shortcuts().shortcuts();
    Map<SampleGenerator.Split, List<SampleGenerator.Item>> plans = new LinkedHashMap<>();
    for (SampleGenerator.Split split : SampleGenerator.Split.values()) {
      plans.put(split, SampleGenerator.plan(spec, split));
    }
    for (int k = 0; k < shortcuts.size(); k++) {
      Shortcut s = shortcuts.get(k);
      List<String> cells = new ArrayList<>();
      for (SampleGenerator.Split split : SampleGenerator.Split.values()) {
        int own = 0;
        int others = 0;
        for (SampleGenerator.Item item : plans.get(split)) {
          if (item.carries(k)) {
            own += item.cls() == s.target() ? 1 : 0;
            others += item.cls() == s.target() ? 0 : 1;
          }
        }
        cells.add(fmt("%d of %d", own, split.perClass(spec)));
        if (!split.training()) {
          cells.add(fmt("%d (%d per class)", others, others / (SampleSpec.classCount() - 1)));
        }
      }
      sb.append(fmt("| `%s` | %s |\n", s.token(), String.join(" | ", cells)));
    }
    return sb.toString().stripTrailing();
  }

  /** One row per shortcut: the three measures of {@link ShortcutEffect}. */
  private static String effectTable(List<ShortcutEffect> effects) {
    StringBuilder sb =
        new StringBuilder(
            "| cue | planted on other classes: predicted as the class | cue added to clean"
                + " images of other classes: predicted as the class, without → with | cue removed"
                + " from the class's own: accuracy, with → without |\n|---|---|---|---|\n");
    for (ShortcutEffect e : effects) {
      sb.append(
          fmt("| `%s` | %d of %d (%s) | %d images: %s → **%s** | %d images: %s → %s |\n",
              e.shortcut().token(), e.plantedFooled(), e.plantedOthers(),
              pct(e.plantedFooledRate()), e.cleanOthers(), pct(e.fooledRateWithoutCue()),
              pct(e.fooledRateWithCue()), e.ownCarriers(), pct(e.ownAccuracyWithCue()),
              pct(e.ownAccuracyWithoutCue())));
    }
    return sb.toString().stripTrailing();
  }

  /** Planted images of each other class predicted as the shortcut's class. */
  private static String fooledByClassTable(List<ShortcutEffect> effects) {
    StringBuilder sb = new StringBuilder("| cue |");
    StringBuilder rule = new StringBuilder("|---|");
    for (SampleClass c : SampleClass.values()) {
      sb.append(" `").append(c.className()).append("` |");
      rule.append("---|");
    }
    sb.append('\n').append(rule).append('\n');
    for (ShortcutEffect e : effects) {
      sb.append("| `").append(e.shortcut().token()).append("` |");
      // Every other class carries as many planted images (Shortcut.othersCount).
      int perClass = e.plantedOthers() / (SampleSpec.classCount() - 1);
      for (SampleClass c : SampleClass.values()) {
        if (c == e.shortcut().target()) {
          sb.append(" – |");
        } else {
          sb.append(fmt(" %d/%d |", e.plantedFooledByLabel().get(c.label()), perClass));
        }
      }
      sb.append('\n');
    }
    return sb.toString().stripTrailing();
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

  private static String pct(double fraction) {
    return Double.isNaN(fraction) ? "–" : fmt("%.1f%%", 100 * fraction);
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
