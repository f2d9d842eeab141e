package org.convlens.model;

/**
 * A loaded classifier, shared by every task thread of one JVM (see {@link ModelCache}). It is
 * thread-safe; per-thread state lives in the {@link InferenceSession}s it hands out.
 */
public interface Classifier extends AutoCloseable {
  ModelDescription description();

  /** Width D of the embedding output (N×D), measured by a test forward at load time. */
  int embeddingDim();

  /** The device the weights live on, e.g. {@code cpu()} or {@code gpu(0)}. */
  String device();

  /**
   * Layers whose activation gradient {@link InferenceSession#gradients} can return (layer-attribution methods),
   * name → K×h×w, shallow to deep; empty when the model exposes none.
   */
  java.util.Map<String, int[]> gradientLayers();

  /** The layer the layer-attribution methods use unless configured otherwise; null when there is none. */
  String defaultGradientLayer();

  /**
   * Why this model cannot run {@link InferenceSession#reluGradients} (the modified-backprop attribution
   * methods), or null when it can.
   */
  String reluBackwardMissing();

  /**
   * Whether patched copies of an image can run incrementally on this model ({@link
   * InferenceSession#patchedLogits}): its stages can run one at a time on part of their input
   * ({@link StagedModel}). False by default: full re-inference.
   */
  default boolean incrementalPatches() {
    return false;
  }

  /** A session for the calling thread; close it when the task ends. Not thread-safe. */
  InferenceSession newSession();

  @Override
  void close();
}
