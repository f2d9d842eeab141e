package org.convlens.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.convlens.config.ConvLensHome;
import org.convlens.config.InvalidConfigException;
import org.convlens.sampledata.SampleData;
import org.convlens.sampledata.SampleSpec;
import org.convlens.sampledata.ShortcutPlan;

/** Regenerates sample-data/ with the seeded generator and retrains the bundled model. */
public final class SampleJob {
  private SampleJob() {}

  /**
   * @param out where to write; null = the checkout's sample-data/
   * @param shortcuts a shortcut plan (JSON, {@link ShortcutPlan}); null = the demo's
   */
  public static void run(Path out, long seed, int epochs, Path shortcuts, PrintStream console)
      throws IOException {
    ShortcutPlan plan = ShortcutPlan.defaults();
    if (shortcuts != null) {
      if (!Files.isRegularFile(shortcuts)) {
        throw new InvalidConfigException("--shortcuts", "--shortcuts: no such file " + shortcuts);
      }
      try {
        plan = ShortcutPlan.read(shortcuts);
      } catch (IllegalArgumentException e) {
        throw new InvalidConfigException("--shortcuts", e.getMessage());
      }
    }
    Path root = out != null ? out : ConvLensHome.sampleData();
    SampleData.regenerate(root, SampleSpec.defaults(seed).withShortcuts(plan), epochs, console);
    console.println("sample data and model written under " + root);
  }
}
