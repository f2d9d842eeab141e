package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One run of {@code convlens demo} per test JVM, shared by the ITs that look at its outputs (the
 * analysis, model-viz and report checks and the browser test), so CI pays for it once.
 */
final class DemoOutput {
  private static CliRun run;
  private static Path dir;

  private DemoOutput() {}

  /** The demo's output folder, running the demo the first time. */
  static synchronized Path dir() throws IOException {
    if (run == null) {
      dir = Path.of("target", "demo-it").toAbsolutePath();
      if (Files.exists(dir)) {
        try (Stream<Path> walk = Files.walk(dir)) {
          walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
      run = CliRun.of("demo", "--out", dir.toString(), "--master", "local[2]");
      assertEquals(0, run.code(), "demo failed: " + run.err() + "\n" + run.out());
    }
    return dir;
  }

  /** The demo's console output and exit code. */
  static synchronized CliRun run() throws IOException {
    dir();
    return run;
  }
}
