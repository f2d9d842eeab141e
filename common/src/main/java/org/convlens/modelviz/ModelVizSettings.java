package org.convlens.modelviz;

import com.typesafe.config.Config;
import java.io.Serializable;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * {@code model-viz.*}. Each key, its default and its range are declared once below ({@link #SPEC}).
 *
 * @param firstLayer the first convolution to draw (module or parameter name); empty = auto
 * @param secondLayer the second convolution; empty = auto
 * @param analysis the analyze output for class mean embeddings; empty = {@code <out>/analysis}
 * @param maximize input maximisation
 */
public record ModelVizSettings(String firstLayer, String secondLayer, String analysis,
    MaximizeSettings maximize) implements Serializable {
  public static final Key<String> FIRST_LAYER = Key.string("model-viz.filters.first-layer", "",
      "the first convolution, drawn as RGB tiles; empty = the model's first convolution").normalised(String::strip);
  public static final Key<String> SECOND_LAYER = Key.string("model-viz.filters.second-layer", "",
      "the second convolution; empty = the next convolution that consumes the first one's output")
      .normalised(String::strip);
  public static final Key<String> ANALYSIS = Key.string("model-viz.analysis", "",
      "the analyze output giving each class's mean embedding; empty = <output.dir>/analysis when it exists")
      .normalised(String::strip).unrecorded();
  public static final SettingsSpec<ModelVizSettings> SPEC = SettingsSpec.of(ModelVizSettings.class, FIRST_LAYER,
      SECOND_LAYER, ANALYSIS, MaximizeSettings.SPEC);

  public ModelVizSettings {
    firstLayer = FIRST_LAYER.check(firstLayer);
    secondLayer = SECOND_LAYER.check(secondLayer);
    analysis = ANALYSIS.check(analysis);
  }

  /** Reads and validates {@code model-viz.*}. */
  public static ModelVizSettings from(Config c) {
    return SPEC.from(c);
  }

  /** Every key at its default (those of conf/convlens.conf). */
  public static ModelVizSettings defaults() {
    return SPEC.defaults();
  }
}
