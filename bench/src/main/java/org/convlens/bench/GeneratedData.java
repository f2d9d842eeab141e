package org.convlens.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.config.ConvLensHome;
import org.convlens.sampledata.SampleGenerator;
import org.convlens.sampledata.SampleSpec;

/** Fresh sample images for the benchmarks that run the jobs at scale, and the options that point the jobs at them. */
final class GeneratedData {
  private GeneratedData() {}

  /**
   * Writes {@code n} images (rounded up to whole classes) of the sample data's classes, with its
   * planted shortcut, as one CIFAR-format test batch (and its markers file) into {@code dir}.
   *
   * @return the batch file
   */
  static Path cifarBatch(long seed, int n, Path dir) throws IOException {
    SampleGenerator.writeCifar10(SampleSpec.cifarTestOnly(seed, n), dir, new PrintStream(OutputStream.nullOutputStream()));
    return dir.resolve(SampleGenerator.TEST_BATCH);
  }

  /** Key options that run a job on {@code input} with the bundled model into {@code out}. */
  static Map<String, Object> options(Path input, Path out) {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("input.paths", List.of(input.toString()));
    options.put("output.dir", out.toString());
    options.put("model.path", ConvLensHome.bundledModel().toString());
    return options;
  }
}
