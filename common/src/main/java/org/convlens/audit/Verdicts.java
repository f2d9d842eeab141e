package org.convlens.audit;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * Turns the detectors' signals (each detector's {@link Finding}s) into one finding per class.
 *
 * <p>Each detector has its own way to be wrong: a class whose own images are fragile flips under
 * any global edit (counterfactual), mistakes differ from correct images in their statistics
 * (statistics), a class's explanations can fall into groups for reasons of its own (strategies,
 * slices). A shortcut that the model really follows leaves traces in several of them, measured
 * in different ways. So a class is a finding when at least {@code audit.findings.min-detectors}
 * detectors (2) signal it; a signal no other detector confirms stays in the {@code signals}
 * table, marked unconfirmed, for a reviewer to read. A detector listed in {@code
 * audit.findings.alone} makes a finding by itself: one whose own test already controls for what a
 * second detector would.
 *
 * <p>The cue the finding names is the one named by the first detector of {@code
 * audit.findings.precedence} that signals the class (its strongest signal for the class): the
 * detectors that localise the evidence (which window, which fixed place) or intervene on the
 * image come before those that only describe the images the model calls the class, because a
 * darker, blurrier or sharper image is what several cues have in common (an orange cast is also
 * a loss of contrast), while hiding one patch or undoing one edit tells which of them the model
 * needs. The other signals are the finding's support, shown with it.
 */
public final class Verdicts {
  /** The settings' key under {@code audit.}, and their entry in {@link AuditSettings#detectors}. */
  public static final String NAME = "findings";

  /**
   * How signals become findings.
   *
   * @param minDetectors distinct detectors that must signal a class (1..number of detectors)
   * @param precedence detector names, the one whose cue names a finding first; detectors left out
   *     follow in {@link ShortcutDetectors#all()} order
   * @param alone detectors whose signal is a finding without a second detector: those whose own
   *     test already rules out what the others confirm against (the patch detector compares
   *     mistakes with mistakes and asks for one window)
   */
  public record Settings(int minDetectors, List<String> precedence, List<String> alone) implements Serializable {
    private static final String P = "audit." + NAME + ".";
    public static final Key<Integer> MIN_DETECTORS = Key.integer(P + "min-detectors", 2,
        "one finding per class that at least this many detectors signal (1 = every signal is a finding)");
    public static final Key<List<String>> PRECEDENCE = Key.strings(P + "precedence",
        List.of("patch", "region", "counterfactual", "strategies", "slices", "statistics"),
        "the detector whose cue names a finding, first that signals the class wins");
    public static final Key<List<String>> ALONE = Key.strings(P + "alone", List.of("patch"),
        "detectors whose signal is a finding without a second one");
    public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, MIN_DETECTORS, PRECEDENCE,
        ALONE);

    public Settings {
      precedence = List.copyOf(precedence);
      alone = List.copyOf(alone);
      List<String> known = ShortcutDetectors.all().stream().map(ShortcutDetector::name).toList();
      if (minDetectors < 1 || minDetectors > known.size()) {
        throw InvalidConfigException.range("audit.findings.min-detectors", minDetectors,
            "whole numbers from 1 to " + known.size() + " (the detectors there are)");
      }
      for (String d : precedence) {
        if (!known.contains(d)) {
          throw new InvalidConfigException("audit.findings.precedence", "unknown detector '" + d
              + "' in audit.findings.precedence: the detectors are " + known);
        }
      }
      for (String d : alone) {
        if (!known.contains(d)) {
          throw new InvalidConfigException("audit.findings.alone", "unknown detector '" + d
              + "' in audit.findings.alone: the detectors are " + known);
        }
      }
      if (new LinkedHashSet<>(precedence).size() != precedence.size()) {
        throw new InvalidConfigException("audit.findings.precedence",
            "audit.findings.precedence names a detector twice: " + precedence);
      }
    }

    /** The full order: {@link #precedence}, then the detectors it leaves out. */
    List<String> order() {
      List<String> o = new ArrayList<>(precedence);
      for (ShortcutDetector d : ShortcutDetectors.all()) {
        if (!o.contains(d.name())) {
          o.add(d.name());
        }
      }
      return o;
    }
  }

  /** Reads {@code audit.findings.*}. */
  public static Settings settings(Config config) {
    return Settings.SPEC.from(config);
  }


  /**
   * One class's finding.
   *
   * @param lead the signal whose cue and statement name the finding
   * @param support the class's other signals, in precedence order, strongest first per detector
   * @param detectors the detectors that signal the class, in precedence order
   * @param suspects the ids of the lead's suspects, then the other signals' (no repeats), capped
   * @param suspectCount the most suspects any of the class's signals counts
   */
  public record Verdict(Finding lead, List<Finding> support, List<String> detectors, List<String> suspects,
      long suspectCount) implements Serializable {
    public Verdict {
      support = List.copyOf(support);
      detectors = List.copyOf(detectors);
      suspects = List.copyOf(suspects);
    }

    public int cls() {
      return lead.cls();
    }

    public String className() {
      return lead.className();
    }

    public Cue kind() {
      return lead.kind();
    }
  }

  /** The findings (classes in index order) and the signals no other detector confirmed. */
  public record Result(List<Verdict> findings, List<Finding> unconfirmed) {}

  private Verdicts() {}

  /**
   * Groups {@code signals} by class and decides each class.
   *
   * @param maxSuspects cap on each finding's suspect ids
   */
  public static Result decide(List<Finding> signals, Settings settings, int maxSuspects) {
    List<String> order = settings.order();
    Comparator<Finding> byPrecedence = Comparator.<Finding>comparingInt(f -> rank(order, f.detector()))
        .thenComparing(Comparator.comparingDouble(Finding::score).reversed())
        .thenComparing(f -> f.kind().code())
        .thenComparing(Finding::cue);
    Map<Integer, List<Finding>> byClass = new java.util.TreeMap<>();
    for (Finding f : signals) {
      byClass.computeIfAbsent(f.cls(), k -> new ArrayList<>()).add(f);
    }
    List<Verdict> findings = new ArrayList<>();
    List<Finding> unconfirmed = new ArrayList<>();
    for (List<Finding> of : byClass.values()) {
      List<Finding> sorted = new ArrayList<>(of);
      sorted.sort(byPrecedence);
      Set<String> detectors = new LinkedHashSet<>();
      sorted.forEach(f -> detectors.add(f.detector()));
      if (detectors.size() < settings.minDetectors() && detectors.stream().noneMatch(settings.alone()::contains)) {
        unconfirmed.addAll(sorted);
        continue;
      }
      Finding lead = sorted.get(0);
      Set<String> ids = new LinkedHashSet<>();
      long count = 0;
      for (Finding f : sorted) {
        count = Math.max(count, f.suspectCount());
        for (String id : f.suspects()) {
          if (ids.size() < maxSuspects) {
            ids.add(id);
          }
        }
      }
      findings.add(new Verdict(lead, sorted.subList(1, sorted.size()), new ArrayList<>(detectors),
          new ArrayList<>(ids), count));
    }
    return new Result(findings, unconfirmed);
  }

  private static int rank(List<String> order, String detector) {
    int i = order.indexOf(detector);
    return i < 0 ? order.size() : i;
  }
}
