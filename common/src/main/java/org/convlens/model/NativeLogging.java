package org.convlens.model;

import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps libtorch's C++ warnings off the console: on some CPUs libtorch 2.7.1 writes "Could not
 * initialize NNPACK! Reason: Unsupported hardware." to stderr once per convolution call (about
 * 13,000 lines in one demo on an AMD EPYC VM; nothing on other CPUs), and deprecation notices
 * such as "AutoNonVariableTypeMode is deprecated".
 *
 * <p>Those lines come from c10's logging, which prints a message only when its severity is at or
 * above the global {@code FLAGS_caffe2_log_level} (0 = INFO, 1 = WARNING, 2 = ERROR). PyTorch
 * sets it from {@code TORCH_CPP_LOG_LEVEL} only in its Python start-up ({@code c10::initLogging}),
 * which a JVM embedding libtorch never runs, and DJL exposes no setter; so it is set here, in the
 * loaded {@code libc10}, through JNA, to ERROR. Errors still print. It is set in every JVM that
 * starts the engine ({@link EngineSetup#configure}: the driver and each executor), so it needs no
 * environment variable to reach the executors.
 */
final class NativeLogging {
  static final String FLAG = "FLAGS_caffe2_log_level";
  static final int ERROR = 2;

  private static final Logger LOG = LoggerFactory.getLogger(NativeLogging.class);

  private NativeLogging() {}

  /** Sets c10's log level to ERROR; a libtorch build without the flag is left as it is, with a warning. */
  static void quiet() {
    try {
      level().setInt(0, ERROR);
    } catch (RuntimeException | LinkageError e) {
      LOG.warn("cannot lower libtorch's C++ log level ({}); its warnings may reach the console", e.toString());
    }
  }

  /** c10's current log level, as libtorch reads it. */
  static int current() {
    return level().getInt(0);
  }

  private static Pointer level() {
    Path dir = Path.of(LibUtils.getLibtorchPath());
    String[] names = {"libc10.so", "libc10.dylib", "c10.dll"};
    for (String name : names) {
      Path lib = dir.resolve(name);
      if (Files.isRegularFile(lib)) {
        // The library DJL loaded: dlopen of the same file returns the same instance.
        return NativeLibrary.getInstance(lib.toString()).getGlobalVariableAddress(FLAG);
      }
    }
    throw new IllegalStateException("no c10 library in " + dir);
  }
}
