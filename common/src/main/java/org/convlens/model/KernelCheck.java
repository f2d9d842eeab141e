package org.convlens.model;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;

/**
 * A known-answer check of libtorch's CPU convolution gradients, run once per JVM when the engine
 * starts (on the driver and on every executor).
 *
 * <p>Why: on an AMD EPYC of family 26 (Zen 5) VM, libtorch 2.7.1's oneDNN kernels for AVX-512
 * returned input gradients of a 3-channel 3×3 convolution that were wrong by about half their
 * magnitude, while forward passes were right: every gradient map, layer-attribution input and audit
 * figure built on them would have been silently wrong. Capping oneDNN at AVX2 ({@code
 * ONEDNN_MAX_CPU_ISA=AVX2}, an environment variable read when the library loads) gave the right
 * gradients (within 3e-7 of PyTorch's).
 *
 * <p>How: the same convolution's input gradient in float32 (the fast kernels) and float64 (which
 * oneDNN does not serve, so libtorch's reference kernels compute it) must agree; shapes cover a
 * small first layer, a CIFAR-size one and a ResNet stem. A disagreement stops the run with the
 * fix in the message, instead of writing wrong maps.
 */
final class KernelCheck {
  /** batch, in channels, out channels, kernel, stride, padding, side. */
  private static final int[][] CASES = {
    {3, 3, 8, 3, 1, 1, 16},
    {3, 3, 32, 3, 1, 1, 32},
    {2, 3, 64, 7, 2, 3, 112},
  };
  /** Float32 sums of a few hundred products: 1e-5 relative is ample; the failure seen was 0.5. */
  private static final double TOLERANCE = 1e-4;

  private KernelCheck() {}

  /**
   * @throws EngineException when float32 gradients disagree with float64 ones
   */
  static void convolutionGradients() {
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
      for (int[] c : CASES) {
        double error = relativeError(m, c);
        if (!(error <= TOLERANCE)) {
          throw new EngineException(String.format(Locale.ROOT,
              "libtorch computes wrong convolution gradients on this CPU (%s): a %d→%d %d×%d convolution's input"
                  + " gradient is off by %.2g relative to its float64 result, so gradient and layer-attribution maps would be"
                  + " wrong. Set ONEDNN_MAX_CPU_ISA=AVX2 in the environment of the driver and the executors"
                  + " (spark.executorEnv.ONEDNN_MAX_CPU_ISA=AVX2; ./convlens sets it on AMD family 26) and run again",
              cpu(), c[1], c[2], c[3], c[3], error));
        }
      }
    }
  }

  /** max |g32 − g64| / max |g64| of the input gradient of sum(conv(x, w) · g). */
  static double relativeError(NDManager m, int[] c) {
    int n = c[0];
    int in = c[1];
    int out = c[2];
    int k = c[3];
    int side = c[6];
    double[] x = wave(n * in * side * side, 0.37);
    double[] w = wave(out * in * k * k, 0.53);
    int o = (side + 2 * c[5] - k) / c[4] + 1;
    double[] g = wave(n * out * o * o, 0.71);
    double[] g32 = gradient(m, DataType.FLOAT32, x, w, g, c, o);
    double[] g64 = gradient(m, DataType.FLOAT64, x, w, g, c, o);
    double worst = 0;
    double scale = 0;
    for (int i = 0; i < g64.length; i++) {
      worst = Math.max(worst, Math.abs(g32[i] - g64[i]));
      scale = Math.max(scale, Math.abs(g64[i]));
    }
    return worst / Math.max(scale, 1e-30);
  }

  private static double[] gradient(NDManager m, DataType type, double[] x, double[] w, double[] g, int[] c, int o) {
    boolean was = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
    try (NDManager sub = m.newSubManager()) {
      NDArray xs = sub.create(x, new Shape(c[0], c[1], c[6], c[6])).toType(type, false);
      xs.setRequiresGradient(true);
      NDArray ws = sub.create(w, new Shape(c[2], c[1], c[3], c[3])).toType(type, false);
      NDArray gs = sub.create(g, new Shape(c[0], c[2], o, o)).toType(type, false);
      NDArray y = Conv2d.conv2d(xs, ws, null, new Shape(c[4], c[4]), new Shape(c[5], c[5]), new Shape(1, 1), 1)
          .singletonOrThrow();
      NDArray score = y.mul(gs).sum();
      JniUtils.backward((PtNDArray) score, (PtNDArray) score.onesLike(), false, false);
      return xs.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
    } finally {
      JniUtils.setGradMode(was);
    }
  }

  /** Deterministic values in [-1, 1] without structure a kernel could special-case. */
  private static double[] wave(int n, double step) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = Math.sin(i * step + 0.1 * (i % 7));
    }
    return v;
  }

  /** The CPU in words, from /proc/cpuinfo where there is one. */
  static String cpu() {
    try {
      String vendor = null;
      String family = null;
      String model = null;
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
        String[] kv = line.split(":", 2);
        if (kv.length < 2) {
          continue;
        }
        String key = kv[0].strip();
        if (vendor == null && key.equals("vendor_id")) {
          vendor = kv[1].strip();
        } else if (family == null && key.equals("cpu family")) {
          family = kv[1].strip();
        } else if (model == null && key.equals("model name")) {
          model = kv[1].strip();
        }
      }
      return model + ", " + vendor + " family " + family;
    } catch (java.io.IOException | RuntimeException e) {
      return System.getProperty("os.arch");
    }
  }
}
