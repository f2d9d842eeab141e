package org.convlens.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The one JSON setup of the small typed output files ({@code run.json}, {@code model-viz.json}):
 * written and read through the same Jackson mapper, so a file reads back as the record that
 * wrote it. Indented with Jackson's default printer, one trailing newline; component names in
 * snake_case ({@code runId} is {@code run_id}); map keys as they are. Unknown keys are ignored
 * when reading, so a file written by a newer version still reads.
 */
public final class OutputJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private OutputJson() {}

  /** {@code value} as the file's text: indented JSON and a newline. */
  public static String text(Object value) {
    try {
      return MAPPER.writeValueAsString(value) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** Writes {@code value} to {@code file} whole (see {@link OutputFiles#writeText}). */
  public static void write(Path file, Object value, Configuration conf) throws IOException {
    OutputFiles.writeText(file, text(value), conf);
  }

  /** {@code text} read as {@code type}. */
  public static <T> T parse(String text, Class<T> type) {
    try {
      return MAPPER.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("not a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
    }
  }

  /**
   * {@code file} read as {@code type}, or null when it is missing or unreadable (a reader then
   * does without it, as it does without the file).
   */
  public static <T> T read(Path file, Class<T> type, Configuration conf) {
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.isFile(file)) {
        return null;
      }
      try (InputStream in = fs.open(file)) {
        return MAPPER.readValue(in, type);
      }
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * {@code value} as a JSON tree with this mapper's names: for the open-ended parts of a typed
   * file (a settings record, the model summary) that its readers pass on without reading them.
   */
  public static JsonNode tree(Object value) {
    return MAPPER.valueToTree(value);
  }
}
