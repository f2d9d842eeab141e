package org.convlens.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyTest {
  @Test
  void aboveUpToExcludesItsLowerBoundKeepsItsUpperAndSaysSoInPlainNumbers() {
    Key<Double> alpha = Key.number("audit.x.alpha", 0.05, "an error rate").aboveUpTo(0, 0.5);
    assertEquals(0.5, alpha.check(0.5));
    assertEquals(1e-9, alpha.check(1e-9));
    for (double bad : new double[] {0, -0.1, 0.5000001}) {
      InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> alpha.check(bad));
      assertTrue(e.getMessage().contains("audit.x.alpha") && e.getMessage().contains("numbers above 0, up to 0.5"),
          e.getMessage());
    }
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> Key.number("k", 1, "").aboveUpTo(0, 100).check(101.0));
    assertTrue(e.getMessage().contains("numbers above 0, up to 100"), e.getMessage());
  }
}
