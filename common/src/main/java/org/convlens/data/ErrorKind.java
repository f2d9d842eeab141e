package org.convlens.data;

/**
 * Why an input produced no result. Every input that cannot be used becomes an output row with
 * {@code status = "error"}, one of these codes in {@code error_kind}, and a message in
 * {@code error}; the run summary counts rows per kind.
 */
public enum ErrorKind {
  /** The file listed at planning time was gone when an executor read it. */
  NOT_FOUND("not_found"),
  /**
   * An I/O error while reading the bytes or listing a folder (permissions, a failing disk, an
   * unreachable host, a lost connection).
   */
  READ_FAILED("read_failed"),
  /** A symbolic link whose target does not exist, or a link that points at itself (a loop). */
  BROKEN_LINK("broken_link"),
  /**
   * A file name that is not valid UTF-8: the JVM decodes it with replacement characters, so it
   * cannot be opened by that name on every filesystem. Rename the file.
   */
  BAD_FILE_NAME("bad_file_name"),
  /** A manifest line naming a file an earlier line already named (analysed once, there). */
  DUPLICATE("duplicate"),
  /** A manifest path outside the manifest's folder while {@code input.manifest-paths = below-manifest}. */
  PATH_NOT_ALLOWED("path_not_allowed"),
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
  /**
   * A label that is not in the dataset's class list (a synset missing from the class index, a
   * CIFAR label byte beyond the class names, a manifest label index that is not a number the
   * schema can hold).
   */
  BAD_LABEL("bad_label"),
  /** The engine failed on this image (alone, after its batch failed). */
  INFERENCE_FAILED("inference_failed"),
  /**
   * The executor ran out of memory on this image (decoding, resampling or its forward pass); the
   * image is refused, the run goes on.
   */
  OUT_OF_MEMORY("out_of_memory"),
  /** An unexpected failure in ConvLens itself while handling this input (a bug: please report). */
  INTERNAL("internal");

  private final String code;

  ErrorKind(String code) {
    this.code = code;
  }

  /** The kind whose {@link #code} is {@code code}. */
  public static ErrorKind of(String code) {
    for (ErrorKind k : values()) {
      if (k.code.equals(code)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown error kind '" + code + "'");
  }

  /** The stable lower-case code written to Parquet. */
  public String code() {
    return code;
  }
}
