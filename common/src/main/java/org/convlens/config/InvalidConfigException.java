package org.convlens.config;

/** A configuration value that cannot be used; the message names the key and what is allowed. */
public class InvalidConfigException extends IllegalArgumentException {
  private final String key;

  public InvalidConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The configuration key at fault, e.g. {@code analyze.top-k}. */
  public String key() {
    return key;
  }

  public static InvalidConfigException range(String key, Object value, String allowed) {
    return new InvalidConfigException(
        key, "invalid value '" + value + "' for " + key + ": allowed values are " + allowed);
  }
}
