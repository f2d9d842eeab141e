package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.convlens.spark.OutputJson;
import org.junit.jupiter.api.Test;

/**
 * audit.json as an {@link AuditSummary}: the records write, byte for byte, what the earlier
 * {@code Map<String,Object>} code wrote. The golden file is the demo's audit.json written by that
 * code, with every list cut to two entries, the detectors' sections left out (each detector's
 * test covers its own), the evidence, previews and maps replaced by small stand-ins, and the
 * sanity marks and verdicts added since (two made-up verdicts, one failing). Reading
 * it as the record and writing it again must give the same text: the same keys, order, nulls and
 * number forms (a float probability stays {@code 0.9997052}, not its double expansion).
 */
class AuditSummaryTest {
  static String golden() throws IOException {
    try (InputStream in = AuditSummaryTest.class.getResourceAsStream("/org/convlens/golden/audit-summary.json")) {
      assertNotNull(in);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void writesWhatTheMapCodeWrote() throws IOException {
    String text = golden();
    AuditSummary read = OutputJson.parse(text, AuditSummary.class);
    assertEquals(text, OutputJson.text(read));
  }

  @Test
  void readsTheTypedParts() throws IOException {
    AuditSummary a = OutputJson.parse(golden(), AuditSummary.class);
    assertEquals("convlens-sample-cnn-v1", a.modelId());
    assertEquals(1056, a.images());
    assertEquals(-1, a.attention().get(0).cls());
    assertEquals(1, a.findings().get(0).cls());
    assertEquals(2, a.findings().get(0).interval().length);
    assertEquals(0.9997052f, a.mistakes().confident().get(0).confidence());
    assertEquals(48, a.quality().measuredImages());
    assertEquals(List.of("occlusion_steps", "occlusion_grid"), List.copyOf(a.quality().gridMethod().keySet()));
    assertEquals(List.of("pass", "fail"), a.attention().stream().map(AuditSummary.Attention::sanity).toList());
    assertEquals(List.of("randomization"), a.quality().sanity().get(1).failed());
    assertEquals(null, a.quality().sanity().get(1).insertionGain());
  }

  /** The detectors' sections sit between attention and findings, in run order, under their names. */
  @Test
  void detectorSectionsSitBetweenAttentionAndFindings() throws IOException {
    AuditSummary a = OutputJson.parse(golden(), AuditSummary.class);
    java.util.Map<String, Object> sections = new java.util.LinkedHashMap<>();
    sections.put("region", java.util.Map.of("flagged", List.of(4)));
    sections.put("patch", java.util.Map.of("flagged", List.of()));
    String text = OutputJson.text(AuditSummary.builder().auditId(a.auditId()).modelId(a.modelId())
        .createdAt(a.createdAt()).analysis(a.analysis()).images(a.images()).classes(a.classes())
        .settings(a.settings()).methods(a.methods()).attention(a.attention()).detectors(sections)
        .findings(a.findings()).signals(a.signals()).mistakes(a.mistakes()).quality(a.quality()).build());
    int attention = text.indexOf("\"attention\" :");
    int region = text.indexOf("\"region\" :");
    int patch = text.indexOf("\"patch\" :");
    int findings = text.indexOf("\"findings\" :");
    assertEquals(List.of(true, true, true), List.of(attention < region, region < patch, patch < findings));
  }

  /** Read back, the sections keep the order they were written in (the report draws them from it). */
  @Test
  void readingKeepsTheDetectorsOrder() throws IOException {
    AuditSummary a = OutputJson.parse(golden(), AuditSummary.class);
    java.util.Map<String, Object> sections = new java.util.LinkedHashMap<>();
    List<String> names = ShortcutDetectors.all().stream().map(ShortcutDetector::name).toList();
    names.forEach(n -> sections.put(n, java.util.Map.of("flagged", List.of())));
    String text = OutputJson.text(AuditSummary.builder().auditId(a.auditId()).modelId(a.modelId())
        .classes(a.classes()).attention(a.attention()).detectors(sections).findings(a.findings())
        .signals(a.signals()).mistakes(a.mistakes()).quality(a.quality()).build());
    AuditSummary back = OutputJson.parse(text, AuditSummary.class);
    assertEquals(names, List.copyOf(back.detectors().keySet()));
    assertEquals(text, OutputJson.text(back));
  }
}
