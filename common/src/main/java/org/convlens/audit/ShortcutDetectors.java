package org.convlens.audit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.StructType;

/** The shortcut detectors the audit runs, in order: the only list of them. */
public final class ShortcutDetectors {
  private ShortcutDetectors() {}

  /** Every detector, in the order the audit runs them and the report shows them. */
  public static List<ShortcutDetector> all() {
    return List.of(
        new RegionDetector(),
        new CounterfactualDetector(),
        new ImageStatisticsDetector(),
        new StrategyDetector(),
        new SliceDetector());
  }

  /** Every detector's tables, name → own columns. */
  static Map<String, StructType> tables() {
    Map<String, StructType> t = new LinkedHashMap<>();
    for (ShortcutDetector d : all()) {
      t.putAll(d.tables());
    }
    return t;
  }
}
