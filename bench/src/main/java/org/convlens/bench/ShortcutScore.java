package org.convlens.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Scores an audit's findings against the generator's ground truth: for each planted shortcut,
 * whether its class was flagged, whether the finding names the planted kind, and how well the
 * finding's suspect images match the images the cue fooled.
 *
 * <p>The truth for a shortcut of class C: the images of other classes that carry C's cue
 * ("carriers", from the markers CSV) and, among them, those the model predicts as C ("fooled").
 * Precision and the main recall are against the fooled images, because an audit finding's
 * suspects are by definition images of other classes predicted as C: a carrier the model still
 * classifies right did not follow the cue, and no audit that reads predictions should list it.
 * Recall against all carriers is reported beside it, to show how many carriers the cue fooled in
 * the first place.
 */
public final class ShortcutScore {
  private ShortcutScore() {}

  /**
   * A planted shortcut.
   *
   * @param className the class the cue is correlated with
   * @param kind the cue's kind code ({@code marker}, {@code illumination}, ...), as in {@code
   *     shortcuts.json} and the audit's {@code findings[].kind}
   */
  public record Planted(String className, String kind) {
    /** The cue's token in the markers CSVs' {@code cues} column, {@code kind:class}. */
    public String token() {
      return kind + ":" + className;
    }
  }

  /**
   * One analysed test image.
   *
   * @param id the analysis id (what findings list as suspects)
   * @param label the true class name
   * @param predicted the predicted class name
   * @param cues the cue tokens ({@code kind:class}) the image carries
   */
  public record Image(String id, String label, String predicted, Set<String> cues) {
    public Image {
      cues = Set.copyOf(cues);
    }
  }

  /**
   * One audit finding, as {@code audit.json findings[]} has it.
   *
   * @param className the flagged class
   * @param kind the cue kind the finding names
   * @param suspects the finding's suspect ids
   */
  public record Flag(String className, String kind, List<String> suspects) {
    public Flag {
      suspects = List.copyOf(suspects);
    }
  }

  /**
   * How the audit did on one planted shortcut.
   *
   * @param planted the shortcut
   * @param named the kind the class's finding names; null when the class is not flagged
   * @param suspects the finding's suspect ids (0 when not flagged)
   * @param hits suspects among the fooled images
   * @param fooled other classes' images that carry the cue and are predicted as the class
   * @param carriers other classes' images that carry the cue
   * @param carriersFound suspects among the carriers
   */
  public record KindScore(Planted planted, String named, int suspects, int hits, int fooled, int carriers,
      int carriersFound) {
    public boolean flagged() {
      return named != null;
    }

    /** Whether the finding names the planted kind. */
    public boolean cueRight() {
      return planted.kind().equals(named);
    }

    /** Suspects that are fooled carriers; NaN without suspects. */
    public double precision() {
      return ratio(hits, suspects);
    }

    /** Fooled carriers among the suspects; NaN when the cue fooled none. */
    public double recall() {
      return ratio(hits, fooled);
    }

    /** Carriers among the suspects, over all carriers; NaN without carriers. */
    public double recallOfCarriers() {
      return ratio(carriersFound, carriers);
    }

    /** A builder, so that a caller names each of the 7 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private Planted planted;
      private String named;
      private int suspects;
      private int hits;
      private int fooled;
      private int carriers;
      private int carriersFound;

      private Builder() {}

      public Builder planted(Planted planted) {
        this.planted = planted;
        return this;
      }

      public Builder named(String named) {
        this.named = named;
        return this;
      }

      public Builder suspects(int suspects) {
        this.suspects = suspects;
        return this;
      }

      public Builder hits(int hits) {
        this.hits = hits;
        return this;
      }

      public Builder fooled(int fooled) {
        this.fooled = fooled;
        return this;
      }

      public Builder carriers(int carriers) {
        this.carriers = carriers;
        return this;
      }

      public Builder carriersFound(int carriersFound) {
        this.carriersFound = carriersFound;
        return this;
      }

      public KindScore build() {
        return new KindScore(planted, named, suspects, hits, fooled, carriers, carriersFound);
      }
    }
  }

  /** Scores each planted shortcut, in plan order. */
  public static List<KindScore> score(List<Planted> plan, List<Flag> findings, List<Image> images) {
    List<KindScore> scores = new ArrayList<>();
    for (Planted p : plan) {
      Set<String> carriers = new HashSet<>();
      Set<String> fooled = new HashSet<>();
      for (Image i : images) {
        if (!i.label().equals(p.className()) && i.cues().contains(p.token())) {
          carriers.add(i.id());
          if (i.predicted().equals(p.className())) {
            fooled.add(i.id());
          }
        }
      }
      Flag flag = findings.stream().filter(f -> f.className().equals(p.className())).findFirst().orElse(null);
      Set<String> suspects = flag == null ? Set.of() : new HashSet<>(flag.suspects());
      int hits = (int) suspects.stream().filter(fooled::contains).count();
      int found = (int) suspects.stream().filter(carriers::contains).count();
      scores.add(KindScore.builder()
          .planted(p)
          .named(flag == null ? null : flag.kind())
          .suspects(suspects.size())
          .hits(hits)
          .fooled(fooled.size())
          .carriers(carriers.size())
          .carriersFound(found)
          .build());
    }
    return scores;
  }

  /** The findings on classes no shortcut was planted on: false alarms. */
  public static List<Flag> falseFlags(List<Planted> plan, List<Flag> findings) {
    Set<String> planted = new HashSet<>();
    plan.forEach(p -> planted.add(p.className()));
    return findings.stream().filter(f -> !planted.contains(f.className())).toList();
  }

  private static double ratio(int part, int whole) {
    return whole == 0 ? Double.NaN : (double) part / whole;
  }
}
