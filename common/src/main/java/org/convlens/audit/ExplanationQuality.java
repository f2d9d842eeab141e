package org.convlens.audit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.convlens.analyze.Analyzer;
import org.convlens.attribution.AttributionBatch;
import org.convlens.attribution.AttributionMethod;
import org.convlens.attribution.AttributionSettings;
import org.convlens.attribution.Attributions;
import org.convlens.attribution.PerturbationGridMethod;
import org.convlens.data.HadoopConf;
import org.convlens.data.ImageOps;
import org.convlens.data.InputException;
import org.convlens.data.InputReader;
import org.convlens.data.InputSchema;
import org.convlens.data.Preprocessor;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelLoader;
import org.convlens.model.ModelSpec;
import org.convlens.model.ParameterRandomizer;
import org.convlens.model.Softmax;

/**
 * How far each explanation method can be trusted, measured on a sample of images on the
 * executors (each task loads its own copy of the model, since the check rewrites its weights).
 *
 * <p><b>Model-parameter randomisation</b> (Adebayo et al., NeurIPS 2018), cascading: the layers
 * are randomised one more at a time from the top (the logits) down ({@link ParameterRandomizer}),
 * and after each step every method's map of the same image and the same target class is compared
 * with the trained model's by Spearman rank correlation of the absolute values (the paper's "absolute-value" variant). A map that the
 * explanation of a random model reproduces does not explain the model: it should fall towards 0.
 *
 * <p><b>Deletion and insertion</b> (Petsiuk, Das and Saenko, "RISE", BMVC 2018): pixels are
 * removed (set to 0 in the normalised input, the dataset mean colour) in the map's order, most
 * important first, or inserted in that order into a Gaussian-blurred copy of the image; the
 * target-class probability traced over the share of pixels changed gives a curve whose area
 * (trapezoid, x in [0, 1]) is the score: low for deletion and high for insertion are good. The
 * same curves in a random pixel order ("random") are the reference a method must beat.
 *
 * <p><b>Cost</b>, where it departs from the papers: the perturbation-grid method ({@link
 * PerturbationGridMethod}), the costly map (one forward per window position), is checked at one
 * window; in the cascade it is re-run only at {@code gridSteps} of the steps and with its window
 * laid as tiles (stride = window), compared with the trained model's tiles. The trained model's
 * grid can come from the analysis ({@link #STORED_GRID}). The curves' images of a whole chunk go
 * through the model in full batches, and the ends every curve of an image shares go through
 * once. Rows carry each image's figures; {@link QualityFigures} averages them and gives their
 * intervals.
 */
public final class ExplanationQuality {
  public static final String RANDOMIZATION = "randomization";
  public static final String DELETION = "deletion";
  public static final String INSERTION = "insertion";
  public static final String RANDOM_ORDER = "random";
  /** The kind of a row for an image that could not be read again. */
  public static final String ERROR = "error";
  /**
   * The kind of a row that carries a task's CPU seconds in one part of the check ({@code method}:
   * {@link #SHARED_PASS}, a method's name, {@link #CURVES}, {@link #MODEL_LOAD}, {@link #TASK});
   * id is empty.
   */
  public static final String CPU_SECONDS = "cpu_seconds";
  /** The forward and backward that the gradient and layer-attribution methods read their maps from. */
  public static final String SHARED_PASS = "shared pass";
  /** The deletion and insertion forwards. */
  public static final String CURVES = "curves";
  /** Loading the task's private model copy and reading the images. */
  public static final String MODEL_LOAD = "model and images";
  /** All of a task, the parts above included. */
  public static final String TASK = "task";

  /** The registry's perturbation-grid method, the one method the checks treat apart. */
  private static final PerturbationGridMethod GRID = Attributions.perturbationGrid();

  /**
   * Optional column of the sampled rows: the analysis's own perturbation grid ({@link
   * PerturbationGridMethod#gridSchema()}) of the checked window, used as the trained model's
   * instead of computing it again.
   */
  public static final String STORED_GRID = "_" + GRID.column();

