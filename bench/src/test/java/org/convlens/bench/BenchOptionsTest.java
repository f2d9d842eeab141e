package org.convlens.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.convlens.jobs.ConvLensCli;
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

  /** With this module on the classpath the CLI finds the real command: its options are in the help. */
  @Test
  void theCliFindsTheBenchCommand() {
    CliRun help = CliRun.of("bench", "--help");
    assertEquals(0, help.code(), help.err());
    assertTrue(help.out().contains("--python"), help.out());
    assertTrue(help.out().contains("--section"), help.out());
  }

  /** One in-process run of the command line: exit code, stdout and stderr. */
  private record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = ConvLensCli.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8), args);
      return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }
}
