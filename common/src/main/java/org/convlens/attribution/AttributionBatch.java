package org.convlens.attribution;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.convlens.data.ImageOps;
import org.convlens.model.Classifier;
import org.convlens.model.InferenceSession;
import org.convlens.model.InferenceSession.Gradients;
import org.convlens.model.InferenceSession.TargetChooser;
import org.convlens.model.ModelDescription;
import org.convlens.model.ReluRule;
import org.convlens.model.Softmax;

/**
 * One batch of preprocessed images on its way through the attribution methods. Creating it runs
 * the one pass every method shares: a forward+backward when any selected method needs gradients
 * (predictions, embeddings, targets and gradients all come from it), else a plain forward. The
 * target of each image is chosen from that pass's logits and is the same for every method.
 */
public final class AttributionBatch {
  private final InferenceSession session;
  private final Classifier model;
  private final AttributionSettings settings;
  private final float[][] images;
  private final String[] ids;
  private final int[] targets;
  private final float[][] logits;
  private final float[][] embeddings;
  private final float[][] probabilities;
  private final Map<String, Gradients> passes = new HashMap<>();
  /** Modified-backward passes by rule and layer ("" = none), each computed once per batch. */
  private final Map<String, Gradients> reluPasses = new HashMap<>();

  private AttributionBatch(InferenceSession session, Classifier model, AttributionSettings settings,
      float[][] images, String[] ids, TargetChooser chooser) {
    this.session = session;
    this.model = model;
    this.settings = settings;
    this.images = images;
    this.ids = ids;
    String layer = sharedLayer(settings, model);
    if (layer != null) {
      Gradients g = session.gradients(images, chooser, layer.isEmpty() ? null : layer);
      passes.put(layer, g);
      logits = g.logits();
      embeddings = g.embeddings();
      targets = g.targets();
    } else {
      InferenceSession.Forward f = session.forward(images);
      logits = f.logits();
      embeddings = f.embeddings();
      targets = new int[images.length];
      for (int i = 0; i < images.length; i++) {
        targets[i] = chooser.target(i, logits[i]);
      }
    }
    probabilities = new float[images.length][];
    for (int i = 0; i < images.length; i++) {
      probabilities[i] = Softmax.softmax(logits[i]);
    }
  }

  /**
   * Runs the shared pass on {@code images}.
   *
   * @param ids one stable id per image (seeds per-image randomness such as a method's noise)
   * @param chooser picks each image's target class from its logits
   */
  public static AttributionBatch run(InferenceSession session, Classifier model,
      AttributionSettings settings, float[][] images, String[] ids, TargetChooser chooser) {
    return new AttributionBatch(session, model, settings, images, ids, chooser);
  }

  /** The layer of the shared pass: a named layer if any method needs one, "" for input gradients, null for none. */
  static String sharedLayer(AttributionSettings settings, Classifier model) {
    String shared = null;
    for (String name : settings.methods()) {
      String layer = Attributions.byName(name).gradientLayer(settings, model);
      if (layer != null && (shared == null || shared.isEmpty())) {
        shared = layer;
      }
    }
    return shared;
  }

  public int size() {
    return images.length;
  }

  public float[][] images() {
    return images;
  }

  public String id(int i) {
    return ids[i];
  }

  public int target(int i) {
    return targets[i];
  }

  public int[] targets() {
    return targets;
  }

  public float[] logits(int i) {
    return logits[i];
  }

  public float[] embedding(int i) {
    return embeddings[i];
  }

  public float[] probabilities(int i) {
    return probabilities[i];
  }

  public AttributionSettings settings() {
    return settings;
  }

  public Classifier model() {
    return model;
  }

  public ModelDescription description() {
    return model.description();
  }

  /** Input gradients of the target logits, from the shared pass (computed now if there was none). */
  public float[][] inputGradients() {
    if (passes.isEmpty()) {
      return gradients("").inputGradients();
    }
    return passes.values().iterator().next().inputGradients();
  }

  /**
   * Gradients of the target logits w.r.t. the input and, for a non-empty {@code layer}, that
   * layer: the shared pass when it covered {@code layer}, else one more forward+backward.
   */
  public Gradients gradients(String layer) {
    return passes.computeIfAbsent(layer,
        l -> session.gradients(images, (i, lg) -> targets[i], l.isEmpty() ? null : l));
  }

  /**
   * The target logits' modified backward ({@link InferenceSession#reluGradients}) w.r.t. the
   * input and, for a non-null {@code layer}, that layer: one more forward+backward per rule and
   * layer, shared by the methods that ask for the same.
   */
  public Gradients reluGradients(String layer, ReluRule rule) {
    return reluPasses.computeIfAbsent(rule + "|" + (layer == null ? "" : layer),
        k -> session.reluGradients(images, targets, layer, rule));
  }

  /** Gradients of {@code inputs} (e.g. noisy copies) for the given target classes, no layer. */
  public Gradients gradientsOf(float[][] inputs, int[] inputTargets) {
    return session.gradients(inputs, (i, lg) -> inputTargets[i], null);
  }

  /** Logits of {@code inputs} (e.g. occluded copies) from a plain forward. */
  public float[][] logitsOf(float[][] inputs) {
    return session.forward(inputs).logits();
  }

  /**
   * Logits of copies of image {@code image} with one rectangle replaced each ({@link
   * InferenceSession#patchedLogits}), incrementally where {@code incremental} and the model allow.
   */
  public float[][] patchedLogits(int image, List<InferenceSession.Patch> patches, int perEval, boolean incremental) {
    return session.patchedLogits(images[image], description().input().height(), description().input().width(),
        patches, perEval, incremental);
  }

  /**
   * A map as stored: area-downsampled to {@code analyze.maps.max-side} when larger, then encoded
   * ({@link MapEncoding}).
   */
  public Row store(float[] values, int channels, int height, int width, MapEncoding.Range range) {
    int[] size = ImageOps.storedSize(height, width, settings.mapMaxSide());
    float[] v = ImageOps.area(values, channels, height, width, size[0], size[1]);
    return MapEncoding.encode(v, channels, size[0], size[1], settings.mapEncoding(), range);
  }

  /** Methods that run for this batch, in registry order. */
  List<AttributionMethod> methods() {
    return Attributions.selected(settings);
  }
}
