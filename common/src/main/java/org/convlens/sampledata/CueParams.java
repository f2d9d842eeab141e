package org.convlens.sampledata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Reads one cue's {@code params} object: each read names a parameter, its default and its range,
 * and {@link #done} refuses the names no read asked for, listing the ones the kind has. Errors
 * name the parameter's path in the configuration, e.g. {@code shortcuts[1].params.gain}.
 */
final class CueParams {
  private final JsonNode given;
  private final String where;
  private final List<String> known = new ArrayList<>();

  /**
   * @param given the {@code params} object, or null when the configuration has none
   * @param where its path, for messages
   */
  CueParams(JsonNode given, String where) {
    if (given != null && !given.isNull() && !given.isObject()) {
      throw new IllegalArgumentException(where + " must be an object of parameters");
    }
    this.given = given == null || given.isNull() ? JsonNodeFactory.instance.objectNode() : given;
    this.where = where;
  }

  double number(String name, double fallback, double min, double max) {
    JsonNode v = take(name);
    if (v == null) {
      return fallback;
    }
    if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
      throw new IllegalArgumentException(
          fmt("invalid value '%s' for %s.%s: allowed values are %s to %s", v, where, name,
              plain(min), plain(max)));
    }
    return v.asDouble();
  }

  int integer(String name, int fallback, int min, int max) {
    JsonNode v = take(name);
    if (v == null) {
      return fallback;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min || v.asInt() > max) {
      throw new IllegalArgumentException(
          fmt("invalid value '%s' for %s.%s: allowed values are the integers %d to %d", v, where,
              name, min, max));
    }
    return v.asInt();
  }

  /** A colour written {@code "#RRGGBB"}. */
  int rgb(String name, int fallback) {
    JsonNode v = take(name);
    if (v == null) {
      return fallback;
    }
    if (!v.isTextual() || !v.asText().matches("#[0-9A-Fa-f]{6}")) {
      throw new IllegalArgumentException(
          fmt("invalid value '%s' for %s.%s: allowed values are colours written \"#RRGGBB\"", v,
              where, name));
    }
    return Integer.parseInt(v.asText().substring(1), 16);
  }

  /** Refuses parameters the kind does not have. */
  void done() {
    for (Iterator<String> names = given.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new IllegalArgumentException(
            fmt("unknown parameter %s.%s: allowed parameters are %s", where, name,
                String.join(", ", known)));
      }
    }
  }

  /** The JSON form of a colour, {@code "#RRGGBB"}. */
  static String rgbText(int rgb) {
    return fmt("#%06X", rgb);
  }

  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  private JsonNode take(String name) {
    known.add(name);
    JsonNode v = given.get(name);
    return v == null || v.isNull() ? null : v;
  }

  private static String plain(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
