package org.convlens.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Classifier} backed by a DJL {@link Model} whose {@link Block} returns the outputs
 * listed in {@link ModelDescription#outputs()}. The model (weights, block) is shared by all task
 * threads of a JVM; each thread runs it through its own {@link InferenceSession}.
 *
 * <p>Attribution methods that need gradients use {@link #model()} and {@link #block()} directly
 * (TorchScript models are loaded ready for input gradients, see {@link TorchScriptClassifier});
 * they must not close them.
 */
public abstract sealed class BlockClassifier implements Classifier
    permits DjlClassifier, TorchScriptClassifier {
  private static final Logger LOG = LoggerFactory.getLogger(BlockClassifier.class);
  private static final long CLOSE_WAIT_NANOS = 5_000_000_000L;

  private final Model model;
  private final ModelDescription description;
  private final Device device;
  private final Path artifact;
  private final Probe probe;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Forwards running now; close waits for them so native memory is not freed under one. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean cacheOwned;

  BlockClassifier(
      Model model, ModelDescription description, Device device, Path artifact, Probe probe) {
    this.model = model;
    this.description = description;
    this.device = device;
    this.artifact = artifact;
    this.probe = probe;
  }

  /**
   * What the test forward at load time measured.
   *
   * @param embeddingDim width D of the embedding output
   * @param layers layers whose gradient one backward can give (layer-attribution methods), in the model's order,
   *     with their activation shape K×h×w; empty when the model exposes none
   * @param defaultLayer the layer the layer-attribution methods use unless configured otherwise, or null
   */
  record Probe(int embeddingDim, Map<String, int[]> layers, String defaultLayer) {}

  @Override
  public ModelDescription description() {
    return description;
  }

  @Override
  public String device() {
    return device.toString();
  }

  /** The device as a DJL {@link Device}. */
  public Device djlDevice() {
    return device;
  }

  /** The loaded DJL model; owned by this classifier. */
  public Model model() {
    return model;
  }

  /** The model's block; {@code forward} returns the outputs indexed by the description. */
  public Block block() {
    return model.getBlock();
  }

  /** The weights file this classifier was loaded from. */
  public Path artifact() {
    return artifact;
  }

  @Override
  public int embeddingDim() {
    return probe.embeddingDim();
  }

  /** Layers available to gradient methods (name → K×h×w), measured at load time. */
  public Map<String, int[]> gradientLayers() {
    return probe.layers();
  }

  /** The layer the layer-attribution methods use by default (the description's feature map), or null if none. */
  public String defaultGradientLayer() {
    return probe.defaultLayer();
  }

  /**
   * The forward inputs: {@code x}, plus the {@code delta} the model takes when it exposes
   * feature-map gradients that way (a 1×1×1×1 zero when {@code delta} is null).
   */
  NDList inputs(NDArray x, NDArray delta) {
    if (delta == null && !takesDelta()) {
      return new NDList(x);
    }
    return new NDList(x, delta != null ? delta : x.getManager().zeros(new Shape(1, 1, 1, 1)));
  }

  /** Whether every forward must be given a {@code delta} input (a traced two-input module). */
  boolean takesDelta() {
    return ModelLoader.takesDelta(description, block());
  }

  /**
   * The modified backward of {@link InferenceSession#reluGradients} on this model: returns the
   * logits, d/dx, d/d{@code delta} (null without {@code delta}) and the feature map, given the
   * input {@code x}, the layer's {@code delta} (null for input gradients only), the backward seed
   * {@code gradLogits} (N×classes) and the rule. Runs with grad mode on, inside a session.
   */
  abstract NDList reluBackward(ParameterStore parameters,
      NDArray x, NDArray delta, NDArray gradLogits, String layer, ReluRule rule);

  @Override
  public boolean incrementalPatches() {
    ModelDescription.Input in = description.input();
    return block() instanceof StagedModel staged && IncrementalForward.supports(staged, in.height(), in.width());
  }

  /** Forward parameters that select {@code layer} (null: the default). */
  abstract PairList<String, Object> tapParams(String layer);

  /**
   * The {@code training} flag of a forward that records gradients. DJL blocks: false (batch norm
   * keeps its running statistics; recording depends only on the thread's grad mode). TorchScript:
   * true, because DJL runs {@code training=false} forwards of a module in inference mode, whose
   * tensors cannot be saved for backward; traced modules bake eval-mode behaviour in.
   */
  abstract boolean gradientForwardTraining();

  @Override
  public InferenceSession newSession() {
    if (closed.get()) {
      throw new IllegalStateException("classifier " + description.id() + " is closed");
    }
    return new BlockSession(this);
  }

  /**
   * Frees the native weights. A classifier handed out by {@link ModelCache} is shared by every
   * task thread of the JVM; closing it here is ignored (with a warning) and the cache closes it at
   * JVM shutdown.
   */
  @Override
  public void close() {
    if (cacheOwned) {
      LOG.warn("classifier {} belongs to ModelCache and stays open until JVM shutdown",
          description.id());
      return;
    }
    closeNow();
  }

  void closeNow() {
    if (closed.compareAndSet(false, true)) {
      // At JVM shutdown task threads may still be mid-forward; give them a moment.
      long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
      while (inFlight.get() > 0 && System.nanoTime() < deadline) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (inFlight.get() > 0) {
        LOG.warn("closing classifier {} with {} forward(s) still running", description.id(),
            inFlight.get());
      }
      model.close();
    }
  }

  /** Marks a forward as running; false (and nothing marked) when the classifier is closed. */
  boolean enter() {
    inFlight.incrementAndGet();
    if (closed.get()) {
      inFlight.decrementAndGet();
      return false;
    }
    return true;
  }

  void exit() {
    inFlight.decrementAndGet();
  }

  boolean isClosed() {
    return closed.get();
  }

  void markCacheOwned() {
    cacheOwned = true;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + description.id() + ", " + artifact + ", " + device
        + "]";
  }
}
