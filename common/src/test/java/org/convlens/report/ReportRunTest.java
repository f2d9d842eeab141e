package org.convlens.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReportRunTest {
  @Test
  void idsAreStoredWithoutTheirCommonPrefix() {
    assertEquals("file:/data/b.bin#", ReportRun.commonPrefix(new String[] {"file:/data/b.bin#12", "file:/data/b.bin#3"}));
    assertEquals("", ReportRun.commonPrefix(new String[] {"a", "b"}));
    assertEquals("", ReportRun.commonPrefix(new String[0]));
    assertEquals("same", ReportRun.commonPrefix(new String[] {"same", "same"}));
    // a prefix never ends inside a surrogate pair (U+1F600 and U+1F601 share their high half)
    assertEquals("x", ReportRun.commonPrefix(new String[] {"x\uD83D\uDE00", "x\uD83D\uDE01"}));
  }

  @Test
  void coordinatesKeepFiveSignificantDigits() {
    assertArrayEquals(new double[] {1.2346, -0.00012346, 12346}, ReportRun.rounded(new float[] {1.234567f, -0.0001234567f, 12345.67f}));
  }
}
