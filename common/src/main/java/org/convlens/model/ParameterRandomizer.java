package org.convlens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Re-initialises a classifier's weights layer by layer, for the model-parameter randomisation
 * sanity check (Adebayo et al., NeurIPS 2018). Only for a
 * private copy of a model (see {@link ModelLoader#load}): the weights change in place, so never
 * on a {@link ModelCache}d one.
 *
 * <p>A "layer" is a module that owns trainable parameters (convolution, linear, batch-norm scale
 * and shift), in the model's parameter order; the cascade goes from the last (the logits) to the
 * first. Each randomised tensor gets Gaussian values with the mean and standard deviation of its
 * trained values (a tensor whose values are all equal gets N(0, 1/fan-in)): this keeps every
 * layer's scale, so activations neither vanish nor explode, where the paper re-draws from each
 * layer's initialiser; what matters for the check, that the learned values are gone, is the same.
 * Batch-norm running statistics are buffers, not learned weights, and are left alone.
 */
public final class ParameterRandomizer {
  private final Map<String, List<Parameter>> layers = new LinkedHashMap<>();
  private final Map<Parameter, float[]> trained = new java.util.HashMap<>();

  public ParameterRandomizer(Classifier classifier) {
    ModelParameters params = ModelParameters.of(classifier);
    for (ModelParameters.Param p : params.list()) {
      if (p.trainable()) {
        Parameter array = params.parameter(p.name());
        if (array.getArray().getDataType() != DataType.FLOAT32) {
          throw new IllegalArgumentException("parameter " + p.name() + " is " + array.getArray().getDataType()
              + "; the randomisation check supports float32 models only");
        }
        layers.computeIfAbsent(p.module(), k -> new ArrayList<>()).add(array);
        trained.put(array, array.getArray().toFloatArray());
      }
    }
  }

  /** How many layers {@link #topDown} lists for {@code classifier}, without copying any weight. */
  public static int layerCount(Classifier classifier) {
    return (int) ModelParameters.of(classifier).list().stream().filter(ModelParameters.Param::trainable)
        .map(ModelParameters.Param::module).distinct().count();
  }

  /**
   * Layer names ({@link LayerNames}: {@code head}, {@code features.block3.bn2}, … for the bundled
   * model; the module's own, e.g. {@code layer4.1.conv2}, for TorchScript), top (nearest the
   * output) first.
   */
  public List<String> topDown() {
    List<String> names = new ArrayList<>(layers.keySet());
    java.util.Collections.reverse(names);
    return names;
  }

  /** Re-draws every trainable tensor of {@code layer} (seeded). */
  public void randomize(String layer, long seed) {
    List<Parameter> params = layers.get(layer);
    if (params == null) {
      throw new IllegalArgumentException("no layer '" + layer + "'; layers: " + topDown());
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (Parameter p : params) {
      NDArray a = p.getArray();
      float[] v = a.toFloatArray(); // float32, checked when the layers were listed
      double mean = 0;
      for (float x : v) {
        mean += x;
      }
      mean /= v.length;
      double var = 0;
      for (float x : v) {
        var += (x - mean) * (x - mean);
      }
      double std = Math.sqrt(var / v.length);
      if (!(std > 0)) {
        long[] shape = a.getShape().getShape();
        mean = 0;
        std = 1 / Math.sqrt(Math.max(1, v.length / Math.max(1, shape.length > 0 ? shape[0] : 1)));
      }
      float[] r = new float[v.length];
      for (int i = 0; i < r.length; i++) {
        r[i] = (float) (mean + std * org.convlens.util.Gaussian.next(random));
      }
      a.set(FloatBuffer.wrap(r));
    }
  }

  /** Puts every trained value back (the model is as loaded again). */
  public void restore() {
    trained.forEach((p, v) -> p.getArray().set(FloatBuffer.wrap(v)));
  }
}
