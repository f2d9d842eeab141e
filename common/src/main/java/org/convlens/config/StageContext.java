package org.convlens.config;

import com.typesafe.config.ConfigRenderOptions;
import java.io.Serializable;
import java.util.List;
import org.convlens.config.Settings.InputSettings;
import org.convlens.config.Settings.ModelSettings;
import org.convlens.config.Settings.OutputSettings;
import org.convlens.config.Settings.ProgressSettings;
import org.convlens.config.Settings.SparkSettings;

/**
 * The sections every stage reads: where the inputs and the model are, where outputs go, how
 * often to report progress, and the effective configuration to record beside the outputs. A
 * stage gets this plus its own settings record, never the whole configuration, so a stage does
 * not depend on every other stage's settings.
 *
 * @param rendered the effective configuration as HOCON, written next to the outputs
 */
public record StageContext(
    SparkSettings spark,
    InputSettings input,
    ModelSettings model,
    OutputSettings output,
    ProgressSettings progress,
    String rendered)
    implements Serializable {

  /** The effective configuration as HOCON, as written next to the outputs. */
  public static final SettingPart<String> RENDERED = SettingsSpec.computed(List.of(),
      c -> c.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false)), () -> "");

  /** Its parts: the sections' specs and the rendered configuration. */
  public static final SettingsSpec<StageContext> SPEC = SettingsSpec.of(StageContext.class, SparkSettings.SPEC,
      InputSettings.SPEC, ModelSettings.SPEC, OutputSettings.SPEC, ProgressSettings.SPEC, RENDERED);

  /** This context with other inputs and their dataset names (empty = default names). */
  public StageContext withInputs(List<String> paths, List<String> names) {
    return SPEC.with(this, InputSettings.SPEC, input.withInputs(paths, names));
  }
}
