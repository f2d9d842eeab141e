package org.convlens.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * One configuration key, declared once: its full HOCON path, how its value is read, its default,
 * the values it allows and a one-line doc. Parsing, the messages naming the key and its allowed
 * values, the defaults of {@link SettingsSpec#defaults()} and the settings tables of run.json,
 * audit.json and the report all derive from this declaration, as Spark ML's {@code Param(parent,
 * name, doc, isValid)} with {@code setDefault} does. {@code conf/convlens.conf} holds the same
 * keys and defaults (a test compares them).
 *
 * <p>Immutable: each refining method ({@link #within}, {@link #allow}, ...) returns a new key.
 *
 * @param <T> the value's type as the settings record holds it (boxed for primitives)
 */
public final class Key<T> implements SettingPart<T> {
  /** How a value is read from a merged configuration; wrong types name the key. */
  @FunctionalInterface
  public interface Reader<T> {
    T read(Config config, String path);
  }

  /** One allowed-value rule: {@code offending} returns null when the value is allowed. */
  private record Check<T>(Function<T, Object> offending, String allowed) {}

  private final String path;
  private final Reader<T> reader;
  private final T defaultValue;
  private final String doc;
  private final UnaryOperator<T> normalise;
  private final List<Check<T>> checks;
  private final long min;
  private final long max;
  private final boolean recorded;
  private final boolean qualified;

  private Key(String path, Reader<T> reader, T defaultValue, String doc, UnaryOperator<T> normalise,
      List<Check<T>> checks, long min, long max, boolean recorded, boolean qualified) {
    this.path = path;
    this.reader = reader;
    this.defaultValue = defaultValue;
    this.doc = doc;
    this.normalise = normalise;
    this.checks = List.copyOf(checks);
    this.min = min;
    this.max = max;
    this.recorded = recorded;
    this.qualified = qualified;
  }

  private static <T> Key<T> of(String path, Reader<T> reader, T defaultValue, String doc) {
    return new Key<>(path, reader, defaultValue, doc, v -> v, List.of(), Long.MIN_VALUE, Long.MAX_VALUE, true, false);
  }

  // ---- factories, one per value type ----

  /** A string; HOCON null reads as "". */
  public static Key<String> string(String path, String defaultValue, String doc) {
    return of(path, ConfigValues::str, defaultValue, doc);
  }

  /** A 32-bit integer, checked against {@link #within} before it is narrowed, so it cannot wrap. */
  public static Key<Integer> integer(String path, int defaultValue, String doc) {
    return new Key<Integer>(path, null, defaultValue, doc, v -> v, List.of(), Integer.MIN_VALUE,
        Integer.MAX_VALUE, true, false);
  }

  /** A 64-bit integer (seeds, byte and pixel counts). */
  public static Key<Long> longInteger(String path, long defaultValue, String doc) {
    return of(path, ConfigValues::num, defaultValue, doc);
  }

  public static Key<Double> number(String path, double defaultValue, String doc) {
    return of(path, ConfigValues::dbl, defaultValue, doc);
  }

  public static Key<Boolean> bool(String path, boolean defaultValue, String doc) {
    return of(path, ConfigValues::bool, defaultValue, doc);
  }

  /** A list of strings; one string counts as a one-element list. */
  public static Key<List<String>> strings(String path, List<String> defaultValue, String doc) {
    return of(path, ConfigValues::strings, defaultValue, doc);
  }

  /** A list of integers; one integer counts as a one-element list. */
  public static Key<List<Integer>> ints(String path, List<Integer> defaultValue, String doc) {
    return of(path, ConfigValues::ints, defaultValue, doc);
  }

  /** A list of numbers; one number counts as a one-element list. */
  public static Key<List<Double>> doubles(String path, List<Double> defaultValue, String doc) {
    return of(path, ConfigValues::doubles, defaultValue, doc);
  }

  /** One of an enum's {@link Choice#code() codes} (case-insensitive); the message lists them all. */
  public static <E extends Enum<E> & Choice> Key<E> choice(String path, Class<E> type, E defaultValue, String doc) {
    return of(path, (c, k) -> Choice.parse(type, k, ConfigValues.str(c, k)), defaultValue, doc);
  }

  /**
   * A free-form map of string properties (every key under {@code path} is one entry, e.g.
   * {@code spark.conf."spark.executor.memory"}); its entries are not declared one by one.
   */
  public static Key<Map<String, String>> freeForm(String path, String doc) {
    return of(path, (c, k) -> {
      Map<String, String> m = new TreeMap<>();
      for (Map.Entry<String, ConfigValue> e : c.getConfig(k).entrySet()) {
        m.put(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped()));
      }
      return m;
    }, Map.of(), doc);
  }

  /** A value of any other type, read by {@code reader} (which names the key in its errors). */
  public static <T> Key<T> custom(String path, Reader<T> reader, T defaultValue, String doc) {
    return of(path, reader, defaultValue, doc);
  }

  // ---- refinements ----

  /**
   * Integers from {@code lo} to {@code hi}: the standard message "allowed values are integers
   * from lo to hi". For an {@link #integer} key the bound also guards the narrowing to int.
   */
  public Key<T> within(long lo, long hi) {
    Key<T> k = allow(v -> ((Number) v).longValue() >= lo && ((Number) v).longValue() <= hi,
        "integers from " + lo + " to " + hi);
    return new Key<>(path, reader, defaultValue, doc, normalise, k.checks, lo, hi, recorded, qualified);
  }

  /** Integers of at least {@code lo}. */
  public Key<T> atLeast(long lo) {
    return allow(v -> ((Number) v).longValue() >= lo, "integers >= " + lo);
  }

  /** Numbers from {@code lo} to {@code hi}, both included (NaN is refused). */
  public Key<T> between(double lo, double hi) {
    return allow(v -> ((Number) v).doubleValue() >= lo && ((Number) v).doubleValue() <= hi,
        "numbers from " + lo + " to " + hi);
  }

  /** Numbers above {@code lo} (excluded) and up to {@code hi} (included): rates, alphas, lifts. */
  public Key<T> aboveUpTo(double lo, double hi) {
    return allow(v -> ((Number) v).doubleValue() > lo && ((Number) v).doubleValue() <= hi,
        "numbers above " + plain(lo) + ", up to " + plain(hi));
  }

  /** A bound as a person writes it: 0.5, 1, 100 (not 1.0). */
  private static String plain(double v) {
    return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  /** Values that {@code valid} accepts; {@code allowed} says which, in the error message. */
  public Key<T> allow(Predicate<T> valid, String allowed) {
    List<Check<T>> c = new ArrayList<>(checks);
    c.add(new Check<>(v -> valid.test(v) ? null : v, allowed));
    return new Key<>(path, reader, defaultValue, doc, normalise, c, min, max, recorded, qualified);
  }

  /** For a list key: every element must satisfy {@code valid}; the message names the first that does not. */
  @SuppressWarnings("unchecked")
  public <E> Key<T> each(Predicate<E> valid, String allowed) {
    List<Check<T>> c = new ArrayList<>(checks);
    c.add(new Check<>(v -> {
      for (Object e : (List<?>) v) {
        if (!valid.test((E) e)) {
          return e;
        }
      }
      return null;
    }, allowed));
    return new Key<>(path, reader, defaultValue, doc, normalise, c, min, max, recorded, qualified);
  }

  /** For a list of numbers: every element from {@code lo} to {@code hi}. */
  public Key<T> eachBetween(double lo, double hi) {
    return this.<Number>each(v -> v.doubleValue() >= lo && v.doubleValue() <= hi, "numbers from " + lo + " to " + hi);
  }

  /** For a list of integers: every element from {@code lo} to {@code hi}. */
  public Key<T> eachWithin(long lo, long hi) {
    return this.<Number>each(v -> v.longValue() >= lo && v.longValue() <= hi, "integers from " + lo + " to " + hi);
  }

  /** Applied to every value read or checked before it is validated (strip, lower-case, ...). */
  public Key<T> normalised(UnaryOperator<T> f) {
    UnaryOperator<T> before = normalise;
    return new Key<>(path, reader, defaultValue, doc, v -> v == null ? null : f.apply(before.apply(v)), checks, min,
        max, recorded, qualified);
  }

  /**
   * Left out of the settings tables (run.json, audit.json, the report): a path, a title or a
   * thread count, which does not change what the stage computes.
   */
  public Key<T> unrecorded() {
    return new Key<>(path, reader, defaultValue, doc, normalise, checks, min, max, false, qualified);
  }

  /**
   * Its {@link #jsonName()} keeps the section: {@code audit.quality.seed} is {@code quality_seed},
   * where the leaf name alone would be ambiguous in the table.
   */
  public Key<T> qualifiedInJson() {
    return new Key<>(path, reader, defaultValue, doc, normalise, checks, min, max, recorded, true);
  }

  // ---- use ----

  /** The full HOCON path, e.g. {@code analyze.top-k}. */
  public String path() {
    return path;
  }

  public String doc() {
    return doc;
  }

  @Override
  public T defaultValue() {
    return defaultValue;
  }

  /** Whether the settings tables show this key (see {@link #unrecorded()}). */
  public boolean recorded() {
    return recorded;
  }

  /**
   * The key's snake_case name in JSON tables such as audit.json's {@code settings}: the last
   * segment ({@code audit.shortcut.min-lift} is {@code min_lift}), or the last two for a
   * {@link #qualifiedInJson()} key.
   */
  public String jsonName() {
    String[] parts = path.split("\\.");
    String leaf = parts[parts.length - 1];
    String name = qualified && parts.length > 1 ? parts[parts.length - 2] + "_" + leaf : leaf;
    return name.replace('-', '_');
  }

  /** Reads, normalises and checks this key's value; a bad value names the key and what is allowed. */
  @Override
  @SuppressWarnings("unchecked")
  public T read(Config config) {
    T v;
    if (reader == null) { // integer: range-check the long before narrowing it
      long n = ConfigValues.num(config, path);
      if (n < min || n > max) {
        throw InvalidConfigException.range(path, n, "integers from " + min + " to " + max);
      }
      v = (T) Integer.valueOf((int) n);
    } else {
      v = reader.read(config, path);
    }
    return check(v);
  }

  /**
   * Normalises {@code value} and checks it against the allowed values; returns the normalised
   * value. Compact constructors call this, so a record built in code is checked like one read from
   * a file.
   */
  public T check(T value) {
    T v = normalise.apply(value);
    for (Check<T> c : checks) {
      Object bad = c.offending().apply(v);
      if (bad != null) {
        throw InvalidConfigException.range(path, bad, c.allowed());
      }
    }
    return v;
  }

  @Override
  public List<Key<?>> keys() {
    return List.of(this);
  }

  @Override
  public String toString() {
    return path;
  }
}
