package org.convlens.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TorchReferenceTest {
  private static final TorchReference.Work WORK =
      new TorchReference.Work(2, 16, 600, new TorchReference.Occlusion(List.of(16), List.of(8), 6, 4));

  @Test
  void theScriptGetsTheSameWorkAsConvLensRows() {
    List<String> cmd = new TorchReference("py", System.out).command(Path.of("m.pt"), WORK);
    assertEquals("py", cmd.get(0));
    assertTrue(cmd.get(1).endsWith("tools/torch_bench.py"), cmd.toString());
    String line = String.join(" ", cmd);
    for (String expected : List.of("--threads 2", "--batch 16", "--images 600", "--windows 16", "--strides 8",
        "--per-eval 6", "--occlusion-images 4")) {
      assertTrue(line.contains(expected), expected + " in " + line);
    }
  }

  @Test
  void parsesTheLastLineAndRefusesMissingFigures() {
    TorchReference.Figures f = TorchReference.parse(
        "some warning\n{\"torch\": \"1.13.1\", \"threads\": 2, \"forward\": 30.5, \"forward_backward\": 9.25,"
            + " \"occlusion\": 17.7}\n");
    assertEquals("1.13.1", f.torch());
    assertEquals(2, f.threads());
    assertEquals(30.5, f.forward());
    assertEquals(9.25, f.forwardBackward());
    assertEquals(17.7, f.occlusion());
    assertThrows(IllegalStateException.class,
        () -> TorchReference.parse("{\"torch\": \"1.13.1\", \"threads\": 2, \"forward\": 30.5, \"occlusion\": 1}"));
    assertThrows(IllegalStateException.class, () -> TorchReference.parse("no json here"));
  }

  @Test
  void aPythonThatCannotRunSkipsTheRowsWithAHint() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    assertNull(new TorchReference("/nonexistent/python3", out).measure(Path.of("m.pt"), WORK));
    String said = buf.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("PyTorch reference: skipped") && said.contains("--python"), said);

    buf.reset();
    // A command that runs but fails (as a Python without torch exits 1): skipped with its message.
    assertNull(new TorchReference("false", out).measure(Path.of("m.pt"), WORK));
    said = buf.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("PyTorch reference: skipped") && said.contains("failed"), said);
  }
}
