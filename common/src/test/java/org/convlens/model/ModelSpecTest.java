package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class ModelSpecTest {
  @Test
  void normalisesAndDefaultsTheDevice() {
    assertEquals("gpu", new ModelSpec("m", " GPU ", 1, 1).device());
    assertEquals("auto", new ModelSpec("m", null, 0, 0).device());
    assertEquals(new ModelSpec("m", "auto", 0, 0), ModelSpec.of("m"));
  }

  @Test
  void rejectsBadValuesNamingTheField() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModelSpec(" ", "cpu", 0, 0))
        .getMessage().contains("path"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModelSpec("m", "tpu", 0, 0))
        .getMessage().contains("device"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModelSpec("m", "cpu", -1, 0))
        .getMessage().contains("threads"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModelSpec("m", "cpu", 0, -2))
        .getMessage().contains("interopThreads"));
  }

  @Test
  void isSerializable() throws Exception {
    ModelSpec spec = new ModelSpec("/models/x", "gpu", 2, 1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(spec);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(spec, in.readObject());
    }
  }
}
