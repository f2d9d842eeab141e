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

  /** {@link #of(Object, List)} of a detector's result. */
  static Map<String, Object> of(ShortcutDetector.Result r) {
    return of(r.section(), r.findings());
  }

  /**
   * The section and each finding's evidence, in order, as one JSON value; each finding first goes
   * through Java serialization (findings travel in Spark closures) and must come back with the
   * same evidence.
   */
  static Map<String, Object> of(Object section, List<Finding> findings) {
    for (Finding f : findings) {
      assertEquals(OutputJson.text(f.evidence()), OutputJson.text(serializedAndBack(f).evidence()),
          "evidence after Java serialization");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("section", section);
    m.put("evidence", findings.stream().map(Finding::evidence).toList());
    return m;
  }

  private static Finding serializedAndBack(Finding f) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
        out.writeObject(f);
      }
      try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
          new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
        return (Finding) in.readObject();
      }
    } catch (IOException | ClassNotFoundException e) {
      throw new AssertionError("a finding of " + f.detector() + " does not serialize: " + e, e);
    }
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
