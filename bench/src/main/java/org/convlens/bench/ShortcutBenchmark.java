package org.convlens.bench;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.audit.AuditRun;
import org.convlens.audit.Verdicts;
import org.convlens.config.ConvLensHome;
import org.convlens.config.InvalidConfigException;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.pipeline.Stages;
import org.convlens.sampledata.SampleGenerator;
import org.convlens.sampledata.SampleSpec;
import org.convlens.sampledata.Shortcut;
import org.convlens.sampledata.ShortcutPlan;
import org.convlens.spark.OutputLayout;

/**
 * How well the audit finds planted shortcuts, and what it costs. For each rate, a fresh test set
 * is generated with the shortcuts the bundled model was trained with (sample-data's {@code
 * shortcuts.json}: same classes, kinds and cue parameters) except that each cue is painted on
 * that share of every other class's test images ({@code otherClassesTestRate}); the set is
 * analysed with the configuration's defaults (the demo's methods) and audited with its defaults,
 * both in-process; then each planted shortcut is scored against the generator's ground truth
 * ({@link ShortcutScore}: flagged, cue named, suspects' precision and recall), clean classes'
 * findings are counted as false alarms, and every audit phase is timed against the analysis of
 * the same images.
 *
 * <p>Every rate uses the same generator seed, so the sets hold the same scenes and differ only in
 * which other-class images carry a cue. The seed differs from the committed data's, so no image
 * is one the detectors were tuned on.
 */
public final class ShortcutBenchmark {
  /** Shares of other classes' test images that carry each cue: 1%, 5% (the demo's) and 20%. */
  public static final List<Double> DEFAULT_RATES = List.of(0.01, 0.05, 0.2);
  /** Test images per rate: the demo's CIFAR test batch size. */
  public static final int DEFAULT_IMAGES = 1000;
  /** The generator seed of every rate's test set (issue 17); not the committed data's. */
  static final long SEED = 17L;
  /** Rates at and above which every planted kind must be flagged with the right cue. */
  static final double FLAG_TARGET_RATE = 0.05;
  /** Rates at and above which suspects must reach {@link #MIN_SUSPECT_SCORE}. */
  static final double SUSPECT_TARGET_RATE = 0.2;
  static final double MIN_SUSPECT_SCORE = 0.9;
  /** The whole audit may take at most this multiple of the analysis time. */
  static final double MAX_AUDIT_RATIO = 1.0;

  /**
   * The section's options.
   *
   * @param rates other classes' cue rates, one test set each, in (0, 1] (default 0.01, 0.05, 0.2)
   * @param images test images per rate, rounded up to whole classes, at least 100 (default 1,000)
   */
  public record Options(List<Double> rates, int images) {
    public Options {
      if (rates == null || rates.isEmpty()) {
        throw new InvalidConfigException("--shortcut-rates", "--shortcut-rates needs at least one rate, e.g. 0.01,0.05,0.2");
      }
      for (Double r : rates) {
        if (r == null || !(r > 0 && r <= 1)) {
          throw InvalidConfigException.range("--shortcut-rates", r,
              "shares of other classes' images in (0, 1], e.g. 0.01,0.05,0.2 (not percentages)");
        }
      }
      if (new LinkedHashSet<>(rates).size() != rates.size()) {
        throw new InvalidConfigException("--shortcut-rates", "--shortcut-rates names a rate twice: " + rates);
      }
      rates = rates.stream().sorted().toList();
      if (images < 100) {
        throw InvalidConfigException.range("--shortcut-images", images, "at least 100");
      }
    }
  }

