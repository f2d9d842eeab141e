package org.convlens.config;

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

  /** This context with other inputs and their dataset names (empty = default names). */
  public StageContext withInputs(List<String> paths, List<String> names) {
    return new StageContext(spark, input.withInputs(paths, names), model, output, progress, rendered);
  }
}
