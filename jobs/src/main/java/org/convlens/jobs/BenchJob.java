package org.convlens.jobs;

import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;
import org.convlens.bench.Benchmark;
import org.convlens.pipeline.ConvLensConfig;

/** Bench: prints the analyze figures of docs/benchmarks.md, measured side by side in one run. */
public final class BenchJob {
  private BenchJob() {}

  public static void run(ConvLensConfig config, SparkSession spark, Benchmark.Options options, PrintStream console)
      throws Exception {
    Benchmark.run(config, spark, options, console);
  }
}
