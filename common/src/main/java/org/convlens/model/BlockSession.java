package org.convlens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Batched inference on one thread, for both DJL and TorchScript blocks.
 *
 * <p>Why {@code block.forward} and not a {@code Predictor} with a {@code NoopTranslator}: the
 * batch is already a tensor-shaped float array, so a translator adds nothing; calling the block
 * lets this class own the memory of each batch (one sub-{@link NDManager}, closed right after the
 * outputs are copied out) and is the same call the gradient-based attribution methods make with
 * {@code training=true}. A {@code Predictor} would also switch autograd off by itself, which is
 * what we do explicitly below.
 *
 * <p>Memory: every intermediate of a forward is attached to the input's manager (≈69 MiB per
 * batch-64 forward of the small CNN), so each batch gets its own sub-manager, closed in {@code
 * finally}; nothing outlives the call but the copied {@code float[][]}.
 *
 * <p>Grad mode: PyTorch's grad mode is thread-local and DJL turns it off only on the thread that
 * started the engine. Each {@link #forward} turns it off on the calling thread (Spark task threads
 * are pooled, so once per session would not be enough) and restores the previous state after, so
 * an inference call inside a gradient computation does not switch that computation's recording
 * off.
 *
 * <p>Not thread-safe: one session per task thread (concurrent use is detected and refused).
 */
final class BlockSession implements InferenceSession {
  private final BlockClassifier classifier;
  private final NDManager manager;
  private final ParameterStore parameterStore;
  private final int channels;
  private final int height;
  private final int width;
  private final int logitsIndex;
  private final int embeddingIndex;
  private final AtomicBoolean inUse = new AtomicBoolean();
  private boolean closed;

  BlockSession(BlockClassifier classifier) {
    this.classifier = classifier;
    ModelDescription d = classifier.description();
    this.manager = classifier.model().getNDManager().newSubManager(classifier.djlDevice());
    this.manager.setName("convlens-session");
    // copy=false: parameters already live on this device; the store only hands them out.
    this.parameterStore = new ParameterStore(manager, false);
    this.channels = d.input().channels();
    this.height = d.input().height();
    this.width = d.input().width();
    this.logitsIndex = d.outputs().logits();
    this.embeddingIndex = d.outputs().embedding();
  }

  @Override
  public Forward forward(float[][] images) {
    return guarded(() -> run(images));
  }

  @Override
  public Gradients gradients(float[][] images, TargetChooser targets, String layer) {
    int[] shape = layer == null ? null : layerShape(layer);
    return guarded(() -> backward(images, targets, layer, shape));
  }

  @Override
  public Gradients reluGradients(float[][] images, int[] targets, String layer, ReluRule rule) {
    String missing = classifier.reluBackwardMissing();
    if (missing != null) {
      throw new IllegalStateException(missing);
    }
    int[] shape = layer == null ? null : layerShape(layer);
    return guarded(() -> modifiedBackward(images, targets, layer, shape, rule));
  }

  @Override
  public float[][] patchedLogits(float[] image, int height, int width, java.util.List<Patch> patches, int perEval,
      boolean incremental) {
    if (!incremental || !classifier.incrementalPatches() || height != this.height || width != this.width) {
      return InferenceSession.byForward(this, image, height, width, patches, perEval);
    }
    StagedModel staged = (StagedModel) classifier.block();
    return guarded(() -> withoutGrad(() -> {
      try (NDManager batch = manager.newSubManager()) {
        return IncrementalForward.logits(staged, parameterStore, batch, image, channels, height, width, patches,
            perEval);
      }
    }));
  }

  @Override
  public ObjectiveGradients objective(float[][] images, Objective objective) {
    String layer = null;
    if (objective.kind() == Objective.Kind.CHANNEL) {
      layer = objective.layer() != null ? objective.layer() : classifier.defaultGradientLayer();
      if (layer == null) {
        throw new IllegalArgumentException("model " + classifier.description().id()
            + " exposes no layer activation, so it has no channel objectives");
      }
      int channels = layerShape(layer)[0];
      if (objective.index() < 0 || objective.index() >= channels) {
        throw new IllegalArgumentException("layer '" + layer + "' has channels 0.." + (channels - 1)
            + ", not " + objective.index());
      }
    } else if (objective.index() < 0 || objective.index() >= classifier.description().numClasses()) {
      throw new IllegalArgumentException("class " + objective.index() + " is outside 0.."
          + (classifier.description().numClasses() - 1));
    }
    String tap = layer;
    return guarded(() -> ascend(images, objective, tap));
  }

  private int[] layerShape(String layer) {
    int[] shape = classifier.gradientLayers().get(layer);
    if (shape == null) {
      throw new IllegalArgumentException("model " + classifier.description().id()
          + " gives no gradient for layer '" + layer + "'; it can for "
          + classifier.gradientLayers().keySet());
    }
    return shape;
  }

