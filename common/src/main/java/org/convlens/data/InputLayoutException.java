package org.convlens.data;

/** An input path or layout that cannot be read at all (checked on the driver, before any job). */
public class InputLayoutException extends IllegalArgumentException {
  public InputLayoutException(String message) {
    super(message);
  }
}
