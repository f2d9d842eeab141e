package org.convlens.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.convlens.config.ConvLensHome;
import org.convlens.data.synth.SampleData;

/** Regenerates sample-data/ with the seeded generator and retrains the bundled model. */
public final class SampleJob {
  private SampleJob() {}

  public static void run(Path out, long seed, int epochs, PrintStream console) throws IOException {
    Path root = out != null ? out : ConvLensHome.sampleData();
    SampleData.regenerate(root, seed, epochs, console);
    console.println("sample data and model written under " + root);
  }
}
