package org.convlens.audit;

import java.io.Serializable;
import java.util.List;

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
 *     strategy's mean map and examples): a record of the detector's own {@link Evidence} type
 */
public record Finding(int cls, String className, Cue kind, String detector, String cue, double score, double lo,
    double hi, String statement, long suspectCount, List<String> suspects, Evidence evidence)
    implements Serializable {
  public Finding {
    suspects = List.copyOf(suspects);
  }

  /**
   * A detector's evidence of one finding, the {@code evidence} of the finding in {@code
   * audit.json}: a record declared inside the detector's class and written, like its {@link
   * ShortcutDetector.Section}, by {@link org.convlens.spark.OutputJson}'s mapper. Serializable,
   * as the finding that carries it is.
   */
  public interface Evidence extends Serializable {}

  /** A builder, so that a caller names each of the 12 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name; {@link #build()} checks them as the constructor does. */
  public static final class Builder {
    private int cls;
    private String className;
    private Cue kind;
    private String detector;
    private String cue;
    private double score;
    private double lo;
    private double hi;
    private String statement;
    private long suspectCount;
    private List<String> suspects;
    private Evidence evidence;

    private Builder() {}

    public Builder cls(int cls) {
      this.cls = cls;
      return this;
    }

    public Builder className(String className) {
      this.className = className;
      return this;
    }

    public Builder kind(Cue kind) {
      this.kind = kind;
      return this;
    }

    public Builder detector(String detector) {
      this.detector = detector;
      return this;
    }

    public Builder cue(String cue) {
      this.cue = cue;
      return this;
    }

    public Builder score(double score) {
      this.score = score;
      return this;
    }

    public Builder lo(double lo) {
      this.lo = lo;
      return this;
    }

    public Builder hi(double hi) {
      this.hi = hi;
      return this;
    }

    public Builder statement(String statement) {
      this.statement = statement;
      return this;
    }

    public Builder suspectCount(long suspectCount) {
      this.suspectCount = suspectCount;
      return this;
    }

    public Builder suspects(List<String> suspects) {
      this.suspects = suspects;
      return this;
    }

    public Builder evidence(Evidence evidence) {
      this.evidence = evidence;
      return this;
    }

    public Finding build() {
      return new Finding(cls, className, kind, detector, cue, score, lo, hi, statement, suspectCount, suspects,
          evidence);
    }
  }
}
