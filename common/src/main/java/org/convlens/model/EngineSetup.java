package org.convlens.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that sets DJL/PyTorch {@code -D} system properties and starts the engine.
 *
 * <p>PyTorch reads {@code ai.djl.pytorch.num_threads} (intra-op, OpenMP) and {@code
 * ai.djl.pytorch.num_interop_threads} exactly once, when DJL starts the engine; later changes to
 * the properties do nothing. So {@link #configure} must run before anything else touches DJL (an
 * {@code Engine.getInstance()}, an {@code NDManager.newBaseManager()}, a {@code
 * Model.newInstance}); {@link ModelLoader} and {@link ModelCache} call it first. It is idempotent:
 * a second call with the same settings does nothing, and a call with different settings after the
 * engine started logs a warning and keeps the running settings (the engine cannot be restarted
 * inside a JVM).
 *
 * <p>Then it lowers libtorch's C++ log level to ERROR ({@link NativeLogging}), so that its
 * warnings do not reach the console, and checks the engine's convolution gradients against a known answer ({@link
 * KernelCheck}): on some CPUs libtorch's fastest kernels give wrong gradients, and every map
 * would be wrong.
 *
 * <p>It also sets {@code ai.djl.offline=true} (unless set already), which stops DJL from probing
 * the network for native libraries; the CPU natives ship as a Maven dependency.
 *
 * <p><b>Set by the launcher, not here:</b> {@code OMP_WAIT_POLICY=PASSIVE} is an environment
 * variable read by the OpenMP runtime when the native library loads, and Java cannot set its own
 * environment. Without it, idle OpenMP threads spin-wait; on a shared 2-core machine forwards were
 * 2–10× slower whenever another process held a core. Pass it to executors with {@code
 * spark.executorEnv.OMP_WAIT_POLICY=PASSIVE} (and to the driver's environment in local mode);
 * surefire and failsafe set it for tests. The allocator variables {@code MALLOC_MMAP_THRESHOLD_}
 * and {@code MALLOC_TRIM_THRESHOLD_} (see {@code deploy/}) are environment variables as well.
 */
public final class EngineSetup {
  /** The DJL engine ConvLens runs on. */
  public static final String ENGINE = "PyTorch";

  static final String OFFLINE = "ai.djl.offline";
  static final String NUM_THREADS = "ai.djl.pytorch.num_threads";
  static final String NUM_INTEROP_THREADS = "ai.djl.pytorch.num_interop_threads";

  private static final Logger LOG = LoggerFactory.getLogger(EngineSetup.class);

  /** The settings of the first call; null until then. Guarded by the class lock. */
  private static Settings applied;

  private EngineSetup() {}

  /**
   * Sets the engine properties and starts the PyTorch engine, once per JVM.
   *
   * @param threads intra-op (OpenMP) threads per forward; 0 keeps DJL's default (PyTorch uses one
   *     per physical core). On an executor running several task threads, threads × tasks should
   *     not exceed the executor's cores.
   * @param interopThreads inter-op threads; 0 keeps DJL's default. 1 suits CNN inference, which
   *     has no parallel branches to overlap.
   * @throws IllegalArgumentException when a count is negative
   * @throws ai.djl.engine.EngineException when the native library cannot be loaded
   */
  public static synchronized void configure(int threads, int interopThreads) {
    if (threads < 0 || interopThreads < 0) {
      throw new IllegalArgumentException(
          "thread counts must be >= 0 (0 = engine default), got threads=" + threads
              + " interopThreads=" + interopThreads);
    }
    Settings wanted = new Settings(threads, interopThreads);
    if (applied != null) {
      if (!applied.equals(wanted)) {
        LOG.warn(
            "PyTorch engine already started with {}; ignoring {} (thread counts are read once,"
                + " at engine start)",
            applied, wanted);
      }
      return;
    }
    if (System.getProperty(OFFLINE) == null) {
      System.setProperty(OFFLINE, "true");
    }
    if (threads > 0) {
      System.setProperty(NUM_THREADS, Integer.toString(threads));
    }
    if (interopThreads > 0) {
      System.setProperty(NUM_INTEROP_THREADS, Integer.toString(interopThreads));
    }
    // Starting the engine here, not lazily somewhere else, makes "read once" happen now.
    Engine.getEngine(ENGINE);
    int actualThreads = JniUtils.getNumThreads();
    int actualInterop = JniUtils.getNumInteropThreads();
    if ((threads > 0 && actualThreads != threads)
        || (interopThreads > 0 && actualInterop != interopThreads)) {
      LOG.warn(
          "PyTorch engine was started before EngineSetup.configure and runs with threads={}"
              + " interopThreads={}; ignoring {}",
          actualThreads, actualInterop, wanted);
    }
    NativeLogging.quiet();
    KernelCheck.convolutionGradients();
    applied = wanted;
  }

  /**
   * libtorch's C++ log level in this JVM ({@code INFO}, {@code WARNING}, {@code ERROR}, {@code
   * FATAL}): ERROR once {@link #configure} ran, which keeps its warnings off the console ({@link
   * NativeLogging}).
   */
  public static String nativeLogLevel() {
    try {
      int level = NativeLogging.current();
      return level >= 0 && level <= 3 ? new String[] {"INFO", "WARNING", "ERROR", "FATAL"}[level] : "level " + level;
    } catch (RuntimeException | LinkageError e) {
      return "unknown";
    }
  }

  /** The settings of the first {@link #configure} call, or null before it. */
  static synchronized Settings applied() {
    return applied;
  }

  record Settings(int threads, int interopThreads) {
    @Override
    public String toString() {
      return "threads=" + (threads == 0 ? "default" : threads)
          + " interopThreads=" + (interopThreads == 0 ? "default" : interopThreads);
    }
  }
}
