package org.convlens.data;

/**
 * Why an input produced no result. Every input that cannot be used becomes an output row with
 * {@code status = "error"}, one of these codes in {@code error_kind}, and a message in
 * {@code error}; the run summary counts rows per kind.
 */
public enum ErrorKind {
  /** The file listed at planning time was gone when an executor read it. */
  NOT_FOUND("not_found"),
  /** An I/O error while reading the bytes (permissions, a failing disk, a lost connection). */
  READ_FAILED("read_failed"),
  /** A zero-byte file. */
  EMPTY("empty"),
  /** The file is larger than {@code input.max-file-bytes}. */
  FILE_TOO_LARGE("file_too_large"),
  /** No image reader recognises the bytes (a text file, an unsupported codec). */
  UNSUPPORTED_FORMAT("unsupported_format"),
  /** A recognised format whose data could not be decoded. */
  CORRUPT("corrupt"),
  /** The data ends before the image does. */
  TRUNCATED("truncated"),
  /** Header dimensions beyond {@code input.max-pixels}: refused before any pixel is decoded. */
  TOO_MANY_PIXELS("too_many_pixels"),
  /** A CIFAR batch file whose last record is shorter than a full record. */
  TRUNCATED_RECORD("truncated_record"),
  /** A label that is not in the dataset's class list (e.g. a manifest naming an unknown class). */
  BAD_LABEL("bad_label"),
  /** The engine failed on this image's batch. */
  INFERENCE_FAILED("inference_failed"),
  /** An unexpected failure in ConvLens itself while handling this input (a bug: please report). */
  INTERNAL("internal");

  private final String code;

  ErrorKind(String code) {
    this.code = code;
  }

  /** The stable lower-case code written to Parquet. */
  public String code() {
    return code;
  }
}