  /** One rate's test set, analysis, audit and scores. */
  record RateResult(double rate, long images, long carriers, List<String> methods, double analyzeSeconds,
      double auditSeconds, Map<String, Double> phaseSeconds, List<ShortcutScore.KindScore> scores,
      List<ShortcutScore.Flag> falseFlags, Map<String, List<String>> detectors) {
    double auditRatio() {
      return auditSeconds / analyzeSeconds;
    }

    /** A builder, so that a caller names each of the 10 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private double rate;
      private long images;
      private long carriers;
      private List<String> methods;
      private double analyzeSeconds;
      private double auditSeconds;
      private Map<String, Double> phaseSeconds;
      private List<ShortcutScore.KindScore> scores;
      private List<ShortcutScore.Flag> falseFlags;
      private Map<String, List<String>> detectors;

      private Builder() {}

      Builder rate(double rate) {
        this.rate = rate;
        return this;
      }

      Builder images(long images) {
        this.images = images;
        return this;
      }

      Builder carriers(long carriers) {
        this.carriers = carriers;
        return this;
      }

      Builder methods(List<String> methods) {
        this.methods = methods;
        return this;
      }

      Builder analyzeSeconds(double analyzeSeconds) {
        this.analyzeSeconds = analyzeSeconds;
        return this;
      }

      Builder auditSeconds(double auditSeconds) {
        this.auditSeconds = auditSeconds;
        return this;
      }

      Builder phaseSeconds(Map<String, Double> phaseSeconds) {
        this.phaseSeconds = phaseSeconds;
        return this;
      }

      Builder scores(List<ShortcutScore.KindScore> scores) {
        this.scores = scores;
        return this;
      }

      Builder falseFlags(List<ShortcutScore.Flag> falseFlags) {
        this.falseFlags = falseFlags;
        return this;
      }

      Builder detectors(Map<String, List<String>> detectors) {
        this.detectors = detectors;
        return this;
      }

      RateResult build() {
        return new RateResult(rate, images, carriers, methods, analyzeSeconds, auditSeconds, phaseSeconds, scores,
            falseFlags, detectors);
      }
    }
  }

  /** A target and whether the run met it. */
  record Target(String what, boolean pass, String detail) {}

  private final SparkSession spark;
  private final PrintStream out;
  private final Path scratch;

  public ShortcutBenchmark(SparkSession spark, PrintStream out, Path scratch) {
    this.spark = spark;
    this.out = out;
    this.scratch = scratch;
  }

  public void run(Options o) throws Exception {
    ShortcutPlan trained = ShortcutPlan.read(ConvLensHome.sampleData().resolve(SampleGenerator.GROUND_TRUTH));
    List<ShortcutScore.Planted> planted = trained.shortcuts().stream()
        .map(s -> new ShortcutScore.Planted(s.target().className(), s.cue().kind())).toList();
    int perClass = (o.images() + SampleSpec.classCount() - 1) / SampleSpec.classCount();
    out.println();
    out.printf(Locale.ROOT, "== shortcut detection: %d planted shortcuts (%s), %,d test images per rate"
            + " (seed %d), bundled model ==%n", planted.size(),
        String.join(", ", planted.stream().map(p -> p.kind() + " on " + p.className()).toList()),
        perClass * SampleSpec.classCount(), SEED);
    out.println("clean controls: " + String.join(", ", trained.controls().stream().map(c -> c.className()).toList()));
    List<RateResult> results = new ArrayList<>();
    // Each rate's rows as soon as it is done: a whole run takes minutes per rate.
    printScoreHeader();
    for (double rate : o.rates()) {
      RateResult r = runRate(trained, planted, rate, o.images());
      printScores(r);
      results.add(r);
    }
    printTimes(results);
    out.println("targets:");
    for (Target t : targets(results)) {
      out.printf(Locale.ROOT, "  %s  %s: %s%n", t.pass() ? "PASS" : "FAIL", t.what(), t.detail());
    }
  }

  private RateResult runRate(ShortcutPlan trained, List<ShortcutScore.Planted> planted, double rate, int images)
      throws IOException {
    String tag = String.format(Locale.ROOT, "rate-%.4f", rate);
    Path data = scratch.resolve("shortcut-bench").resolve(tag).resolve("data");
    Path outDir = scratch.resolve("shortcut-bench").resolve(tag).resolve("out");
    SampleSpec spec = SampleSpec.cifarTestOnly(SEED, images).withShortcuts(atRate(trained, rate));
    SampleGenerator.writeCifar10(spec, data, new PrintStream(OutputStream.nullOutputStream()));
    Map<String, Object> options = GeneratedData.options(data.resolve(SampleGenerator.TEST_BATCH), outDir);
    // Every suspect id kept (the default keeps 100 per finding), so recall is not capped by the report's list.
    List<String> sets = List.of("progress.interval-seconds=0",
        "audit.shortcut.max-suspects=" + spec.cifarTestPerClass() * SampleSpec.classCount());
    ConvLensConfig config = ConfigLoader.load(null, options, sets);
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

    long t0 = System.nanoTime();
    AnalyzeRun.Summary analysis = Stages.analyze(config, spark, quiet);
    double analyzeSeconds = secs(t0);
    long t1 = System.nanoTime();
    AuditRun.Summary audit = Stages.audit(config, spark, quiet);
    double auditSeconds = secs(t1);

    List<ShortcutScore.Image> truth = truth(data, outDir.resolve(OutputLayout.ANALYSIS_DIR));
    List<ShortcutScore.Flag> flags = new ArrayList<>();
    Map<String, List<String>> detectors = new HashMap<>();
    for (Verdicts.Verdict v : audit.findings()) {
      flags.add(new ShortcutScore.Flag(v.className(), v.kind().code(), v.suspects()));
      detectors.put(v.className(), v.detectors());
    }
    long carriers = truth.stream().filter(i -> planted.stream()
        .anyMatch(p -> !p.className().equals(i.label()) && i.cues().contains(p.token()))).count();
    out.printf(Locale.ROOT, "rate %s: %,d images (%,d carry another class's cue); analyze %.1f s (%s),"
            + " audit %.1f s; findings: %s%n", percent(rate), analysis.ok(), carriers, analyzeSeconds,
        String.join(", ", audit.methods()), auditSeconds, flags.isEmpty() ? "none"
            : String.join(", ", flags.stream().map(f -> f.className() + " (" + f.kind() + ")").toList()));
    return RateResult.builder()
        .rate(rate)
        .images(analysis.ok())
        .carriers(carriers)
        .methods(audit.methods())
        .analyzeSeconds(analyzeSeconds)
        .auditSeconds(auditSeconds)
        .phaseSeconds(audit.phaseSeconds())
        .scores(ShortcutScore.score(planted, flags, truth))
        .falseFlags(ShortcutScore.falseFlags(planted, flags))
        .detectors(detectors)
        .build();
  }

  /** The trained plan with every cue on {@code rate} of other classes' test images. */
  static ShortcutPlan atRate(ShortcutPlan trained, double rate) {
    List<Shortcut> shortcuts = trained.shortcuts().stream()
        .map(s -> Shortcut.builder()
            .target(s.target())
            .cue(s.cue())
            .trainRate(s.trainRate())
            .testRate(s.testRate())
            .otherClassesTestRate(rate)
            .otherClassesValRate(s.otherClassesValRate())
            .build())
        .toList();
    return new ShortcutPlan(trained.description(), shortcuts);
  }

  /** The analysed images with their true and predicted class and the cues the generator painted on them. */
  private List<ShortcutScore.Image> truth(Path data, Path analysisDir) throws IOException {
    Map<Long, Set<String>> cues = new HashMap<>();
    List<String> lines = Files.readAllLines(data.resolve(SampleGenerator.TEST_MARKERS));
    if (!lines.get(0).equals(SampleGenerator.TEST_MARKERS_HEADER)) {
      throw new IllegalStateException("unexpected header in " + data.resolve(SampleGenerator.TEST_MARKERS));
    }
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1);
      cues.put(Long.parseLong(f[0]), f[3].isEmpty() ? Set.of() : Set.of(f[3].split(";")));
    }
    List<ShortcutScore.Image> images = new ArrayList<>();
    for (Row r : spark.read().parquet(analysisDir.toString())
        .filter(col("status").equalTo(AnalysisSchema.STATUS_OK))
        .select("id", "record_index", "label_name", "predicted_name").collectAsList()) {
      images.add(new ShortcutScore.Image(r.getString(0), r.getString(2), r.getString(3),
          cues.getOrDefault(r.getLong(1), Set.of())));
    }
    return images;
  }

  private void printScoreHeader() {
    out.printf(Locale.ROOT, "%-6s %-13s %-13s %-7s %-22s %-44s %8s %9s %16s %16s%n", "rate", "class", "planted",
        "flagged", "cue named", "detectors", "suspects", "precision", "recall (fooled)", "recall (carriers)");
  }

  private void printScores(RateResult r) {
    for (ShortcutScore.KindScore s : r.scores()) {
      String named = s.flagged() ? s.named() + (s.cueRight() ? " (right)" : " (wrong)") : "-";
      out.printf(Locale.ROOT, "%-6s %-13s %-13s %-7s %-22s %-44s %8d %9s %16s %16s%n", percent(r.rate()),
          s.planted().className(), s.planted().kind(), s.flagged() ? "yes" : "no", named,
          String.join("+", r.detectors().getOrDefault(s.planted().className(), List.of("-"))), s.suspects(),
          ratio(s.precision()), ratio(s.recall()) + " (" + s.hits() + "/" + s.fooled() + ")",
          ratio(s.recallOfCarriers()) + " (" + s.carriersFound() + "/" + s.carriers() + ")");
    }
    out.printf(Locale.ROOT, "%-6s clean classes flagged: %s%n", percent(r.rate()), r.falseFlags().isEmpty() ? "none"
        : String.join(", ", r.falseFlags().stream().map(f -> f.className() + " (" + f.kind() + ")").toList()));
  }

  private void printTimes(List<RateResult> results) {
    Set<String> phases = new LinkedHashSet<>();
    results.forEach(r -> phases.addAll(r.phaseSeconds().keySet()));
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-22s", "seconds (vs analyze)"));
    for (RateResult r : results) {
      header.append(String.format(Locale.ROOT, " %18s", "rate " + percent(r.rate())));
    }
    out.println(header);
    timeRow("analyze", results, r -> r.analyzeSeconds());
    for (String phase : phases) {
      timeRow("  " + phase, results, r -> r.phaseSeconds().getOrDefault(phase, Double.NaN));
    }
    timeRow("audit in all", results, RateResult::auditSeconds);
  }

  private void timeRow(String what, List<RateResult> results, java.util.function.ToDoubleFunction<RateResult> seconds) {
    StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-22s", what));
    for (RateResult r : results) {
      double s = seconds.applyAsDouble(r);
      row.append(String.format(Locale.ROOT, " %18s", String.format(Locale.ROOT, "%.1f (%.2fx)", s, s / r.analyzeSeconds())));
    }
    out.println(row);
  }

  /** The targets, judged on the rates this run has. */
  static List<Target> targets(List<RateResult> results) {
    List<Target> targets = new ArrayList<>();
    List<String> misses = new ArrayList<>();
    List<RateResult> flagRates = results.stream().filter(r -> r.rate() >= FLAG_TARGET_RATE).toList();
    for (RateResult r : flagRates) {
      for (ShortcutScore.KindScore s : r.scores()) {
        if (!s.cueRight()) {
          misses.add(s.planted().kind() + " on " + s.planted().className() + " at " + percent(r.rate())
              + (s.flagged() ? " named " + s.named() : " not flagged"));
        }
      }
    }
    targets.add(flagRates.isEmpty() ? new Target(what("every kind flagged with the right cue", FLAG_TARGET_RATE), false,
        "n/a: no rate of at least " + percent(FLAG_TARGET_RATE) + " was run")
        : new Target(what("every kind flagged with the right cue", FLAG_TARGET_RATE), misses.isEmpty(),
            misses.isEmpty() ? "all" : String.join("; ", misses)));

    List<String> weak = new ArrayList<>();
    List<RateResult> suspectRates = results.stream().filter(r -> r.rate() >= SUSPECT_TARGET_RATE).toList();
    for (RateResult r : suspectRates) {
      for (ShortcutScore.KindScore s : r.scores()) {
        // NaN (no suspects, or nothing fooled) fails: the comparison is false.
        if (!(s.precision() >= MIN_SUSPECT_SCORE && s.recall() >= MIN_SUSPECT_SCORE)) {
          weak.add(String.format(Locale.ROOT, "%s at %s: precision %s, recall %s", s.planted().className(),
              percent(r.rate()), ratio(s.precision()), ratio(s.recall())));
        }
      }
    }
    String suspects = String.format(Locale.ROOT, "suspects' precision and recall >= %.1f", MIN_SUSPECT_SCORE);
    targets.add(suspectRates.isEmpty() ? new Target(what(suspects, SUSPECT_TARGET_RATE), false,
        "n/a: no rate of at least " + percent(SUSPECT_TARGET_RATE) + " was run")
        : new Target(what(suspects, SUSPECT_TARGET_RATE), weak.isEmpty(),
            weak.isEmpty() ? "all kinds" : String.join("; ", weak)));

    List<String> alarms = new ArrayList<>();
    for (RateResult r : results) {
      r.falseFlags().forEach(f -> alarms.add(f.className() + " (" + f.kind() + ") at " + percent(r.rate())));
    }
    targets.add(new Target("no clean class flagged", alarms.isEmpty(), alarms.isEmpty() ? "none at any rate"
        : String.join("; ", alarms)));

    boolean fast = results.stream().allMatch(r -> r.auditRatio() <= MAX_AUDIT_RATIO);
    targets.add(new Target(String.format(Locale.ROOT, "whole audit <= %.1fx the analysis", MAX_AUDIT_RATIO), fast,
        String.join(", ", results.stream().map(r -> String.format(Locale.ROOT, "%.2fx at %s", r.auditRatio(),
            percent(r.rate()))).toList())));
    return targets;
  }

  private static String what(String target, double fromRate) {
    return target + " at rates >= " + percent(fromRate);
  }

  static String percent(double rate) {
    double p = 100 * rate;
    return p == Math.rint(p) ? String.format(Locale.ROOT, "%.0f%%", p) : String.format(Locale.ROOT, "%.1f%%", p);
  }

  private static String ratio(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static double secs(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

}
