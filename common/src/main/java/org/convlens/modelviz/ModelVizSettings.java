package org.convlens.modelviz;

import java.io.Serializable;

/**
 * {@code model-viz.*}.
 *
 * @param firstLayer the first convolution to draw (module or parameter name); empty = auto
 * @param secondLayer the second convolution; empty = auto
 * @param analysis the analyze output for class mean embeddings; empty = {@code <out>/analysis}
 * @param maximize input maximisation
 */
public record ModelVizSettings(String firstLayer, String secondLayer, String analysis,
    MaximizeSettings maximize) implements Serializable {
  public ModelVizSettings {
    firstLayer = firstLayer.strip();
    secondLayer = secondLayer.strip();
    analysis = analysis.strip();
  }
}
