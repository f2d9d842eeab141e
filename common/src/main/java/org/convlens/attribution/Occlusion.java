package org.convlens.attribution;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.Choice;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.ModelDescription;
import org.convlens.model.TopK;
import org.convlens.model.Softmax;

/**
 * Occlusion sensitivity (Zeiler & Fergus, 2014) with Captum's window placement: a square window
 * slides over the image with a stride, every channel under it set to the baseline; per position
 * the target class's probability, its drop against the unoccluded image and the arg-max class
 * (the class map) are kept, one grid per configured window.
 *
 * <p>Positions per side: {@code ceil((L − window) / stride) + 1}, window r covering {@code
 * [r·stride, min(r·stride + window, L))} — the last one clipped at the edge, as in Captum's
 * {@code Occlusion}. Captum then averages the drops into a per-pixel map; we keep the grid (the
 * paper's figure), from which that map follows. Scores are softmax probabilities, not logits.
 *
 * <p>Occluded copies of all images and windows of the batch are evaluated {@code
 * analyze.occlusion.perturbations-per-eval} at a time (Captum's {@code perturbations_per_eval}),
 * which bounds memory to that many copies plus one forward's activations.
 */
public final class Occlusion implements PerturbationGridMethod {
  public static final String NAME = "occlusion";
  /** run.json's entry of the baseline the analysis ran with (the audit reuses grids made with it). */
  static final String BASELINE_ENTRY = NAME + "_baseline";
  // Its keys under analyze.* and audit.quality.*, declared here with their defaults, ranges and
  // docs; AttributionSettings holds its Settings through the registry, the audit reads its audit key
  // through PerturbationGridMethod, and conf/convlens.conf holds the same keys
  // (ConfFileMatchesDeclaredKeysTest).
  public static final Key<List<Integer>> WINDOWS = Key.ints(AttributionSettings.P + "occlusion.windows", List.of(4, 8),
      "square occlusion window sides in input pixels, one grid per window")
      .<Integer>each(w -> w >= 1 && w <= 4096, "window sides from 1 to 4096");
  public static final Key<List<Integer>> STRIDES = Key.ints(AttributionSettings.P + "occlusion.strides", List.of(),
      "one stride for all windows, one per window, or [] = half of each window");
  public static final Key<Baseline> BASELINE = Key.choice(AttributionSettings.P + "occlusion.baseline", Baseline.class,
      Baseline.GREY, "what an occluded pixel becomes");
  public static final Key<Integer> PERTURBATIONS_PER_EVAL = Key.integer(AttributionSettings.P + "occlusion.perturbations-per-eval", 0,
      "occluded copies per forward pass (Captum's perturbations_per_eval); 0 = auto")
      .allow(p -> p >= 0 && p <= 4096, "0 (auto) or integers from 1 to 4096");
  public static final Key<Boolean> INCREMENTAL = Key.bool(AttributionSettings.P + "occlusion.incremental", true,
      "recompute only what each window reaches, stage by stage (exact; models with stages, else full re-inference)");
  public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, WINDOWS, STRIDES, BASELINE,
      PERTURBATIONS_PER_EVAL, INCREMENTAL);
  /** The audit's key: cascade steps at which occlusion is re-run (see {@link #cascadeSteps()}). */
  public static final Key<Integer> CASCADE_STEPS = Key.integer("audit.quality.occlusion-steps", 4,
      "cascade steps at which occlusion is re-run (0 = every step)").within(0, 10_000);

  /** Input values per occlusion forward that {@code perturbations-per-eval = 0} aims for. */
  public static final int AUTO_VALUES_PER_EVAL = 1 << 20;

  /**
   * {@code analyze.occlusion.*}.
   *
   * @param windows square window sides, one grid per window
   * @param strides one stride for all windows, one per window, or empty = half of each window
   * @param baseline what an occluded pixel becomes
   * @param perturbationsPerEval occluded copies per forward pass (Captum's {@code
   *     perturbations_per_eval}); bounds the memory of occlusion; 0 = auto (see {@link
   *     #perturbationsPerEval(int)})
   * @param incremental whether each occluded copy recomputes only the part of every stage its
   *     window reaches (Krypton's incremental inference; same logits within float rounding), on
   *     models that support it ({@link Classifier#incrementalPatches()}); others, and false,
   *     run every copy as a full forward
   */
  public record Settings(List<Integer> windows, List<Integer> strides, Baseline baseline, int perturbationsPerEval,
      boolean incremental) implements Serializable {
    public Settings {
      windows = List.copyOf(windows);
      strides = List.copyOf(strides);
      checkGrids(windows, strides);
      PERTURBATIONS_PER_EVAL.check(perturbationsPerEval);
    }

    /** The stride of window {@code i}. */
    public int stride(int i) {
      return strideOf(windows, strides, i);
    }

    /**
     * Occluded copies per forward for a model input of {@code values} numbers (C·H·W): the
     * configured value, or for 0 (auto) about {@link #AUTO_VALUES_PER_EVAL} input values per
     * forward, 1 to 64 copies — 64 at 32², 6 at 224². Large batches of large inputs were slower
     * (docs/benchmarks.md), as was measured for PyTorch on the build machine: big activation buffers go back to
     * the OS and fault in again.
     */
    public int perturbationsPerEval(int values) {
      if (perturbationsPerEval > 0) {
        return perturbationsPerEval;
      }
      return Math.max(1, Math.min(64, AUTO_VALUES_PER_EVAL / Math.max(1, values)));
    }

    /** These settings with other windows and strides. */
    public Settings withGrids(List<Integer> windows, List<Integer> strides) {
      return new Settings(windows, strides, baseline, perturbationsPerEval, incremental);
    }
  }

  /** {@code settings} with other occlusion windows and strides (benchmarks and tests). */
  public static AttributionSettings withGrids(AttributionSettings settings, List<Integer> windows,
      List<Integer> strides) {
    return settings.with(settings.of(SPEC).withGrids(windows, strides));
  }

  /** What an occluded pixel is set to (all channels). */
  public enum Baseline implements Choice {
    /** Pixel value 0.5 on the [0,1] scale, then normalised like the image. */
    GREY("grey"),
    /** Pixel value 0. */
    BLACK("black"),
    /** The normalisation mean, i.e. 0 after normalisation (Captum's default baseline). */
    MEAN("mean"),
    /** The image's own per-channel mean. */
    IMAGE_MEAN("image-mean");

    private final String code;

    Baseline(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }
  }

  public static final StructType GRID =
      new StructType()
          .add("window", DataTypes.IntegerType, false)
          .add("stride", DataTypes.IntegerType, false)
          .add("rows", DataTypes.IntegerType, false)
          .add("cols", DataTypes.IntegerType, false)
          .add("target_prob", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("drop", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("argmax", DataTypes.createArrayType(DataTypes.IntegerType, false), false);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SettingsSpec<Settings> settingsSpec() {
    return SPEC;
  }

  static int strideOf(List<Integer> windows, List<Integer> strides, int i) {
    if (strides.isEmpty()) {
      return Math.max(1, windows.get(i) / 2);
    }
    return strides.size() == 1 ? strides.get(0) : strides.get(i);
  }

  /** The windows and strides' cross-checks (each key alone is checked by its declaration). */
  static void checkGrids(List<Integer> windows, List<Integer> strides) {
    if (windows.isEmpty()) {
      throw new InvalidConfigException(WINDOWS.path(), WINDOWS.path() + " must list at least one window side");
    }
    WINDOWS.check(windows);
    if (strides.size() > 1 && strides.size() != windows.size()) {
      throw new InvalidConfigException(STRIDES.path(), STRIDES.path() + " has " + strides.size() + " values for "
          + windows.size() + " windows: give none (half of each window), one, or one per window");
    }
    for (int i = 0; i < windows.size(); i++) {
      int s = strideOf(windows, strides, i);
      if (s < 1 || s > windows.get(i)) {
        throw InvalidConfigException.range(STRIDES.path(), s,
            "strides from 1 to the window side (" + windows.get(i) + "), as Captum requires");
      }
    }
  }

  @Override
  public String title() {
    return NAME;
  }

  @Override
  public List<StructField> fields() {
    return List.of(new StructField(NAME, DataTypes.createArrayType(GRID, false), true, Metadata.empty()));
  }

  @Override
  public StructType gridSchema() {
    return GRID;
  }

  @Override
  public List<Integer> windows(AttributionSettings settings) {
    return settings.of(SPEC).windows();
  }

  @Override
  public int stride(AttributionSettings settings, int i) {
    return settings.of(SPEC).stride(i);
  }

  @Override
  public AttributionSettings withGrid(AttributionSettings settings, int window, int stride) {
    return withGrids(settings, List.of(window), List.of(stride));
  }

  @Override
  public AttributionSettings withPerturbationsPerEval(AttributionSettings settings, int perturbations) {
    return settings.with(PERTURBATIONS_PER_EVAL, perturbations);
  }

  @Override
  public String baseline(AttributionSettings settings) {
    return settings.of(SPEC).baseline().code();
  }

  @Override
  public String baselineEntry() {
    return BASELINE_ENTRY;
  }

  @Override
  public AttributionSettings withBaseline(AttributionSettings settings, String code) {
    try {
      return settings.with(BASELINE, Choice.parse(Baseline.class, BASELINE.path(), code));
    } catch (InvalidConfigException e) {
      return null;
    }
  }

  @Override
  public Key<Integer> cascadeSteps() {
    return CASCADE_STEPS;
  }

  /** Second: the model's own probability drop, coarser than a layer map but model-agnostic. */
  @Override
  public int attentionRank() {
    return 2;
  }

  /**
   * Captum's per-pixel attribution of the smallest window's grid (see {@link #pixelAttribution}),
   * clamped at 0: a window whose removal raises the target probability is not where the model
   * looks.
   */
  @Override
  public Plane attentionPlane(Row row, int inputH, int inputW) {
    int i = row.fieldIndex(NAME);
    if (row.isNullAt(i)) {
      return null;
    }
    List<Row> grids = Maps.rows(row.get(i));
    if (grids.isEmpty()) {
      return null;
    }
    Row smallest = grids.get(0);
    for (Row g : grids) {
      if (g.getInt(0) < smallest.getInt(0)) {
        smallest = g;
      }
    }
    return new Plane(pixelAttribution(smallest, inputH, inputW), inputH, inputW);
  }

  /**
   * Captum's occlusion attribution per pixel from one stored grid: the mean of {@code max(drop,
   * 0)} over every window position covering the pixel (0 where none does).
   */
  @Override
  public float[] pixelMap(Row grid, int h, int w) {
    return pixelAttribution(grid, h, w);
  }

  /** Captum's per-pixel attribution of one stored grid (see {@link #pixelMap}). */
  public static float[] pixelAttribution(Row grid, int h, int w) {
    int window = grid.getInt(0);
    int stride = grid.getInt(1);
    int rows = grid.getInt(2);
    int cols = grid.getInt(3);
    float[] drop = Maps.floats(grid.get(5));
    float[] sum = new float[h * w];
    int[] count = new int[h * w];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        float d = Math.max(0f, drop[r * cols + c]);
        for (int y = r * stride; y < Math.min(h, r * stride + window); y++) {
          for (int x = c * stride; x < Math.min(w, c * stride + window); x++) {
            sum[y * w + x] += d;
            count[y * w + x]++;
          }
        }
      }
    }
    for (int p = 0; p < sum.length; p++) {
      sum[p] = count[p] == 0 ? 0 : sum[p] / count[p];
    }
    return sum;
  }

  /** Its windows with their strides, the baseline and the perturbation batch. */
  @Override
  public Map<String, Object> recorded(AttributionSettings settings, Classifier model) {
    Map<String, Object> out = new LinkedHashMap<>();
    Settings own = settings.of(SPEC);
    List<Map<String, Object>> grids = new ArrayList<>();
    for (int i = 0; i < own.windows().size(); i++) {
      // Ordered: Map.of's order changes from one JVM to the next, and run.json must not.
      Map<String, Object> grid = new LinkedHashMap<>();
      grid.put("window", own.windows().get(i));
      grid.put("stride", own.stride(i));
      grids.add(grid);
    }
    out.put(NAME, grids);
    out.put(BASELINE_ENTRY, own.baseline().code());
    out.put("perturbations_per_eval", own.perturbationsPerEval());
    out.put(NAME + "_incremental", incremental(own, model));
    return out;
  }

  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    return null;
  }

  @Override
  public void check(Classifier model, AttributionSettings settings) {
    ModelDescription.Input in = model.description().input();
    for (int w : settings.of(SPEC).windows()) {
      if (w > Math.min(in.height(), in.width())) {
        throw InvalidConfigException.range("analyze.occlusion.windows", w,
            "window sides up to the model's input size " + in.height() + "×" + in.width());
      }
    }
  }

  /** One forward per window position, for every window. */
  @Override
  public long extraForwardsPerImage(AttributionSettings settings, ModelDescription model) {
    Settings own = settings.of(SPEC);
    long n = 0;
    for (int k = 0; k < own.windows().size(); k++) {
      int w = own.windows().get(k);
      n += (long) positions(model.input().height(), w, own.stride(k))
          * positions(model.input().width(), w, own.stride(k));
    }
    return n;
  }

  @Override
  public int windowPositions(int length, int window, int stride) {
    return positions(length, window, stride);
  }

  /** Positions along a side of length {@code length}: Captum's {@code ceil((L − w)/s) + 1}. */
  public static int positions(int length, int window, int stride) {
    return (length - window + stride - 1) / stride + 1;
  }

  /** One occluded copy: image, window index, position. */
  private record Job(int image, int window, int position) {}

  @Override
  public Object[][] attribute(AttributionBatch batch) {
    Settings s = batch.settings().of(SPEC);
    ModelDescription d = batch.description();
    int c = d.input().channels();
    int h = d.input().height();
    int w = d.input().width();
    int windows = s.windows().size();
    int[] rows = new int[windows];
    int[] cols = new int[windows];
    for (int k = 0; k < windows; k++) {
      rows[k] = positions(h, s.windows().get(k), s.stride(k));
      cols[k] = positions(w, s.windows().get(k), s.stride(k));
    }
    float[][][] prob = new float[batch.size()][windows][];
    int[][][] argmax = new int[batch.size()][windows][];
    for (int i = 0; i < batch.size(); i++) {
      for (int k = 0; k < windows; k++) {
        prob[i][k] = new float[rows[k] * cols[k]];
        argmax[i][k] = new int[rows[k] * cols[k]];
      }
    }
    float[][] baselines = new float[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      baselines[i] = baseline(s.baseline(), d, batch.images()[i]);
    }
    int per = s.perturbationsPerEval(c * h * w);
    if (incremental(s, batch.model())) {
      // One image and window at a time: the copies of one image share its unoccluded activations.
      for (int i = 0; i < batch.size(); i++) {
        for (int k = 0; k < windows; k++) {
          List<InferenceSession.Patch> patches = new ArrayList<>();
          for (int p = 0; p < rows[k] * cols[k]; p++) {
            patches.add(windowPatch(s, k, cols[k], p, d, baselines[i]));
          }
          float[][] logits = batch.patchedLogits(i, patches, per, true);
          for (int p = 0; p < logits.length; p++) {
            keep(logits[p], batch.target(i), prob[i][k], argmax[i][k], p);
          }
        }
      }
    } else {
      fullReinference(batch, s, per, cols, baselines, prob, argmax);
    }
    Object[][] out = new Object[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      float p0 = batch.probabilities(i)[batch.target(i)];
      Row[] grids = new Row[windows];
      for (int k = 0; k < windows; k++) {
        float[] drop = new float[prob[i][k].length];
        for (int p = 0; p < drop.length; p++) {
          drop[p] = p0 - prob[i][k][p];
        }
        grids[k] = RowFactory.create(s.windows().get(k), s.stride(k), rows[k], cols[k],
            prob[i][k], drop, argmax[i][k]);
      }
      out[i] = new Object[] {grids};
    }
    return out;
  }

  /** Whether these settings run incrementally on {@code model} (null: as configured). */
  static boolean incremental(Settings s, Classifier model) {
    return s.incremental() && (model == null || model.incrementalPatches());
  }

  /**
   * Position {@code p} of window {@code k} (a grid of {@code cols} columns) as a patch: the window,
   * clipped to the image, set to the baseline of each channel.
   */
  private static InferenceSession.Patch windowPatch(Settings s, int k, int cols, int p, ModelDescription d,
      float[] baseline) {
    int c = d.input().channels();
    int window = s.windows().get(k);
    int top = (p / cols) * s.stride(k);
    int left = (p % cols) * s.stride(k);
    int height = Math.min(window, d.input().height() - top);
    int width = Math.min(window, d.input().width() - left);
    float[] values = new float[c * height * width];
    for (int ch = 0; ch < c; ch++) {
      java.util.Arrays.fill(values, ch * height * width, (ch + 1) * height * width, baseline[ch]);
    }
    return new InferenceSession.Patch(top, left, height, width, values);
  }

  /** Keeps, at position {@code p}, the target's probability and the arg-max class of one copy's logits. */
  private static void keep(float[] logits, int target, float[] prob, int[] argmax, int p) {
    float[] pr = Softmax.softmax(logits);
    prob[p] = pr[target];
    argmax[p] = TopK.argmax(pr);
  }

  /**
   * Every occluded copy as a full forward, the copies of all images and windows of the batch
   * packed {@code per} at a time.
   */
  private static void fullReinference(AttributionBatch batch, Settings s, int per, int[] cols, float[][] baselines,
      float[][][] prob, int[][][] argmax) {
    ModelDescription d = batch.description();
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      for (int k = 0; k < s.windows().size(); k++) {
        for (int p = 0; p < prob[i][k].length; p++) {
          jobs.add(new Job(i, k, p));
        }
      }
    }
    for (int start = 0; start < jobs.size(); start += per) {
      int n = Math.min(per, jobs.size() - start);
      float[][] copies = new float[n][];
      for (int j = 0; j < n; j++) {
        Job job = jobs.get(start + j);
        copies[j] = windowPatch(s, job.window(), cols[job.window()], job.position(), d, baselines[job.image()])
            .applyTo(batch.images()[job.image()], d.input().height(), d.input().width());
      }
      float[][] logits = batch.logitsOf(copies);
      for (int j = 0; j < n; j++) {
        Job job = jobs.get(start + j);
        keep(logits[j], batch.target(job.image()), prob[job.image()][job.window()], argmax[job.image()][job.window()],
            job.position());
      }
    }
  }

  /** The baseline per channel, in the model's normalised input space. */
  static float[] baseline(Baseline kind, ModelDescription d, float[] image) {
    int c = d.input().channels();
    float[] mean = d.preprocessing().mean();
    float[] std = d.preprocessing().std();
    float[] b = new float[c];
    int plane = d.input().height() * d.input().width();
    for (int ch = 0; ch < c; ch++) {
      b[ch] = switch (kind) {
        case GREY -> (0.5f - mean[ch]) / std[ch];
        case BLACK -> (0f - mean[ch]) / std[ch];
        case MEAN -> 0f;
        case IMAGE_MEAN -> {
          double sum = 0;
          for (int p = 0; p < plane; p++) {
            sum += image[ch * plane + p];
          }
          yield (float) (sum / plane);
        }
      };
    }
    return b;
  }

}
