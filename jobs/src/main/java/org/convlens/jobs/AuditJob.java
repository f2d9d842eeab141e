package org.convlens.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.convlens.audit.AuditDiff;
import org.convlens.audit.AuditRun;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;

/** Audit: where each class looks, shortcuts, mistakes and explanation quality; and the diff of two audits. */
public final class AuditJob {
  private AuditJob() {}

  public static AuditRun.Summary run(ConvLensConfig config, SparkSession spark, PrintStream console)
      throws IOException {
    AuditRun.Summary s = Stages.audit(config, spark, console);
    console.printf(Locale.ROOT, "audit: %,d images, accuracy %s; attention of %s; shortcut classes flagged: %s%s;"
            + " %,d candidate label issues%s -> %s%n",
        s.images(), s.accuracy() == null ? "n/a (no labels the model knows)"
            : String.format(Locale.ROOT, "%.2f%%", 100 * s.accuracy()), s.methods().isEmpty() ? "no methods" : String.join(", ", s.methods()),
        s.flaggedClasses().isEmpty() ? "none" : String.join(", ", s.flaggedClasses()),
        s.suspects().isEmpty() ? "" : " (suspect images of other classes: "
            + s.suspects() + ")",
        s.labelIssues(),
        s.finalSpearman().isEmpty() ? "" : "; Spearman after full randomisation (95% interval) " + format(s.finalSpearman()),
        AnalyzeJob.display(s.dir()));
    for (org.convlens.audit.Verdicts.Verdict v : s.findings()) {
      console.println("audit: finding (" + v.kind().code() + ", " + String.join(" + ", v.detectors()) + "): "
          + v.lead().statement());
    }
    for (org.convlens.audit.Finding f : s.signals()) {
      if (s.findings().stream().noneMatch(v -> v.cls() == f.cls())) {
        console.println("audit: unconfirmed signal (" + f.kind().code() + ", " + f.detector()
            + ", no other detector agrees): " + f.statement());
      }
    }
    return s;
  }

  public static AuditDiff.Result diff(ConvLensConfig config, String base, String next, String out, SparkSession spark,
      PrintStream console) throws IOException {
    String dir = out != null ? out
        : new org.apache.hadoop.fs.Path(config.output().dir(), AuditDiff.DIFF_DIR).toString();
    return AuditDiff.execute(base, next, dir, config.audit(), spark, console, config.output().lockTimeoutSeconds());
  }

  /** "&lt;method&gt; 0.05 [-0.03, 0.14], ...": each method's ρ with its 95% interval. */
  private static String format(java.util.Map<String, AuditRun.Estimate> m) {
    StringBuilder b = new StringBuilder();
    m.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append(' ')
        .append(v.mean() == null ? "n/a" : String.format(Locale.ROOT, "%.2f", v.mean()))
        .append(v.lo() == null ? "" : String.format(Locale.ROOT, " [%.2f, %.2f]", v.lo(), v.hi())));
    return b.toString();
  }
}
