package org.convlens.audit;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.SettingsSpec;

/**
 * One way of finding shortcuts. Each detector is one class, listed once in {@link
 * ShortcutDetectors}; the audit runs every enabled detector in that order, writes its tables,
 * puts its section into {@code audit.json} under {@link #name()} and gathers its {@link Finding}s
 * into the audit's findings. A detector reads the analysis rows (and, where it needs them, the
 * images again on the executors) through the {@link DetectorContext}; it never names another
 * detector. docs/audit.md explains each one, its maths and its limits.
 */
public interface ShortcutDetector {
  /** The detector's name: its {@code audit.json} section, its settings under {@code audit.<name>}. */
  String name();

  /** A title for the report. */
  String title();

  /** The Parquet tables this detector writes under the audit folder: name → own columns. */
  Map<String, StructType> tables();

  /**
   * The keys of this detector's settings record ({@code audit.<name>.*}), each declared once with
   * its default, range and doc; null for a detector without settings.
   */
  default SettingsSpec<?> settingsSpec() {
    return null;
  }

  /**
   * This detector's settings, read from {@code audit.<name>.*} of the whole configuration and
   * validated (an {@link org.convlens.config.InvalidConfigException} naming the key), when the
   * configuration loads, before Spark starts. Read them back with {@link
   * DetectorContext#settings(ShortcutDetector)}. A detector without settings returns null.
   */
  default java.io.Serializable settings(com.typesafe.config.Config config) {
    SettingsSpec<?> spec = settingsSpec();
    return spec == null ? null : (java.io.Serializable) spec.from(config);
  }

  /** Its settings with every key at its default; null for a detector without settings. */
  default java.io.Serializable defaultSettings() {
    SettingsSpec<?> spec = settingsSpec();
    return spec == null ? null : (java.io.Serializable) spec.defaults();
  }

  /** Runs the detector; writes its tables through {@link DetectorContext#tables()}. */
  Result detect(DetectorContext context) throws IOException;

  /**
   * A detector's typed part of {@code audit.json}: a record declared inside the detector's class
   * (the detector owns its shape), written by {@link org.convlens.spark.OutputJson}'s mapper, so
   * its component names appear in snake_case ({@code pAdjusted} is {@code p_adjusted}); a name
   * that snake_case would spell otherwise ({@code class}) carries its {@code @JsonProperty}.
   * docs/parquet-schema.md documents each section under its record's name.
   */
  interface Section {}

  /**
   * What a detector found.
   *
   * @param findings the flagged classes, with their cue and evidence
   * @param section the detector's own part of {@code audit.json}
   */
  record Result(List<Finding> findings, Section section) {
    public Result {
      findings = List.copyOf(findings);
    }
  }
}
