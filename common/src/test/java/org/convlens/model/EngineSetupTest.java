package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EngineSetupTest {
  @Test
  void isIdempotentAndWarnsInsteadOfFailingOnDifferentSettings() {
    EngineSetup.configure(ModelFixtures.THREADS, ModelFixtures.INTEROP_THREADS);
    EngineSetup.Settings first = EngineSetup.applied();
    assertNotNull(first);
    EngineSetup.configure(ModelFixtures.THREADS, ModelFixtures.INTEROP_THREADS);
    assertDoesNotThrow(() -> EngineSetup.configure(3, 2));
    assertEquals(first, EngineSetup.applied());
    assertEquals("true", System.getProperty(EngineSetup.OFFLINE));
  }

  @Test
  void libtorchWarningsAreOffOnceTheEngineStarts() {
    EngineSetup.configure(ModelFixtures.THREADS, ModelFixtures.INTEROP_THREADS);
    // c10's own flag, read back from the loaded library: warnings (1) no longer print.
    assertEquals(NativeLogging.ERROR, NativeLogging.current());
    assertEquals("ERROR", EngineSetup.nativeLogLevel());
  }

  @Test
  void rejectsNegativeCounts() {
    assertThrows(IllegalArgumentException.class, () -> EngineSetup.configure(-1, 0));
  }
}
