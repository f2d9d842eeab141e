package org.convlens.audit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.convlens.analyze.Analyzer;
import org.convlens.data.HadoopConf;
import org.convlens.data.Images;
import org.convlens.data.InputException;
import org.convlens.data.InputReader;
import org.convlens.data.InputSchema;
import org.convlens.data.Preprocessor;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.ModelCache;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelSpec;
import org.convlens.model.Softmax;
import org.convlens.model.TopK;

/**
 * The executor side of the counterfactual detector: every image is read again and preprocessed
 * exactly as the analysis did ({@link Analyzer#decode}), turned back into pixel values in [0, 1]
 * at the model's input size ({@link Preprocessor#unitPixels}), edited there by each {@link
 * ImageEdit}, normalised again ({@link Preprocessor#normalise}) and classified, the original
 * included: {@code 1 + edits} forwards per image, in batches of {@code batchSize}, forward only
 * (the session turns autograd off on its thread and frees each batch's tensors). The model comes
 * from the executor's {@link ModelCache}.
 */
public final class Counterfactuals {
  /** One image under one edit (or one image that could not be read again: {@code error} set). */
  public static final StructType ROW = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("true_class", DataTypes.IntegerType, true)
      .add("edit", DataTypes.StringType, true)
      .add("predicted_before", DataTypes.IntegerType, true)
      .add("prob_before", DataTypes.FloatType, true)
      .add("predicted_after", DataTypes.IntegerType, true)
      .add("prob_after", DataTypes.FloatType, true)
      .add("prob_after_of_before", DataTypes.FloatType, true)
      .add("delta", DataTypes.createArrayType(DataTypes.FloatType, false), true)
      .add("error", DataTypes.StringType, true);

  /** An image's before/after pair under one edit, as PNG. */
  public static final StructType PAIR = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("edit", DataTypes.StringType, false)
      .add("before_png", DataTypes.BinaryType, true)
      .add("after_png", DataTypes.BinaryType, true);

  /** Longer side of the before/after PNGs (area-downsampled above it). */
  static final int PNG_SIDE = 128;

  /**
   * @param model how executors load the model (through their {@link ModelCache})
   * @param edits the edits, each applied to every image
   */
  public record Options(ModelSpec model, ModelDescription description, List<ImageEdit> edits, long maxFileBytes,
      long maxPixels, int batchSize) implements Serializable {
    public Options {
      edits = List.copyOf(edits);
    }

    /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private ModelSpec model;
      private ModelDescription description;
      private List<ImageEdit> edits;
      private long maxFileBytes;
      private long maxPixels;
      private int batchSize;

      private Builder() {}

      public Builder model(ModelSpec model) {
        this.model = model;
        return this;
      }

      public Builder description(ModelDescription description) {
        this.description = description;
        return this;
      }

      public Builder edits(List<ImageEdit> edits) {
        this.edits = edits;
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

      public Options build() {
        return new Options(model, description, edits, maxFileBytes, maxPixels, batchSize);
      }
    }
  }

  private Counterfactuals() {}

  /**
   * One {@link #ROW} per image and edit.
   *
   * @param inputs listing rows ({@link InputSchema}) plus an int column {@code _true_class}
   * @param progress counts images done (all their edits), for the progress line
   */
  public static Dataset<Row> measure(Dataset<Row> inputs, Options o, HadoopConf hadoop, int partitions,
      LongAccumulator progress) {
    return inputs.repartition(partitions).mapPartitions(new Measure(o, hadoop, progress), Encoders.row(ROW));
  }

  /**
   * One {@link #PAIR} per input row: the image the model saw and the same under the edit named
   * by its string column {@code _edit} (a label of one of {@code o}'s edits).
   */
  public static Dataset<Row> pairs(Dataset<Row> inputs, Options o, HadoopConf hadoop) {
    return inputs.mapPartitions(new Pairs(o, hadoop), Encoders.row(PAIR));
  }

  static final class Measure implements MapPartitionsFunction<Row, Row> {
    private final Options o;
    private final HadoopConf hadoop;
    private final LongAccumulator progress;

