package org.convlens.data;

/** An input that cannot be used; becomes an error row, never a failed task. */
public class InputException extends Exception {
  private final ErrorKind kind;

  public InputException(ErrorKind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public InputException(ErrorKind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public ErrorKind kind() {
    return kind;
  }
}
