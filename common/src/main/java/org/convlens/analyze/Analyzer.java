package org.convlens.analyze;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.convlens.attribution.AttributionBatch;
import org.convlens.attribution.AttributionSettings;
import org.convlens.attribution.Attributions;
import org.convlens.config.InvalidConfigException;
import org.convlens.data.CifarFormat;
import org.convlens.data.DecodedImage;
import org.convlens.data.ErrorKind;
import org.convlens.data.HadoopConf;
import org.convlens.data.ImageDecoder;
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
import org.convlens.model.TopK;

/**
 * The analysis stage: input listing ({@link InputSchema}) in, one {@link AnalysisSchema} row
 * per input out. Runs inside {@code mapPartitions}: the model comes from the per-JVM
 * {@link ModelCache}, each task opens one {@link InferenceSession} and feeds it batches of
 * {@code batchSize} decoded images; unusable inputs become error rows in the same pass.
 */
public final class Analyzer {
  /**
   * @param runId id written to every row
   * @param model how executors load the model
   * @param description the model's description (class names, preprocessing)
   * @param topK predictions kept per image (capped at the number of classes)
   * @param batchSize images per forward pass
   * @param maxFileBytes size guard, checked before reading
   * @param maxPixels decompression-bomb guard, checked on the header before decoding
   * @param attribution the attribution methods and their settings
   * @param fixedTarget the model class every image is explained for, or -1 (analyze.target =
   *     predicted or label)
   * @param thumbnailSide longer side of the {@code input_png} preview, 0 = none
   */
  public record Options(
      String runId,
      ModelSpec model,
      ModelDescription description,
      int topK,
      int batchSize,
      long maxFileBytes,
      long maxPixels,
      AttributionSettings attribution,
      int fixedTarget,
      int thumbnailSide)
      implements Serializable {
    /** A builder, so that a caller names each of the 10 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String runId;
      private ModelSpec model;
      private ModelDescription description;
      private int topK;
      private int batchSize;
      private long maxFileBytes;
      private long maxPixels;
      private AttributionSettings attribution;
      private int fixedTarget;
      private int thumbnailSide;

      private Builder() {}

      public Builder runId(String runId) {
        this.runId = runId;
        return this;
      }

      public Builder model(ModelSpec model) {
        this.model = model;
        return this;
      }

      public Builder description(ModelDescription description) {
        this.description = description;
        return this;
      }

      public Builder topK(int topK) {
        this.topK = topK;
        return this;
      }

      public Builder batchSize(int batchSize) {
        this.batchSize = batchSize;
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

      public Builder attribution(AttributionSettings attribution) {
        this.attribution = attribution;
        return this;
      }

      public Builder fixedTarget(int fixedTarget) {
        this.fixedTarget = fixedTarget;
        return this;
      }

      public Builder thumbnailSide(int thumbnailSide) {
        this.thumbnailSide = thumbnailSide;
        return this;
      }

      public Options build() {
        return new Options(runId, model, description, topK, batchSize, maxFileBytes, maxPixels, attribution,
            fixedTarget, thumbnailSide);
      }
    }
  }

  /**
   * The model class {@code analyze.target} names (a class name or index), -1 for {@code
   * predicted} / {@code label}; fails naming the key when the model has no such class.
   */
  public static int fixedTarget(String target, ModelDescription model) {
    if (AttributionSettings.PREDICTED.equals(target) || AttributionSettings.LABEL.equals(target)) {
      return -1;
    }
    int index = model.classIndex(target);
    if (index >= 0) {
      return index;
    }
    throw new InvalidConfigException("analyze.target", "invalid value '" + target
        + "' for analyze.target: allowed values are predicted, label, a class index 0.."
        + (model.numClasses() - 1) + " or a class name of model " + model.id() + " "
        + model.classNames());
  }

  private Analyzer() {}

  /** Fails fast if {@code schema} lacks a column the stage reads (before any image is read). */
  public static void checkInputSchema(StructType schema) {
    for (StructField f : InputSchema.SCHEMA.fields()) {
      int i;
      try {
        i = schema.fieldIndex(f.name());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("analysis input lacks column '" + f.name() + "'");
      }
      if (!schema.fields()[i].dataType().equals(f.dataType())) {
        throw new IllegalArgumentException("analysis input column '" + f.name() + "' has type "
            + schema.fields()[i].dataType().simpleString() + ", expected " + f.dataType().simpleString());
      }
    }
  }

  /**
   * @param progress input rows done, for the console progress line: credited as the model works
   *     through a batch (in proportion to the forwards it has run), and exactly once per row in all
   */
  public static Dataset<Row> transform(
      Dataset<Row> inputs, Options options, HadoopConf hadoop, LongAccumulator progress, int partitions) {
    checkInputSchema(inputs.schema());
    return inputs
        .repartition(partitions)
        .mapPartitions(new Partition(options, hadoop, progress), Encoders.row(AnalysisSchema.SCHEMA));
  }

  /** A row of {@link AnalysisSchema#SCHEMA} from its first values, null for the rest. */
  static Row padded(Object... first) {
    Object[] v = new Object[AnalysisSchema.SCHEMA.fields().length];
    System.arraycopy(first, 0, v, 0, first.length);
    return RowFactory.create(v);
  }

  /**
   * One input as the model sees it: the preprocessed tensor, the source size and format, and the
   * source image's statistics (null unless asked for).
   */
  public record Decoded(float[] tensor, int width, int height, String format, ImageStatistics statistics) {}

  /**
   * Reads and preprocesses one listing row ({@link InputSchema}) exactly as the analysis does.
   *
   * @throws InputException when the input is unusable (the kind says why)
   */
  public static Decoded decode(Row in, InputReader reader, Preprocessor pre, long maxPixels) throws InputException {
    return decode(in, reader, pre, maxPixels, false);
  }

  /** As {@link #decode(Row, InputReader, Preprocessor, long)}, with the {@link ImageStatistics} when asked. */
  static Decoded decode(Row in, InputReader reader, Preprocessor pre, long maxPixels, boolean statistics)
      throws InputException {
    byte[] bytes = reader.read(in);
    if (InputSchema.ENCODING_CIFAR.equals(in.getString(InputSchema.col(InputSchema.ENCODING)))) {
      return new Decoded(pre.applyPlanarRgb(bytes, CifarFormat.SIDE, CifarFormat.SIDE), CifarFormat.SIDE,
          CifarFormat.SIDE, "cifar",
          statistics ? ImageStatistics.ofPlanar(bytes, CifarFormat.SIDE, CifarFormat.SIDE) : null);
    }
    DecodedImage img = ImageDecoder.read(bytes, maxPixels);
    return new Decoded(pre.apply(img.rgb()), img.width(), img.height(), img.format(),
        statistics ? ImageStatistics.ofFile(img.rgb(), bytes, img.format()) : null);
  }

  /** The per-partition work; one instance is deserialised per task. */
  static final class Partition implements MapPartitionsFunction<Row, Row> {
    private final Options o;
    private final HadoopConf hadoop;
    private final LongAccumulator progress;
    /** Images through the model per input image (the unit of in-batch progress). */
    private transient long forwardsPerImage;
    /** Images run through the model by this task so far. */
    private transient long work;
    /** The batch in progress: its images, the work counted when it began, the rows credited. */
    private transient int batchImages;
    private transient long batchStart;
    private transient long credited;

    Partition(Options o, HadoopConf hadoop, LongAccumulator progress) {
      this.o = o;
      this.hadoop = hadoop;
      this.progress = progress;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> inputs) throws Exception {
      Classifier classifier = ModelCache.get(o.model());
      InferenceSession session = metered(classifier.newSession());
      forwardsPerImage = Attributions.forwardsPerImage(o.attribution(), classifier);
      InputReader reader = new InputReader(hadoop, o.maxFileBytes());
      Runnable closeAll = () -> {
        session.close();
        reader.close();
      };
      TaskContext task = TaskContext.get();
      if (task != null) {
        task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> closeAll.run());
      }
      Preprocessor pre = new Preprocessor(o.description().input(), o.description().preprocessing());
      return new Iterator<>() {
        private final ArrayDeque<Row> ready = new ArrayDeque<>();

        @Override
        public boolean hasNext() {
          while (ready.isEmpty() && inputs.hasNext()) {
            nextBatch(inputs, reader, pre, classifier, session, ready);
          }
          if (ready.isEmpty() && task == null) {
            closeAll.run();
          }
          return !ready.isEmpty();
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          return ready.poll();
        }
      };
    }

    /**
     * Reads, decodes and classifies up to batchSize inputs, appending one row per input. Each image
     * is guarded on its own (a failure decoding or resampling it, running out of memory included,
     * makes its row an error and the batch goes on), and so is the batch: if the engine fails on
     * it, each image is retried alone, so one bad image cannot take its neighbours down.
     */
    void nextBatch(Iterator<Row> inputs, InputReader reader, Preprocessor pre,
        Classifier classifier, InferenceSession session, ArrayDeque<Row> out) {
      int before = out.size();
      try {
        classifyBatch(inputs, reader, pre, classifier, session, out);
      } finally {
        // Every row of the batch counts once, whatever was credited while it ran.
        credit(out.size() - before - credited);
        batchImages = 0;
        credited = 0;
      }
    }

    private void credit(long rows) {
      if (progress != null && rows > 0) {
        progress.add(rows);
      }
    }

    /**
     * Counts the images a session runs through the model and credits progress as a batch's work
     * advances (a perturbation method runs hundreds of forwards per image: a batch can take minutes), never
     * more than one row short of the batch.
     */
    private InferenceSession metered(InferenceSession session) {
      java.util.function.LongConsumer add = n -> {
        work += n;
        if (batchImages > 1 && forwardsPerImage > 0) {
          long estimate = Math.min(batchImages - 1, (work - batchStart) / forwardsPerImage);
          if (estimate > credited) {
            credit(estimate - credited);
            credited = estimate;
          }
        }
      };
      return new InferenceSession() {
        @Override
        public Forward forward(float[][] images) {
          Forward f = session.forward(images);
          add.accept(images.length);
          return f;
        }

        @Override
        public Gradients gradients(float[][] images, TargetChooser targets, String layer) {
          Gradients g = session.gradients(images, targets, layer);
          add.accept(2L * images.length);
          return g;
        }

        @Override
        public Gradients reluGradients(float[][] images, int[] targets, String layer,
            org.convlens.model.ReluRule rule) {
          Gradients g = session.reluGradients(images, targets, layer, rule);
          add.accept(2L * images.length);
          return g;
        }

        @Override
        public ObjectiveGradients objective(float[][] images, Objective objective) {
          ObjectiveGradients g = session.objective(images, objective);
          add.accept(2L * images.length);
          return g;
        }

        @Override
        public float[][] patchedLogits(float[] image, int height, int width, List<Patch> patches, int perEval,
            boolean incremental) {
          // Passed on, so the model's incremental path is kept; each copy counts as one forward.
          float[][] logits = session.patchedLogits(image, height, width, patches, perEval, incremental);
          add.accept(patches.size());
          return logits;
        }

        @Override
        public void close() {
          session.close();
        }
      };
    }

    private void classifyBatch(Iterator<Row> inputs, InputReader reader, Preprocessor pre,
        Classifier classifier, InferenceSession session, ArrayDeque<Row> out) {
      List<Row> okInputs = new ArrayList<>(o.batchSize());
      List<float[]> tensors = new ArrayList<>(o.batchSize());
      List<int[]> sizes = new ArrayList<>(o.batchSize());
      List<String> formats = new ArrayList<>(o.batchSize());
      List<ImageStatistics> statistics = new ArrayList<>(o.batchSize());
      while (okInputs.size() < o.batchSize() && inputs.hasNext()) {
        Row in = inputs.next();
        String listingError = in.getString(InputSchema.col(InputSchema.ERROR_KIND));
        if (listingError != null) {
          out.add(errorRow(in, listingError, in.getString(InputSchema.col(InputSchema.ERROR)), null));
          continue;
        }
        try {
          Decoded d = decode(in, reader, pre, o.maxPixels(), true);
          sizes.add(new int[] {d.width(), d.height()});
          formats.add(d.format());
          statistics.add(d.statistics());
          okInputs.add(in);
          tensors.add(d.tensor());
        } catch (InputException e) {
          out.add(errorRow(in, e.kind().code(), e.getMessage(), null));
        } catch (OutOfMemoryError e) {
          out.add(errorRow(in, ErrorKind.OUT_OF_MEMORY.code(), "ran out of memory reading this image ("
              + e.getMessage() + "); give executors more memory or lower input.max-pixels", null));
        } catch (RuntimeException | StackOverflowError e) {
          out.add(errorRow(in, ErrorKind.INTERNAL.code(), "unexpected " + e, null));
        }
      }
      if (okInputs.isEmpty()) {
        return;
      }
      batchImages = okInputs.size();
      batchStart = work;
      try {
        out.addAll(classify(okInputs, tensors, sizes, formats, statistics, pre, classifier, session));
        return;
      } catch (RuntimeException | OutOfMemoryError e) {
        if (okInputs.size() == 1) {
          out.add(inferenceError(okInputs.get(0), sizes.get(0), e, 1));
          return;
        }
      }
      for (int i = 0; i < okInputs.size(); i++) {
        try {
          out.addAll(classify(okInputs.subList(i, i + 1), tensors.subList(i, i + 1), sizes.subList(i, i + 1),
              formats.subList(i, i + 1), statistics.subList(i, i + 1), pre, classifier, session));
        } catch (RuntimeException | OutOfMemoryError e) {
          out.add(inferenceError(okInputs.get(i), sizes.get(i), e, okInputs.size()));
        }
      }
    }

    private Row inferenceError(Row in, int[] size, Throwable e, int batch) {
      boolean memory = e instanceof OutOfMemoryError;
      String msg = (memory ? "ran out of memory" : "inference failed") + " on this image"
          + (batch > 1 ? " (alone, after its batch of " + batch + " failed)" : "") + ": " + e.getMessage();
      return errorRow(in, (memory ? ErrorKind.OUT_OF_MEMORY : ErrorKind.INFERENCE_FAILED).code(), msg, size);
    }

    /** One forward (and backward) pass over decoded images: their output rows, in order. */
    private List<Row> classify(List<Row> okInputs, List<float[]> tensors, List<int[]> sizes, List<String> formats,
        List<ImageStatistics> statistics, Preprocessor pre, Classifier classifier, InferenceSession session) {
      float[][] images = tensors.toArray(new float[0][]);
      String[] ids = new String[okInputs.size()];
      String[] targetSource = new String[okInputs.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = okInputs.get(i).getString(InputSchema.col(InputSchema.ID));
      }
      AttributionBatch batch = AttributionBatch.run(session, classifier, o.attribution(), images, ids,
          (i, logits) -> chooseTarget(okInputs.get(i), logits, targetSource, i));
      List<Object[][]> attributions = Attributions.attribute(batch);
      List<String> classes = o.description().classNames();
      List<Row> rows = new ArrayList<>(okInputs.size());
      for (int i = 0; i < okInputs.size(); i++) {
        Row in = okInputs.get(i);
        float[] probs = batch.probabilities(i);
        int[] top = TopK.topK(probs, o.topK());
        String[] topNames = new String[top.length];
        float[] topProbs = new float[top.length];
        for (int k = 0; k < top.length; k++) {
          topNames[k] = classes.get(top[k]);
          topProbs[k] = probs[top[k]];
        }
        int label = in.getInt(InputSchema.col(InputSchema.LABEL));
        String labelName = in.getString(InputSchema.col(InputSchema.LABEL_NAME));
        Boolean correct = labelName != null ? (Boolean) labelName.equals(topNames[0])
            : label >= 0 ? (Boolean) (label == top[0]) : null;
        int target = batch.target(i);
        Object[] base = {
            AnalysisSchema.VERSION, o.runId(), o.description().id(),
            in.getString(InputSchema.col(InputSchema.DATASET)), in.getString(InputSchema.col(InputSchema.ID)),
            in.getString(InputSchema.col(InputSchema.SOURCE)), in.getLong(InputSchema.col(InputSchema.RECORD_INDEX)),
            label, labelName, AnalysisSchema.STATUS_OK, null, null,
            formats.get(i), sizes.get(i)[0], sizes.get(i)[1],
            top[0], topNames[0], correct, top, topNames, topProbs, probs, batch.embedding(i),
            target, classes.get(target), targetSource[i], probs[target]};
        rows.add(row(base, Attributions.values(o.attribution(), attributions, i), preview(pre, images[i]),
            statistics.get(i).values()));
      }
      return rows;
    }

    /** The target class of one input, recording where it came from in {@code source[i]}. */
    private int chooseTarget(Row in, float[] logits, String[] source, int i) {
      if (o.fixedTarget() >= 0) {
        source[i] = "class";
        return o.fixedTarget();
      }
      if (AttributionSettings.LABEL.equals(o.attribution().target())) {
        String labelName = in.getString(InputSchema.col(InputSchema.LABEL_NAME));
        int byName = labelName == null ? -1 : o.description().classNames().indexOf(labelName);
        int label = in.getInt(InputSchema.col(InputSchema.LABEL));
        int t = byName >= 0 ? byName
            : labelName == null && label >= 0 && label < logits.length ? label : -1;
        if (t >= 0) {
          source[i] = "label";
          return t;
        }
      }
      source[i] = "predicted";
      return TopK.argmax(logits);
    }

    private static Row row(Object[] base, Object[] methods, byte[] preview, Object[] statistics) {
      Object[] v = new Object[base.length + methods.length + 1 + statistics.length];
      System.arraycopy(base, 0, v, 0, base.length);
      System.arraycopy(methods, 0, v, base.length, methods.length);
      v[base.length + methods.length] = preview;
      System.arraycopy(statistics, 0, v, base.length + methods.length + 1, statistics.length);
      return RowFactory.create(v);
    }

    /** The {@code input_png} preview: what the model saw, as PNG; null when turned off. */
    private byte[] preview(Preprocessor pre, float[] input) {
      if (o.thumbnailSide() == 0) {
        return null;
      }
      ModelDescription.Input in = o.description().input();
      return Images.png(pre.unitPixels(input), in.channels(), in.height(), in.width(), o.thumbnailSide());
    }

    private Row errorRow(Row in, String kind, String message, int[] size) {
      return padded(
          AnalysisSchema.VERSION, o.runId(), o.description().id(),
          in.getString(InputSchema.col(InputSchema.DATASET)), in.getString(InputSchema.col(InputSchema.ID)),
          in.getString(InputSchema.col(InputSchema.SOURCE)), in.getLong(InputSchema.col(InputSchema.RECORD_INDEX)),
          in.getInt(InputSchema.col(InputSchema.LABEL)), in.getString(InputSchema.col(InputSchema.LABEL_NAME)),
          AnalysisSchema.STATUS_ERROR, kind, message, null,
          size == null ? null : size[0], size == null ? null : size[1]);
    }
  }
}