  private <T> T guarded(Supplier<T> body) {
    if (closed) {
      throw new IllegalStateException("session of " + classifier.description().id()
          + " is closed");
    }
    if (!inUse.compareAndSet(false, true)) {
      throw new IllegalStateException(
          "an InferenceSession is not thread-safe; open one per thread (Classifier.newSession)");
    }
    try {
      if (!classifier.enter()) {
        throw new IllegalStateException("classifier " + classifier.description().id()
            + " is closed");
      }
      try {
        return body.get();
      } finally {
        classifier.exit();
      }
    } finally {
      inUse.set(false);
    }
  }

  private Forward run(float[][] images) {
    int n = images.length;
    if (n == 0) {
      return new Forward(new float[0][], new float[0][]);
    }
    float[] flat = flatten(images);
    return withoutGrad(() -> {
      try (NDManager batch = manager.newSubManager()) {
        NDArray x = batch.create(flat, new Shape(n, channels, height, width));
        NDList out = classifier.block().forward(parameterStore, classifier.inputs(x, null), false);
        return new Forward(rows(out.get(logitsIndex), n), rows(out.get(embeddingIndex), n));
      }
    });
  }

  /**
   * Gradients without DJL's {@code GradientCollector}: PyTorch allows only one of those per
   * process, and it zeroes the gradients of every array in the engine, so task threads would
   * block each other. Here the grad mode is switched on for this thread only, the input (and the
   * layer's {@code delta}) are fresh leaves of this batch's sub-manager, and {@code backward} of
   * the summed target logits runs on the thread's own graph; PyTorch's autograd engine handles
   * independent graphs on several threads. Weights are frozen, so nothing shared accumulates.
   */
  private Gradients backward(float[][] images, TargetChooser chooser, String layer, int[] layerShape) {
    int n = images.length;
    if (n == 0) {
      return empty(layerShape, new float[0][]);
    }
    float[] flat = flatten(images);
    return withGrad(batch -> {
      NDArray x = batch.create(flat, new Shape(n, channels, height, width));
      x.setRequiresGradient(true);
      NDArray delta = null;
      if (layerShape != null) {
        delta = batch.zeros(new Shape(n, layerShape[0], layerShape[1], layerShape[2]));
        delta.setRequiresGradient(true);
      }
      NDList out = classifier.block().forward(parameterStore, classifier.inputs(x, delta),
          classifier.gradientForwardTraining(), classifier.tapParams(layer));
      NDArray logitsNd = out.get(logitsIndex);
      float[][] logits = rows(logitsNd, n);
      int[] targets = new int[n];
      for (int i = 0; i < n; i++) {
        targets[i] = chooser.target(i, logits[i]);
      }
      NDArray score = logitsNd.mul(batch.create(oneHot(targets, logits[0].length), logitsNd.getShape())).sum();
      JniUtils.backward((PtNDArray) score, (PtNDArray) score.onesLike(), false, false);
      float[][] embeddings = rows(out.get(embeddingIndex), n);
      float[][] inputGradients = rows(x.getGradient(), n);
      float[][] activations = null;
      float[][] layerGradients = null;
      if (delta != null) {
        activations = rows(out.get(classifier.description().outputs().featureMap()), n);
        layerGradients = rows(delta.getGradient(), n);
      }
      return Gradients.builder()
          .logits(logits)
          .embeddings(embeddings)
          .targets(targets)
          .inputGradients(inputGradients)
          .layerActivations(activations)
          .layerGradients(layerGradients)
          .layerShape(layerShape)
          .build();
    });
  }

  /**
   * {@link #reluGradients}: the classifier's segmented backward ({@link
   * BlockClassifier#reluBackward}) seeded with each image's one-hot target, on this thread's own
   * graph as in {@link #backward}.
   */
  private Gradients modifiedBackward(float[][] images, int[] targets, String layer,
      int[] layerShape, ReluRule rule) {
    int n = images.length;
    if (n != targets.length) {
      throw new IllegalArgumentException(n + " images but " + targets.length + " targets");
    }
    if (n == 0) {
      return empty(layerShape, null);
    }
    int classes = classifier.description().numClasses();
    float[] oneHot = oneHot(targets, classes);
    float[] flat = flatten(images);
    return withGrad(batch -> {
      NDArray x = batch.create(flat, new Shape(n, channels, height, width));
      x.setRequiresGradient(true);
      NDArray delta = null;
      if (layerShape != null) {
        delta = batch.zeros(new Shape(n, layerShape[0], layerShape[1], layerShape[2]));
        delta.setRequiresGradient(true);
      }
      NDArray seed = batch.create(oneHot, new Shape(n, classes));
      NDList out = classifier.reluBackward(parameterStore, x, delta, seed, layer, rule);
      return Gradients.builder()
          .logits(rows(out.get(0), n))
          .targets(targets.clone())
          .inputGradients(rows(out.get(1), n))
          .layerActivations(delta == null ? null : rows(out.get(3), n))
          .layerGradients(delta == null ? null : rows(out.get(2), n))
          .layerShape(layerShape)
          .build();
    });
  }

