package org.convlens.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.List;

/**
 * Reads one typed value of a configuration; a value of the wrong type becomes an {@link
 * InvalidConfigException} naming the key. Shared by {@code org.convlens.pipeline.ConvLensConfig} and the components
 * that declare their own settings (the audit's shortcut detectors).
 */
public final class ConfigValues {
  private ConfigValues() {}

  public static String str(Config c, String key) {
    try {
      return c.getIsNull(key) ? "" : c.getString(key);
    } catch (ConfigException.WrongType e) {
      throw new InvalidConfigException(key, "invalid value for " + key + ": expected a string");
    }
  }

  public static long num(Config c, String key) {
    try {
      return c.getLong(key);
    } catch (ConfigException.WrongType e) {
      throw new InvalidConfigException(
          key,
          "invalid value '" + c.getValue(key).unwrapped() + "' for " + key + ": expected an integer");
    }
  }

  public static boolean bool(Config c, String key) {
    try {
      return c.getBoolean(key);
    } catch (ConfigException.WrongType e) {
      throw new InvalidConfigException(
          key, "invalid value '" + c.getValue(key).unwrapped() + "' for " + key + ": expected true or false");
    }
  }

  public static double dbl(Config c, String key) {
    try {
      return c.getDouble(key);
    } catch (ConfigException.WrongType e) {
      throw new InvalidConfigException(
          key, "invalid value '" + c.getValue(key).unwrapped() + "' for " + key + ": expected a number");
    }
  }

  /** A list of integers; a single integer counts as a one-element list. */
  public static List<Integer> ints(Config c, String key) {
    ConfigValue v = c.getValue(key);
    if (v.valueType() == ConfigValueType.NUMBER
        || (v.valueType() == ConfigValueType.STRING && ((String) v.unwrapped()).strip().matches("-?\\d+"))) {
      return List.of(c.getInt(key)); // --set key=7 arrives as the string "7"
    }
    try {
      return c.getIntList(key);
    } catch (ConfigException.WrongType e) {
      throw new InvalidConfigException(key, "invalid value for " + key + ": expected a list of integers");
    }
  }

  /** A list of numbers; a single number counts as a one-element list. */
  public static List<Double> doubles(Config c, String key) {
    ConfigValue v = c.getValue(key);
    try {
      if (v.valueType() == ConfigValueType.NUMBER || v.valueType() == ConfigValueType.STRING) {
        return List.of(c.getDouble(key)); // --set key=0.25 arrives as the string "0.25"
      }
      return c.getDoubleList(key);
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      throw new InvalidConfigException(key, "invalid value for " + key + ": expected a list of numbers");
    }
  }

  /** A list of strings; a single string counts as a one-element list. */
  public static List<String> strings(Config c, String key) {
    ConfigValue v = c.getValue(key);
    if (v.valueType() == ConfigValueType.STRING) {
      String s = ((String) v.unwrapped()).strip();
      return s.isEmpty() ? List.of() : List.of(s);
    }
    try {
      return c.getStringList(key);
    } catch (ConfigException.WrongType e) {
      throw new InvalidConfigException(key, "invalid value for " + key + ": expected a list of strings");
    }
  }
}
