package org.convlens.config;

import com.typesafe.config.Config;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The keys of one settings record, one {@link SettingPart} per record component in the record's order,
 * declared once beside the record (as Smile's {@code TSNE.Options} with {@code of(Properties)} /
 * {@code toProperties()}). From it derive: reading the record from a configuration ({@link
 * #from}), its defaults ({@link #defaults}), copies with one value changed ({@link #with}) and the
 * key-to-value tables of run.json, audit.json and the report ({@link #toMap}). The record's compact
 * constructor still runs on every instance, so cross-field checks stay there.
 *
 * @param <R> the settings record
 */
public final class SettingsSpec<R extends Record> implements SettingPart<R> {
  private final Class<R> type;
  private final List<SettingPart<?>> parts;
  private final RecordComponent[] components;
  private final Constructor<R> constructor;

  private SettingsSpec(Class<R> type, List<SettingPart<?>> parts) {
    this.type = type;
    this.parts = List.copyOf(parts);
    this.components = type.getRecordComponents();
    if (components.length != parts.size()) {
      throw new IllegalStateException(type.getSimpleName() + " has " + components.length + " components but "
          + parts.size() + " declared parts");
    }
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
    }
    try {
      this.constructor = type.getDeclaredConstructor(types);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(type + " has no canonical constructor", e);
    }
  }

  /** The spec of {@code type}, whose components are {@code parts} in order. */
  public static <R extends Record> SettingsSpec<R> of(Class<R> type, SettingPart<?>... parts) {
    return new SettingsSpec<>(type, List.of(parts));
  }

  /** A part computed from the whole configuration (e.g. each detector's own settings). */
  public static <T> SettingPart<T> computed(List<Key<?>> keys, Function<Config, T> read, Supplier<T> defaultValue) {
    return new SettingPart<>() {
      @Override
      public T read(Config config) {
        return read.apply(config);
      }

      @Override
      public T defaultValue() {
        return defaultValue.get();
      }

      @Override
      public List<Key<?>> keys() {
        return keys;
      }
    };
  }

  /** Reads every part of the record from a merged configuration, then builds (and checks) it. */
  @Override
  public R read(Config config) {
    Object[] values = new Object[parts.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = parts.get(i).read(config);
    }
    return build(values);
  }

  /** Same as {@link #read}. */
  public R from(Config config) {
    return read(config);
  }

  /** The record with every key at its declared default. */
  @Override
  public R defaultValue() {
    Object[] values = new Object[parts.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = parts.get(i).defaultValue();
    }
    return build(values);
  }

  /** Same as {@link #defaultValue}. */
  public R defaults() {
    return defaultValue();
  }

  /**
   * The record whose every part has the value {@code valueOf} gives for it, e.g. another record's
   * value for the same part ({@code StageContext} from the whole configuration).
   */
  public R build(Function<SettingPart<?>, Object> valueOf) {
    Object[] values = new Object[parts.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = valueOf.apply(parts.get(i));
    }
    return build(values);
  }

  /** Every configuration key of the record, nested records included, in declaration order. */
  @Override
  public List<Key<?>> keys() {
    List<Key<?>> keys = new ArrayList<>();
    for (SettingPart<?> p : parts) {
      keys.addAll(p.keys());
    }
    return keys;
  }

  /** A copy of {@code r} with {@code part} (a key or a nested spec of this record) set to {@code value}. */
  public <T> R with(R r, SettingPart<T> part, T value) {
    int i = indexOf(part);
    Object[] values = values(r);
    values[i] = value;
    return build(values);
  }

  /** The value {@code r} holds for {@code part}. */
  @SuppressWarnings("unchecked")
  public <T> T get(R r, SettingPart<T> part) {
    return (T) values(r)[indexOf(part)];
  }

  /**
   * The {@link Key#recorded() recorded} keys of {@code r}'s own parts (not nested records) and
   * their values, in declaration order, named by {@code name} (e.g. {@link Key#path} or {@link
   * Key#jsonName}); a {@link Choice} value is its code.
   */
  public Map<String, Object> toMap(R r, Function<Key<?>, String> name) {
    Map<String, Object> m = new LinkedHashMap<>();
    Object[] values = values(r);
    for (int i = 0; i < parts.size(); i++) {
      if (parts.get(i) instanceof Key<?> k && k.recorded()) {
        Object v = values[i];
        m.put(name.apply(k), v instanceof Choice c ? c.code() : v);
      }
    }
    return m;
  }

  /** {@link #toMap(Record, Function)} by full key path. */
  public Map<String, Object> toMap(R r) {
    return toMap(r, Key::path);
  }

  private int indexOf(SettingPart<?> part) {
    for (int i = 0; i < parts.size(); i++) {
      if (parts.get(i) == part) {
        return i;
      }
    }
    throw new IllegalArgumentException(part + " is not a part of " + type.getSimpleName());
  }

  private Object[] values(R r) {
    Objects.requireNonNull(r);
    Object[] values = new Object[components.length];
    try {
      for (int i = 0; i < components.length; i++) {
        values[i] = components[i].getAccessor().invoke(r);
      }
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + type.getSimpleName(), e);
    }
    return values;
  }

  private R build(Object[] values) {
    try {
      return constructor.newInstance(values);
    } catch (InvocationTargetException e) {
      // The compact constructor's checks: rethrow the InvalidConfigException that names the key.
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e.getCause());
    } catch (InstantiationException | IllegalAccessException e) {
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e);
    }
  }

  /** The settings record. */
  public Class<R> type() {
    return type;
  }

  /** Its own parts, in component order (keys, nested specs, computed parts). */
  public List<SettingPart<?>> parts() {
    return parts;
  }

  @Override
  public String toString() {
    return type.getSimpleName();
  }
}
