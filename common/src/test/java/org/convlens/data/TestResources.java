package org.convlens.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the committed fixtures under {@code src/test/resources}; small inputs made on the fly. */
final class TestResources {
  private TestResources() {}

  /** The bytes of a classpath resource, e.g. {@code /images/jpeg_cmyk.jpg}. */
  static byte[] bytes(String path) {
    try (InputStream in = TestResources.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A small red PNG. */
  static byte[] png() {
    return org.convlens.testing.Fixtures.image("png", 8, 6, java.awt.Color.RED);
  }

  /** The input settings of the defaults with {@code --set} values applied. */
  static org.convlens.config.Settings.InputSettings inputSettings(String... sets) {
    return org.convlens.pipeline.ConfigLoader.load(null, java.util.Map.of(), java.util.List.of(sets)).input();
  }

  static JsonNode json(String path) {
    try {
      return new ObjectMapper().readTree(bytes(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
