package org.convlens.model;

import java.util.List;

/** Batched inference for one thread (a DJL {@code Predictor}-like object). */
public interface InferenceSession extends AutoCloseable {
  /**
   * Runs one batch without recording gradients.
   *
   * @param images preprocessed images, each a flattened C×H×W array of the model's input size
   * @return per image: logits and the penultimate embedding
   */
  Forward forward(float[][] images);

  /**
   * One forward and one backward of a batch: the logits and embeddings of the forward, and the
   * gradients of each image's target logit (its pre-softmax score) w.r.t. the input and, when
   * {@code layer} is given, w.r.t. that layer's activation. The target is chosen from the
   * forward's own logits (between forward and backward), so "predicted class" costs no extra
   * pass. Images are independent: the batch is one backward of the sum of the target logits,
   * and eval-mode layers do not mix rows.
   *
   * @param images preprocessed images, as for {@link #forward}
   * @param targets picks each image's target class from its logits
   * @param layer a key of {@link Classifier#gradientLayers()}, or null for input gradients only
   */
  Gradients gradients(float[][] images, TargetChooser targets, String layer);

  /**
   * A modified backward (guided backprop and its relatives): the vector-Jacobian product of each image's
   * target logit w.r.t. the input and, when {@code layer} is given, that layer's activation, with
   * {@code rule} applied to the backward signal at every ReLU call. Not the gradient of any
   * module: the model is run as segments between its ReLU calls (the bundled model's blocks; a
   * TorchScript model's relu-backward sibling, see docs/attribution.md). Only for a model whose
   * {@link Classifier#reluBackwardMissing()} is null; the result has no embeddings.
   *
   * @param images preprocessed images, as for {@link #forward}
   * @param targets each image's target class
   * @param layer a key of {@link Classifier#gradientLayers()}, or null for input gradients only
   */
  Gradients reluGradients(float[][] images, int[] targets, String layer, ReluRule rule);

  /**
   * One forward and one backward of an {@link Objective} per image (feature visualisation): a
   * class's pre-softmax score, or the mean activation of one channel of a layer. The batch is one
   * backward of the sum of the per-image objectives, as in {@link #gradients}.
   *
   * @param images preprocessed images, as for {@link #forward}
   * @param objective what to differentiate; a channel objective's layer must be a key of {@link
   *     Classifier#gradientLayers()} (null = the default layer)
   */
  ObjectiveGradients objective(float[][] images, Objective objective);

  /**
   * The logits of copies of one image, each with one rectangle replaced ({@link Patch}), {@code
   * perEval} copies per forward. With {@code incremental} and a model that supports it ({@link
   * Classifier#incrementalPatches()}), each copy recomputes only what its rectangle reaches
   * ({@link IncrementalForward}); otherwise every copy is a full forward ({@link #byForward}).
   * Not a default method: a session that wraps another must pass this on, or the wrapped
   * session's incremental path would be silently lost.
   *
   * @param image the unchanged image, a flattened C×H×W array of the model's input size
   * @param height H
   * @param width W
   */
  float[][] patchedLogits(float[] image, int height, int width, List<Patch> patches, int perEval,
      boolean incremental);

  /** {@link #patchedLogits} by full re-inference: each copy made and run through {@code session}'s forward. */
  static float[][] byForward(InferenceSession session, float[] image, int height, int width, List<Patch> patches,
      int perEval) {
    float[][] out = new float[patches.size()][];
    int per = Math.max(1, perEval);
    for (int start = 0; start < patches.size(); start += per) {
      int n = Math.min(per, patches.size() - start);
      float[][] copies = new float[n][];
      for (int j = 0; j < n; j++) {
        copies[j] = patches.get(start + j).applyTo(image, height, width);
      }
      System.arraycopy(session.forward(copies).logits(), 0, out, start, n);
    }
    return out;
  }

  @Override
  void close();

