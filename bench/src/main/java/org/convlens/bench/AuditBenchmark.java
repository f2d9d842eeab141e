package org.convlens.bench;

import static org.apache.spark.sql.functions.col;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.audit.AuditRun;
import org.convlens.audit.AuditSchema;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.Stages;
import org.convlens.sampledata.SampleGenerator;

/**
 * The audit at scale: generates {@code n} fresh sample images (the sample data's classes and
 * planted marker, a new seed), analyses them with the bundled model (saliency, Grad-CAM and CAM),
 * then times the audit phase by phase next to the analysis that produced its input, and checks
 * the shortcut finder against the generator's ground truth (which images carry the marker).
 */
public final class AuditBenchmark {
  private final SparkSession spark;
  private final PrintStream out;
  private final Path scratch;

  public AuditBenchmark(SparkSession spark, PrintStream out, Path scratch) {
    this.spark = spark;
    this.out = out;
    this.scratch = scratch;
  }

  public void run(int n) throws Exception {
    out.println();
    out.printf(Locale.ROOT, "== audit on %,d generated images (bundled model; saliency, Grad-CAM, CAM) ==%n", n);
    Path data = scratch.resolve("audit-bench-data");
    Path batch = GeneratedData.cifarBatch(11L, n, data);
    Path outDir = scratch.resolve("audit-bench-out");
    Map<String, Object> options = GeneratedData.options(batch, outDir);
    List<String> sets = List.of("analyze.methods=[saliency, gradcam, cam]");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    long t0 = System.nanoTime();
    AnalyzeRun.Summary a = Stages.analyze(ConfigLoader.load(null, options, sets), spark, quiet);
    double analyze = secs(t0);
    out.printf(Locale.ROOT, "analyze: %,d rows in %.1f s (%.0f images/s)%n", a.inputs(), analyze, a.inputs() / analyze);

    long t1 = System.nanoTime();
    AuditRun.Summary s = Stages.audit(ConfigLoader.load(null, options, sets), spark, out);
    double audit = secs(t1);
    out.printf(Locale.ROOT, "%-34s %10s %14s %12s%n", "audit phase", "seconds", "images/s", "vs analyze");
    for (var e : s.phaseSeconds().entrySet()) {
      boolean sample = e.getKey().startsWith("explanation");
      double images = sample ? 32 : s.images();
      out.printf(Locale.ROOT, "%-34s %10.1f %14.0f %11.2fx%n", e.getKey() + (sample ? " (32 images)" : ""),
          e.getValue(), images / e.getValue(), e.getValue() / analyze);
    }
    out.printf(Locale.ROOT, "%-34s %10.1f %14.0f %11.2fx%n", "audit in all", audit, s.images() / audit, audit / analyze);

    // Ground truth: the generator's markers.
    Set<Long> marked = new HashSet<>();
    List<String> lines = Files.readAllLines(data.resolve(SampleGenerator.TEST_MARKERS));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      if (f[2].equals("true")) {
        marked.add(Long.parseLong(f[0]));
      }
    }
    Map<String, Long> index = new java.util.HashMap<>();
    for (Row r : spark.read().parquet(outDir.resolve("analysis").toString()).select("id", "record_index")
        .collectAsList()) {
      index.put(r.getString(0), r.getLong(1));
    }
    long fooled = spark.read().parquet(outDir.resolve("analysis").toString())
        .filter(col("predicted").equalTo(4).and(col("label_name").notEqual("ring"))).select("record_index")
        .collectAsList().stream().filter(r -> marked.contains(r.getLong(0))).count();
    List<Row> suspects = spark.read().parquet(outDir.resolve("audit").resolve(AuditSchema.SHORTCUT_IMAGES).toString())
        .filter(col("role").equalTo("suspect")).select("id").collectAsList();
    long hits = suspects.stream().filter(r -> marked.contains(index.get(r.getString(0)))).count();
    out.printf(Locale.ROOT, "shortcut classes flagged: %s; suspects %,d, carrying the marker %,d (precision %.3f);"
            + " marked images of other classes predicted ring %,d, found %,d (recall %.3f)%n",
        s.flaggedClasses(), suspects.size(), hits, suspects.isEmpty() ? Double.NaN : (double) hits / suspects.size(),
        fooled, hits, fooled == 0 ? Double.NaN : (double) hits / fooled);
  }

  private static double secs(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
