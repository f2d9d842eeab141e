package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/**
 * The engine's convolution-gradient check. Test JVMs run oneDNN capped at AVX2 (see the poms), so
 * here it must pass; what it does on a CPU whose kernels are wrong is in {@code EngineGuardIT}.
 */
class KernelCheckTest {
  @Test
  void float32GradientsAgreeWithFloat64OnesUnderTheTestSettings() {
    EngineSetup.configure(1, 1);
    assertDoesNotThrow(KernelCheck::convolutionGradients);
    try (NDManager m = NDManager.newBaseManager()) {
      // The shape whose AVX-512 kernels were wrong on AMD family 26 (0.59 relative there).
      double error = KernelCheck.relativeError(m, new int[] {3, 3, 8, 3, 1, 1, 16});
      assertTrue(error < 1e-5, "relative error " + error);
      assertTrue(error > 0, "float32 and float64 cannot agree exactly: " + error);
    }
  }

  @Test
  void theCpuIsNamed() {
    assertTrue(!KernelCheck.cpu().isBlank());
  }
}
