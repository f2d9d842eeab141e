/**
 * The benchmarks behind {@code convlens bench} (module bench, in neither the library nor the
 * application jar): {@link org.convlens.bench.BenchCommand} is the command, found by the CLI
 * through {@link org.convlens.jobs.CliExtension}; {@link org.convlens.bench.Benchmark} times the
 * raw engine against the Spark jobs, {@link org.convlens.bench.TsneBenchmark} compares t-SNE with
 * scikit-learn (through the configured Python) and Smile, {@link
 * org.convlens.bench.ReportBenchmark}, {@link org.convlens.bench.AuditBenchmark} and {@link
 * org.convlens.bench.SoakBenchmark} run the jobs at scale on generated images, and {@link
 * org.convlens.bench.ShortcutBenchmark} scores the audit against planted shortcuts ({@link
 * org.convlens.bench.ShortcutScore}). Layer: above jobs; it may use every ConvLens package, and
 * Maven's module graph keeps the library and the CLI from using it.
 */
package org.convlens.bench;
