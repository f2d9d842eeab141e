package org.convlens.model;

import ai.djl.nn.Block;
import java.util.List;

/** The DJL architectures ConvLens can rebuild from a {@link ModelDescription}: one place. */
public final class Architectures {
  public static final List<String> KNOWN = List.of(SmallCnn.ARCHITECTURE);

  private Architectures() {}

  /** A fresh, uninitialised block for {@code description.architecture()}. */
  public static Block build(ModelDescription description) {
    if (SmallCnn.ARCHITECTURE.equals(description.architecture())) {
      return new SmallCnn(description.numClasses());
    }
    throw new IllegalArgumentException(
        "unknown DJL architecture '" + description.architecture() + "'; known: " + KNOWN
            + " (use engine 'torchscript' for other models)");
  }
}
