package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Without the bench module on the classpath (as here, and in the application jar) {@code bench}
 * is still listed, and says plainly that the benchmarks are not part of this build.
 */
class NoBenchTest {
  @Test
  void benchWithoutTheModuleSaysSoAndExitsTwo() {
    for (String[] args : new String[][] {{"bench"}, {"bench", "--help"}, {"bench", "--section", "tsne"}}) {
      CliRun run = CliRun.of(args);
      assertEquals(2, run.code(), String.join(" ", args) + ": " + run.err());
      assertTrue(run.err().contains("the benchmarks are not part of this build"), run.err());
    }
    CliRun help = CliRun.of("--help");
    assertEquals(0, help.code(), help.err());
    assertTrue(help.out().contains("bench"), help.out());
  }
}
