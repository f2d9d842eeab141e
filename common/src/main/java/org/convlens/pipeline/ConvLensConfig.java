package org.convlens.pipeline;

import static org.convlens.config.ConfigValues.bool;
import static org.convlens.config.ConfigValues.dbl;
import static org.convlens.config.ConfigValues.doubles;
import static org.convlens.config.ConfigValues.ints;
import static org.convlens.config.ConfigValues.num;
import static org.convlens.config.ConfigValues.str;
import static org.convlens.config.ConfigValues.strings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.convlens.analyze.AnalyzeSettings;
import org.convlens.attribution.AttributionSettings;
import org.convlens.attribution.MapEncoding;
import org.convlens.audit.AuditSettings;
import org.convlens.config.Choice;
import org.convlens.config.InputFormat;
import org.convlens.config.Key;
import org.convlens.config.Settings;
import org.convlens.config.Settings.Cifar100Label;
import org.convlens.config.Settings.InputSettings;
import org.convlens.config.Settings.ModelSettings;
import org.convlens.config.Settings.OutputSettings;
import org.convlens.config.Settings.ProgressSettings;
import org.convlens.config.Settings.SparkSettings;
import org.convlens.config.Settings.WriteMode;
import org.convlens.config.SettingsSpec;
import org.convlens.config.StageContext;
import org.convlens.modelviz.MaximizeSettings;
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

  /**
   * The spec of every settings section, in the order of conf/convlens.conf; their keys are all
   * the keys ConvLens declares (a test checks that the conf file holds exactly these, with their
   * defaults).
   */
  public static List<SettingsSpec<?>> specs() {
    return List.of(SparkSettings.SPEC, InputSettings.SPEC, ModelSettings.SPEC, AnalyzeSettings.SPEC,
        ModelVizSettings.SPEC, ReportSettings.SPEC, OutputSettings.SPEC, ProgressSettings.SPEC);
  }

  /** Every declared key. */
  public static List<Key<?>> declaredKeys() {
    return specs().stream().flatMap(s -> s.keys().stream()).toList();
  }

  /** Reads and validates every section of an already-merged configuration. */
  static ConvLensConfig from(Config c) {
    SparkSettings spark = SparkSettings.from(c);
    InputSettings input = InputSettings.from(c);
    ModelSettings model = ModelSettings.from(c);
    AnalyzeSettings analyze = AnalyzeSettings.from(c);
    ModelVizSettings modelViz = ModelVizSettings.from(c);
    ReportSettings report = ReportSettings.from(c);
    String a = "audit.";
    AuditSettings audit =
        new AuditSettings(
            str(c, a + "analysis"),
            str(c, a + "dir"),
            (int) num(c, a + "grid"),
            strings(c, a + "methods").stream().map(m -> m.strip().toLowerCase()).toList(),
            doubles(c, a + "shortcut.region-sides"),
            dbl(c, a + "shortcut.border"),
            dbl(c, a + "shortcut.min-lift"),
            dbl(c, a + "shortcut.min-mass"),
            dbl(c, a + "shortcut.min-consistency"),
            dbl(c, a + "shortcut.image-lift"),
            (int) num(c, a + "shortcut.min-methods"),
            (int) num(c, a + "shortcut.min-images"),
            (int) num(c, a + "shortcut.examples"),
            (int) num(c, a + "shortcut.max-suspects"),
            (int) num(c, a + "mistakes.gallery"),
            (int) num(c, a + "mistakes.label-issues"),
            dbl(c, a + "mistakes.label-issue-min-confidence"),
            (int) num(c, a + "quality.samples"),
            num(c, a + "quality.seed"),
            (int) num(c, a + "quality.sample-offset"),
            (int) num(c, a + "quality.bootstrap"),
            (int) num(c, a + "quality.cascade-layers"),
            (int) num(c, a + "quality.occlusion-steps"),
            (int) num(c, a + "quality.curve-steps"),
            (int) num(c, a + "quality.batch-size"),
            dbl(c, a + "quality.insertion-blur"),
            dbl(c, a + "diff.attention-shift"),
            AuditSettings.detectorSettings(c));
    OutputSettings output = OutputSettings.from(c);
    ProgressSettings progress = ProgressSettings.from(c);
    String rendered =
        c.root()
            .render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    return new ConvLensConfig(spark, input, model, analyze, modelViz, report, audit, output, progress, rendered);
  }

  /** The same configuration with different input paths (used by the demo). */
  public ConvLensConfig withInputPaths(List<String> paths) {
    return withInputs(paths, List.of());
  }

  /** This configuration with other inputs and their dataset names (empty = default names). */
  public ConvLensConfig withInputs(List<String> paths, List<String> names) {
    return new ConvLensConfig(spark, input.withInputs(paths, names), model, analyze, modelViz, report, audit, output,
        progress, rendered);
  }

  /** The sections every stage reads (spark, input, model, output, progress, the rendered HOCON). */
  public StageContext stage() {
    return new StageContext(spark, input, model, output, progress, rendered);
  }
}
