package org.convlens.attribution;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingPart;
import org.convlens.config.SettingsSpec;

/**
 * {@code analyze.*} settings of the attribution methods, validated once on the driver and shipped
 * to executors as a value. The shared keys are declared once below ({@link #SPEC}); each method
 * declares its own keys and settings record in its class ({@link AttributionMethod#settingsSpec()})
 * and this record holds them all, read through the registry ({@link #METHOD_SETTINGS}), as {@code
 * AuditSettings} holds each detector's. {@code conf/convlens.conf} documents the same keys.
 *
 * @param methods methods to run, by {@link AttributionMethod#name()} (see {@link Attributions})
 * @param target whose score is explained: {@code predicted}, {@code label}, or a class name or
 *     index of the model (checked against the model on the driver)
 * @param mapEncoding how maps are stored
 * @param mapMaxSide maps larger than this (longer side) are area-downsampled to it; 0 = keep the
 *     input size
 * @param seed seed of every random choice (a method's noise), mixed with the image id
 * @param methodSettings each registered method's own settings record, by method name (see {@link
 *     #of}); methods without settings are absent
 */
public record AttributionSettings(
    List<String> methods,
    String target,
    MapEncoding.Kind mapEncoding,
    int mapMaxSide,
    long seed,
    Map<String, Serializable> methodSettings)
    implements Serializable {

  public static final String PREDICTED = "predicted";
  public static final String LABEL = "label";

  static final String P = "analyze.";
  public static final Key<List<String>> METHODS = Key.strings(P + "methods",
      Attributions.ALL.stream().filter(AttributionMethod::runsByDefault).map(AttributionMethod::name).toList(),
      "attribution methods to run (docs/attribution.md)")
      .normalised(ms -> ms.stream().map(m -> m.strip().toLowerCase(Locale.ROOT)).toList())
      .<String>each(Attributions.NAMES::contains, String.join(", ", Attributions.NAMES));
  public static final Key<String> TARGET = Key.string(P + "target", PREDICTED,
      "whose score is explained: predicted, label, or a class name or index of the model");
  public static final Key<MapEncoding.Kind> MAP_ENCODING = Key.choice(P + "maps.encoding", MapEncoding.Kind.class,
      MapEncoding.Kind.U8, "how maps are stored: u8 (s8 when signed), f16 or f32");
  public static final Key<Integer> MAP_MAX_SIDE = Key.integer(P + "maps.max-side", 64,
      "maps are area-downsampled when their longer side exceeds this (0 = the input size)")
      .allow(m -> m == 0 || (m >= 4 && m <= 4096), "0 (input size) or 4 to 4096");
  public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611,
      "seed of every random choice (a method's noise), mixed with each image's id");
  /** Each method reads its own keys ({@link AttributionMethod#settingsSpec()}). */
  public static final SettingPart<Map<String, Serializable>> METHOD_SETTINGS = SettingsSpec.computed(methodKeys(),
      c -> methodSettings(spec -> spec.from(c)), () -> methodSettings(SettingsSpec::defaults));
  public static final SettingsSpec<AttributionSettings> SPEC = SettingsSpec.of(AttributionSettings.class, METHODS,
      TARGET, MAP_ENCODING, MAP_MAX_SIDE, SEED, METHOD_SETTINGS);

  public AttributionSettings {
    methods = List.copyOf(METHODS.check(methods));
    if (new HashSet<>(methods).size() != methods.size()) {
      throw new InvalidConfigException("analyze.methods", "analyze.methods lists a method twice: " + methods);
    }
    if (target == null || target.isBlank()) {
      throw new InvalidConfigException("analyze.target",
          "analyze.target must not be empty: predicted, label, or a class name or index of the model");
    }
    target = target.strip();
    MAP_MAX_SIDE.check(mapMaxSide);
    methodSettings = Collections.unmodifiableMap(new LinkedHashMap<>(methodSettings));
    for (AttributionMethod m : Attributions.ALL) {
      if (m.settingsSpec() != null && !m.settingsSpec().type().isInstance(methodSettings.get(m.name()))) {
        throw new IllegalArgumentException("no " + m.settingsSpec() + " for method " + m.name() + " in "
            + methodSettings);
      }
    }
  }

  /** Reads and validates the attribution keys of {@code analyze.*}, each method's own keys included. */
  public static AttributionSettings from(Config c) {
    return SPEC.from(c);
  }

  /** Every key at its default (those of conf/convlens.conf). */
  public static AttributionSettings defaults() {
    return SPEC.defaults();
  }

  /** The settings record that {@code spec} describes, of the method that declares it. */
  public <S extends Record> S of(SettingsSpec<S> spec) {
    for (Serializable s : methodSettings.values()) {
      if (spec.type().isInstance(s)) {
        return spec.type().cast(s);
      }
    }
    throw new IllegalArgumentException("no registered method declares " + spec);
  }

  /**
   * These settings with {@code key} set to {@code value} (checked like a configured value): a
   * shared key, or one that a method declares in its {@link AttributionMethod#settingsSpec()}.
   */
  public <T> AttributionSettings with(Key<T> key, T value) {
    if (SPEC.parts().contains(key)) {
      return SPEC.with(this, key, value);
    }
    for (AttributionMethod m : Attributions.ALL) {
      if (m.settingsSpec() != null && m.settingsSpec().parts().contains(key)) {
        return with(withKey(m.settingsSpec(), key, value));
      }
    }
    throw new IllegalArgumentException(key.path() + " is not a key of " + SPEC + " or of a registered method");
  }

  private <S extends Record, T> S withKey(SettingsSpec<S> spec, Key<T> key, T value) {
    return spec.with(of(spec), key, value);
  }

  /** These settings with the settings record of {@code spec} changed by {@code change}. */
  public <S extends Record> AttributionSettings with(SettingsSpec<S> spec, UnaryOperator<S> change) {
    return with(change.apply(of(spec)));
  }

  /** These settings with one method's settings record replaced by {@code own}. */
  public AttributionSettings with(Record own) {
    for (AttributionMethod m : Attributions.ALL) {
      if (m.settingsSpec() != null && m.settingsSpec().type().isInstance(own)) {
        Map<String, Serializable> next = new LinkedHashMap<>(methodSettings);
        next.put(m.name(), (Serializable) own);
        return SPEC.with(this, METHOD_SETTINGS, next);
      }
    }
    throw new IllegalArgumentException(own + " is no registered method's settings");
  }

  public boolean runs(String method) {
    return methods.contains(method);
  }

  /** These settings with other methods (benchmarks and tests). */
  public AttributionSettings withMethods(List<String> m) {
    return with(METHODS, m);
  }

  /** Every registered method's settings, by name, each read by {@code read} from its spec. */
  private static Map<String, Serializable> methodSettings(Function<SettingsSpec<?>, Record> read) {
    Map<String, Serializable> m = new LinkedHashMap<>();
    for (AttributionMethod method : Attributions.ALL) {
      if (method.settingsSpec() != null) {
        m.put(method.name(), (Serializable) read.apply(method.settingsSpec()));
      }
    }
    return m;
  }

  /** The keys every registered method declares. */
  private static List<Key<?>> methodKeys() {
    List<Key<?>> keys = new ArrayList<>();
    for (AttributionMethod m : Attributions.ALL) {
      if (m.settingsSpec() != null) {
        keys.addAll(m.settingsSpec().keys());
      }
    }
    return keys;
  }
}
