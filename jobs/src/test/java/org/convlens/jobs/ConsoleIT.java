package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.convlens.config.ConvLensHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees in the terminal, from a driver in its own JVM as {@code ./convlens} runs it:
 * only ConvLens's own lines (libtorch's C++ warnings and the engine's log stay out, whatever the
 * CPU), and progress that moves with few, long tasks.
 */
class ConsoleIT {
  /** ConvLens's lines: its stages' progress and summaries, notes, and its one INFO log line. */
  private static final Pattern OURS = Pattern.compile(
      "(analyze|analysis|skipped|note|output): .*|\\d\\d:\\d\\d:\\d\\d INFO ModelCache: loaded model .*");
  private static final Pattern PERCENT = Pattern.compile("analyze: \\d+/\\d+ images \\((\\d+)%\\)");

  @Test
  void theConsoleHoldsOnlyConvLensLinesAndProgressMoves(@TempDir Path tmp) throws Exception {
    Path manifest = tmp.resolve("m.csv");
    // A row whose host does not resolve makes Hadoop log a warning: it belongs in the engine log.
    Files.writeString(manifest, "path,label\nhdfs://unknown-host.invalid/x.png,1\n");
    Path log = tmp.resolve("driver.log");
    // Two large partitions with occlusion: each task runs for a long time.
    DriverProcess driver = DriverProcess.start(log, List.of("analyze",
        "--input", ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString(),
        "--input", manifest.toString(), "--out", tmp.resolve("out").toString(), "--master", "local[2]",
        "--set", "input.limit=240", "--set", "input.partitions=2", "--set", "analyze.batch-size=64",
        "--set", "analyze.methods=[occlusion]", "--set", "analyze.occlusion.windows=[8]",
        "--set", "analyze.occlusion.strides=[4]", "--set", "progress.interval-seconds=2"));
    assertEquals(0, driver.waitFor(400), driver.output());
    List<String> lines = driver.output().lines().toList();
    List<String> foreign = lines.stream().filter(l -> !OURS.matcher(l).matches()).toList();
    assertEquals(List.of(), foreign, "lines that are not ConvLens's own");
    TreeSet<Integer> percents = new TreeSet<>();
    for (String l : lines) {
      Matcher m = PERCENT.matcher(l);
      if (m.lookingAt()) {
        percents.add(Integer.parseInt(m.group(1)));
      }
    }
    // A plain accumulator moves at task ends only: 0, 50 and 100 with two tasks. Counts of running
    // tasks arrive every heartbeat (2 s), so how many lines fall between depends on the machine's
    // speed; at least a few must.
    List<Integer> between = percents.stream().filter(p -> p != 0 && p != 50 && p != 100).toList();
    assertTrue(between.size() >= 3, "distinct percentages printed: " + percents);
    assertTrue(Files.readString(DriverProcess.engineLog(log)).contains("unknown-host.invalid"),
        "the engine's warning went to its log");
  }
}
