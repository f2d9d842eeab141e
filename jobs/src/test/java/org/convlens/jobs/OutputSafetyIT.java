package org.convlens.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.convlens.config.ConvLensHome;
import org.convlens.spark.OutputLock;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens to an output folder when runs collide or die, with drivers in JVMs of their own:
 * two writers at once, a driver killed mid-overwrite, a driver stopped by SIGTERM.
 */
class OutputSafetyIT {
  private static final String CIFAR = ConvLensHome.sampleData().resolve("cifar10/test_batch.bin").toString();

  private static Dataset<Row> analysis(Path out) {
    return SharedSpark.get().read().parquet(out.resolve("analysis").toString());
  }

  private static List<String> analyze(Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("analyze", "--input", CIFAR, "--out", out.toString(),
        "--master", "local[1]", "--set", "progress.interval-seconds=1"));
    args.addAll(List.of(more));
    return args;
  }

  private static List<String> names(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void twoWritersStartedTogetherCannotDoubleTheOutput(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    // The lock is taken before any image is read, so the race is decided at the start; the work
    // only has to outlast the loser's start-up.
    List<String> args = analyze(out, "--set", "input.limit=400", "--set", "analyze.methods=[saliency]");
    DriverProcess a = DriverProcess.start(tmp.resolve("a.log"), args);
    DriverProcess b = DriverProcess.start(tmp.resolve("b.log"), args);
    int codeA = a.waitFor(300);
    int codeB = b.waitFor(300);
    String both = "A (" + codeA + "):\n" + a.output() + "\nB (" + codeB + "):\n" + b.output();
    assertEquals(List.of(0, 2), List.of(Math.min(codeA, codeB), Math.max(codeA, codeB)), both);
    String refused = codeA == 2 ? a.output() : b.output();
    assertTrue(refused.contains("error: another ConvLens run is writing to " + out)
        && refused.contains("`analyze`, pid ") && refused.contains("choose another --out"), both);
    assertEquals(1, refused.lines().filter(l -> l.startsWith("error:")).count(), refused);
    assertEquals(400, analysis(out).count(), both);
    assertEquals(400, analysis(out).select("id").distinct().count());
    assertEquals(1, analysis(out).select("run_id").distinct().count());
    assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "released by the run that held it");
  }

  @Test
  void aDriverKilledOrStoppedMidOverwriteLeavesThePreviousOutputIntact(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    CliRun first = CliRun.of(analyze(out, "--set", "input.limit=100", "--set", "analyze.methods=[]")
        .toArray(new String[0]));
    assertEquals(0, first.code(), first.err());
    String runJson = Files.readString(out.resolve("run.json"));
    String effective = Files.readString(out.resolve("effective.conf"));
    String firstRun = analysis(out).select("run_id").first().getString(0);
    List<String> before = names(out.resolve("analysis"));

    // An overwrite of 600 images with occlusion, killed (SIGKILL) once it has analysed some.
    List<String> overwrite = analyze(out, "--set", "input.limit=600", "--set", "input.partitions=30",
        "--set", "analyze.methods=[occlusion]");
    DriverProcess killed = DriverProcess.start(tmp.resolve("killed.log"), overwrite);
    assertTrue(killed.awaitOutput("analyze: [1-9][0-9]*/600 images", 180) && killed.isAlive(),
        "killed too late:\n" + killed.output());
    killed.kill();
    assertEquals(before, names(out.resolve("analysis")), "the previous analysis, file for file");
    assertEquals(100, analysis(out).count());
    assertEquals(firstRun, analysis(out).select("run_id").distinct().first().getString(0));
    assertEquals(runJson, Files.readString(out.resolve("run.json")));
    assertEquals(effective, Files.readString(out.resolve("effective.conf")));
    assertTrue(Files.exists(out.resolve(OutputLock.FILE)), "a SIGKILLed run leaves its lock");

    // Stopped by SIGTERM: one sentence saying so, nothing of Spark's shutdown, the lock released.
    DriverProcess stopped = DriverProcess.start(tmp.resolve("stopped.log"), overwrite);
    assertTrue(stopped.awaitOutput("analyze: [1-9][0-9]*/600 images", 180) && stopped.isAlive(),
        "stopped too late:\n" + stopped.output());
    stopped.terminate();
    int code = stopped.waitFor(120);
    String said = stopped.output();
    assertEquals(143, code, said);
    assertTrue(said.contains("analyze was interrupted before it finished; nothing of this run was written")
        && said.contains("--set output.mode=resume"), said);
    assertTrue(said.contains("took over the lock") && said.contains("left by an interrupted run"),
        "the killed run's lock and staging folder: " + said);
    for (String noise : List.of("Exception", "driverEndpoint", "SparkContext", " ERROR ", " WARN ", "\tat ")) {
      assertFalse(said.contains(noise), "'" + noise + "' in:\n" + said);
    }
    assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "released on SIGTERM");
    assertEquals(before, names(out.resolve("analysis")));
    assertEquals(runJson, Files.readString(out.resolve("run.json")));

    // The next run completes and replaces the analysis whole.
    CliRun again = CliRun.of(analyze(out, "--set", "input.limit=150", "--set", "analyze.methods=[]")
        .toArray(new String[0]));
    assertEquals(0, again.code(), again.err());
    assertEquals(150, analysis(out).count());
    assertEquals(1, analysis(out).filter(col("run_id").notEqual(firstRun)).select("run_id").distinct().count());
    assertEquals(List.of("analysis", "effective.conf", "run.json"),
        names(out).stream().filter(n -> !n.startsWith(".")).toList(), "no staging folder left behind");
  }
}