    Measure(Options o, HadoopConf hadoop, LongAccumulator progress) {
      this.o = o;
      this.hadoop = hadoop;
      this.progress = progress;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws Exception {
      List<Row> out = new ArrayList<>();
      if (!rows.hasNext()) {
        return out.iterator();
      }
      Classifier model = ModelCache.get(o.model());
      try (InferenceSession session = model.newSession(); InputReader reader = new InputReader(hadoop,
          o.maxFileBytes())) {
        Preprocessor pre = Preprocessor.of(o.description());
        List<Row> chunk = new ArrayList<>();
        int trueCol = -1;
        while (rows.hasNext()) {
          Row r = rows.next();
          trueCol = trueCol < 0 ? r.fieldIndex("_true_class") : trueCol;
          chunk.add(r);
          if (chunk.size() == o.batchSize() || !rows.hasNext()) {
            chunk(chunk, trueCol, session, reader, pre, out);
            if (progress != null) {
              progress.add(chunk.size());
            }
            chunk.clear();
          }
        }
      }
      return out.iterator();
    }

    private void chunk(List<Row> chunk, int trueCol, InferenceSession session, InputReader reader, Preprocessor pre,
        List<Row> out) {
      ModelDescription.Input in = o.description().input();
      List<float[]> originals = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      for (Row r : chunk) {
        String id = r.getString(InputSchema.col(InputSchema.ID));
        Integer label = r.isNullAt(trueCol) ? null : r.getInt(trueCol);
        try {
          originals.add(Analyzer.decode(r, reader, pre, o.maxPixels()).tensor());
          ids.add(id);
          labels.add(label);
        } catch (InputException | RuntimeException e) {
          out.add(RowFactory.create(id, label, null, null, null, null, null, null, null,
              "cannot read the input again: " + e.getMessage()));
        }
      }
      if (originals.isEmpty()) {
        return;
      }
      int n = originals.size();
      float[][] before = probabilities(session, originals.toArray(new float[0][]));
      for (ImageEdit edit : o.edits()) {
        float[][] edited = new float[n][];
        for (int i = 0; i < n; i++) {
          float[] unit = pre.unitPixels(originals.get(i));
          edited[i] = pre.normalise(edit.apply(unit, in.channels(), in.height(), in.width()));
        }
        float[][] after = probabilities(session, edited);
        for (int i = 0; i < n; i++) {
          int b = TopK.argmax(before[i]);
          int a = TopK.argmax(after[i]);
          float[] delta = new float[after[i].length];
          for (int c = 0; c < delta.length; c++) {
            delta[c] = after[i][c] - before[i][c];
          }
          out.add(RowFactory.create(ids.get(i), labels.get(i), edit.label(), b, before[i][b], a, after[i][a],
              after[i][b], delta, null));
        }
      }
    }

    /** Softmax of the logits, in batches of at most batchSize. */
    private float[][] probabilities(InferenceSession session, float[][] x) {
      float[][] p = new float[x.length][];
      for (int start = 0; start < x.length; start += o.batchSize()) {
        int end = Math.min(x.length, start + o.batchSize());
        float[][] logits = session.forward(java.util.Arrays.copyOfRange(x, start, end)).logits();
        for (int i = start; i < end; i++) {
          p[i] = Softmax.softmax(logits[i - start]);
        }
      }
      return p;
    }
  }

  static final class Pairs implements MapPartitionsFunction<Row, Row> {
    private final Options o;
    private final HadoopConf hadoop;

    Pairs(Options o, HadoopConf hadoop) {
      this.o = o;
      this.hadoop = hadoop;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws Exception {
      List<Row> out = new ArrayList<>();
      ModelDescription.Input in = o.description().input();
      Preprocessor pre = Preprocessor.of(o.description());
      try (InputReader reader = new InputReader(hadoop, o.maxFileBytes())) {
        while (rows.hasNext()) {
          Row r = rows.next();
          String id = r.getString(InputSchema.col(InputSchema.ID));
          String label = r.getString(r.fieldIndex("_edit"));
          ImageEdit edit = o.edits().stream().filter(e -> e.label().equals(label)).findFirst().orElseThrow();
          byte[] before = null;
          byte[] after = null;
          try {
            float[] unit = pre.unitPixels(Analyzer.decode(r, reader, pre, o.maxPixels()).tensor());
            before = Images.png(unit, in.channels(), in.height(), in.width(), PNG_SIDE);
            after = Images.png(edit.apply(unit, in.channels(), in.height(), in.width()), in.channels(), in.height(),
                in.width(), PNG_SIDE);
          } catch (InputException | RuntimeException e) {
            // The pair is evidence only: an image that cannot be read now is shown without pictures.
          }
          out.add(RowFactory.create(id, label, before, after));
        }
      }
      return out.iterator();
    }
  }
}
