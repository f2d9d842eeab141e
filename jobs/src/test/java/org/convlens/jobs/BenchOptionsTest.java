package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The bench command's shortcut options: bad values stop it before Spark starts, naming the option. */
class BenchOptionsTest {
  @Test
  void badShortcutRatesNameTheOption() {
    for (String rates : new String[] {"0.05,1.5", "0", "5,20", "0.05,0.05", "abc"}) {
      CliRun run = CliRun.of("bench", "--section", "shortcuts", "--shortcut-rates", rates);
      assertEquals(2, run.code(), rates + ": " + run.err());
      assertTrue(run.err().contains("--shortcut-rates"), rates + ": " + run.err());
    }
    CliRun few = CliRun.of("bench", "--section", "shortcuts", "--shortcut-images", "10");
    assertEquals(2, few.code(), few.err());
    assertTrue(few.err().contains("--shortcut-images"), few.err());
    CliRun section = CliRun.of("bench", "--section", "shortcut");
    assertEquals(2, section.code(), section.err());
    assertTrue(section.err().contains("shortcuts"), "the allowed sections are listed: " + section.err());
  }
}
