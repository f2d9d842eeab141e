package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.spark.OutputJson;

/**
 * A detector's {@code audit.json} section and its findings' evidence against a golden file under
 * {@code org/convlens/golden/}: the typed records must write, byte for byte, what the earlier
 * {@code Map<String,Object>} code wrote (the goldens were written by that code). A missing golden
 * fails and leaves the text it would hold under {@code target/golden/}, to be read and copied by hand.
 */
final class SectionGolden {
  private SectionGolden() {}

  /** The section and each finding's evidence, in order, as one JSON value. */
  static Map<String, Object> of(ShortcutDetector.Result r) {
    return of(r.section(), r.findings());
  }

  static Map<String, Object> of(Object section, List<Finding> findings) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("section", section);
    m.put("evidence", findings.stream().map(Finding::evidence).toList());
    return m;
  }

  /** {@code value} written by {@link OutputJson} is the golden file {@code name}. */
  static void assertMatches(String name, Object value) {
    String actual = OutputJson.text(value);
    try (InputStream in = SectionGolden.class.getResourceAsStream("/org/convlens/golden/" + name)) {
      if (in == null) {
        Path out = Path.of("target", "golden", name);
        Files.createDirectories(out.getParent());
        Files.writeString(out, actual, StandardCharsets.UTF_8);
        fail("no golden " + name + "; this run's text is in " + out.toAbsolutePath());
      }
      assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), actual, name);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
