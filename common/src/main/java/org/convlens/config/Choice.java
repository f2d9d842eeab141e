package org.convlens.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** An enum whose constants are spelled in configuration by a lower-case code. */
public interface Choice {
  String code();

  /** Parses {@code value} into one of {@code type}'s constants or names the allowed codes. */
  static <E extends Enum<E> & Choice> E parse(Class<E> type, String key, String value) {
    for (E e : type.getEnumConstants()) {
      if (e.code().equalsIgnoreCase(value.strip())) {
        return e;
      }
    }
    throw InvalidConfigException.range(key, value, allowed(type));
  }

  static <E extends Enum<E> & Choice> String allowed(Class<E> type) {
    return Arrays.stream(type.getEnumConstants()).map(Choice::code).collect(Collectors.joining(", "));
  }
}
