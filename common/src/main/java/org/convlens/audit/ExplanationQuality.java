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
import org.convlens.data.HadoopConf;
import org.convlens.data.InputException;
import org.convlens.data.InputReader;
import org.convlens.data.InputSchema;
import org.convlens.data.Preprocessor;
import org.convlens.features.InputMaximizer;
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
 * <p><b>Model-parameter randomisation</b> (Adebayo et al., "Sanity Checks for Saliency Maps",
 * NeurIPS 2018), cascading: the layers are randomised one more at a time from the top (the
 * logits) down ({@link ParameterRandomizer}), and after each step every method's map of the same
 * image and the same target class is compared with the trained model's by Spearman rank
 * correlation of the absolute values (the paper's "absolute-value" variant). A map that the
 * explanation of a random model reproduces does not explain the model: it should fall towards 0.
 *
 * <p><b>Deletion and insertion</b> (Petsiuk, Das and Saenko, "RISE", BMVC 2018): pixels are
 * removed (set to 0 in the normalised input, the dataset mean colour) in the map's order, most
 * important first, or inserted in that order into a Gaussian-blurred copy of the image; the
 * target-class probability traced over the share of pixels changed gives a curve whose area
 * (trapezoid, x in [0, 1]) is the score: low for deletion and high for insertion are good. The
 * same curves in a random pixel order ("random") are the reference a method must beat.
 */
public final class ExplanationQuality {
  public static final String RANDOMIZATION = "randomization";
  public static final String DELETION = "deletion";
  public static final String INSERTION = "insertion";
  public static final String RANDOM_ORDER = "random";

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
   * @param attribution the analysis's attribution settings with {@code methods} = the methods checked
   * @param cascadeLayers randomisation steps (0 = every layer)
   * @param curveSteps deletion / insertion steps
   * @param blurSigma σ (input pixels) of the insertion start image
   * @param seed seed of the random weights and the random pixel order
   */
  public record Options(ModelSpec model, ModelDescription description, AttributionSettings attribution,
      long maxFileBytes, long maxPixels, int batchSize, int cascadeLayers, int curveSteps, double blurSigma,
      long seed) implements Serializable {}

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
      // A private copy: the cascade rewrites its weights, which a cached model's other users would see.
      try (Classifier model = ModelLoader.load(o.model()); InferenceSession session = model.newSession();
          InputReader reader = new InputReader(hadoop, o.maxFileBytes())) {
        ParameterRandomizer randomizer = new ParameterRandomizer(model);
        Preprocessor pre = Preprocessor.of(o.description());
        int targetCol = -1;
        List<Row> chunk = new ArrayList<>();
        while (rows.hasNext()) {
          Row r = rows.next();
          if (targetCol < 0) {
            targetCol = r.fieldIndex("_target");
          }
          chunk.add(r);
          if (chunk.size() == o.batchSize() || !rows.hasNext()) {
            chunk(chunk, targetCol, model, session, reader, pre, randomizer, out);
            chunk.clear();
          }
        }
      }
      return out.iterator();
    }

    private void chunk(List<Row> chunk, int targetCol, Classifier model, InferenceSession session,
        InputReader reader, Preprocessor pre, ParameterRandomizer randomizer, List<Row> out) {
      List<float[]> images = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      List<Integer> targets = new ArrayList<>();
      for (Row r : chunk) {
        String id = r.getString(InputSchema.col(InputSchema.ID));
        try {
          images.add(Analyzer.decode(r, reader, pre, o.maxPixels()).tensor());
          ids.add(id);
          targets.add(r.getInt(targetCol));
        } catch (InputException | RuntimeException e) {
          out.add(RowFactory.create(id, "", "error", -1, null, null, null, "cannot read the input again: "
              + e.getMessage()));
        }
      }
      if (images.isEmpty()) {
        return;
      }
      float[][] x = images.toArray(new float[0][]);
      String[] idArray = ids.toArray(new String[0]);
      int[] t = targets.stream().mapToInt(Integer::intValue).toArray();
      Map<String, float[][]> trained = maps(model, session, x, idArray, t);
      done(x.length);
      faithfulness(session, x, idArray, t, trained, out);
      done(x.length);
      List<String> layers = randomizer.topDown();
      int steps = o.cascadeLayers() == 0 ? layers.size() : Math.min(o.cascadeLayers(), layers.size());
      try {
        for (int k = 0; k < steps; k++) {
          randomizer.randomize(layers.get(k), o.seed() * 1_000_003L + k);
          Map<String, float[][]> random = maps(model, session, x, idArray, t);
          done(x.length);
          for (var e : trained.entrySet()) {
            float[][] r = random.get(e.getKey());
            for (int i = 0; i < x.length; i++) {
              float[] a = e.getValue()[i];
              Double rho = a == null || r[i] == null ? null : Ranks.spearman(a, r[i]);
              out.add(RowFactory.create(idArray[i], e.getKey(), RANDOMIZATION, k + 1, layers.get(k),
                  rho == null || rho.isNaN() ? null : rho, null, null));
            }
          }
        }
      } finally {
        randomizer.restore();
      }
    }

    /** Each checked method's map of each image at the input's size (normalised, |value|), null where all zero. */
    private Map<String, float[][]> maps(Classifier model, InferenceSession session, float[][] x, String[] ids,
        int[] targets) {
      AttributionBatch batch = AttributionBatch.run(session, model, o.attribution(), x, ids, (i, logits) -> targets[i]);
      List<Object[][]> values = Attributions.attribute(batch);
      List<AttributionMethod> methods = Attributions.selected(o.attribution());
      ModelDescription.Input in = o.description().input();
      int side = Math.min(in.height(), in.width());
      Map<String, float[][]> out = new LinkedHashMap<>();
      for (int j = 0; j < methods.size(); j++) {
        AttributionMethod m = methods.get(j);
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

    /** Deletion and insertion curves of every method's pixel order, and of a random order. */
    private void faithfulness(InferenceSession session, float[][] x, String[] ids, int[] targets,
        Map<String, float[][]> maps, List<Row> out) {
      ModelDescription.Input in = o.description().input();
      int c = in.channels();
      int h = in.height();
      int w = in.width();
      int side = Math.min(h, w);
      float[] kernel = InputMaximizer.gaussianKernel(o.blurSigma());
      Map<String, float[][]> orders = new LinkedHashMap<>(maps);
      float[][] random = new float[x.length][];
      for (int i = 0; i < x.length; i++) {
        SplittableRandom r = new SplittableRandom(o.seed() ^ ids[i].hashCode());
        random[i] = new float[h * w]; // at the input's size: a pixel order, not an upsampled blob
        for (int p = 0; p < random[i].length; p++) {
          random[i][p] = (float) r.nextDouble();
        }
      }
      orders.put(RANDOM_ORDER, random);
      int steps = o.curveSteps();
      for (int i = 0; i < x.length; i++) {
        float[] blurred = InputMaximizer.blur(x[i], c, h, w, kernel);
        for (var e : orders.entrySet()) {
          float[] map = e.getValue()[i];
          if (map == null) {
            continue;
          }
          int[] order = order(map, side, h, w);
          float[][] deletion = new float[steps + 1][];
          float[][] insertion = new float[steps + 1][];
          for (int k = 0; k <= steps; k++) {
            int n = (int) Math.round((double) k * order.length / steps);
            deletion[k] = replace(x[i], order, n, null, c, h * w);
            insertion[k] = replace(blurred, order, n, x[i], c, h * w);
          }
          emitCurve(session, deletion, targets[i], ids[i], e.getKey(), DELETION, out);
          emitCurve(session, insertion, targets[i], ids[i], e.getKey(), INSERTION, out);
        }
      }
    }

    private void emitCurve(InferenceSession session, float[][] images, int target, String id, String method,
        String kind, List<Row> out) {
      float[] curve = new float[images.length];
      for (int start = 0; start < images.length; start += o.batchSize()) {
        int n = Math.min(o.batchSize(), images.length - start);
        float[][] part = java.util.Arrays.copyOfRange(images, start, start + n);
        float[][] logits = session.forward(part).logits();
        for (int j = 0; j < n; j++) {
          curve[start + j] = Softmax.softmax(logits[j])[target];
        }
      }
      out.add(RowFactory.create(id, method, kind, -1, null, auc(curve), curve, null));
    }
  }

  /** Pixel indices (of the input's h×w plane) from the most to the least important; ties by index. */
  static int[] order(float[] map, int side, int h, int w) {
    float[] full = map.length == h * w ? map : org.convlens.attribution.Maps.bilinear(map, 1, side, side, h, w);
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
