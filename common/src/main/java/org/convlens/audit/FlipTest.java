package org.convlens.audit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import smile.math.special.Erf;

/**
 * The statistics of the counterfactual detector: for every edit, class and direction, does the
 * edit move predictions into (or out of) that class more than it does for the other classes?
 *
 * <p>Per edit, each image has a true class y (or none), a prediction before the edit b and one
 * after it a. For class c:
 *
 * <ul>
 *   <li><b>flip to c</b>: among the images neither labelled c nor predicted c before (an image
 *       without a label counts), the share predicted c after. An edit that adds the cue c relies on
 *       (darkening, for a class learned as "dark") shows here.
 *   <li><b>flip away from c</b>: among the images predicted c before, the share predicted
 *       something else after. An edit that removes the cue (brightening the "dark" class) shows
 *       here.
 * </ul>
 *
 * <p>The statistic of (edit, c, direction) is the <b>difference</b> d between c's rate and the
 * mean rate of the other classes (each class weighs the same) in the same direction under the
 * same edit: a global edit that confuses the model everywhere moves every class alike and gives
 * d ≈ 0; one that moves one class alone gives a large d. Its uncertainty comes from a seeded
 * <b>bootstrap over images</b> (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993):
 * images are drawn with replacement, every rate and d recomputed; the replicates' standard
 * deviation is d's standard error se. The same image enters several classes' rates (that is what
 * makes an analytic variance awkward), and resampling images keeps that dependence. Reported:
 * the standard bootstrap 95% interval d ± 1.96 se (clipped to [-1, 1]) and the one-sided p-value
 * 1 - Φ(d / se) of "c's rate is no higher than the others'".
 *
 * <p>A test is <b>judged</b> when c's denominator and at least one other class's hold {@code
 * minImages} images (the other classes' mean is over those). It is <b>flagged</b> when d ≥
 * {@code minDifference} (an effect worth reporting) and p ≤ α / m, m the number of tests judged
 * over all edits, classes and directions (Bonferroni: the chance that any flag in the audit is a
 * fluke of sampling stays below α). A flagged test whose flips mostly go to (or come from) one
 * class whose own, stronger flagged test of the same edit runs the other way is <b>explained</b>
 * by it ({@link #explain}): when darkening turns everything into the dark class, the other
 * classes' predictions flipping away are that class's finding, not theirs. Results depend on the
 * cell counts and the seed only: not on the order images arrive in, their partitions or threads.
 */
public final class FlipTest {
  /** z of the two-sided 95% normal interval. */
  static final double Z95 = 1.959963984540054;

  /** Which way predictions move. */
  public enum Direction {
    TO("to"),
    AWAY("away");

    private final String code;

