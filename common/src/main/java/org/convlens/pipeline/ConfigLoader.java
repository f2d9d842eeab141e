package org.convlens.pipeline;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.convlens.config.InvalidConfigException;

/**
 * Builds the effective configuration, lowest precedence first: the defaults in
 * {@code conf/convlens.conf} (on the classpath), the {@code --conf} file, the command-line
 * options, then each {@code --set key=value}. Keys not declared in the defaults are rejected
 * (except free-form Spark properties under {@code spark.conf}), so a typo never goes unnoticed.
 */
public final class ConfigLoader {
  public static final String DEFAULTS_RESOURCE = "convlens.conf";
  private static final String FREE_FORM = "spark.conf";

  private ConfigLoader() {}

  /** The defaults alone. */
  public static Config defaults() {
    return ConfigFactory.parseResources(
        ConfigLoader.class.getClassLoader(),
        DEFAULTS_RESOURCE,
        ConfigParseOptions.defaults().setAllowMissing(false));
  }

  /**
   * @param confFile a user configuration file, or null
   * @param options values from dedicated command-line options, keyed by configuration key
   * @param sets raw {@code key=value} strings from {@code --set}
   */
  public static ConvLensConfig load(Path confFile, Map<String, Object> options, List<String> sets) {
    Config defaults = defaults();
    Config merged = defaults;
    if (confFile != null) {
      if (!Files.isRegularFile(confFile)) {
        throw new InvalidConfigException("--conf", "configuration file not found: " + confFile);
      }
      try {
        merged = ConfigFactory.parseFile(confFile.toFile()).withFallback(merged);
      } catch (ConfigException e) {
        throw new InvalidConfigException("--conf", "cannot parse " + confFile + ": " + e.getMessage());
      }
    }
    for (Map.Entry<String, Object> e : options.entrySet()) {
      if (e.getValue() != null) {
        merged = merged.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
      }
    }
    for (String set : sets) {
      merged = applySet(merged, set);
    }
    try {
      merged = merged.resolve();
    } catch (ConfigException e) {
      throw new InvalidConfigException("--conf", "cannot resolve configuration: " + e.getMessage());
    }
    rejectUnknownKeys(defaults, merged);
    return ConvLensConfig.from(merged);
  }

  static Config applySet(Config config, String set) {
    int eq = set.indexOf('=');
    if (eq <= 0) {
      throw new InvalidConfigException(
          "--set", "--set needs key=value, e.g. --set analyze.batch-size=32 (got '" + set + "')");
    }
    String key = set.substring(0, eq).strip();
    String raw = set.substring(eq + 1).strip();
    String path;
    if (key.startsWith(FREE_FORM + ".")) {
      // spark.conf.spark.executor.memory=4g: everything after spark.conf. is one Spark key.
      path = FREE_FORM + "." + ConfigUtil.joinPath(key.substring(FREE_FORM.length() + 1));
    } else {
      path = key;
    }
    ConfigValue value;
    if (raw.startsWith("[") || raw.startsWith("{")) {
      try {
        value = ConfigFactory.parseString("v = " + raw).getValue("v");
      } catch (ConfigException e) {
        throw new InvalidConfigException(key, "cannot parse the value of --set " + key + ": " + e.getMessage());
      }
    } else {
      // Kept as a string: URLs such as hdfs://host/path must not be read as HOCON comments.
      value = ConfigValueFactory.fromAnyRef(raw);
    }
    try {
      return config.withValue(path, value);
    } catch (ConfigException e) {
      throw new InvalidConfigException(key, "invalid key in --set " + key + ": " + e.getMessage());
    }
  }

  private static void rejectUnknownKeys(Config defaults, Config merged) {
    for (Map.Entry<String, ConfigValue> e : merged.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(FREE_FORM + ".") || defaults.hasPathOrNull(key)) {
        continue;
      }
      List<String> parts = ConfigUtil.splitPath(key);
      String known;
      if (parts.size() > 1 && defaults.hasPath(parts.get(0))) {
        Set<String> siblings = new TreeSet<>();
        for (String k : defaults.getConfig(parts.get(0)).root().keySet()) {
          siblings.add(parts.get(0) + "." + k);
        }
        known = "known keys in " + parts.get(0) + ": " + String.join(", ", siblings);
      } else {
        known = "known sections: " + String.join(", ", new TreeSet<>(defaults.root().keySet()));
      }
      throw new InvalidConfigException(key, "unknown configuration key '" + key + "'; " + known);
    }
  }

  /** Every documented key, for help output. */
  public static List<String> knownKeys() {
    List<String> keys = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : defaults().entrySet()) {
      keys.add(e.getKey());
    }
    keys.sort(null);
    return keys;
  }
}
