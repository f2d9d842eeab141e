package org.convlens.audit;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One shortcut finding: a class whose predictions depend on a cue other than its object, as one
 * {@link ShortcutDetector} measured it. Findings of all detectors go to the audit's {@code
 * findings} table and the {@code findings} list of {@code audit.json} (docs/parquet-schema.md),
 * open the report's Audit section as cards, and are compared by {@code convlens audit diff}.
 *
 * @param cls the class index (the model's classes)
 * @param className the class name
 * @param kind the cue the finding names
 * @param detector the detector's {@link ShortcutDetector#name()}
 * @param cue the detector's own, more precise name of the cue (e.g. {@code darken}, {@code
 *     brightness}, {@code bottom-right 1/8 square}, {@code strategy 2 of 3})
 * @param score the detector's effect size (documented per detector in docs/audit.md; larger =
 *     stronger)
 * @param lo lower end of the score's 95% interval (NaN when the detector gives none)
 * @param hi upper end of the score's 95% interval (NaN when the detector gives none)
 * @param statement the finding in plain language, with the numbers that support it
 * @param suspectCount images of other classes the cue may fool (predicted as the class, carrying
 *     the cue by the detector's measure)
 * @param suspects ids of the strongest suspects, at most {@code audit.shortcut.max-suspects}
 * @param evidence the detector's evidence for the report (pairs of images, a distribution, a
 *     strategy's mean map and examples); plain JSON values
 */
public record Finding(int cls, String className, Cue kind, String detector, String cue, double score, double lo,
    double hi, String statement, long suspectCount, List<String> suspects, Map<String, Object> evidence)
    implements Serializable {
  public Finding {
    suspects = List.copyOf(suspects);
    evidence = evidence == null ? Map.of() : evidence;
  }
}
