package org.convlens.model;

/** Batched inference for one thread (a DJL {@code Predictor}-like object). */
public interface InferenceSession extends AutoCloseable {
  /**
   * Runs one batch without recording gradients.
   *
   * @param images preprocessed images, each a flattened C×H×W array of the model's input size
   * @return per image: logits and the penultimate embedding
   */
  Forward forward(float[][] images);

  @Override
  void close();

  /** Outputs of one batch, row i belonging to input i. */
  record Forward(float[][] logits, float[][] embeddings) {}
}