    Direction(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  /**
   * How many images of one edit had this outcome.
   *
   * @param trueClass the image's true class, -1 for none
   * @param before its predicted class without the edit
   * @param after its predicted class with the edit
   */
  public record Cell(int trueClass, int before, int after, long images) {}

  /**
   * @param bootstrap replicates
   * @param seed the bootstrap's seed (each edit's stream also depends on its label)
   * @param minDifference smallest d flagged
   * @param alpha family-wise error rate (Bonferroni over the judged tests)
   * @param minImages smallest denominator tested
   */
  public record Options(int bootstrap, long seed, double minDifference, double alpha, int minImages) {}

  /**
   * One (edit, class, direction).
   *
   * @param images the rate's denominator (see the class comment)
   * @param flips its numerator
   * @param reference the other judged classes' mean rate (NaN when not judged)
   * @param difference rate - reference (NaN when not judged)
   * @param se bootstrap standard error of the difference
   * @param lo lower end of the 95% interval
   * @param hi upper end of the 95% interval
   * @param p one-sided p-value (NaN when not judged)
   * @param pAdjusted min(1, p × m)
   * @param partner the class most of the flips go to (away) or come from (to, by prediction
   *     before the edit); -1 without flips
   * @param partnerShare the share of the flips that partner takes
   * @param flagged large and significant (see the class comment)
   * @param explainedBy for a flagged test, the partner class whose own stronger flagged test of
   *     the same edit, in the other direction, accounts for it; -1 when none does
   * @param fragile a flagged flip-away test of a class that edits of many cue kinds flip away
   *     ({@link #fragility}): the class's fragility, not a cue
   */
  public record Test(String edit, int cls, Direction direction, long images, long flips, double rate,
      double reference, double difference, double se, double lo, double hi, double p, double pAdjusted,
      int partner, double partnerShare, boolean judged, boolean flagged, int explainedBy, boolean fragile) {
    /**
     * Flagged, not a consequence of another class's flagged test, and not the fragility of its
     * class ({@link #fragility}): a finding.
     */
    public boolean finding() {
      return flagged && explainedBy < 0 && !fragile;
    }

    Test with(boolean flag, double adjusted, int by, boolean isFragile) {
      return new Test(edit, cls, direction, images, flips, rate, reference, difference, se, lo, hi, p, adjusted,
          partner, partnerShare, judged, flag, by, isFragile);
    }

    /** A builder, so that a caller names each of the 19 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String edit;
      private int cls;
      private Direction direction;
      private long images;
      private long flips;
      private double rate;
      private double reference;
      private double difference;
      private double se;
      private double lo;
      private double hi;
      private double p;
      private double pAdjusted;
      private int partner;
      private double partnerShare;
      private boolean judged;
      private boolean flagged;
      private int explainedBy;
      private boolean fragile;

      private Builder() {}

      public Builder edit(String edit) {
        this.edit = edit;
        return this;
      }

      public Builder cls(int cls) {
        this.cls = cls;
        return this;
      }

      public Builder direction(Direction direction) {
        this.direction = direction;
        return this;
      }

      public Builder images(long images) {
        this.images = images;
        return this;
      }

      public Builder flips(long flips) {
        this.flips = flips;
        return this;
      }

      public Builder rate(double rate) {
        this.rate = rate;
        return this;
      }

      public Builder reference(double reference) {
        this.reference = reference;
        return this;
      }

      public Builder difference(double difference) {
        this.difference = difference;
        return this;
      }

      public Builder se(double se) {
        this.se = se;
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

      public Builder p(double p) {
        this.p = p;
        return this;
      }

      public Builder pAdjusted(double pAdjusted) {
        this.pAdjusted = pAdjusted;
        return this;
      }

      public Builder partner(int partner) {
        this.partner = partner;
        return this;
      }

      public Builder partnerShare(double partnerShare) {
        this.partnerShare = partnerShare;
        return this;
      }

      public Builder judged(boolean judged) {
        this.judged = judged;
        return this;
      }

      public Builder flagged(boolean flagged) {
        this.flagged = flagged;
        return this;
      }

      public Builder explainedBy(int explainedBy) {
        this.explainedBy = explainedBy;
        return this;
      }

      public Builder fragile(boolean fragile) {
        this.fragile = fragile;
        return this;
      }

      public Test build() {
        return new Test(edit, cls, direction, images, flips, rate, reference, difference, se, lo, hi, p, pAdjusted,
            partner, partnerShare, judged, flagged, explainedBy, fragile);
      }
    }
  }

  /** Every test, by edit (in the given order), class, direction; and m, the tests judged. */
  public record Result(List<Test> tests, int judged) {}

  private FlipTest() {}

  /**
   * @param edits the edits' labels, in order
   * @param cells each edit's outcome counts (any order; an edit without cells has no tests)
   * @param classes the model's class count
   */
  public static Result run(List<String> edits, Map<String, List<Cell>> cells, int classes, Options o) {
    List<Test> raw = new ArrayList<>();
    for (String edit : edits) {
      raw.addAll(edit(edit, cells.getOrDefault(edit, List.of()), classes, o));
    }
    int m = (int) raw.stream().filter(Test::judged).count();
    List<Test> flagged = new ArrayList<>(raw.size());
    for (Test t : raw) {
      if (!t.judged()) {
        flagged.add(t);
        continue;
      }
      double adjusted = Math.min(1, t.p() * m);
      boolean flag = t.difference() >= o.minDifference() && t.p() <= o.alpha() / m;
      flagged.add(t.with(flag, adjusted, -1, false));
    }
    return new Result(explain(flagged), m);
  }

  /**
   * When darkening turns most images into the "dark" class, every other class loses its
   * predictions to it: their flips away stand out too, especially with few classes, yet they are
   * the dark class's finding seen from the other side. So, per edit, flagged tests are taken from
   * the largest difference down; one whose flips mostly (more than half) go to — or come from — a
   * class already taken, in the other direction, is explained by it and makes no finding of its own.
   */
  static List<Test> explain(List<Test> tests) {
    List<Test> order = new ArrayList<>(tests.stream().filter(Test::flagged).toList());
    order.sort(Comparator.comparing(Test::edit).thenComparing(Comparator.comparingDouble(Test::difference)
        .reversed()).thenComparingInt(Test::cls).thenComparing(Test::direction));
    java.util.Set<String> taken = new java.util.HashSet<>();
    Map<Test, Integer> explained = new java.util.IdentityHashMap<>();
    for (Test t : order) {
      Direction other = t.direction() == Direction.TO ? Direction.AWAY : Direction.TO;
      if (t.partnerShare() > 0.5 && taken.contains(t.edit() + "/" + t.partner() + "/" + other)) {
        explained.put(t, t.partner());
      } else {
        taken.add(t.edit() + "/" + t.cls() + "/" + t.direction());
      }
    }
    List<Test> out = new ArrayList<>(tests.size());
    for (Test t : tests) {
      Integer by = explained.get(t);
      out.add(by == null ? t : t.with(t.flagged(), t.pAdjusted(), by, t.fragile()));
    }
    return out;
  }

  /**
   * A class that edits of many different cue kinds all flip away is fragile, not shortcut-driven:
   * a shortcut is one cue, and an edit that leaves it alone should leave the class alone. When a
   * darkening, a desaturation and a blur each undo a class's predictions, what they share is not
   * a cue but the class's narrow hold on its images (its images sit next to another class's, which
   * any global change pushes them into). So, per class, the cue kinds of its flagged, unexplained
   * flip-away tests are counted over the <i>global</i> edits — those in {@code globalKinds}, the
   * edits that change the image's global statistics (brightness, colour, texture); a mirror image
   * changes none of them, so a class it flips away has a cue at a place, never mere fragility, and
   * it is left out of the count. A class with {@code minKinds} kinds or more is fragile: those
   * tests are marked {@link Test#fragile} and make no finding. Flips to a class are never marked
   * (other classes' images turning into c are c's cue, not c's fragility). This only removes
   * flags, so the family-wise error rate of the findings stays at most α.
   *
   * @param globalKinds the cue kind of each global edit, by label
   * @param minKinds the smallest number of kinds that makes a class fragile (2 or more)
   */
  public static Result fragility(Result r, Map<String, Cue> globalKinds, int minKinds) {
    Map<Integer, java.util.Set<Cue>> kinds = new java.util.HashMap<>();
    for (Test t : r.tests()) {
      Cue kind = globalKinds.get(t.edit());
      if (kind != null && t.direction() == Direction.AWAY && t.flagged() && t.explainedBy() < 0) {
        kinds.computeIfAbsent(t.cls(), c -> java.util.EnumSet.noneOf(Cue.class)).add(kind);
      }
    }
    List<Test> out = new ArrayList<>(r.tests().size());
    for (Test t : r.tests()) {
      boolean fragile = t.direction() == Direction.AWAY && t.flagged() && globalKinds.containsKey(t.edit())
          && kinds.getOrDefault(t.cls(), java.util.Set.of()).size() >= minKinds;
      out.add(fragile ? t.with(t.flagged(), t.pAdjusted(), t.explainedBy(), true) : t);
    }
    return new Result(out, r.judged());
  }

  /**
   * How specific a test's flips are to its class: the odds ratio of a flip for the class's images
   * against the other judged classes' images pooled (same edit and direction), with Haldane's
   * +½ in every cell and Woolf's 95% interval, {@code exp(ln OR ± 1.96·√(Σ 1/cell))}. The
   * difference of rates that the test flags on grows with how fragile all images are to an edit
   * (darkening flips 14% of every class on the demo), the odds ratio does not: of two edits that
   * both stand out for a class, the one with the larger odds ratio is the more specific cue.
   *
   * @return {odds ratio, lower, upper}
   */
  public static double[] oddsRatio(Test t, List<Test> all) {
    long otherFlips = 0;
    long otherImages = 0;
    for (Test o : all) {
      if (o.judged() && o.cls() != t.cls() && o.edit().equals(t.edit()) && o.direction() == t.direction()) {
        otherFlips += o.flips();
        otherImages += o.images();
      }
    }
    double a = t.flips() + 0.5;
    double b = t.images() - t.flips() + 0.5;
    double c = otherFlips + 0.5;
    double d = otherImages - otherFlips + 0.5;
    double ln = Math.log(a * d / (b * c));
    double se = Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d);
    return new double[] {Math.exp(ln), Math.exp(ln - 1.959963984540054 * se), Math.exp(ln + 1.959963984540054 * se)};
  }

  /** The classes {@link #fragility} marked, ascending. */
  public static List<Integer> fragileClasses(Result r) {
    return r.tests().stream().filter(Test::fragile).map(Test::cls).distinct().sorted().toList();
  }

  /** Counts of one sample of images, per class. */
  private static final class Counts {
    final long[] predicted;
    final long[] labelled;
    final long[] predictedAndLabelled;
    final long[] flipsTo;
    final long[] flipsAway;
    long images;

    Counts(int k) {
      predicted = new long[k];
      labelled = new long[k];
      predictedAndLabelled = new long[k];
      flipsTo = new long[k];
      flipsAway = new long[k];
    }

    void add(int y, int b, int a, long times) {
      images += times;
      predicted[b] += times;
      if (y >= 0) {
        labelled[y] += times;
        if (y == b) {
          predictedAndLabelled[y] += times;
        }
      }
      if (a != b) {
        flipsAway[b] += times;
        if (a != y) {
          flipsTo[a] += times;
        }
      }
    }

    long denominator(Direction d, int c) {
      return d == Direction.AWAY ? predicted[c] : images - predicted[c] - labelled[c] + predictedAndLabelled[c];
    }

    long numerator(Direction d, int c) {
      return d == Direction.AWAY ? flipsAway[c] : flipsTo[c];
    }

    void clear() {
      java.util.Arrays.fill(predicted, 0);
      java.util.Arrays.fill(labelled, 0);
      java.util.Arrays.fill(predictedAndLabelled, 0);
      java.util.Arrays.fill(flipsTo, 0);
      java.util.Arrays.fill(flipsAway, 0);
      images = 0;
    }
  }

  private static List<Test> edit(String edit, List<Cell> cells, int k, Options o) {
    List<Cell> sorted = new ArrayList<>(cells);
    for (Cell c : sorted) {
      if (c.before() < 0 || c.before() >= k || c.after() < 0 || c.after() >= k || c.trueClass() < -1
          || c.trueClass() >= k || c.images() < 0) {
        throw new IllegalArgumentException("cell " + c + " is outside " + k + " classes");
      }
    }
    // A canonical order, so that the same counts give the same bootstrap however they arrived.
    sorted.sort(Comparator.comparingInt(Cell::trueClass).thenComparingInt(Cell::before)
        .thenComparingInt(Cell::after));
    Counts observed = new Counts(k);
    long n = 0;
    for (Cell c : sorted) {
      observed.add(c.trueClass(), c.before(), c.after(), c.images());
      n += c.images();
    }
    // Where each class's flips go (away) and come from (to): the partner taking the most.
    Map<Long, Long> awayFlow = new java.util.HashMap<>();
    Map<Long, Long> toFlow = new java.util.HashMap<>();
    for (Cell c : sorted) {
      if (c.after() != c.before()) {
        awayFlow.merge((long) c.before() * k + c.after(), c.images(), Long::sum);
        if (c.after() != c.trueClass()) {
          toFlow.merge((long) c.after() * k + c.before(), c.images(), Long::sum);
        }
      }
    }
    int[][] partner = new int[2][k];
    long[][] partnerFlips = new long[2][k];
    for (int[] p : partner) {
      java.util.Arrays.fill(p, -1);
    }
    for (int dir = 0; dir < 2; dir++) {
      Map<Long, Long> flow = dir == Direction.AWAY.ordinal() ? awayFlow : toFlow;
      for (var e : flow.entrySet()) {
        int c = (int) (e.getKey() / k);
        int other = (int) (e.getKey() % k);
        long v = e.getValue();
        if (v > partnerFlips[dir][c] || (v == partnerFlips[dir][c] && other < partner[dir][c])) {
          partnerFlips[dir][c] = v;
          partner[dir][c] = other;
        }
      }
    }

    Direction[] directions = Direction.values();
    boolean[][] inReference = new boolean[directions.length][k];
    int[] referenceSize = new int[directions.length];
    double[][] difference = new double[directions.length][k];
    for (Direction d : directions) {
      for (int c = 0; c < k; c++) {
        if (observed.denominator(d, c) >= o.minImages()) {
          inReference[d.ordinal()][c] = true;
          referenceSize[d.ordinal()]++;
        }
      }
      double[] all = differences(observed, inReference[d.ordinal()], d);
      for (int c = 0; c < k; c++) {
        difference[d.ordinal()][c] = judged(inReference, referenceSize, d, c) ? all[c] : Double.NaN;
      }
    }

    // Bootstrap: n images drawn with replacement from the n observed, B times.
    double[][] mean = new double[directions.length][k];
    double[][] m2 = new double[directions.length][k];
    long[][] valid = new long[directions.length][k];
    if (n > 0) {
      int[] y = new int[(int) n];
      int[] b = new int[(int) n];
      int[] a = new int[(int) n];
      int i = 0;
      for (Cell c : sorted) {
        for (long t = 0; t < c.images(); t++, i++) {
          y[i] = c.trueClass();
          b[i] = c.before();
          a[i] = c.after();
        }
      }
      SplittableRandom random = new SplittableRandom(o.seed() ^ (0x9E3779B97F4A7C15L * edit.hashCode()));
      Counts replicate = new Counts(k);
      for (int r = 0; r < o.bootstrap(); r++) {
        replicate.clear();
        for (int j = 0; j < n; j++) {
          int pick = random.nextInt((int) n);
          replicate.add(y[pick], b[pick], a[pick], 1);
        }
        for (Direction d : directions) {
          double[] all = differences(replicate, inReference[d.ordinal()], d);
          for (int c = 0; c < k; c++) {
            double v = all[c];
            if (Double.isNaN(difference[d.ordinal()][c]) || Double.isNaN(v)) {
              continue;
            }
            // Welford's running mean and sum of squares.
            long count = ++valid[d.ordinal()][c];
            double delta = v - mean[d.ordinal()][c];
            mean[d.ordinal()][c] += delta / count;
            m2[d.ordinal()][c] += delta * (v - mean[d.ordinal()][c]);
          }
        }
      }
    }

    List<Test> tests = new ArrayList<>();
    for (int c = 0; c < k; c++) {
      for (Direction d : directions) {
        long den = observed.denominator(d, c);
        long num = observed.numerator(d, c);
        double rate = den == 0 ? Double.NaN : (double) num / den;
        double diff = difference[d.ordinal()][c];
        int with = partner[d.ordinal()][c];
        double share = num == 0 ? Double.NaN : (double) partnerFlips[d.ordinal()][c] / num;
        if (Double.isNaN(diff)) {
          tests.add(Test.builder()
              .edit(edit)
              .cls(c)
              .direction(d)
              .images(den)
              .flips(num)
              .rate(rate)
              .reference(Double.NaN)
              .difference(Double.NaN)
              .se(Double.NaN)
              .lo(Double.NaN)
              .hi(Double.NaN)
              .p(Double.NaN)
              .pAdjusted(Double.NaN)
              .partner(with)
              .partnerShare(share)
              .judged(false)
              .flagged(false)
              .explainedBy(-1)
              .fragile(false)
              .build());
          continue;
        }
        long count = valid[d.ordinal()][c];
        double se = count > 1 ? Math.sqrt(m2[d.ordinal()][c] / (count - 1)) : 0;
        double p = se > 0 ? 0.5 * Erf.erfc(diff / se / Math.sqrt(2)) : (diff > 0 ? 0 : 1);
        tests.add(Test.builder()
            .edit(edit)
            .cls(c)
            .direction(d)
            .images(den)
            .flips(num)
            .rate(rate)
            .reference(rate - diff)
            .difference(diff)
            .se(se)
            .lo(Math.max(-1, diff - Z95 * se))
            .hi(Math.min(1, diff + Z95 * se))
            .p(p)
            .pAdjusted(Double.NaN)
            .partner(with)
            .partnerShare(share)
            .judged(true)
            .flagged(false)
            .explainedBy(-1)
            .fragile(false)
            .build());
      }
    }
    return tests;
  }

  private static boolean judged(boolean[][] inReference, int[] referenceSize, Direction d, int c) {
    return inReference[d.ordinal()][c] && referenceSize[d.ordinal()] >= 2;
  }

  /**
   * Each class's rate minus the mean rate of the other reference classes that have images in
   * this sample; NaN where the class has none, or no other class does. One pass: O(classes).
   */
  private static double[] differences(Counts counts, boolean[] inReference, Direction d) {
    int k = inReference.length;
    double[] rate = new double[k];
    double sum = 0;
    int classes = 0;
    for (int c = 0; c < k; c++) {
      long den = counts.denominator(d, c);
      rate[c] = den == 0 ? Double.NaN : (double) counts.numerator(d, c) / den;
      if (inReference[c] && den > 0) {
        sum += rate[c];
        classes++;
      }
    }
    double[] out = new double[k];
    for (int c = 0; c < k; c++) {
      boolean own = inReference[c] && !Double.isNaN(rate[c]);
      int others = own ? classes - 1 : classes;
      out[c] = Double.isNaN(rate[c]) || others == 0 ? Double.NaN
          : rate[c] - (own ? sum - rate[c] : sum) / others;
    }
    return out;
  }
}