  /**
   * A rectangle of an image replaced by new values.
   *
   * @param top first row
   * @param left first column
   * @param height rows (≥ 1)
   * @param width columns (≥ 1)
   * @param values the new values, C×height×width
   */
  record Patch(int top, int left, int height, int width, float[] values) {
    public Patch {
      if (top < 0 || left < 0 || height < 1 || width < 1 || values.length % (height * width) != 0) {
        throw new IllegalArgumentException("patch at " + top + "," + left + " of " + height + "×" + width + " with "
            + values.length + " values");
      }
    }

    /** A copy of {@code image} (C×{@code h}×{@code w}) with this patch over it. */
    public float[] applyTo(float[] image, int h, int w) {
      int c = values.length / (height * width);
      if (image.length != c * h * w || top + height > h || left + width > w) {
        throw new IllegalArgumentException("a " + c + "-channel patch at " + top + "," + left + " of " + height + "×"
            + width + " does not fit an image of " + image.length + " values as " + h + "×" + w);
      }
      float[] y = image.clone();
      for (int ch = 0; ch < c; ch++) {
        for (int r = 0; r < height; r++) {
          System.arraycopy(values, (ch * height + r) * width, y, (ch * h + top + r) * w + left, width);
        }
      }
      return y;
    }
  }

  /** Outputs of one batch, row i belonging to input i. */
  record Forward(float[][] logits, float[][] embeddings) {}

  /**
   * Outputs and gradients of one batch, row i belonging to input i.
   *
   * @param inputGradients d(target logit)/d(input), C×H×W per image
   * @param layerActivations the layer's activation, K×h×w per image (null without a layer)
   * @param layerGradients d(target logit)/d(activation), K×h×w per image (null without a layer)
   * @param layerShape K, h, w (null without a layer)
   */
  record Gradients(
      float[][] logits,
      float[][] embeddings,
      int[] targets,
      float[][] inputGradients,
      float[][] layerActivations,
      float[][] layerGradients,
      int[] layerShape) {
    /** A builder, so that a caller names each of the 7 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private float[][] logits;
      private float[][] embeddings;
      private int[] targets;
      private float[][] inputGradients;
      private float[][] layerActivations;
      private float[][] layerGradients;
      private int[] layerShape;

      private Builder() {}

      Builder logits(float[][] logits) {
        this.logits = logits;
        return this;
      }

      Builder embeddings(float[][] embeddings) {
        this.embeddings = embeddings;
        return this;
      }

      Builder targets(int[] targets) {
        this.targets = targets;
        return this;
      }

      Builder inputGradients(float[][] inputGradients) {
        this.inputGradients = inputGradients;
        return this;
      }

      Builder layerActivations(float[][] layerActivations) {
        this.layerActivations = layerActivations;
        return this;
      }

      Builder layerGradients(float[][] layerGradients) {
        this.layerGradients = layerGradients;
        return this;
      }

      Builder layerShape(int[] layerShape) {
        this.layerShape = layerShape;
        return this;
      }

      Gradients build() {
        return new Gradients(logits, embeddings, targets, inputGradients, layerActivations, layerGradients, layerShape);
      }
    }
  }

  /**
   * What input maximisation ascends. {@code CLASS}: logit {@code index} (the pre-softmax score,
   * as Simonyan et al. 2014 recommend over the probability). {@code CHANNEL}: the mean over
   * positions of channel {@code index} of {@code layer}'s activation (Olah et al. 2017's
   * "channel" objective).
   */
  record Objective(Kind kind, int index, String layer) {
    public enum Kind {
      CLASS,
      CHANNEL
    }

    public static Objective classScore(int index) {
      return new Objective(Kind.CLASS, index, null);
    }

    public static Objective channelMean(String layer, int channel) {
      return new Objective(Kind.CHANNEL, channel, layer);
    }
  }

  /**
   * @param values the objective per image, from the same forward
   * @param logits the logits per image
   * @param inputGradients d(objective)/d(input), C×H×W per image
   */
  record ObjectiveGradients(float[] values, float[][] logits, float[][] inputGradients) {}

  /** Chooses the class whose score is explained, given the image's position and logits. */
  @FunctionalInterface
  interface TargetChooser {
    int target(int image, float[] logits);
  }
}
