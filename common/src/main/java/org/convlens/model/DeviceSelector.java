package org.convlens.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.util.List;
import java.util.function.IntSupplier;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Picks the device for the calling task from {@link ModelSpec#device()}.
 *
 * <ul>
 *   <li>{@code cpu}: the CPU.
 *   <li>{@code gpu}: the GPU Spark assigned to this task ({@code TaskContext.resources()}, the
 *       first address of resource {@code gpu}, set by {@code spark.task.resource.gpu.amount}),
 *       else {@code gpu(0)}; fails when the engine sees no GPU (e.g. CPU-only libtorch).
 *   <li>{@code auto}: the task's GPU if Spark assigned one and the engine sees GPUs, else CPU.
 *       Outside a Spark task (the driver, tests) there is no assignment, so {@code auto} is CPU
 *       without touching the engine.
 * </ul>
 *
 * <p>Spark's addresses are the ones its GPU discovery script reports; they are taken as CUDA
 * device indices as the executor sees them (the usual setup on standalone, YARN and Kubernetes).
 */
public final class DeviceSelector {
  static final String GPU_RESOURCE = "gpu";

  private DeviceSelector() {}

  /**
   * @param device {@code auto}, {@code cpu} or {@code gpu}
   * @throws IllegalStateException when a GPU is required but cannot be used
   */
  public static Device resolve(String device) {
    return resolve(device, taskGpuAddresses(), DeviceSelector::engineGpuCount);
  }

  /**
   * GPUs the engine can use: 0 for a CPU-only libtorch even on a machine with GPUs ({@code
   * getGpuCount()} alone asks the CUDA driver, not libtorch).
   */
  static int engineGpuCount() {
    Engine engine = Engine.getEngine(EngineSetup.ENGINE);
    return engine.hasCapability(StandardCapabilities.CUDA) ? engine.getGpuCount() : 0;
  }

  /** The logic of {@link #resolve(String)}, with the task's GPUs and the engine's count given. */
  static Device resolve(String device, List<String> taskGpus, IntSupplier engineGpuCount) {
    switch (device) {
      case "cpu":
        return Device.cpu();
      case "auto":
        if (taskGpus.isEmpty()) {
          return Device.cpu();
        }
        int visible = engineGpuCount.getAsInt();
        return visible == 0 ? Device.cpu() : Device.gpu(index(taskGpus.get(0), visible));
      case "gpu":
        int count = engineGpuCount.getAsInt();
        if (count == 0) {
          throw new IllegalStateException(
              "device 'gpu' was requested but the PyTorch engine sees no GPU (CPU-only libtorch,"
                  + " or no CUDA device visible to this executor); use device 'auto' or 'cpu'");
        }
        return Device.gpu(taskGpus.isEmpty() ? 0 : index(taskGpus.get(0), count));
      default:
        throw new IllegalArgumentException(
            "device must be one of " + ModelSpec.DEVICES + ", got '" + device + "'");
    }
  }

  private static int index(String address, int visible) {
    int i;
    try {
      i = Integer.parseInt(address.trim());
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          "Spark assigned GPU address '" + address + "', which is not a CUDA device index", e);
    }
    if (i < 0 || i >= visible) {
      throw new IllegalStateException("Spark assigned GPU " + i + " but the engine sees only "
          + visible + " GPU(s); check the GPU discovery script and CUDA_VISIBLE_DEVICES");
    }
    return i;
  }

  /** The GPU addresses Spark assigned to the current task; empty outside a task. */
  static List<String> taskGpuAddresses() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return List.of();
    }
    ResourceInformation gpu = task.resourcesJMap().get(GPU_RESOURCE);
    return gpu == null ? List.of() : List.of(gpu.addresses());
  }
}
