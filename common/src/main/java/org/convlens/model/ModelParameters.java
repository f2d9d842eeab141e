package org.convlens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A classifier's named parameters in the model's own order, for both engines, named as PyTorch's
 * {@code named_parameters()} names them ({@link LayerNames}): {@code features.block1.conv1.weight}
 * for the bundled DJL model, {@code layer1.0.conv1.weight} for a TorchScript ResNet.
 *
 * <p>What each engine exposes differs: DJL's batch-norm running mean and variance are parameters
 * (listed here, not trainable, like Keras's non-trainable weights); a TorchScript module exposes
 * its parameters but not its buffers, so its running statistics are not listed (as in PyTorch's
 * {@code sum(p.numel() for p in model.parameters())}).
 */
public final class ModelParameters {
  /**
   * @param name the parameter's full dotted name
   * @param module the module (layer) that owns it
   * @param role its name within the module: {@code weight}, {@code bias}, {@code running_mean}, …
   * @param shape its shape
   * @param trainable false for running statistics
   */
  public record Param(String name, String module, String role, long[] shape, boolean trainable) {
    public long size() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  private final Map<String, Param> params;
  private final Map<String, Parameter> arrays;
  private final LayerNames names;

  private ModelParameters(Map<String, Param> params, Map<String, Parameter> arrays, LayerNames names) {
    this.params = Collections.unmodifiableMap(params);
    this.arrays = arrays;
    this.names = names;
  }

  /** The parameters of a loaded classifier (the weights stay owned by it). */
  public static ModelParameters of(Classifier classifier) {
    BlockClassifier c = (BlockClassifier) classifier;
    LayerNames names = LayerNames.of(c.block());
    Map<String, Param> params = new LinkedHashMap<>();
    Map<String, Parameter> arrays = new LinkedHashMap<>();
    for (var pair : c.block().getParameters()) {
      Parameter p = pair.getValue();
      LayerNames.Owner owner = names.owner(p);
      String name = owner.name();
      boolean trainable = p.getType() != Parameter.Type.RUNNING_MEAN
          && p.getType() != Parameter.Type.RUNNING_VAR;
      if (params.put(name, new Param(name, owner.module(), owner.role(), p.getArray().getShape().getShape(),
          trainable)) != null) {
        throw new IllegalStateException("two parameters of model " + c.description().id() + " are named " + name);
      }
      arrays.put(name, p);
    }
    return new ModelParameters(params, arrays, names);
  }

  /** Every parameter, in the model's order. */
  public List<Param> list() {
    return new ArrayList<>(params.values());
  }

  /** The parameter of that full name, or null. */
  public Param get(String name) {
    return params.get(name);
  }

  /** What a module or parameter that DJL names {@code djlName} is called here, or null (see {@link LayerNames}). */
  public String fromDjlName(String djlName) {
    return names.fromDjlName(djlName);
  }

  /** The engine's parameter object of that full name (the classifier's own: writes change it). */
  Parameter parameter(String name) {
    Parameter p = arrays.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter '" + name + "'");
    }
    return p;
  }

  /** A copy of a parameter's values, row-major in its shape. */
  public float[] values(String name) {
    NDArray a = parameter(name).getArray();
    return (a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false)).toFloatArray();
  }

  /** Number of values of every parameter. */
  public long total() {
    return params.values().stream().mapToLong(Param::size).sum();
  }

  /** Number of values of the trainable parameters. */
  public long trainable() {
    return params.values().stream().filter(Param::trainable).mapToLong(Param::size).sum();
  }
}
