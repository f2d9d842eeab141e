package org.convlens.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * conf/convlens.conf (the user's documentation of every setting) and the keys the settings
 * records declare ({@link ConvLensConfig#specs()}) must agree: the same keys, both ways, and the
 * same defaults.
 */
class ConfFileMatchesDeclaredKeysTest {
  private static Config conf;

  @BeforeAll
  static void parse() {
    Path file = Path.of("..", "conf", "convlens.conf");
    assertTrue(Files.isRegularFile(file), "run from the common module: " + file.toAbsolutePath());
    conf = ConfigFactory.parseFile(file.toFile()).resolve();
  }

  @Test
  void everyKeyOfTheFileIsDeclared() {
    Set<String> declared = new HashSet<>();
    List<String> freeForm = new ArrayList<>();
    for (Key<?> k : ConvLensConfig.declaredKeys()) {
      declared.add(k.path());
      if (k.defaultValue() instanceof Map) {
        freeForm.add(k.path() + ".");
      }
    }
    List<String> undeclared = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : conf.entrySet()) {
      String key = e.getKey();
      if (!declared.contains(key) && freeForm.stream().noneMatch(key::startsWith)) {
        undeclared.add(key);
      }
    }
    assertEquals(List.of(), undeclared, "keys of conf/convlens.conf that no settings record declares");
  }

  @Test
  void everyDeclaredKeyIsInTheFileWithItsDefault() {
    Set<String> seen = new HashSet<>();
    for (Key<?> k : ConvLensConfig.declaredKeys()) {
      assertTrue(seen.add(k.path()), k.path() + " is declared twice");
      assertTrue(conf.hasPathOrNull(k.path()), k.path() + " is declared but missing from conf/convlens.conf");
      assertEquals(k.defaultValue(), k.read(conf), k.path() + ": declared default vs conf/convlens.conf");
      assertTrue(!k.doc().isBlank(), k.path() + " has no doc");
    }
  }

  @Test
  void eachRecordsDefaultsAreWhatTheFileGives() {
    for (SettingsSpec<?> spec : ConvLensConfig.specs()) {
      assertEquals(spec.defaults(), spec.from(conf), spec + ": defaults() vs from(conf/convlens.conf)");
    }
  }

  @Test
  void aChangedDefaultWouldBeCaught() {
    Config changed = ConfigFactory.parseString("report.tsne.iterations = 999").withFallback(conf);
    Key<Integer> k = org.convlens.report.ReportSettings.ITERATIONS;
    assertTrue(!k.defaultValue().equals(k.read(changed)));
  }
}
