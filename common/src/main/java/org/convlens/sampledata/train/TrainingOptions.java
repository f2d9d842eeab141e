package org.convlens.sampledata.train;

/**
 * Settings of {@link SmallCnnTrainer}.
 *
 * @param seed seeds the engine's random generator (weight initialisation) and the shuffle order;
 *     only its low 32 bits reach the engine, whose API takes an {@code int}
 * @param epochs passes over the training set (default 5; 1–100)
 * @param batchSize images per step (default 32; 1–1024)
 * @param learningRate Adam's initial step size, decayed along a cosine to 1% of it by the
 *     last step (default 2e-3; 1e-4–1e-2 in practice)
 */
public record TrainingOptions(long seed, int epochs, int batchSize, float learningRate) {
  public TrainingOptions {
    if (epochs < 1 || epochs > 100) {
      throw new IllegalArgumentException("epochs must be in 1..100, got " + epochs);
    }
    if (batchSize < 1 || batchSize > 1024) {
      throw new IllegalArgumentException("batchSize must be in 1..1024, got " + batchSize);
    }
    if (!(learningRate > 0 && learningRate <= 1)) {
      throw new IllegalArgumentException("learningRate must be in (0, 1], got " + learningRate);
    }
  }

  public static TrainingOptions defaults(long seed, int epochs) {
    return new TrainingOptions(seed, epochs, 32, 2e-3f);
  }
}
