package org.convlens.data.synth;

import java.nio.file.Path;

/**
 * Runs {@link SampleData#regenerate} until {@code ./convlens sample} exists: {@code java -cp
 * <test classpath> -Dai.djl.offline=true org.convlens.data.synth.RegenerateSampleData
 * [root=sample-data] [seed] [epochs]} with {@code OMP_WAIT_POLICY=PASSIVE} in the environment.
 */
public final class RegenerateSampleData {
  private RegenerateSampleData() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args.length > 0 ? args[0] : "sample-data");
    long seed = args.length > 1 ? Long.parseLong(args[1]) : SampleSpec.DEFAULT_SEED;
    int epochs = args.length > 2 ? Integer.parseInt(args[2]) : SampleData.DEFAULT_EPOCHS;
    SampleData.regenerate(root, seed, epochs, System.out);
  }
}
