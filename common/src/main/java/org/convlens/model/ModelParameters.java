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
 * A classifier's named parameters in the model's own order, for both engines: DJL blocks name
 * them {@code <module>_<name>} (e.g. {@code 01features_01Conv2d_weight}), TorchScript modules
 * {@code <module>.<name>} as PyTorch's {@code named_parameters()} does (e.g. {@code
 * layer1.0.conv1.weight}).
 *
 * <p>What each engine exposes differs: DJL's batch-norm running mean and variance are parameters
 * (listed here, not trainable, like Keras's non-trainable weights); a TorchScript module exposes
 * its parameters but not its buffers, so its running statistics are not listed (as in PyTorch's
 * {@code sum(p.numel() for p in model.parameters())}).
 */
public final class ModelParameters {
  /**
   * @param name the parameter's full name
   * @param module the module (layer) that owns it
   * @param role its name within the module: {@code weight}, {@code bias}, {@code gamma}, …
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

  private ModelParameters(Map<String, Param> params, Map<String, Parameter> arrays) {
    this.params = Collections.unmodifiableMap(params);
    this.arrays = arrays;
  }

  /** The parameters of a loaded classifier (the weights stay owned by it). */
  public static ModelParameters of(Classifier classifier) {
    BlockClassifier c = (BlockClassifier) classifier;
    Map<String, Param> params = new LinkedHashMap<>();
    Map<String, Parameter> arrays = new LinkedHashMap<>();
    for (var pair : c.block().getParameters()) {
      String name = pair.getKey();
      Parameter p = pair.getValue();
      String module;
      String role;
      if (name.equals(p.getName())) { // TorchScript: the parameter's own name is the full path
        int dot = name.lastIndexOf('.');
        module = dot < 0 ? "" : name.substring(0, dot);
        role = name.substring(dot + 1);
      } else { // DJL: <module path>_<parameter name>
        role = p.getName();
        module = name.endsWith("_" + role) ? name.substring(0, name.length() - role.length() - 1) : name;
      }
      boolean trainable = p.getType() != Parameter.Type.RUNNING_MEAN
          && p.getType() != Parameter.Type.RUNNING_VAR;
      params.put(name, new Param(name, module, role, p.getArray().getShape().getShape(), trainable));
      arrays.put(name, p);
    }
    return new ModelParameters(params, arrays);
  }

  /** Every parameter, in the model's order. */
  public List<Param> list() {
    return new ArrayList<>(params.values());
  }

  /** The parameter of that full name, or null. */
  public Param get(String name) {
    return params.get(name);
  }

  /** A copy of a parameter's values, row-major in its shape. */
  public float[] values(String name) {
    Parameter p = arrays.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter '" + name + "'");
    }
    NDArray a = p.getArray();
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
