package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.convlens.config.ConvLensHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's gradient check as a user meets it, in a driver JVM of its own: without the oneDNN
 * cap the run either passes (a CPU whose kernels are right) or stops with one sentence naming the
 * fix (a CPU whose AVX-512 kernels are wrong, such as AMD family 26); with the cap it passes.
 */
class EngineGuardIT {
  @Test
  void wrongKernelsStopTheRunWithTheFixAndTheCapRunsIt(@TempDir Path tmp) throws Exception {
    List<String> args = List.of("analyze", "--input",
        ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString(), "--out", tmp.resolve("out").toString(),
        "--master", "local[1]", "--set", "input.limit=8", "--set", "analyze.methods=[saliency]");
    DriverProcess uncapped = DriverProcess.start(tmp.resolve("uncapped.log"), args, Map.of("ONEDNN_MAX_CPU_ISA", ""));
    int code = uncapped.waitFor(240);
    String said = uncapped.output();
    if (code != 0) {
      assertTrue(said.contains("error: libtorch computes wrong convolution gradients on this CPU")
          && said.contains("ONEDNN_MAX_CPU_ISA=AVX2"), said);
      assertEquals(1, said.lines().filter(l -> l.startsWith("error:")).count(), said);
    } else {
      assertTrue(said.contains("8 rows (8 ok"), said);
    }
    DriverProcess capped = DriverProcess.start(tmp.resolve("capped.log"), args, Map.of("ONEDNN_MAX_CPU_ISA", "AVX2"));
    assertEquals(0, capped.waitFor(240), capped.output());
    System.out.println("EngineGuardIT: uncapped run exited " + code + " on " + (code == 0 ? "a CPU with right kernels"
        : "a CPU whose kernels are wrong"));
  }
}
