package org.convlens.model;

import java.util.List;

/**
 * A DJL block whose forward can tap one of several layers: with the forward parameter {@link
 * #TAP} naming a layer, the third output is that layer's activation, and a second input {@code
 * delta} is added to it, so one backward gives its gradient (layer attribution at any tapped layer).
 */
public interface LayerTaps {
  /** Forward parameter naming the tapped layer. */
  String TAP = "convlens.tap";

  /** The layers that can be tapped, shallow to deep; the last is the default. */
  List<String> tapLayers();
}
