package org.convlens.audit;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * Which explanation methods the report can trust, from the explanation-quality figures: the
 * sanity checks of Adebayo et al. (NeurIPS 2018) and the deletion and
 * insertion curves (Petsiuk et al., 2018, RISE) against the random pixel order.
 *
 * <p>A method <b>fails</b>:
 * <ul>
 *   <li>{@code randomization} when, after the cascade's last step (every randomised layer), the
 *       lower end of the 95% interval of the Spearman ρ between its maps on the randomised and
 *       the trained model is at least {@code audit.quality.max-randomized-rho}: its maps survive
 *       random weights, so they show the input (its edges), not what the model learned. Adebayo
 *       et al. found this for the methods that modify the backward pass. Without an interval (fewer
 *       than two images) the mean is used.
 *   <li>{@code deletion} when its mean deletion AUC is not below the random order's by more
 *       than {@code audit.quality.min-auc-gain}: removing its top pixels first does not take the
 *       score away faster than removing pixels at random.
 *   <li>{@code insertion} when its mean insertion AUC is not above the random order's by more
 *       than that gain.
 * </ul>
 * A check whose figures are missing (the method was not measured, or no image had a value) is
 * neither passed nor failed: it is listed in {@code unmeasured}; a method with no figures at all
 * is {@link #UNMEASURED} and carries no mark.
 *
 * <p>The methods are ranked: those that pass every measured check first, then the unmeasured,
 * then those that fail; within each, by fewer failed
 * checks, then by a lower final ρ (more sensitive to the model), then by the larger sum of the
 * two AUC gains, then by name. The mark of a failing method goes next to each of its maps, in
 * audit.json (the {@code attention} entries' {@code sanity}) and in the report.
 */
public final class MethodSanity {
  /** The settings' entry in {@link AuditSettings#detectors}. */
  public static final String NAME = "sanity";
  /** What a method that passes every measured check is marked. */
  public static final String PASS = "pass";
  /** What a method that fails a check is marked. */
  public static final String FAIL = "fail";
  /** The verdict of a method with no figures at all (it is not marked). */
  public static final String UNMEASURED = "unmeasured";

  private MethodSanity() {}

  /**
   * The thresholds ({@code audit.quality.*}).
   *
   * @param maxRandomizedRho the randomisation check fails at or above this lower interval end
   * @param minAucGain the AUC gain over the random order a method must exceed on both curves
   */
  public record Settings(double maxRandomizedRho, double minAucGain) implements Serializable {
    private static final String P = "audit.quality.";
    public static final Key<Double> MAX_RANDOMIZED_RHO = Key.number(P + "max-randomized-rho", 0.5,
        "a method fails the randomisation check when, with every layer randomised, the lower end of the"
            + " 95% interval of its maps' Spearman rho with the trained model's is at least this")
        .between(-1, 1);
    public static final Key<Double> MIN_AUC_GAIN = Key.number(P + "min-auc-gain", 0.0,
        "a method fails a curve check when its deletion AUC is not below (insertion AUC not above) the"
            + " random order's by more than this").between(0, 1);
    public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, MAX_RANDOMIZED_RHO,
        MIN_AUC_GAIN);

    public Settings {
      MAX_RANDOMIZED_RHO.check(maxRandomizedRho);
      MIN_AUC_GAIN.check(minAucGain);
    }
  }

  /**
   * One method's sanity verdict.
   *
   * @param method the method
   * @param rank 1 = most trusted
   * @param verdict {@link #PASS}, {@link #FAIL} or {@link #UNMEASURED}
   * @param failed the checks it fails ({@code randomization}, {@code deletion}, {@code insertion})
   * @param unmeasured the checks without figures
   * @param randomizedRho mean ρ after the cascade's last step
   * @param randomizedRhoLo its interval's lower end (null without one)
   * @param randomizedRhoHi its interval's upper end
   * @param deletionGain the random order's deletion AUC minus the method's (positive = better)
   * @param insertionGain the method's insertion AUC minus the random order's (positive = better)
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Verdict(String method, int rank, String verdict, List<String> failed, List<String> unmeasured,
      Double randomizedRho, Double randomizedRhoLo, Double randomizedRhoHi, Double deletionGain,
      Double insertionGain) implements Serializable {

    public boolean passes() {
      return PASS.equals(verdict);
    }

    /** The verdict of figures {@code f} at {@code rank}. */
    private static Verdict of(Figures f, int rank) {
      QualityFigures.Cascade c = f.last();
      Bootstrap.Interval i = c == null ? null : c.interval();
      return new Verdict(f.method(), rank, f.verdict(), f.failed(), f.unmeasured(),
          c == null ? null : c.mean(), i == null ? null : i.lo(), i == null ? null : i.hi(), f.deletionGain(),
          f.insertionGain());
    }
  }

  /** The measured figures of one method, before ranking. */
  private record Figures(String method, List<String> failed, List<String> unmeasured, QualityFigures.Cascade last,
      Double deletionGain, Double insertionGain) {

    String verdict() {
      return !failed.isEmpty() ? FAIL : unmeasured.size() == 3 ? UNMEASURED : PASS;
    }

    /** Method {@code m}'s figures and the checks it fails. */
    static Figures measure(String m, List<QualityFigures.Cascade> cascade, List<QualityFigures.Curve> curves,
        Settings s) {
      List<String> failed = new ArrayList<>();
      List<String> unmeasured = new ArrayList<>();
      QualityFigures.Cascade last = cascade.stream().filter(c -> c.method().equals(m) && c.mean() != null)
          .max(Comparator.comparingInt(QualityFigures.Cascade::step)).orElse(null);
      if (last == null) {
        unmeasured.add(ExplanationQuality.RANDOMIZATION);
      } else {
        double evidence = last.interval() != null ? last.interval().lo() : last.mean();
        if (evidence >= s.maxRandomizedRho()) {
          failed.add(ExplanationQuality.RANDOMIZATION);
        }
      }
      Double deletion = gain(curves, m, ExplanationQuality.DELETION, -1);
      Double insertion = gain(curves, m, ExplanationQuality.INSERTION, 1);
      check(deletion, ExplanationQuality.DELETION, s, failed, unmeasured);
      check(insertion, ExplanationQuality.INSERTION, s, failed, unmeasured);
      return new Figures(m, List.copyOf(failed), List.copyOf(unmeasured), last, deletion, insertion);
    }

  }

  /**
   * The verdicts of {@code methods}, ranked, from the cascade and curves of {@link QualityFigures}.
   */
  public static List<Verdict> judge(List<String> methods, List<QualityFigures.Cascade> cascade,
      List<QualityFigures.Curve> curves, Settings s) {
    List<Figures> figures = new ArrayList<>();
    for (String m : methods) {
      figures.add(Figures.measure(m, cascade, curves, s));
    }
    figures.sort(Comparator.comparingInt((Figures f) -> List.of(PASS, UNMEASURED, FAIL).indexOf(f.verdict()))
        .thenComparingInt(f -> f.failed().size())
        .thenComparing(f -> f.last() == null ? Double.POSITIVE_INFINITY : f.last().mean())
        .thenComparing(f -> -(orZero(f.deletionGain()) + orZero(f.insertionGain())))
        .thenComparing(Figures::method));
    List<Verdict> out = new ArrayList<>();
    for (Figures f : figures) {
      out.add(Verdict.of(f, out.size() + 1));
    }
    return out;
  }

  /** Each judged method's mark ({@link #PASS} / {@link #FAIL}), in rank order; unmeasured ones have none. */
  public static Map<String, String> marks(List<Verdict> verdicts) {
    Map<String, String> out = new LinkedHashMap<>();
    verdicts.stream().filter(v -> !UNMEASURED.equals(v.verdict())).forEach(v -> out.put(v.method(), v.verdict()));
    return out;
  }

  /** {@code sign × (method's AUC − random order's AUC)}; null when either is missing. */
  private static Double gain(List<QualityFigures.Curve> curves, String method, String kind, int sign) {
    Double own = mean(curves, method, kind);
    Double random = mean(curves, ExplanationQuality.RANDOM_ORDER, kind);
    return own == null || random == null ? null : sign * (own - random);
  }

  private static Double mean(List<QualityFigures.Curve> curves, String method, String kind) {
    return curves.stream().filter(c -> c.method().equals(method) && c.kind().equals(kind) && c.mean() != null)
        .map(QualityFigures.Curve::mean).findFirst().orElse(null);
  }

  private static void check(Double gain, String kind, Settings s, List<String> failed, List<String> unmeasured) {
    if (gain == null) {
      unmeasured.add(kind);
    } else if (gain <= s.minAucGain()) {
      failed.add(kind);
    }
  }

  private static double orZero(Double v) {
    return v == null ? 0 : v;
  }
}
