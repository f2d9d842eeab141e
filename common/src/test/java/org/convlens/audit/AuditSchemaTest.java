package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The audit's tables come in one fixed order, whatever the JVM (Map.of's order is not fixed). */
class AuditSchemaTest {
  @Test
  void theAuditsOwnTablesComeFirstInTheirDeclaredOrder() {
    List<String> names = List.copyOf(AuditSchema.TABLES.keySet());
    assertEquals(List.of(AuditSchema.ATTENTION, AuditSchema.CONFUSION, AuditSchema.CLASSES, AuditSchema.MISTAKES,
        AuditSchema.RANDOMIZATION, AuditSchema.FAITHFULNESS, AuditSchema.FINDINGS, AuditSchema.SANITY,
        AuditSchema.SIGNALS), names.subList(0, 9));
    assertEquals(List.copyOf(ShortcutDetectors.tables().keySet()), names.subList(9, names.size()));
  }
}
