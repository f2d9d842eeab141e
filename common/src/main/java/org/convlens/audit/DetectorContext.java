package org.convlens.audit;

import java.io.PrintStream;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.analyze.AnalyzeSettings;
import org.convlens.config.StageContext;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelSpec;

/**
 * What a {@link ShortcutDetector} may read.
 *
 * @param spark the session
 * @param stage the sections every stage reads (input limits, progress, output)
 * @param analyze the analysis settings ({@code analyze.*}, e.g. the batch size)
 * @param audit the audit's settings ({@code audit.*} holds every detector's settings)
 * @param inputs the context naming the analysed inputs, for detectors that read the images again
 *     (the paths of the analysis's run.json when none were given); its input paths are empty when
 *     they are unknown
 * @param rows the usable analysis rows with {@link AuditRows#TRUE_CLASS}, persisted by the audit
 * @param classNames the model's classes
 * @param spec the model, to load it on executors through the model cache
 * @param model the model's description
 * @param methods the attribution methods with maps in the analysis (those the audit aggregates)
 * @param means each class's mean attention map per method ({@link ClassAttention})
 * @param tables writes the detector's tables into the audit folder
 * @param console progress and summary lines
 */
public record DetectorContext(SparkSession spark, StageContext stage, AnalyzeSettings analyze, AuditSettings audit,
    StageContext inputs, Dataset<Row> rows, List<String> classNames, ModelSpec spec, ModelDescription model,
    List<String> methods, List<ClassAttention.Mean> means, AuditRun.Tables tables, PrintStream console) {
  public AuditSettings settings() {
    return audit;
  }

  /** The settings {@code detector} declared (see {@link ShortcutDetector#settings}). */
  @SuppressWarnings("unchecked")
  public <T> T settings(ShortcutDetector detector) {
    return (T) audit.detectors().get(detector.name());
  }

  public String className(int cls) {
    return cls >= 0 && cls < classNames.size() ? classNames.get(cls) : String.valueOf(cls);
  }

  /** A builder, so that a caller names each of the 13 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name; {@link #build()} checks them as the constructor does. */
  public static final class Builder {
    private SparkSession spark;
    private StageContext stage;
    private AnalyzeSettings analyze;
    private AuditSettings audit;
    private StageContext inputs;
    private Dataset<Row> rows;
    private List<String> classNames;
    private ModelSpec spec;
    private ModelDescription model;
    private List<String> methods;
    private List<ClassAttention.Mean> means;
    private AuditRun.Tables tables;
    private PrintStream console;

    private Builder() {}

    public Builder spark(SparkSession spark) {
      this.spark = spark;
      return this;
    }

    public Builder stage(StageContext stage) {
      this.stage = stage;
      return this;
    }

    public Builder analyze(AnalyzeSettings analyze) {
      this.analyze = analyze;
      return this;
    }

    public Builder audit(AuditSettings audit) {
      this.audit = audit;
      return this;
    }

    public Builder inputs(StageContext inputs) {
      this.inputs = inputs;
      return this;
    }

    public Builder rows(Dataset<Row> rows) {
      this.rows = rows;
      return this;
    }

    public Builder classNames(List<String> classNames) {
      this.classNames = classNames;
      return this;
    }

    public Builder spec(ModelSpec spec) {
      this.spec = spec;
      return this;
    }

    public Builder model(ModelDescription model) {
      this.model = model;
      return this;
    }

    public Builder methods(List<String> methods) {
      this.methods = methods;
      return this;
    }

    public Builder means(List<ClassAttention.Mean> means) {
      this.means = means;
      return this;
    }

    public Builder tables(AuditRun.Tables tables) {
      this.tables = tables;
      return this;
    }

    public Builder console(PrintStream console) {
      this.console = console;
      return this;
    }

    public DetectorContext build() {
      return new DetectorContext(spark, stage, analyze, audit, inputs, rows, classNames, spec, model, methods, means,
          tables, console);
    }
  }
}
