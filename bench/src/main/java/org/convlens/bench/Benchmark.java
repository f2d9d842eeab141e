package org.convlens.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.attribution.AttributionBatch;
import org.convlens.attribution.AttributionMethod;
import org.convlens.attribution.AttributionSettings;
import org.convlens.attribution.Attributions;
import org.convlens.attribution.Occlusion;
import org.convlens.config.ConvLensHome;
import org.convlens.config.InvalidConfigException;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.InferenceSession.Objective;
import org.convlens.model.ModelCache;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelSpec;
import org.convlens.model.TopK;
import org.convlens.modelviz.InputMaximizer;
import org.convlens.modelviz.MaximizeSettings;
import org.convlens.modelviz.ModelVizRun;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;

/**
 * {@code convlens bench}: the figures of docs/benchmarks.md, measured side by side in one run.
 * Every "raw" figure runs the engine directly on {@code P} Java threads (P = the Spark session's
 * default parallelism, one session and one engine thread each — the same parallelism Spark's
 * tasks get), on random tensors of the model's input size; "Spark" figures run the analyze job
 * itself (listing, decoding, preprocessing, Parquet) on real images, after a warm-up run.
 */
public final class Benchmark {
  /**
   * @param cifarImages images for the bundled model's forward-path rows
   * @param imagenetImages images for the 224² model's forward-path rows
   * @param torchscript a ResNet-18-layout TorchScript model (tools/make_resnet18.py); null or
   *     missing = skip those rows
   * @param perturbationBatches perturbations-per-eval values timed for occlusion (1 is always added)
   * @param occlusionImages images per occlusion row (per thread)
   * @param scratch folder for the generated inputs and outputs
   */
  /** @param python the Python command named in the hint to make the ResNet-18 model ({@code --python}) */
  public record Options(int cifarImages, int imagenetImages, Path torchscript,
      List<Integer> perturbationBatches, int occlusionImages, Path scratch, String python) {
    /** A builder, so that a caller names each of the 7 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private int cifarImages;
      private int imagenetImages;
      private Path torchscript;
      private List<Integer> perturbationBatches;
      private int occlusionImages;
      private Path scratch;
      private String python;

      private Builder() {}

      public Builder cifarImages(int cifarImages) {
        this.cifarImages = cifarImages;
        return this;
      }

      public Builder imagenetImages(int imagenetImages) {
        this.imagenetImages = imagenetImages;
        return this;
      }

      public Builder torchscript(Path torchscript) {
        this.torchscript = torchscript;
        return this;
      }

      public Builder perturbationBatches(List<Integer> perturbationBatches) {
        this.perturbationBatches = perturbationBatches;
        return this;
      }

      public Builder occlusionImages(int occlusionImages) {
        this.occlusionImages = occlusionImages;
        return this;
      }

      public Builder scratch(Path scratch) {
        this.scratch = scratch;
        return this;
      }

      public Builder python(String python) {
        this.python = python;
        return this;
      }

      public Options build() {
        return new Options(cifarImages, imagenetImages, torchscript, perturbationBatches, occlusionImages, scratch,
            python);
      }
    }
  }

  /** Input-maximisation targets and steps per model: all 10 bundled classes; 4 ResNet classes. */
  private record Maximize(int targets, int steps) {}

  private final ConvLensConfig base;
  private final SparkSession spark;
  private final PrintStream out;
  private final int threads;

  private Benchmark(ConvLensConfig base, SparkSession spark, PrintStream out) {
    this.base = base;
    this.spark = spark;
    this.out = out;
    this.threads = spark.sparkContext().defaultParallelism();
  }

  public static void run(ConvLensConfig config, SparkSession spark, Options o, PrintStream out)
      throws Exception {
    Benchmark b = new Benchmark(config, spark, out);
    out.printf(Locale.ROOT, "bench: %d parallel task slots / raw threads, %d engine thread(s) each, %s, %d cores%n",
        b.threads, config.model().threads(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors());
    Files.createDirectories(o.scratch());
    // Bundled model, 32², its default occlusion windows.
    Path cifar = b.repeatCifar(o.cifarImages(), o.scratch().resolve("cifar-bench.bin"));
    b.model("bundled small CNN, 32²", ConvLensHome.bundledModel().toString(), cifar.toString(), "cifar10",
        o.cifarImages(), List.of(4, 8), List.of(), o, new Maximize(10, 128));
    if (o.torchscript() != null && Files.isRegularFile(o.torchscript())) {
      Path manifest = b.repeatImagenet(o.imagenetImages(), o.scratch().resolve("imagenet-bench.csv"));
      b.model("resnet18 TorchScript (random weights), 224²", o.torchscript().toString(), manifest.toString(),
          "manifest", o.imagenetImages(), List.of(16), List.of(8), o, new Maximize(4, 32));
    } else {
      out.println("bench: no ResNet-18 TorchScript model at " + o.torchscript()
          + "; make one with: " + o.python() + " tools/make_resnet18.py (needs PyTorch), then rerun");
    }
  }

  private void model(String title, String modelPath, String input, String format, int images,
      List<Integer> windows, List<Integer> strides, Options o, Maximize mx) throws Exception {
    out.println();
    out.println("== " + title + " ==");
    ModelSpec spec = new ModelSpec(modelPath, "cpu", base.model().threads(), base.model().interopThreads());
    Classifier model = ModelCache.get(spec);
    ModelDescription d = model.description();
    int batch = base.analyze().batchSize();
    AttributionSettings settings = Occlusion.withGrids(base.analyze().attribution(), windows, strides);
    String layer = model.defaultGradientLayer();
    int rawImages = Math.max(threads * batch, images);

    // warm-up: JIT and engine kernels
    rawForward(model, threads * batch, batch);
    rawGradients(model, threads * batch, batch, layer, false);

    double fwd = rawForward(model, rawImages, batch);
    row("raw engine forward", fwd, "img/s", "batch " + batch + ", " + threads + " threads");

    double sparkFwd = sparkAnalyze(modelPath, input, format, List.of(), images, o);
    row("analyze job, forward path (Spark, decode, Parquet)", sparkFwd, "img/s",
        String.format(Locale.ROOT, "%d images; Spark+Java overhead %.1f%% of raw engine time", images,
            100 * (fwd / sparkFwd - 1)));

    double fb = rawGradients(model, rawImages, batch, layer, false);
    row("raw forward+backward (input + " + layer + " gradients)", fb, "img/s", "");
    double fbLocked = rawGradients(model, rawImages, batch, layer, true);
    row("  same, one backward at a time (a GradientCollector-style lock)", fbLocked, "img/s",
        threads == 1 ? "one task thread: nothing runs concurrently, so the lock has nothing to hold back"
            : Speedup.words("concurrent backward", fb / fbLocked, "one at a time"));
    double one = rawGradientsOneThread(model, rawImages / threads, batch, layer);
    row("  same, one thread", one, "img/s", threads == 1 ? "the rows above ran on one thread too"
        : Speedup.words(threads + " threads", fb / one, "one"));

    AttributionSettings salCam = settings.withMethods(List.of("saliency", "gradcam"));
    double attributed = rawAttribution(model, rawImages, batch, salCam);
    row("saliency + Grad-CAM (the methods, maps encoded)", attributed, "img/s",
        String.format(Locale.ROOT, "cost = %.2f× one forward+backward", fb / attributed));
    double sparkSal = sparkAnalyze(modelPath, input, format, List.of("saliency", "gradcam"), images, o);
    row("analyze job, saliency + Grad-CAM (Spark)", sparkSal, "img/s",
        String.format(Locale.ROOT, "%d images", images));
    methods(model, settings, rawImages, batch, fb);

    // The forwards an image costs, as the method counts them (its progress unit).
    long positions = new Occlusion().extraForwardsPerImage(settings, d);
    int auto = settings.of(Occlusion.SPEC).perturbationsPerEval(d.input().channels() * d.input().height() * d.input().width());
    List<Integer> per = new ArrayList<>(List.of(1, auto));
    for (int p : o.perturbationBatches()) {
      if (!per.contains(p) && p > 0) {
        per.add(p);
      }
    }
    int occImages = o.occlusionImages() * threads;
    double best = Double.MAX_VALUE;
    int bestPer = 0;
    // Full re-inference first: every occluded copy a whole forward, as Captum runs it.
    AttributionSettings full = settings.with(Occlusion.INCREMENTAL, false);
    for (int p : per) {
      double sPerImage = occlusion(model, occImages, full.with(Occlusion.PERTURBATIONS_PER_EVAL, p));
      row("occlusion, perturbations-per-eval " + p, sPerImage, "s/image",
          String.format(Locale.ROOT, "windows %s strides %s, %d forwards/image, %d images on %d threads",
              windows, strides.isEmpty() ? "half" : strides, positions, occImages, threads));
      if (sPerImage < best) {
        best = sPerImage;
        bestPer = p;
      }
    }
    out.printf(Locale.ROOT, "  fastest perturbation batch: %d (the configured default gives %d)%n", bestPer, auto);
    incrementalPatches(model, full.with(Occlusion.PERTURBATIONS_PER_EVAL, auto), occImages);
    if (modelPath.endsWith(".pt")) {
      // PyTorch on the same file, threads and batches: the ratios are what carries between machines.
      Occlusion.Settings grids = settings.of(Occlusion.SPEC);
      List<Integer> windowStrides = new ArrayList<>();
      for (int i = 0; i < grids.windows().size(); i++) {
        windowStrides.add(grids.stride(i));
      }
      new TorchReference(o.python(), out).compare(Path.of(modelPath),
          new TorchReference.Work(threads * Math.max(1, base.model().threads()), batch, rawImages,
              new TorchReference.Occlusion(windows, windowStrides, bestPer, occImages)),
          fwd, fb, best);
    }

    maximize(model, modelPath, mx, o);
  }

  /**
   * Per window: full re-inference and incremental exact occlusion side by side, at the default
   * perturbation batch, and their ratio; one skipped row for a model without stages.
   */
  private void incrementalPatches(Classifier model, AttributionSettings full, int images) throws Exception {
    if (!model.incrementalPatches()) {
      out.printf(Locale.ROOT, "  %-66s %10s %-7s %s%n", "occlusion, incremental exact", "-", "",
          "skipped: the model has no stages ConvLens can run one at a time (full re-inference)");
      return;
    }
    Occlusion.Settings grids = full.of(Occlusion.SPEC);
    for (int k = 0; k < grids.windows().size(); k++) {
      int w = grids.windows().get(k);
      int s = grids.stride(k);
      AttributionSettings one = Occlusion.withGrids(full, List.of(w), List.of(s));
      double f = occlusion(model, images, one);
      double inc = occlusion(model, images, one.with(Occlusion.INCREMENTAL, true));
      String grid = String.format(Locale.ROOT, "w%d s%d", w, s);
      row("occlusion " + grid + ", full re-inference", f, "s/image",
          String.format(Locale.ROOT, "%d images on %d threads", images, threads));
      row("occlusion " + grid + ", incremental exact", inc, "s/image",
          Speedup.words("incremental", f / inc, "full re-inference"));
    }
  }

  /**
   * One row per registered method, alone, in the registry's order (a method added to {@link
   * Attributions#ALL} gets its row with no change here): images/s of its shared pass and its own
   * work, maps encoded, and its cost in units of one forward+backward ({@code fb}, img/s). Each
   * method gets about the images that {@code rawImages} forward+backward passes take (at least
   * one per thread), so a method of many passes per image costs about as long as the
   * forward+backward row; a method that refuses the model is listed with its reason.
   */
  private void methods(Classifier model, AttributionSettings settings, int rawImages, int batch, double fb)
      throws Exception {
    for (AttributionMethod m : Attributions.ALL) {
      AttributionSettings alone = settings.withMethods(List.of(m.name()));
      try {
        m.check(model, alone);
      } catch (InvalidConfigException e) {
        out.printf(Locale.ROOT, "  %-66s %10s %-7s %s%n", "method " + m.name(), "-", "", "skipped: " + e.getMessage());
        continue;
      }
      long passes = Attributions.forwardsPerImage(alone, model);
      int images = (int) Math.max(threads, Math.min(rawImages, 2L * rawImages / passes));
      int perBatch = Math.max(1, Math.min(batch, images / threads));
      double rate = rawAttribution(model, images, perBatch, alone);
      row("method " + m.name(), rate, "img/s", String.format(Locale.ROOT,
          "%.2f× one forward+backward (%d passes/image counted); %d images, batch %d", fb / rate, passes, images,
          perBatch));
    }
  }

  /**
   * Input maximisation: the optimiser on raw threads (targets split over them) against the whole
   * model-viz job (summary, grids, class vectors, one Spark task per target), in steps/s.
   */
  private void maximize(Classifier model, String modelPath, Maximize mx, Options o) throws Exception {
    ModelDescription d = model.description();
    MaximizeSettings s = base.modelViz().maximize().with(MaximizeSettings.STEPS, mx.steps());
    List<InputMaximizer.Target> targets = new ArrayList<>();
    for (int k = 0; k < mx.targets(); k++) {
      targets.add(new InputMaximizer.Target(Objective.Kind.CLASS, k, d.classNames().get(k), null));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    double raw;
    try {
      long start = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t;
        futures.add(pool.submit(() -> {
          try (InferenceSession session = model.newSession()) {
            for (int k = first; k < targets.size(); k += threads) {
              InputMaximizer.run(session, d, targets.get(k), s);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      raw = (double) mx.targets() * mx.steps() / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
    row("input maximisation, raw (targets split over threads)", raw, "steps/s",
        String.format(Locale.ROOT, "%d classes × %d steps, batch 1, %d threads", mx.targets(), mx.steps(), threads));
    List<String> classes = new ArrayList<>();
    for (int k = 0; k < mx.targets(); k++) {
      classes.add(String.valueOf(k));
    }
    java.util.Map<String, Object> options = new java.util.LinkedHashMap<>();
    options.put("model.path", modelPath);
    // A folder without an analysis: the class-mean aggregation is not what is timed here.
    options.put("output.dir", o.scratch().resolve("model-viz").toString());
    List<String> sets = List.of("model-viz.maximize.classes=[" + String.join(",", classes) + "]",
        "model-viz.maximize.steps=" + mx.steps(), "progress.interval-seconds=0");
    ModelVizRun.Summary job = Stages.modelViz(ConfigLoader.load(null, options, sets), spark,
        new PrintStream(OutputStream.nullOutputStream()));
    double jobRate = mx.targets() * mx.steps() / job.seconds();
    row("model-viz job (summary, filter grids, class vectors, maximisation)", jobRate, "steps/s",
        String.format(Locale.ROOT, "one task per class; %.1f s in all, %.0f%% of raw speed", job.seconds(),
            100 * jobRate / raw));
  }

  private void row(String what, double value, String unit, String note) {
    out.printf(Locale.ROOT, "  %-66s %10.2f %-7s %s%n", what, value, unit, note);
  }

  // ------------------------------------------------------------------- raw engine measurements

  private interface Work {
    void run(InferenceSession session, float[][] images) throws Exception;
  }

  /** Runs {@code work} over {@code total} random images in batches on {@code threads} threads; images/s. */
  private double parallel(Classifier model, int total, int batch, int nThreads, Work work) throws Exception {
    var in = model.description().input();
    int size = in.channels() * in.height() * in.width();
    int perThread = Math.max(1, total / nThreads);
    ExecutorService pool = Executors.newFixedThreadPool(nThreads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < nThreads; t++) {
        int seed = t;
        futures.add(pool.submit(() -> {
          Random r = new Random(seed);
          float[][] images = new float[batch][size];
          for (float[] x : images) {
            for (int p = 0; p < size; p++) {
              x[p] = (float) r.nextGaussian();
            }
          }
          try (InferenceSession s = model.newSession()) {
            for (int done = 0; done < perThread; done += batch) {
              int n = Math.min(batch, perThread - done);
              work.run(s, n == batch ? images : java.util.Arrays.copyOf(images, n));
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      return perThread * (double) nThreads / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  private double rawForward(Classifier model, int total, int batch) throws Exception {
    return parallel(model, total, batch, threads, (s, x) -> s.forward(x));
  }

  private double rawGradients(Classifier model, int total, int batch, String layer, boolean serialised)
      throws Exception {
    ReentrantLock lock = new ReentrantLock();
    return parallel(model, total, batch, threads, (s, x) -> {
      if (serialised) {
        lock.lock();
      }
      try {
        s.gradients(x, (i, logits) -> TopK.argmax(logits), layer);
      } finally {
        if (serialised) {
          lock.unlock();
        }
      }
    });
  }

  private double rawGradientsOneThread(Classifier model, int total, int batch, String layer) throws Exception {
    return parallel(model, total, batch, 1, (s, x) -> s.gradients(x, (i, logits) -> TopK.argmax(logits), layer));
  }

  private double rawAttribution(Classifier model, int total, int batch, AttributionSettings settings) throws Exception {
    return parallel(model, total, batch, threads, (s, x) -> {
      String[] ids = new String[x.length];
      java.util.Arrays.fill(ids, "bench");
      Attributions.attribute(AttributionBatch.run(s, model, settings, x, ids, (i, logits) -> TopK.argmax(logits)));
    });
  }

  /** Seconds per image of occlusion (wall time / images, all threads busy). */
  private double occlusion(Classifier model, int images, AttributionSettings settings) throws Exception {
    AttributionSettings occ = settings.withMethods(List.of("occlusion"));
    double imagesPerSecond = parallel(model, images, 1, threads, (s, x) ->
        new Occlusion().attribute(AttributionBatch.run(s, model, occ, x, new String[] {"bench"}, (i, l) -> TopK.argmax(l))));
    return 1 / imagesPerSecond;
  }

  // ------------------------------------------------------------------------- Spark measurements

  /** Images/s of the analyze job (warm: a small run first), output discarded. */
  private double sparkAnalyze(String modelPath, String input, String format, List<String> methods, int images,
      Options o) throws IOException {
    List<String> sets = new ArrayList<>(List.of(
        "analyze.methods=[" + String.join(",", methods) + "]",
        "progress.interval-seconds=0",
        "output.mode=overwrite"));
    java.util.Map<String, Object> options = new java.util.LinkedHashMap<>();
    options.put("input.paths", List.of(input));
    options.put("input.format", format);
    options.put("model.path", modelPath);
    options.put("output.dir", o.scratch().resolve("out").toString());
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    List<String> warm = new ArrayList<>(sets);
    warm.add("input.limit=" + Math.min(images, 4 * base.analyze().batchSize()));
    Stages.analyze(ConfigLoader.load(null, options, warm), spark, quiet);
    AnalyzeRun.Summary s = Stages.analyze(ConfigLoader.load(null, options, sets), spark, quiet);
    if (s.ok() != images) {
      throw new IllegalStateException("bench analyze run: " + s.ok() + " of " + images + " ok");
    }
    return s.imagesPerSecond();
  }

  /** A CIFAR-10 batch of {@code n} records, the sample test batch repeated. */
  private Path repeatCifar(int n, Path file) throws IOException {
    byte[] one = Files.readAllBytes(ConvLensHome.sampleData().resolve("cifar10/test_batch.bin"));
    int record = 3073;
    byte[] all = new byte[n * record];
    for (int i = 0; i < n; i++) {
      System.arraycopy(one, (i % (one.length / record)) * record, all, i * record, record);
    }
    Files.write(file, all);
    Files.copy(ConvLensHome.sampleData().resolve("cifar10/batches.meta.txt"),
        file.resolveSibling("batches.meta.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return file;
  }

  /**
   * A manifest of {@code n} lines naming {@code n} distinct files: copies of the sample ImageNet
   * validation images, repeated (the analyze job refuses a manifest line that names a file an
   * earlier line named, as a {@code duplicate} error row).
   */
  private Path repeatImagenet(int n, Path file) throws IOException {
    List<Path> val;
    try (var s = Files.list(ConvLensHome.sampleData().resolve("imagenet/val"))) {
      val = s.filter(Files::isRegularFile).sorted().toList();
    }
    Path copies = file.resolveSibling("imagenet-bench");
    Files.createDirectories(copies);
    List<String> lines = new ArrayList<>(List.of("path"));
    for (int i = 0; i < n; i++) {
      Path from = val.get(i % val.size());
      Path to = copies.resolve(String.format(Locale.ROOT, "%06d-%s", i, from.getFileName()));
      Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      lines.add(to.toAbsolutePath().toString());
    }
    Files.write(file, lines);
    return file;
  }

}
