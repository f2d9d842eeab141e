package org.convlens.model;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.convlens.config.ConvLensHome;
import org.convlens.config.Settings.ModelSettings;

/**
 * Everything an executor needs to load the model: built once on the driver from config and
 * shipped to executors as a value.
 *
 * @param path a folder holding {@code model.json}; a {@code model.json} (any {@code .json}
 *     description) file; or a TorchScript {@code .pt} file with a sidecar {@code <name>.json}
 *     next to it. Must be readable on every executor (shared file system or shipped with the
 *     job).
 * @param device {@code auto} (the GPU Spark assigned to the task if any and the engine sees GPUs,
 *     else CPU), {@code cpu}, or {@code gpu} (fail when no GPU); see {@link DeviceSelector}
 * @param threads PyTorch intra-op threads per JVM, 0 = engine default (one per physical core);
 *     practical range 1–cores/tasks-per-executor
 * @param interopThreads PyTorch inter-op threads per JVM, 0 = engine default; 1 is enough for
 *     CNNs
 */
public record ModelSpec(String path, String device, int threads, int interopThreads)
    implements Serializable {

  /** The devices {@code model.device} accepts: {@link ModelSettings#DEVICES}. */
  public static final List<String> DEVICES = ModelSettings.DEVICES;
  /** Upper bound on thread counts, far above any sensible value; catches unit mix-ups. */
  public static final int MAX_THREADS = 1024;

  public ModelSpec {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("model path is required");
    }
    device = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
    if (!DEVICES.contains(device)) {
      throw new IllegalArgumentException("model device must be one of " + DEVICES + ", got '"
          + device + "'");
    }
    if (threads < 0 || threads > MAX_THREADS) {
      throw new IllegalArgumentException(
          "model threads must be in 0.." + MAX_THREADS + " (0 = engine default), got " + threads);
    }
    if (interopThreads < 0 || interopThreads > MAX_THREADS) {
      throw new IllegalArgumentException("model interopThreads must be in 0.." + MAX_THREADS
          + " (0 = engine default), got " + interopThreads);
    }
  }

  /**
   * The model that {@code model.*} names; an empty {@code model.path} means the bundled model
   * ({@link ConvLensHome#bundledModel}).
   */
  public static ModelSpec of(ModelSettings settings) {
    String path = settings.path().isBlank() ? ConvLensHome.bundledModel().toString() : settings.path();
    return new ModelSpec(path, settings.device(), settings.threads(), settings.interopThreads());
  }

  /** {@code path} on device {@code auto} with the engine's default thread counts. */
  public static ModelSpec of(String path) {
    return new ModelSpec(path, "auto", 0, 0);
  }
}
