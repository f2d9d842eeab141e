package org.convlens.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.convlens.config.ConvLensHome;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resumable, incremental audits: output.mode = resume, and a driver killed mid-run. */
class ResumeIT {
  private static Dataset<Row> analysis(Path out) {
    return SharedSpark.get().read().parquet(out.resolve("analysis").toString());
  }

  @Test
  void resumeAnalysesOnlyNewInputsAndTheReportCoversTheUnion(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    String val = ConvLensHome.sampleData().resolve("imagenet/val").toString();
    String odd = ConvLensHome.sampleData().resolve("odd-images").toString();
    CliRun first = CliRun.of("analyze", "--input", val, "--out", out.toString(), "--master", "local[2]",
        "--set", "analyze.methods=[saliency]");
    assertEquals(0, first.code(), first.err());
    assertEquals(50, analysis(out).count());
    List<Object> firstIds = analysis(out).select("id", "run_id").collectAsList().stream().map(r -> (Object) r.getString(1)).distinct().toList();

    CliRun second = CliRun.of("analyze", "--input", val, "--input", odd, "--out", out.toString(), "--master", "local[2]",
        "--set", "analyze.methods=[saliency]", "--set", "output.mode=resume");
    assertEquals(0, second.code(), second.err());
    assertTrue(second.out().contains("resume: 50 input(s) already in"), second.out());
    assertTrue(second.out().contains("10 rows (6 ok, 4 errors"), second.out());
    Dataset<Row> rows = analysis(out);
    assertEquals(60, rows.count());
    assertEquals(60, rows.select("id").distinct().count());
    assertEquals(2, rows.select("run_id").distinct().count());
    assertEquals(50, rows.filter(col("run_id").equalTo(firstIds.get(0))).count(), "the first run's rows are kept as they were");

    // Nothing new: a third resume reads no image and adds no row.
    CliRun third = CliRun.of("analyze", "--input", val, "--input", odd, "--out", out.toString(), "--master", "local[2]",
        "--set", "analyze.methods=[saliency]", "--set", "output.mode=resume");
    assertEquals(0, third.code(), third.err());
    assertTrue(third.out().contains("60 input(s) already in"), third.out());
    assertEquals(60, analysis(out).count());

    // The report covers both runs.
    CliRun report = CliRun.of("report", "--out", out.toString(), "--master", "local[2]",
        "--set", "report.tsne.perplexities=[5]", "--set", "report.tsne.iterations=250");
    assertEquals(0, report.code(), report.err());
    assertTrue(report.out().contains("report: 60 rows; 56 of 56 usable images"), report.out());

    // Another model's analysis cannot be resumed into.
    CliRun other = CliRun.of("analyze", "--input", val, "--out", out.toString(), "--master", "local[1]",
        "--model", ConvLensHome.sampleData().resolve("torchscript/tiny_cnn.pt").toString(), "--set", "output.mode=resume",
        "--set", "analyze.methods=[saliency]");
    assertEquals(2, other.code(), other.out() + other.err());
    assertTrue(other.err().contains("resume needs the same model"), other.err());
  }

  @Test
  void aDriverKilledMidRunLeavesNothingThatARerunDuplicates(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    String input = ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString();
    // An audit that already holds the first 100 images ...
    CliRun first = CliRun.of("analyze", "--input", input, "--out", out.toString(), "--master", "local[2]",
        "--set", "input.limit=100", "--set", "analyze.methods=[]");
    assertEquals(0, first.code(), first.err());
    // ... resumed over 600, the driver killed half-way, then resumed again.
    List<String> args = List.of("analyze", "--input", input, "--out", out.toString(), "--master", "local[2]",
        "--set", "input.limit=600", "--set", "input.partitions=12", "--set", "analyze.methods=[occlusion]",
        "--set", "progress.interval-seconds=1", "--set", "output.mode=resume");
    // The driver in its own JVM, as ./convlens runs it, killed once some tasks have committed.
    DriverProcess driver = DriverProcess.start(tmp.resolve("driver.log"), args);
    boolean started = driver.awaitOutput("analyze: [1-9][0-9]*/500 images", 180);
    assertTrue(started && driver.isAlive(), "the driver finished before it could be killed:\n" + driver.output());
    driver.kill();
    // Its tasks had written into a staging folder beside analysis/, which is as it was.
    try (var listing = Files.list(out)) {
      assertTrue(listing.anyMatch(p -> p.getFileName().toString().startsWith("analysis.staging-")),
          "the killed job had started writing");
    }
    assertEquals(100, analysis(out).count(), "the first 100 images, untouched");

    // Rerun without occlusion: the ids, not the methods, decide what is analysed again.
    List<String> rerunArgs = new java.util.ArrayList<>(args);
    rerunArgs.set(rerunArgs.indexOf("analyze.methods=[occlusion]"), "analyze.methods=[]");
    CliRun rerun = CliRun.of(rerunArgs.toArray(new String[0]));
    assertEquals(0, rerun.code(), rerun.err());
    Dataset<Row> rows = analysis(out);
    assertEquals(600, rows.select("id").distinct().count(), "every input");
    assertEquals(600, rows.count(), "no input twice");
    assertTrue(rerun.out().contains("left by an interrupted run"), rerun.out());
    assertTrue(rerun.out().contains("took over the lock"), "the killed driver's lock: " + rerun.out());
    assertTrue(rerun.out().contains("resume: 100 input(s) already in"), rerun.out());
  }
}
