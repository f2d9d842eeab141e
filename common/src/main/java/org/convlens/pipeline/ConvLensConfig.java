package org.convlens.pipeline;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.List;
import org.convlens.analyze.AnalyzeSettings;
import org.convlens.audit.AuditSettings;
import org.convlens.config.Key;
import org.convlens.config.Settings.InputSettings;
import org.convlens.config.Settings.ModelSettings;
import org.convlens.config.Settings.OutputSettings;
import org.convlens.config.Settings.ProgressSettings;
import org.convlens.config.Settings.SparkSettings;
import org.convlens.config.SettingsSpec;
import org.convlens.config.StageContext;
import org.convlens.modelviz.ModelVizSettings;
import org.convlens.report.ReportSettings;

/**
 * The whole validated configuration, built once on the driver by {@link ConfigLoader} and
 * passed to jobs as a value. It aggregates every stage's settings, so it sits above the stages:
 * a stage gets {@link #stage()} and its own section, never this record.
 *
 * @param rendered the effective configuration as HOCON, written next to the outputs
 */
public record ConvLensConfig(
    SparkSettings spark,
    InputSettings input,
    ModelSettings model,
    AnalyzeSettings analyze,
    ModelVizSettings modelViz,
    ReportSettings report,
    AuditSettings audit,
    OutputSettings output,
    ProgressSettings progress,
    String rendered)
    implements Serializable {


  /** Every section, in the order of conf/convlens.conf, then the rendered configuration. */
  private static final SettingsSpec<ConvLensConfig> SPEC = SettingsSpec.of(ConvLensConfig.class, SparkSettings.SPEC,
      InputSettings.SPEC, ModelSettings.SPEC, AnalyzeSettings.SPEC, ModelVizSettings.SPEC, ReportSettings.SPEC,
      AuditSettings.SPEC, OutputSettings.SPEC, ProgressSettings.SPEC, StageContext.RENDERED);

  /**
   * The spec of every settings section; their keys are all the keys ConvLens declares (a test
   * checks that conf/convlens.conf holds exactly these, with their defaults).
   */
  public static List<SettingsSpec<?>> specs() {
    return List.of(SparkSettings.SPEC, InputSettings.SPEC, ModelSettings.SPEC, AnalyzeSettings.SPEC,
        ModelVizSettings.SPEC, ReportSettings.SPEC, AuditSettings.SPEC, OutputSettings.SPEC, ProgressSettings.SPEC);
  }

  /** Every declared key. */
  public static List<Key<?>> declaredKeys() {
    return SPEC.keys();
  }

  /** Reads and validates every section of an already-merged configuration. */
  static ConvLensConfig from(Config c) {
    return SPEC.from(c);
  }

  /** The same configuration with different input paths (used by the demo). */
  public ConvLensConfig withInputPaths(List<String> paths) {
    return withInputs(paths, List.of());
  }

  /** This configuration with other inputs and their dataset names (empty = default names). */
  public ConvLensConfig withInputs(List<String> paths, List<String> names) {
    return SPEC.with(this, InputSettings.SPEC, input.withInputs(paths, names));
  }

  /** The sections every stage reads (spark, input, model, output, progress, the rendered HOCON). */
  public StageContext stage() {
    return StageContext.SPEC.build(part -> SPEC.get(this, part));
  }

}
