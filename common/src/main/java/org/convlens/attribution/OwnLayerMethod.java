package org.convlens.attribution;

import java.util.LinkedHashMap;
import java.util.Map;
import org.convlens.config.Key;
import org.convlens.model.Classifier;

/**
 * A method whose layer is its own key {@code analyze.<name>.layer} (empty = the model
 * description's feature map): the layer is resolved, checked, recorded in run.json ({@code
 * <name>_layer}) and named on the console the same way for each such method.
 */
interface OwnLayerMethod extends AttributionMethod {
  /** The method's layer key. */
  Key<String> layerKey();

  /** The key's value in {@code settings} ({@code ""} = the model's feature map). */
  String configuredLayer(AttributionSettings settings);

  /** The layer as resolved for {@code model}. */
  @Override
  default String gradientLayer(AttributionSettings settings, Classifier model) {
    String layer = configuredLayer(settings);
    return layer.isEmpty() ? model.defaultGradientLayer() : layer;
  }

  /** Refuses, naming the layer key, a model without that layer. */
  @Override
  default void check(Classifier model, AttributionSettings settings) {
    ChannelWeightedLayerMap.requireLayer(model, gradientLayer(settings, model), layerKey().path(), name());
  }

  /** The layer it ran on, as resolved for the model. */
  @Override
  default Map<String, Object> recorded(AttributionSettings settings, Classifier model) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(name() + "_layer", gradientLayer(settings, model));
    return out;
  }

  @Override
  default String consoleNote(AttributionSettings settings, Classifier model) {
    return ", " + title() + " layer " + gradientLayer(settings, model);
  }
}
