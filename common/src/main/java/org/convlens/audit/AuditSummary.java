package org.convlens.audit;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.convlens.analyze.AnalysisSchema;

/**
 * {@code <out>/audit/audit.json}, the audit's bounded summary: what the report's Audit section
 * draws and what a reader needs without Spark. Written once by {@link AuditRun} through {@link
 * org.convlens.spark.OutputJson}; the keys are the components in snake_case, in this order
 * (docs/parquet-schema.md). The detectors' sections sit between {@code attention} and {@code
 * findings}, each under its detector's name, in {@link ShortcutDetectors} order; each detector
 * declares its section's shape in its own class.
 *
 * @param auditId the audit's id
 * @param modelId the audited model
 * @param createdAt when the audit started, ISO-8601 UTC, whole seconds
 * @param analysis the analysis folder audited
 * @param images usable rows audited
 * @param classes the model's class names, by index
 * @param settings the audit settings, by each key's JSON name ({@link AuditSettings#toMap()})
 * @param methods the methods whose maps the audit aggregated
 * @param attention each scope, class and method's mean attention on the audit grid
 * @param detectors each enabled detector's section, by its name, in run order
 * @param findings one per flagged class ({@link Verdicts})
 * @param signals every detector's finding, confirmed by the verdicts or not
 * @param mistakes accuracy, confusion, confident mistakes and label issues
 * @param quality the explanation-quality checks; null when they did not run
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"audit_id", "model_id", "created_at", "analysis", "images", "classes", "settings", "methods",
    "attention", "detectors", "findings", "signals", "mistakes", "quality"})
public record AuditSummary(
    String auditId,
    String modelId,
    String createdAt,
    String analysis,
    long images,
    List<String> classes,
    Map<String, Object> settings,
    List<String> methods,
    List<Attention> attention,
    @JsonAnyGetter @JsonAnySetter Map<String, Object> detectors,
    List<VerdictEntry> findings,
    List<SignalEntry> signals,
    Mistakes mistakes,
    Quality quality) {

  /**
   * The detectors' sections in {@link ShortcutDetectors#all()} order (sections of detectors this
   * version does not know follow in their order): the order they are written in, kept when the
   * file is read back (Jackson fills a record's any-setter map out of the file's order).
   */
  public AuditSummary {
    if (detectors != null) {
      Map<String, Object> ordered = new java.util.LinkedHashMap<>();
      for (ShortcutDetector d : ShortcutDetectors.all()) {
        if (detectors.containsKey(d.name())) {
          ordered.put(d.name(), detectors.get(d.name()));
        }
      }
      detectors.forEach(ordered::putIfAbsent);
      detectors = ordered;
    }
  }

  /**
   * One mean attention map (the {@code attention} table's row without the class name).
   *
   * @param scope {@code all} images of the class or its {@code correct} ones ({@link ClassAttention})
   * @param cls the class index, -1 for all classes
   * @param method the method whose maps were averaged
   * @param images images averaged
   * @param map the mean map, row-major on the audit grid, 5 significant digits
   * @param sanity the method's sanity mark ({@link MethodSanity#PASS} or {@link MethodSanity#FAIL});
   *     null when the quality checks did not judge it
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Attention(String scope, @JsonProperty("class") int cls, String method, long images, float[] map,
      String sanity) {

    /** The entry of mean {@code m}, its map rounded, not judged yet. */
    static Attention of(ClassAttention.Mean m) {
      return new Attention(m.key().scope(), m.key().cls(), m.key().method(), m.images(), AuditRun.round(m.map()), null);
    }

    /** This entry with its method's mark from {@code marks} (null when the method is not there). */
    Attention marked(Map<String, String> marks) {
      return new Attention(scope, cls, method, images, map, marks.get(method));
    }
  }

  /**
   * A finding's figures as written for every detector: see {@link Finding} for each component.
   * {@code interval} is {@code [lo, hi]} or null; {@code evidence} is the detector's own {@link
   * Finding.Evidence} record when written, plain JSON values when read back (as the detectors'
   * sections are).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"class", "class_name", "kind", "detector", "cue", "score", "interval", "statement",
      "suspect_count", "suspects", "evidence"})
  public record FindingEntry(@JsonProperty("class") int cls, String className, String kind, String detector,
      String cue, double score, double[] interval, String statement, long suspectCount, List<String> suspects,
      Object evidence) {

    /** {@code f} as written. */
    public static FindingEntry of(Finding f) {
      return new FindingEntry(f.cls(), f.className(), f.kind().code(), f.detector(), f.cue(), f.score(),
          Double.isNaN(f.lo()) ? null : new double[] {f.lo(), f.hi()}, f.statement(), f.suspectCount(),
          f.suspects(), f.evidence());
    }
  }

  /**
   * One flagged class ({@link Verdicts.Verdict}): its lead signal's figures, with the verdict's
   * suspects (those of every confirming signal) in place of the lead's, the detectors that
   * confirm it, and their signals in full.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"class", "class_name", "kind", "detector", "cue", "score", "interval", "statement",
      "suspect_count", "suspects", "evidence", "detectors", "support"})
  public record VerdictEntry(@JsonProperty("class") int cls, String className, String kind, String detector,
      String cue, double score, double[] interval, String statement, long suspectCount, List<String> suspects,
      Object evidence, List<String> detectors, List<FindingEntry> support) {

    /** {@code v} as written. */
    public static VerdictEntry of(Verdicts.Verdict v) {
      FindingEntry lead = FindingEntry.of(v.lead());
      return new VerdictEntry(lead.cls(), lead.className(), lead.kind(), lead.detector(), lead.cue(), lead.score(),
          lead.interval(), lead.statement(), v.suspectCount(), v.suspects(), lead.evidence(), v.detectors(),
          v.support().stream().map(FindingEntry::of).toList());
    }
  }

  /** A signal: a finding's figures without its evidence, and whether a verdict confirmed it. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"class", "class_name", "kind", "detector", "cue", "score", "interval", "statement",
      "suspect_count", "suspects", "confirmed"})
  public record SignalEntry(@JsonProperty("class") int cls, String className, String kind, String detector,
      String cue, double score, double[] interval, String statement, long suspectCount, List<String> suspects,
      boolean confirmed) {

    /** {@code f} as written. */
    public static SignalEntry of(Finding f, boolean confirmed) {
      FindingEntry e = FindingEntry.of(f);
      return new SignalEntry(e.cls(), e.className(), e.kind(), e.detector(), e.cue(), e.score(), e.interval(),
          e.statement(), e.suspectCount(), e.suspects(), confirmed);
    }
  }

  /**
   * The {@code mistakes} section.
   *
   * @param confusion {@code [true, predicted, images]} triples, the {@code confusion} table
   * @param classes per class, the {@code classes} table without names
   * @param labelled labelled usable images
   * @param accuracy correct ÷ labelled; null with no labels
   * @param confident the most confident mistakes, most confident first
   * @param labelIssues the likeliest label issues, lowest label probability first
   * @param labelIssueCount label issues in all
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Mistakes(List<long[]> confusion, List<ClassFigures> classes, long labelled, Double accuracy,
      List<Mistake> confident, List<Mistake> labelIssues, long labelIssueCount) {

    /** The section with its lists and counts. */
    public static Mistakes of(List<long[]> confusion, List<ClassFigures> classes, long labelled, long correct,
        List<Mistake> confident, List<Mistake> labelIssues, long labelIssueCount) {
      return new Mistakes(confusion, classes, labelled, labelled == 0 ? null : (double) correct / labelled,
          confident, labelIssues, labelIssueCount);
    }
  }

  /**
   * One class's figures (the {@code classes} table; docs/audit.md): images labelled with it,
   * correct, their accuracy, mean confidence and entropy, its label-issue threshold, images
   * predicted as it. The figures are null for a class without labelled images.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record ClassFigures(@JsonProperty("class") int cls, long images, long correct, Double accuracy,
      Double meanConfidence, Double meanEntropy, Double threshold, long predictedImages) {

    /** Class {@code cls} from its {@link Mistakes#perClass} row (null when it has no images). */
    static ClassFigures of(int cls, Row r, long predicted) {
      return r == null ? new ClassFigures(cls, 0, 0, null, null, null, null, predicted)
          : new ClassFigures(cls, r.getLong(1), r.getLong(2), r.getDouble(3), r.getDouble(4), r.getDouble(5),
              r.getDouble(6), predicted);
    }
  }

  /**
   * A confident mistake or a label issue (the {@code mistakes} table's row, its preview as base64
   * PNG). {@code suggested} is the label-issue's suggested class (null for a mistake), and {@code
   * confidence} the suggested class's probability for a label issue, the prediction's for a mistake.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Mistake(String id, Integer trueClass, Integer predicted, Integer suggested, Float confidence,
      Float labelProb, String png) {

    /** The entry of {@code r}, a row of {@link Mistakes#confidentMistakes} or {@link Mistakes#labelIssues}. */
    static Mistake of(Row r, boolean labelIssue) {
      return new Mistake(r.getAs("id"), r.getAs(AuditRows.TRUE_CLASS), r.getAs("predicted"),
          labelIssue ? r.getAs("suggested") : null, r.getAs(labelIssue ? "suggested_prob" : "confidence"),
          r.getAs("label_prob"), AuditRun.png(r.getAs(AnalysisSchema.INPUT_PNG)));
    }
  }

  /**
   * The {@code quality} section (docs/audit.md, "Explanation quality").
   *
   * @param samples images asked for ({@code audit.quality.samples})
   * @param sampleOffset images skipped first ({@code audit.quality.sample-offset})
   * @param measuredImages images measured
   * @param ids their ids
   * @param errors the first 20 images that failed, with why
   * @param methods the methods checked
   * @param bootstrap how the intervals were made
   * @param gridMethod the perturbation-grid method's own entries: its steps key and, when it was
   *     checked, which grid it used ({@code <method>_grid}, a {@link GridSource})
   * @param seconds wall time of the measurement, 0.1 s
   * @param cpuSeconds CPU seconds per image by part, 0.01 s
   * @param randomization the cascade's Spearman ρ by method and step
   * @param faithfulness deletion and insertion AUC by method
   * @param sanity each checked method's sanity verdict, most trusted first ({@link MethodSanity})
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"samples", "sample_offset", "measured_images", "ids", "errors", "methods", "bootstrap",
      "grid_method", "seconds", "cpu_seconds", "randomization", "faithfulness", "sanity"})
  public record Quality(int samples, int sampleOffset, int measuredImages, List<String> ids, List<String> errors,
      List<String> methods, BootstrapEntry bootstrap, @JsonAnyGetter @JsonAnySetter Map<String, Object> gridMethod,
      double seconds,
      Map<String, Double> cpuSeconds, List<RandomizationEntry> randomization, List<FaithfulnessEntry> faithfulness,
      List<MethodSanity.Verdict> sanity) {

    /** The grid method's steps key before its {@code <method>_grid} entry, as written (see the summary's constructor). */
    public Quality {
      if (gridMethod != null) {
        Map<String, Object> ordered = new java.util.LinkedHashMap<>();
        gridMethod.forEach((k, v) -> {
          if (!k.endsWith("_grid")) {
            ordered.put(k, v);
          }
        });
        gridMethod.forEach(ordered::putIfAbsent);
        gridMethod = ordered;
      }
    }

    /** A builder, so that a caller names each of the 13 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name. */
    public static final class Builder {
      private List<MethodSanity.Verdict> sanity;
      private int samples;
      private int sampleOffset;
      private int measuredImages;
      private List<String> ids;
      private List<String> errors;
      private List<String> methods;
      private BootstrapEntry bootstrap;
      private Map<String, Object> gridMethod;
      private double seconds;
      private Map<String, Double> cpuSeconds;
      private List<RandomizationEntry> randomization;
      private List<FaithfulnessEntry> faithfulness;

      private Builder() {}

      public Builder samples(int samples) {
        this.samples = samples;
        return this;
      }

      public Builder sampleOffset(int sampleOffset) {
        this.sampleOffset = sampleOffset;
        return this;
      }

      public Builder measuredImages(int measuredImages) {
        this.measuredImages = measuredImages;
        return this;
      }

      public Builder ids(List<String> ids) {
        this.ids = ids;
        return this;
      }

      public Builder errors(List<String> errors) {
        this.errors = errors;
        return this;
      }

      public Builder methods(List<String> methods) {
        this.methods = methods;
        return this;
      }

      public Builder bootstrap(BootstrapEntry bootstrap) {
        this.bootstrap = bootstrap;
        return this;
      }

      public Builder gridMethod(Map<String, Object> gridMethod) {
        this.gridMethod = gridMethod;
        return this;
      }

      public Builder seconds(double seconds) {
        this.seconds = seconds;
        return this;
      }

      public Builder cpuSeconds(Map<String, Double> cpuSeconds) {
        this.cpuSeconds = cpuSeconds;
        return this;
      }

      public Builder randomization(List<RandomizationEntry> randomization) {
        this.randomization = randomization;
        return this;
      }

      public Builder faithfulness(List<FaithfulnessEntry> faithfulness) {
        this.faithfulness = faithfulness;
        return this;
      }

      public Builder sanity(List<MethodSanity.Verdict> sanity) {
        this.sanity = sanity;
        return this;
      }

      public Quality build() {
        return new Quality(samples, sampleOffset, measuredImages, ids, errors, methods, bootstrap, gridMethod,
            seconds, cpuSeconds, randomization, faithfulness, sanity);
      }
    }
  }

  /** How a section's intervals were made: {@link Bootstrap}'s method, level, resamples and seed. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record BootstrapEntry(String method, double level, int resamples, long seed) {}

  /**
   * Which perturbation grid the quality checks used for the trained model.
   *
   * @param source {@code analysis} (the stored grid) or {@code computed}
   * @param window its window, input pixels
   * @param stride its stride, input pixels
   * @param baseline its baseline's code
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record GridSource(String source, int window, int stride, String baseline) {}

  /** One method and cascade step of the randomisation check ({@code quality_randomization} row). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record RandomizationEntry(String method, int step, String layer, long images, Double spearmanMean,
      Double spearmanStd, Double spearmanLo, Double spearmanHi) {

    static RandomizationEntry of(QualityFigures.Cascade c) {
      return new RandomizationEntry(c.method(), c.step(), c.layer(), c.images(), c.mean(), c.std(),
          c.interval() == null ? null : c.interval().lo(), c.interval() == null ? null : c.interval().hi());
    }
  }

  /** One method's deletion or insertion curve ({@code quality_faithfulness} row; curve at 5 digits). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record FaithfulnessEntry(String method, String kind, long images, Double aucMean, Double aucStd,
      Double aucLo, Double aucHi, float[] curve) {

    static FaithfulnessEntry of(QualityFigures.Curve c) {
      return new FaithfulnessEntry(c.method(), c.kind(), c.images(), c.mean(), c.std(),
          c.interval() == null ? null : c.interval().lo(), c.interval() == null ? null : c.interval().hi(),
          AuditRun.round(c.curve()));
    }
  }

  /** A builder, so that a caller names each of the 14 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name. */
  public static final class Builder {
    private String auditId;
    private String modelId;
    private String createdAt;
    private String analysis;
    private long images;
    private List<String> classes;
    private Map<String, Object> settings;
    private List<String> methods;
    private List<Attention> attention;
    private Map<String, Object> detectors;
    private List<VerdictEntry> findings;
    private List<SignalEntry> signals;
    private Mistakes mistakes;
    private Quality quality;

    private Builder() {}

    public Builder auditId(String auditId) {
      this.auditId = auditId;
      return this;
    }

    public Builder modelId(String modelId) {
      this.modelId = modelId;
      return this;
    }

    public Builder createdAt(String createdAt) {
      this.createdAt = createdAt;
      return this;
    }

    public Builder analysis(String analysis) {
      this.analysis = analysis;
      return this;
    }

    public Builder images(long images) {
      this.images = images;
      return this;
    }

    public Builder classes(List<String> classes) {
      this.classes = classes;
      return this;
    }

    public Builder settings(Map<String, Object> settings) {
      this.settings = settings;
      return this;
    }

    public Builder methods(List<String> methods) {
      this.methods = methods;
      return this;
    }

    public Builder attention(List<Attention> attention) {
      this.attention = attention;
      return this;
    }

    public Builder detectors(Map<String, Object> detectors) {
      this.detectors = detectors;
      return this;
    }

    public Builder findings(List<VerdictEntry> findings) {
      this.findings = findings;
      return this;
    }

    public Builder signals(List<SignalEntry> signals) {
      this.signals = signals;
      return this;
    }

    public Builder mistakes(Mistakes mistakes) {
      this.mistakes = mistakes;
      return this;
    }

    public Builder quality(Quality quality) {
      this.quality = quality;
      return this;
    }

    public AuditSummary build() {
      return new AuditSummary(auditId, modelId, createdAt, analysis, images, classes, settings, methods, attention,
          detectors, findings, signals, mistakes, quality);
    }
  }
}
