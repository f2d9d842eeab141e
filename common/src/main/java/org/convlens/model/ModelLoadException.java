package org.convlens.model;

import java.io.IOException;

/**
 * A model that cannot be loaded or does not match its description. The message is one sentence
 * naming the file (and the field of {@code model.json}, where one is at fault).
 */
public class ModelLoadException extends IOException {
  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