  /** One measurement of one image. */
  public static final StructType ROW = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("method", DataTypes.StringType, false)
      .add("kind", DataTypes.StringType, false)
      .add("step", DataTypes.IntegerType, false)
      .add("layer", DataTypes.StringType, true)
      .add("value", DataTypes.DoubleType, true)
      .add("curve", DataTypes.createArrayType(DataTypes.FloatType, false), true)
      .add("error", DataTypes.StringType, true);

  /**
   * @param model how tasks load their private copy
   * @param attribution the analysis's attribution settings with {@code methods} = the methods
   *     checked and one perturbation-grid window (with its stride): the maps whose deletion and
   *     insertion curves are measured
   * @param cascadeLayers randomisation steps (0 = every layer)
   * @param gridSteps cascade steps at which the perturbation-grid method is re-run, spread evenly
   *     from the first to the last (0 = every step)
   * @param curveSteps deletion / insertion steps
   * @param blurSigma σ (input pixels) of the insertion start image
   * @param seed seed of the random weights and the random pixel order
   */
  public record Options(ModelSpec model, ModelDescription description, AttributionSettings attribution,
      long maxFileBytes, long maxPixels, int batchSize, int cascadeLayers, int gridSteps, int curveSteps,
      double blurSigma, long seed) implements Serializable {

    /**
     * The maps of the cascade: {@link #attribution} with the grid method's window laid as tiles
     * (stride = window), so that each of its re-runs costs (side / window)² forwards instead of
     * the overlapping grid's.
     */
    public AttributionSettings cascadeAttribution() {
      if (!attribution.runs(GRID.name())) {
        return attribution;
      }
      int window = GRID.windows(attribution).get(0);
      return GRID.withGrid(attribution, window, window);
    }

    /**
     * Whether the perturbation-grid method is re-run after cascade step {@code step} (1 = the top
     * layer) of {@code steps}.
     */
    public boolean gridReruns(int step, int steps) {
      return gridSteps == 0 || gridSteps >= steps || cascadeSteps(steps, gridSteps).contains(step);
    }

    /** A builder, so that a caller names each of the 11 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private ModelSpec model;
      private ModelDescription description;
      private AttributionSettings attribution;
      private long maxFileBytes;
      private long maxPixels;
      private int batchSize;
      private int cascadeLayers;
      private int gridSteps;
      private int curveSteps;
      private double blurSigma;
      private long seed;

      private Builder() {}

      public Builder model(ModelSpec model) {
        this.model = model;
        return this;
      }

      public Builder description(ModelDescription description) {
        this.description = description;
        return this;
      }

      public Builder attribution(AttributionSettings attribution) {
        this.attribution = attribution;
        return this;
      }

      public Builder maxFileBytes(long maxFileBytes) {
        this.maxFileBytes = maxFileBytes;
        return this;
      }

      public Builder maxPixels(long maxPixels) {
        this.maxPixels = maxPixels;
        return this;
      }

      public Builder batchSize(int batchSize) {
        this.batchSize = batchSize;
        return this;
      }

      public Builder cascadeLayers(int cascadeLayers) {
        this.cascadeLayers = cascadeLayers;
        return this;
      }

      public Builder gridSteps(int gridSteps) {
        this.gridSteps = gridSteps;
        return this;
      }

      public Builder curveSteps(int curveSteps) {
        this.curveSteps = curveSteps;
        return this;
      }

      public Builder blurSigma(double blurSigma) {
        this.blurSigma = blurSigma;
        return this;
      }

      public Builder seed(long seed) {
        this.seed = seed;
        return this;
      }

      public Options build() {
        return new Options(model, description, attribution, maxFileBytes, maxPixels, batchSize, cascadeLayers,
            gridSteps, curveSteps, blurSigma, seed);
      }
    }
  }

  /**
   * {@code count} of the steps 1..{@code steps}, spread evenly and always holding the first and the
   * last (the figures the report's table shows).
   */
  static java.util.Set<Integer> cascadeSteps(int steps, int count) {
    java.util.Set<Integer> out = new java.util.TreeSet<>();
    if (count <= 1) {
      out.add(steps);
      return out;
    }
    for (int j = 0; j < count; j++) {
      out.add(1 + (int) Math.round((double) j * (steps - 1) / (count - 1)));
    }
    return out;
  }

  private ExplanationQuality() {}

  /**
   * @param inputs listing rows ({@link InputSchema}) of the sampled images plus an int column
   *     {@code _target}: the class their analysis explained
   */
  /**
   * @param progress counts maps computed per image (the trained model's, one per cascade step) and
   *     faithfulness curves, for a progress line: {@link #units} per image in all
   */
  public static Dataset<Row> measure(Dataset<Row> inputs, Options o, HadoopConf hadoop, int partitions,
      org.apache.spark.util.LongAccumulator progress) {
    return inputs.repartition(partitions).mapPartitions(new Partition(o, hadoop, progress), Encoders.row(ROW));
  }

  /** Progress units per image: the trained maps, the faithfulness curves, and one per cascade step. */
  public static long units(Options o, int modelLayers) {
    return 2L + (o.cascadeLayers() == 0 ? modelLayers : Math.min(o.cascadeLayers(), modelLayers));
  }

  static final class Partition implements MapPartitionsFunction<Row, Row> {
    private final Options o;
    private final HadoopConf hadoop;
    private final org.apache.spark.util.LongAccumulator progress;
    /** CPU nanoseconds per part of this task. */
    private final Map<String, long[]> cpu = new LinkedHashMap<>();

    Partition(Options o, HadoopConf hadoop, org.apache.spark.util.LongAccumulator progress) {
      this.o = o;
      this.hadoop = hadoop;
      this.progress = progress;
    }

    private void done(int images) {
      if (progress != null) {
        progress.add(images);
      }
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws Exception {
      List<Row> out = new ArrayList<>();
      if (!rows.hasNext()) {
        return out.iterator();
      }
      long start = cpuNanos();
      // A private copy: the cascade rewrites its weights, which a cached model's other users would see.
      try (Classifier model = ModelLoader.load(o.model()); InferenceSession session = model.newSession();
          InputReader reader = new InputReader(hadoop, o.maxFileBytes())) {
        spent(MODEL_LOAD, start);
        ParameterRandomizer randomizer = new ParameterRandomizer(model);
        Preprocessor pre = Preprocessor.of(o.description());
        int targetCol = -1;
        int gridCol = -1;
        List<Row> chunk = new ArrayList<>();
        while (rows.hasNext()) {
          Row r = rows.next();
          if (targetCol < 0) {
            targetCol = r.fieldIndex("_target");
            gridCol = List.of(r.schema().fieldNames()).indexOf(STORED_GRID);
          }
          chunk.add(r);
          if (chunk.size() == o.batchSize() || !rows.hasNext()) {
            chunk(chunk, targetCol, gridCol, model, session, reader, pre, randomizer, out);
            chunk.clear();
          }
        }
      }
      // Each part's CPU time on this task's thread (PyTorch runs one intra-op thread per task): it
      // grows less with other load on a shared machine than wall time does.
      spent(TASK, start);
      for (var e : cpu.entrySet()) {
        out.add(RowFactory.create("", e.getKey(), CPU_SECONDS, -1, null, e.getValue()[0] / 1e9, null, null));
      }
      return out.iterator();
    }

    private static long cpuNanos() {
      return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    /** Adds the CPU time since {@code start} to {@code part}; returns the time now. */
    private long spent(String part, long start) {
      long now = cpuNanos();
      cpu.computeIfAbsent(part, k -> new long[1])[0] += now - start;
      return now;
    }

    private void chunk(List<Row> chunk, int targetCol, int gridCol, Classifier model, InferenceSession session,
        InputReader reader, Preprocessor pre, ParameterRandomizer randomizer, List<Row> out) {
      long decoding = cpuNanos();
      List<float[]> images = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      List<Integer> targets = new ArrayList<>();
      List<Row> stored = new ArrayList<>();
      for (Row r : chunk) {
        String id = r.getString(InputSchema.col(InputSchema.ID));
        try {
          images.add(Analyzer.decode(r, reader, pre, o.maxPixels()).tensor());
          ids.add(id);
          targets.add(r.getInt(targetCol));
          stored.add(gridCol < 0 || r.isNullAt(gridCol) ? null : r.getStruct(gridCol));
        } catch (InputException | RuntimeException e) {
          out.add(RowFactory.create(id, "", ERROR, -1, null, null, null, "cannot read the input again: "
              + e.getMessage()));
        }
      }
      spent(MODEL_LOAD, decoding);
      if (images.isEmpty()) {
        return;
      }
      float[][] x = images.toArray(new float[0][]);
      String[] idArray = ids.toArray(new String[0]);
      int[] t = targets.stream().mapToInt(Integer::intValue).toArray();
      float[][][] tiles = new float[1][][];
      Map<String, float[][]> trained;
      if (o.attribution().runs(GRID.name()) && !stored.contains(null)) {
        // The analysis's own grids: the other methods' maps are computed, the grid method's are read.
        trained = maps(model, session, x, idArray, t, without(o.attribution(), GRID.name()), null);
        trained.put(GRID.name(), gridMaps(stored.toArray(new Row[0]), tiles));
      } else {
        trained = maps(model, session, x, idArray, t, o.attribution(), tiles);
      }
      done(x.length);
      long curves = cpuNanos();
      faithfulness(session, x, idArray, t, trained, out);
      spent(CURVES, curves);
      done(x.length);
      // The cascade compares maps of one kind: the grid method's are its tiles, for the trained model too
      // (taken from the trained grid when the tiles are among its positions, as 8-px tiles are in a
      // grid of stride 4).
      AttributionSettings cascade = o.cascadeAttribution();
      Map<String, float[][]> reference = new LinkedHashMap<>(trained);
      if (cascade.runs(GRID.name())) {
        reference.put(GRID.name(), tiles[0] != null ? tiles[0]
            : maps(model, session, x, idArray, t, cascade.withMethods(List.of(GRID.name())), null).get(GRID.name()));
      }
      List<String> layers = randomizer.topDown();
      int steps = o.cascadeLayers() == 0 ? layers.size() : Math.min(o.cascadeLayers(), layers.size());
      try {
        for (int k = 0; k < steps; k++) {
          randomizer.randomize(layers.get(k), o.seed() * 1_000_003L + k);
          Map<String, float[][]> random = maps(model, session, x, idArray, t, o.gridReruns(k + 1, steps)
              ? cascade : without(cascade, GRID.name()), null);
          done(x.length);
          for (var e : random.entrySet()) {
            float[][] before = reference.get(e.getKey());
            for (int i = 0; i < x.length; i++) {
              float[] a = before[i];
              float[] r = e.getValue()[i];
              Double rho = a == null || r == null ? null : Ranks.spearman(a, r);
              out.add(RowFactory.create(idArray[i], e.getKey(), RANDOMIZATION, k + 1, layers.get(k),
                  rho == null || rho.isNaN() ? null : rho, null, null));
            }
          }
        }
      } finally {
        randomizer.restore();
      }
    }

    /**
     * Each method's map of each image at the input's size (normalised, |value|), null where all
     * zero.
     *
     * @param tiles when not null and the grid method runs: receives, in {@code tiles[0]}, its
     *     maps of its window laid as tiles, taken from the grid just computed (left null when the
     *     tiles are not among the grid's positions)
     */
    private Map<String, float[][]> maps(Classifier model, InferenceSession session, float[][] x, String[] ids,
        int[] targets, AttributionSettings settings, float[][][] tiles) {
      if (settings.methods().isEmpty()) {
        return new LinkedHashMap<>(); // the grid method alone, at a step it skips or read from the analysis
      }
      long start = cpuNanos();
      AttributionBatch batch = AttributionBatch.run(session, model, settings, x, ids, (i, logits) -> targets[i]);
      start = spent(SHARED_PASS, start);
      List<AttributionMethod> methods = Attributions.selected(settings);
      List<Object[][]> values = new ArrayList<>();
      for (AttributionMethod m : methods) {
        values.add(m.attribute(batch));
        start = spent(m.name(), start);
      }
      ModelDescription.Input in = o.description().input();
      int side = Math.min(in.height(), in.width());
      Map<String, float[][]> out = new LinkedHashMap<>();
      for (int j = 0; j < methods.size(); j++) {
        AttributionMethod m = methods.get(j);
        if (m.name().equals(GRID.name())) {
          Row[] grids = new Row[x.length];
          for (int i = 0; i < x.length; i++) {
            grids[i] = ((Row[]) values.get(j)[i][0])[0]; // the one window checked
          }
          out.put(m.name(), gridMaps(grids, tiles));
          continue;
        }
        StructType schema = new StructType(m.fields().toArray(new StructField[0]));
        float[][] maps = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
          maps[i] = AttentionMaps.of(new GenericRowWithSchema(values.get(j)[i], schema), m.name(), side, in.height(),
              in.width());
        }
        out.put(m.name(), maps);
      }
      return out;
    }

    /**
     * The grid method's per-pixel maps of one grid per image; with {@code tiles}, also (in {@code
     * tiles[0]}) the maps of its window laid as tiles, taken from the grids when the tiles are
     * among their positions (else left null).
     */
    private float[][] gridMaps(Row[] grids, float[][][] tiles) {
      ModelDescription.Input in = o.description().input();
      int side = Math.min(in.height(), in.width());
      StructType schema = new StructType(GRID.fields().toArray(new StructField[0]));
      float[][] maps = new float[grids.length][];
      float[][] tileMaps = tiles == null ? null : new float[grids.length][];
      for (int i = 0; i < grids.length; i++) {
        maps[i] = AttentionMaps.of(new GenericRowWithSchema(new Object[] {new Row[] {grids[i]}}, schema),
            GRID.name(), side, in.height(), in.width());
        Row tileGrid = tileMaps == null ? null : tilesOf(grids[i], in.height(), in.width());
        if (tileGrid == null) {
          tileMaps = null;
        } else {
          tileMaps[i] = AttentionMaps.of(new GenericRowWithSchema(new Object[] {new Row[] {tileGrid}}, schema),
              GRID.name(), side, in.height(), in.width());
        }
      }
      if (tileMaps != null) {
        tiles[0] = tileMaps;
      }
      return maps;
    }

    /**
     * Deletion and insertion curves of every method's pixel order and of a random order. All
     * images of all curves of the chunk go through the model in batches of {@code batchSize}; the
     * ends every curve of an image shares (the image itself: deletion's start and insertion's
     * end; the blurred start) go through once per image, the all-deleted image (deletion's end,
     * the same for every image) once per chunk.
     */
    private void faithfulness(InferenceSession session, float[][] x, String[] ids, int[] targets,
        Map<String, float[][]> maps, List<Row> out) {
      ModelDescription.Input in = o.description().input();
      int c = in.channels();
      int h = in.height();
      int w = in.width();
      int side = Math.min(h, w);
      int steps = o.curveSteps();
      float[] kernel = ImageOps.gaussianKernel(o.blurSigma());
      List<String> names = new ArrayList<>(maps.keySet());
      names.add(RANDOM_ORDER);
      float[][] blurred = new float[x.length][];
      int[][][] orders = new int[x.length][names.size()][];
      List<Probe> probes = new ArrayList<>();
      for (int i = 0; i < x.length; i++) {
        blurred[i] = ImageOps.blur(x[i], c, h, w, kernel);
        for (int m = 0; m < names.size(); m++) {
          float[] map = m < maps.size() ? maps.get(names.get(m))[i] : randomOrder(ids[i], h * w);
          orders[i][m] = map == null ? null : order(map, side, h, w);
        }
        probes.add(new Probe(i, -1, Probe.IMAGE, 0));
        probes.add(new Probe(i, -1, Probe.BLURRED, 0));
        for (int m = 0; m < names.size(); m++) {
          if (orders[i][m] != null) {
            for (int k = 1; k < steps; k++) {
              probes.add(new Probe(i, m, Probe.DELETION, k));
              probes.add(new Probe(i, m, Probe.INSERTION, k));
            }
          }
        }
      }
      // The all-deleted image is the same for every image: one forward for the chunk.
      probes.add(new Probe(0, -1, Probe.DELETED, 0));
      float[] p = new float[probes.size()];
      float[] deletedLogits = null;
      for (int start = 0; start < probes.size(); start += o.batchSize()) {
        int n = Math.min(o.batchSize(), probes.size() - start);
        float[][] part = new float[n][];
        for (int j = 0; j < n; j++) {
          Probe q = probes.get(start + j);
          part[j] = switch (q.kind()) {
            case Probe.IMAGE -> x[q.image()];
            case Probe.DELETED -> new float[x[q.image()].length];
            case Probe.BLURRED -> blurred[q.image()];
            default -> {
              int[] order = orders[q.image()][q.order()];
              int pixels = (int) Math.round((double) q.step() * order.length / steps);
              yield q.kind() == Probe.DELETION ? replace(x[q.image()], order, pixels, null, c, h * w)
                  : replace(blurred[q.image()], order, pixels, x[q.image()], c, h * w);
            }
          };
        }
        float[][] logits = session.forward(part).logits();
        for (int j = 0; j < n; j++) {
          p[start + j] = Softmax.softmax(logits[j])[targets[probes.get(start + j).image()]];
        }
        deletedLogits = start + n == probes.size() ? logits[n - 1] : null;
      }
      float[] deletedProbabilities = Softmax.softmax(deletedLogits);
      // Probes are in image order: each image's two own ends, then its curves' inner points; the
      // all-deleted image last.
      int next = 0;
      for (int i = 0; i < x.length; i++) {
        float image = p[next];
        float deleted = deletedProbabilities[targets[i]];
        float start = p[next + 1];
        next += 2;
        for (int m = 0; m < names.size(); m++) {
          if (orders[i][m] == null) {
            continue;
          }
          float[] deletion = new float[steps + 1];
          float[] insertion = new float[steps + 1];
          deletion[0] = image;
          deletion[steps] = deleted;
          insertion[0] = start;
          insertion[steps] = image;
          for (int k = 1; k < steps; k++) {
            deletion[k] = p[next++];
            insertion[k] = p[next++];
          }
          out.add(RowFactory.create(ids[i], names.get(m), DELETION, -1, null, auc(deletion), deletion, null));
          out.add(RowFactory.create(ids[i], names.get(m), INSERTION, -1, null, auc(insertion), insertion, null));
        }
      }
    }

    /** A random pixel importance at the input's size (a pixel order, not an upsampled blob), seeded by the image. */
    private float[] randomOrder(String id, int pixels) {
      SplittableRandom r = new SplittableRandom(o.seed() ^ id.hashCode());
      float[] v = new float[pixels];
      for (int p = 0; p < pixels; p++) {
        v[p] = (float) r.nextDouble();
      }
      return v;
    }
  }

  /**
   * One image through the model for the curves: image {@code image}'s own, all-deleted or blurred
   * version, or step {@code step} of the deletion or insertion in order {@code order}.
   */
  private record Probe(int image, int order, int kind, int step) {
    static final int IMAGE = 0;
    static final int DELETED = 1;
    static final int BLURRED = 2;
    static final int DELETION = 3;
    static final int INSERTION = 4;
  }

  /**
   * The positions of a perturbation grid ({@link PerturbationGridMethod#gridSchema()}) whose
   * windows are tiles (stride = window), as a grid of their own; null when some tile's position is
   * not among the grid's (the stride does not divide the window, or the grid stops short of the
   * last tile).
   */
  static Row tilesOf(Row grid, int h, int w) {
    int window = grid.getInt(0);
    int stride = grid.getInt(1);
    int rows = grid.getInt(2);
    int cols = grid.getInt(3);
    if (window % stride != 0) {
      return null;
    }
    int every = window / stride;
    int tileRows = GRID.windowPositions(h, window, window);
    int tileCols = GRID.windowPositions(w, window, window);
    if ((tileRows - 1) * every >= rows || (tileCols - 1) * every >= cols) {
      return null;
    }
    float[] prob = AttentionMaps.floats(grid.get(4));
    float[] drop = AttentionMaps.floats(grid.get(5));
    int[] argmax = ints(grid.get(6));
    float[] tileProb = new float[tileRows * tileCols];
    float[] tileDrop = new float[tileRows * tileCols];
    int[] tileArgmax = new int[tileRows * tileCols];
    for (int r = 0; r < tileRows; r++) {
      for (int c = 0; c < tileCols; c++) {
        int p = r * every * cols + c * every;
        tileProb[r * tileCols + c] = prob[p];
        tileDrop[r * tileCols + c] = drop[p];
        tileArgmax[r * tileCols + c] = argmax[p];
      }
    }
    return RowFactory.create(window, window, tileRows, tileCols, tileProb, tileDrop, tileArgmax);
  }

  /** An int array column, as the grid method makes it or as Spark reads it. */
  private static int[] ints(Object v) {
    if (v instanceof int[] a) {
      return a;
    }
    List<?> l = v instanceof List<?> list ? list
        : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) v);
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) l.get(i)).intValue();
    }
    return out;
  }

  /** The grid of the largest window among an analysis row's perturbation grids. */
  public static Row largestWindow(List<Row> grids) {
    Row largest = null;
    for (Row g : grids) {
      largest = largest == null || g.getInt(0) > largest.getInt(0) ? g : largest;
    }
    return largest;
  }

  /** {@code settings} without {@code method}. */
  static AttributionSettings without(AttributionSettings settings, String method) {
    return settings.withMethods(settings.methods().stream().filter(m -> !m.equals(method)).toList());
  }

  /** Pixel indices (of the input's h×w plane) from the most to the least important; ties by index. */
  static int[] order(float[] map, int side, int h, int w) {
    float[] full = map.length == h * w ? map : org.convlens.data.ImageOps.bilinear(map, 1, side, side, h, w);
    Integer[] idx = new Integer[full.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, b) -> full[a] != full[b] ? Float.compare(full[b], full[a]) : Integer.compare(a, b));
    int[] out = new int[idx.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  /**
   * A copy of {@code base} (C×plane) whose first {@code n} pixels of {@code order} take, in every
   * channel, the value of {@code source} (0 when null).
   */
  static float[] replace(float[] base, int[] order, int n, float[] source, int channels, int plane) {
    float[] y = base.clone();
    for (int k = 0; k < n; k++) {
      int p = order[k];
      for (int ch = 0; ch < channels; ch++) {
        y[ch * plane + p] = source == null ? 0f : source[ch * plane + p];
      }
    }
    return y;
  }

  /** Area under a curve sampled at x = 0, 1/S, …, 1 (trapezoid rule). */
  public static double auc(float[] curve) {
    int s = curve.length - 1;
    double sum = 0;
    for (int k = 0; k < curve.length; k++) {
      sum += (k == 0 || k == s) ? curve[k] / 2.0 : curve[k];
    }
    return sum / s;
  }
}
