package org.convlens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
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
        return run(images);
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
    return withoutGrad(() -> {
      try (NDManager batch = manager.newSubManager()) {
        NDArray x = batch.create(flat, new Shape(n, channels, height, width));
        NDList out = classifier.block().forward(parameterStore, new NDList(x), false);
        return new Forward(rows(out.get(logitsIndex), n), rows(out.get(embeddingIndex), n));
      }
    });
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

  /** Runs a forward of {@code block} on {@code x}'s manager, outside any session. */
  static NDList forwardOnce(Block block, NDManager manager, NDArray x) {
    return block.forward(new ParameterStore(manager, false), new NDList(x), false);
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