  /** Forward and backward of {@code objective} summed over the batch (see {@link #backward}). */
  private ObjectiveGradients ascend(float[][] images, Objective objective, String layer) {
    int n = images.length;
    if (n == 0) {
      return new ObjectiveGradients(new float[0], new float[0][], new float[0][]);
    }
    float[] flat = flatten(images);
    return withGrad(batch -> {
      NDArray x = batch.create(flat, new Shape(n, channels, height, width));
      x.setRequiresGradient(true);
      NDList out = classifier.block().forward(parameterStore, classifier.inputs(x, null),
          classifier.gradientForwardTraining(), classifier.tapParams(layer));
      NDArray logits = out.get(logitsIndex);
      NDArray values;
      if (objective.kind() == Objective.Kind.CLASS) {
        values = logits.get(":, " + objective.index());
      } else {
        NDArray activation = out.get(classifier.description().outputs().featureMap());
        // N×h×w after selecting the channel; DJL's PyTorch mean takes one axis at a time.
        values = activation.get(":, " + objective.index()).mean(new int[] {2}).mean(new int[] {1});
      }
      NDArray score = values.sum();
      JniUtils.backward((PtNDArray) score, (PtNDArray) score.onesLike(), false, false);
      float[] v = values.toType(DataType.FLOAT32, false).toFloatArray();
      return new ObjectiveGradients(v, rows(logits, n), rows(x.getGradient(), n));
    });
  }

  /** The result for no images: empty rows, the layer's shape, and {@code embeddings} as given. */
  private static Gradients empty(int[] layerShape, float[][] embeddings) {
    return Gradients.builder()
        .logits(new float[0][])
        .embeddings(embeddings)
        .targets(new int[0])
        .inputGradients(new float[0][])
        .layerActivations(layerShape == null ? null : new float[0][])
        .layerGradients(layerShape == null ? null : new float[0][])
        .layerShape(layerShape)
        .build();
  }

  /** The one-hot seed (N×classes) of each image's target class, refusing a class out of range. */
  private static float[] oneHot(int[] targets, int classes) {
    float[] oneHot = new float[targets.length * classes];
    for (int i = 0; i < targets.length; i++) {
      if (targets[i] < 0 || targets[i] >= classes) {
        throw new IllegalArgumentException("target class " + targets[i] + " of image " + i
            + " is outside 0.." + (classes - 1));
      }
      oneHot[i * classes + targets[i]] = 1f;
    }
    return oneHot;
  }

  /**
   * Runs {@code body} on a fresh sub-manager (closed after) with autograd recording on for this
   * thread only, restoring the thread's grad mode afterwards.
   */
  private <T> T withGrad(java.util.function.Function<NDManager, T> body) {
    boolean was = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
    try (NDManager batch = manager.newSubManager()) {
      return body.apply(batch);
    } finally {
      JniUtils.setGradMode(was);
    }
  }

  private float[] flatten(float[][] images) {
    int n = images.length;
    int size = channels * height * width;
    float[] flat = new float[n * size];
    for (int i = 0; i < n; i++) {
      if (images[i] == null || images[i].length != size) {
        throw new IllegalArgumentException("image " + i + " has "
            + (images[i] == null ? "no data" : images[i].length + " values") + ", expected "
            + channels + "×" + height + "×" + width + " = " + size);
      }
      System.arraycopy(images[i], 0, flat, i * size, size);
    }
    return flat;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      manager.close();
    }
  }

  /** Runs {@code body} with autograd recording off on this thread, restoring it afterwards. */
  static <T> T withoutGrad(Supplier<T> body) {
    boolean was = JniUtils.isGradMode();
    if (was) {
      JniUtils.setGradMode(false);
    }
    try {
      return body.get();
    } finally {
      if (was) {
        JniUtils.setGradMode(true);
      }
    }
  }

  /** Runs a forward of {@code block} on {@code manager}, outside any session. */
  static NDList forwardOnce(
      Block block, NDManager manager, NDList inputs, PairList<String, Object> params) {
    return block.forward(new ParameterStore(manager, false), inputs, false, params);
  }

  /** Copies an N×… output to N rows (trailing dimensions flattened). */
  static float[][] rows(NDArray a, int n) {
    float[] all = (a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false))
        .toFloatArray();
    int width = all.length / n;
    float[][] rows = new float[n][];
    for (int i = 0; i < n; i++) {
      rows[i] = new float[width];
      System.arraycopy(all, i * width, rows[i], 0, width);
    }
    return rows;
  }
}
