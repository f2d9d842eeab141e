package org.convlens.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.convlens.config.ConvLensHome;

/**
 * The PyTorch rows beside ConvLens's own for a TorchScript model: {@code tools/torch_bench.py}
 * times the same {@code .pt} file in PyTorch (eager forward, forward+backward with autograd, a
 * plain occlusion loop) with the same threads, batch and perturbation batch, and the bench prints
 * ConvLens ÷ PyTorch for each. Absolute figures differ from one machine to the next; these ratios
 * are the figures that carry over.
 *
 * <p>PyTorch runs as one process with {@code threads} intra-op threads, the way a PyTorch user
 * runs it; ConvLens's raw rows run the same number of Java threads with one engine thread each.
 * The child process inherits the bench's environment (so {@code ONEDNN_MAX_CPU_ISA} and allocator
 * settings apply to both). When the Python has no PyTorch, the rows are skipped with a line that
 * says how to point the bench at one that has.
 */
final class TorchReference {
  /** What PyTorch measured: images/s forward and forward+backward, seconds per image of occlusion. */
  record Figures(String torch, int threads, double forward, double forwardBackward, double occlusion) {}

  /** How the reference is run: the same work as ConvLens's rows. */
  record Work(int threads, int batch, int images, Occlusion occlusion) {}

  /** The occlusion row's work: windows with their strides, copies per forward, images in all. */
  record Occlusion(List<Integer> windows, List<Integer> strides, int perEval, int images) {}

  private static final long TIMEOUT_MINUTES = 60;

  private final String python;
  private final PrintStream out;

  TorchReference(String python, PrintStream out) {
    this.python = python;
    this.out = out;
  }

  /** The script's command line for {@code model} and {@code work}. */
  List<String> command(Path model, Work work) {
    List<String> cmd = new ArrayList<>(List.of(python,
        ConvLensHome.find().resolve("tools/torch_bench.py").toString(),
        "--model", model.toAbsolutePath().toString(),
        "--threads", String.valueOf(work.threads()),
        "--batch", String.valueOf(work.batch()),
        "--images", String.valueOf(work.images()),
        "--windows", join(work.occlusion().windows()),
        "--strides", join(work.occlusion().strides()),
        "--per-eval", String.valueOf(work.occlusion().perEval()),
        "--occlusion-images", String.valueOf(work.occlusion().images())));
    return cmd;
  }

  /** Runs the script; null (after printing why) when it cannot run or fails. */
  Figures measure(Path model, Work work) throws InterruptedException {
    Path log;
    try {
      log = java.nio.file.Files.createTempFile("convlens-torch-bench", ".log");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a temporary file for the PyTorch reference's messages", e);
    }
    // stderr to a file: PyTorch's warnings must neither block the pipe nor reach the console.
    ProcessBuilder pb = new ProcessBuilder(command(model, work)).redirectError(log.toFile());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      out.println("  PyTorch reference: skipped, cannot run '" + python + "' (" + e.getMessage()
          + "); name a Python with PyTorch with --python or CONVLENS_PYTHON");
      return null;
    }
    byte[] stdout;
    String stderr;
    try {
      p.getOutputStream().close();
      stdout = p.getInputStream().readAllBytes();
      if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        out.println("  PyTorch reference: skipped, it ran over " + TIMEOUT_MINUTES + " minutes");
        return null;
      }
      stderr = java.nio.file.Files.readString(log, StandardCharsets.UTF_8);
      java.nio.file.Files.deleteIfExists(log);
    } catch (IOException e) {
      p.destroyForcibly();
      out.println("  PyTorch reference: skipped, " + e.getMessage());
      return null;
    }
    String err = stderr.strip();
    if (p.exitValue() != 0) {
      String last = err.isEmpty() ? "exit " + p.exitValue() : err.lines().reduce((a, b) -> b).orElse(err);
      out.println("  PyTorch reference: skipped, " + python + " tools/torch_bench.py failed: " + last
          + (last.contains("No module named 'torch'")
              ? " (name a Python with PyTorch with --python or CONVLENS_PYTHON, e.g. /usr/bin/python3 with"
                  + " Debian's python3-torch)"
              : ""));
      return null;
    }
    return parse(new String(stdout, StandardCharsets.UTF_8));
  }

  /** The script's JSON line. */
  static Figures parse(String json) {
    try {
      JsonNode n = new ObjectMapper().readTree(json.strip().lines().reduce((a, b) -> b).orElse(""));
      return new Figures(n.path("torch").asText(), n.path("threads").asInt(), number(n, "forward"),
          number(n, "forward_backward"), number(n, "occlusion"));
    } catch (IOException e) {
      throw new IllegalStateException("tools/torch_bench.py printed no JSON object: " + json, e);
    }
  }

  private static double number(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isNumber() || !(v.asDouble() > 0)) {
      throw new IllegalStateException("tools/torch_bench.py gave no positive '" + field + "': " + n);
    }
    return v.asDouble();
  }

  /**
   * Prints the PyTorch rows and ConvLens ÷ PyTorch speed for each (above 1 = ConvLens is faster).
   *
   * @param forward ConvLens's raw forward, images/s
   * @param forwardBackward ConvLens's raw forward+backward, images/s
   * @param occlusion ConvLens's raw occlusion at {@code work.occlusion().perEval()}, seconds per image
   */
  void compare(Path model, Work work, double forward, double forwardBackward, double occlusion)
      throws InterruptedException {
    Figures f = measure(model, work);
    if (f == null) {
      return;
    }
    out.printf(Locale.ROOT, "  PyTorch %s reference, same .pt file, %d intra-op thread(s), batch %d"
        + " (ConvLens ÷ PyTorch speed; above 1 = ConvLens faster):%n", f.torch(), f.threads(), work.batch());
    row("PyTorch eager forward (inference_mode)", f.forward(), "img/s", forward / f.forward());
    row("PyTorch forward+backward (autograd, same gradients)", f.forwardBackward(), "img/s",
        forwardBackward / f.forwardBackward());
    row("PyTorch occlusion loop, " + work.occlusion().perEval() + " copies per forward", f.occlusion(), "s/image",
        f.occlusion() / occlusion);
  }

  private void row(String what, double value, String unit, double ratio) {
    out.printf(Locale.ROOT, "  %-66s %10.2f %-7s ConvLens ÷ PyTorch = %.2f×%n", what, value, unit, ratio);
  }

  private static String join(List<Integer> values) {
    return values.stream().map(String::valueOf).collect(Collectors.joining(","));
  }
}
