package org.convlens.audit;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How well one image statistic separates groups of images, for every class at once: the AUC
 * (Mann–Whitney U over {@code n1 n0}, ties counted half) and a stratified bootstrap of it. The
 * maths of {@link ImageStatisticsDetector}; docs/audit.md explains the test.
 *
 * <p>For class {@code c} three AUCs are measured:
 *
 * <ul>
 *   <li><b>predicted</b>: among images <em>not labelled</em> {@code c}, those predicted {@code c}
 *       (the images the class fools) against those not predicted {@code c}. Only images of other
 *       classes take part, so a statistic that belongs to the class's own object (a class whose
 *       photos are genuinely bright) cannot produce it;
 *   <li><b>mistaken</b>: the same fooled images against the other classes' images misclassified
 *       as a third class. Misclassified images differ from the rest in ways of their own (a faint
 *       object is both low-contrast and hard); this control asks whether the statistic sets
 *       {@code c}'s mistakes apart from mistakes in general;
 *   <li><b>labelled</b>: images labelled {@code c} against all other labelled images: how the
 *       dataset itself differs (context, never flagged).
 * </ul>
 *
 * An AUC above 0.5 means the first group's values are higher. Rows carry weights: a row kept from
 * a (true class, predicted class) cell that was sampled stands for {@code cell total / kept}
 * rows, and the AUC is the weighted Mann–Whitney statistic (exactly the plain one when nothing was
 * sampled).
 *
 * <p>All classes are measured in one pass over the rows sorted by value: with cumulative weights
 * below the current value of all rows, of rows labelled {@code c}, predicted {@code c} and both
 * (and the same among misclassified rows), the weight of any class's reference groups below a
 * value is a subtraction away. A statistic
 * costs O(n log n) once (the sort) and O(n + classes) per bootstrap replicate.
 *
 * <p><b>Bootstrap</b>: each replicate draws, inside every (true class, predicted class) cell, as
 * many rows as the cell holds, with replacement (stratified: every class's group sizes stay as
 * observed), from one {@link SplittableRandom} seeded once and used in row order; the rows are
 * in a fixed order (by cell, then by a seeded hash of the id), so the result does not depend on
 * partitions or threads. One resample serves every statistic and class.
 */
final class StatisticSeparation {
  private StatisticSeparation() {}

  /**
   * The rows of the test, sorted by stratum.
   *
   * @param classes number of classes; labels and predictions are 0..classes-1
   * @param truth each row's true class
   * @param predicted each row's predicted class
   * @param weight each row's weight (its cell's total over the rows kept of it)
   * @param strata where each stratum's rows begin, in row order, with the row count appended
   * @param values per statistic, each row's value (NaN = none: the row takes no part)
   */
  record Sample(int classes, int[] truth, int[] predicted, double[] weight, int[] strata, double[][] values) {
    Sample {
      int n = truth.length;
      if (predicted.length != n || weight.length != n || strata.length == 0 || strata[strata.length - 1] != n) {
        throw new IllegalArgumentException("inconsistent sample: " + n + " rows");
      }
      for (double[] v : values) {
        if (v.length != n) {
          throw new IllegalArgumentException("a statistic has " + v.length + " values for " + n + " rows");
        }
      }
    }

    int rows() {
      return truth.length;
    }

    /** Rows with a value of {@code statistic}, by value, ties by row. */
    int[] order(int statistic) {
      double[] v = values[statistic];
      return java.util.stream.IntStream.range(0, rows()).filter(i -> !Double.isNaN(v[i])).boxed()
          .sorted(java.util.Comparator.<Integer>comparingDouble(i -> v[i]).thenComparingInt(i -> i))
          .mapToInt(Integer::intValue).toArray();
    }

    /** Whether every row with a value of {@code statistic} has the same one (nothing to separate). */
    boolean constant(int statistic) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (double x : values[statistic]) {
        if (!Double.isNaN(x)) {
          min = Math.min(min, x);
          max = Math.max(max, x);
        }
      }
      return !(min < max);
    }

    /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private int classes;
      private int[] truth;
      private int[] predicted;
      private double[] weight;
      private int[] strata;
      private double[][] values;

      private Builder() {}

      Builder classes(int classes) {
        this.classes = classes;
        return this;
      }

      Builder truth(int[] truth) {
        this.truth = truth;
        return this;
      }

      Builder predicted(int[] predicted) {
        this.predicted = predicted;
        return this;
      }

      Builder weight(double[] weight) {
        this.weight = weight;
        return this;
      }

      Builder strata(int[] strata) {
        this.strata = strata;
        return this;
      }

      Builder values(double[][] values) {
        this.values = values;
        return this;
      }

      Sample build() {
        return new Sample(classes, truth, predicted, weight, strata, values);
      }
    }
  }

  /**
   * One statistic's separations under given row weights.
   *
   * @param predicted per class, the AUC of the images not labelled c predicted c against those not
   *     predicted c (NaN when a group is empty)
   * @param mistaken per class, the AUC of the same images against the other classes' images
   *     misclassified as a third class (the hardness control)
   * @param labelled per class, the AUC of the images labelled c against the others
   * @param fooled per class, the weight of the images not labelled c predicted c
   * @param reference per class, the weight of the images neither labelled nor predicted c
   * @param otherMistakes per class, the weight of the images neither labelled nor predicted c
   *     that are misclassified
   * @param labelledWeight per class, the weight of the images labelled c
   * @param total the weight of every row with a value
   */
  record Separation(double[] predicted, double[] mistaken, double[] labelled, double[] fooled, double[] reference,
      double[] otherMistakes, double[] labelledWeight, double total) {
    /** A builder, so that a caller names each of the 8 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private double[] predicted;
      private double[] mistaken;
      private double[] labelled;
      private double[] fooled;
      private double[] reference;
      private double[] otherMistakes;
      private double[] labelledWeight;
      private double total;

      private Builder() {}

      Builder predicted(double[] predicted) {
        this.predicted = predicted;
        return this;
      }

      Builder mistaken(double[] mistaken) {
        this.mistaken = mistaken;
        return this;
      }

      Builder labelled(double[] labelled) {
        this.labelled = labelled;
        return this;
      }

      Builder fooled(double[] fooled) {
        this.fooled = fooled;
        return this;
      }

      Builder reference(double[] reference) {
        this.reference = reference;
        return this;
      }

      Builder otherMistakes(double[] otherMistakes) {
        this.otherMistakes = otherMistakes;
        return this;
      }

      Builder labelledWeight(double[] labelledWeight) {
        this.labelledWeight = labelledWeight;
        return this;
      }

      Builder total(double total) {
        this.total = total;
        return this;
      }

      Separation build() {
        return new Separation(predicted, mistaken, labelled, fooled, reference, otherMistakes, labelledWeight, total);
      }
    }
  }

  /**
   * Weights of rows by kind, per class: all rows, rows labelled c, predicted c, both (correct c),
   * and among the misclassified rows: all, labelled c, predicted c.
   */
  private static final class Weights {
    double all;
    double mistakes;
    final double[] labelled;
    final double[] predicted;
    final double[] correct;
    final double[] mistakesLabelled;
    final double[] mistakesPredicted;

    Weights(int classes) {
      labelled = new double[classes];
      predicted = new double[classes];
      correct = new double[classes];
      mistakesLabelled = new double[classes];
      mistakesPredicted = new double[classes];
    }

    void add(int truth, int pred, double w) {
      all += w;
      labelled[truth] += w;
      predicted[pred] += w;
      if (truth == pred) {
        correct[truth] += w;
      } else {
        mistakes += w;
        mistakesLabelled[truth] += w;
        mistakesPredicted[pred] += w;
      }
    }

    /** Moves the weights of classes {@code truth} and {@code pred} into {@code into} and zeroes them here. */
    void moveInto(Weights into, int truth, int pred) {
      into.labelled[truth] += labelled[truth];
      labelled[truth] = 0;
      into.predicted[pred] += predicted[pred];
      predicted[pred] = 0;
      into.correct[truth] += correct[truth];
      correct[truth] = 0;
      into.mistakesLabelled[truth] += mistakesLabelled[truth];
      mistakesLabelled[truth] = 0;
      into.mistakesPredicted[pred] += mistakesPredicted[pred];
      mistakesPredicted[pred] = 0;
    }

    /** Rows neither labelled nor predicted c. */
    double reference(int c) {
      return all - labelled[c] - predicted[c] + correct[c];
    }

    /** Misclassified rows neither labelled nor predicted c (a mistake is never both). */
    double otherMistakes(int c) {
      return mistakes - mistakesLabelled[c] - mistakesPredicted[c];
    }
  }

  /** {@code statistic}'s separations with rows weighted {@code w} (rows in {@code order}). */
  static Separation separate(Sample s, int[] order, int statistic, double[] w) {
    int k = s.classes();
    double[] values = s.values()[statistic];
    int[] truth = s.truth();
    int[] pred = s.predicted();
    Weights below = new Weights(k); // rows strictly below the current value
    Weights tied = new Weights(k); // rows at the current value
    double[] numPredicted = new double[k];
    double[] numMistaken = new double[k];
    double[] numLabelled = new double[k];
    for (int a = 0; a < order.length; ) {
      int b = a + 1;
      while (b < order.length && values[order[b]] == values[order[a]]) {
        b++;
      }
      for (int j = a; j < b; j++) {
        int i = order[j];
        if (w[i] != 0) { // a row a bootstrap replicate did not draw weighs nothing
          tied.add(truth[i], pred[i], w[i]);
        }
      }
      for (int j = a; j < b; j++) {
        int i = order[j];
        double wi = w[i];
        if (wi == 0) {
          continue;
        }
        int t = truth[i];
        int p = pred[i];
        if (t != p) { // one of the images class p fools
          numPredicted[p] += wi * (below.reference(p) + 0.5 * tied.reference(p));
          numMistaken[p] += wi * (below.otherMistakes(p) + 0.5 * tied.otherMistakes(p));
        }
        numLabelled[t] += wi * (below.all - below.labelled[t] + 0.5 * (tied.all - tied.labelled[t]));
      }
      below.all += tied.all;
      below.mistakes += tied.mistakes;
      tied.all = 0;
      tied.mistakes = 0;
      for (int j = a; j < b; j++) {
        if (w[order[j]] != 0) {
          tied.moveInto(below, truth[order[j]], pred[order[j]]);
        }
      }
      a = b;
    }
    double[] aucPredicted = new double[k];
    double[] aucMistaken = new double[k];
    double[] aucLabelled = new double[k];
    double[] fooled = new double[k];
    double[] reference = new double[k];
    double[] otherMistakes = new double[k];
    for (int c = 0; c < k; c++) {
      fooled[c] = below.mistakesPredicted[c];
      reference[c] = below.reference(c);
      otherMistakes[c] = below.otherMistakes(c);
      aucPredicted[c] = auc(numPredicted[c], fooled[c], reference[c]);
      aucMistaken[c] = auc(numMistaken[c], fooled[c], otherMistakes[c]);
      aucLabelled[c] = auc(numLabelled[c], below.labelled[c], below.all - below.labelled[c]);
    }
    return Separation.builder()
        .predicted(aucPredicted)
        .mistaken(aucMistaken)
        .labelled(aucLabelled)
        .fooled(fooled)
        .reference(reference)
        .otherMistakes(otherMistakes)
        .labelledWeight(below.labelled.clone())
        .total(below.all)
        .build();
  }

  private static double auc(double numerator, double group, double reference) {
    return group > 0 && reference > 0 ? numerator / (group * reference) : Double.NaN;
  }

  /**
   * The point estimates and bootstrap replicates of every statistic.
   *
   * @param point per statistic, the separation under the rows' own weights
   * @param predicted per statistic and class, the replicates of the predicted AUC (null for
   *     classes not tracked); NaN where a replicate left a group empty
   * @param mistaken likewise for the AUC against other mistakes
   * @param labelled likewise for the labelled AUC
   */
  record Bootstrap(Separation[] point, float[][][] predicted, float[][][] mistaken, float[][][] labelled,
      int replicates) {}

  /**
   * Runs {@code replicates} stratified bootstrap replicates, keeping the replicates of the classes
   * in {@code tracked} (the others get point estimates only: the replicates of every class of a
   * 1,000-class model would not fit in memory). Statistics run in parallel; each replays the same
   * seeded draws, so every statistic sees the same resamples and nothing depends on the threads.
   */
  static Bootstrap bootstrap(Sample s, int replicates, long seed, boolean[] tracked) {
    int stats = s.values().length;
    int k = s.classes();
    Separation[] point = new Separation[stats];
    float[][][] predicted = new float[stats][k][];
    float[][][] mistaken = new float[stats][k][];
    float[][][] labelled = new float[stats][k][];
    java.util.stream.IntStream.range(0, stats).parallel().forEach(st -> {
      int[] order = s.order(st);
      point[st] = separate(s, order, st, s.weight());
      for (int c = 0; c < k; c++) {
        if (tracked[c]) {
          predicted[st][c] = new float[replicates];
          mistaken[st][c] = new float[replicates];
          labelled[st][c] = new float[replicates];
        }
      }
      Resampler resampler = new Resampler(s, seed);
      for (int r = 0; r < replicates; r++) {
        Separation sep = separate(s, order, st, resampler.next());
        for (int c = 0; c < k; c++) {
          if (tracked[c]) {
            predicted[st][c][r] = (float) sep.predicted()[c];
            mistaken[st][c][r] = (float) sep.mistaken()[c];
            labelled[st][c][r] = (float) sep.labelled()[c];
          }
        }
      }
    });
    return new Bootstrap(point, predicted, mistaken, labelled, replicates);
  }

  /**
   * The row weights of successive replicates: inside every stratum, as many draws with
   * replacement as it has rows, from one generator seeded once and drawn in row order.
   */
  private static final class Resampler {
    private final Sample sample;
    private final SplittableRandom random;
    private final int[] draws;
    private final double[] weights;

    Resampler(Sample sample, long seed) {
      this.sample = sample;
      this.random = new SplittableRandom(seed);
      this.draws = new int[sample.rows()];
      this.weights = new double[sample.rows()];
    }

    double[] next() {
      Arrays.fill(draws, 0);
      int[] strata = sample.strata();
      for (int g = 0; g + 1 < strata.length; g++) {
        int start = strata[g];
        int size = strata[g + 1] - start;
        for (int d = 0; d < size; d++) {
          draws[start + random.nextInt(size)]++;
        }
      }
      for (int i = 0; i < weights.length; i++) {
        weights[i] = draws[i] * sample.weight()[i];
      }
      return weights;
    }
  }

  /** The replicates that are numbers, sorted. */
  static double[] finite(float[] replicates) {
    double[] v = new double[replicates.length];
    int m = 0;
    for (float x : replicates) {
      if (!Float.isNaN(x)) {
        v[m++] = x;
      }
    }
    v = Arrays.copyOf(v, m);
    Arrays.sort(v);
    return v;
  }

  /** The {@code q} quantile of sorted values, linearly interpolated (R's type 7); NaN when empty. */
  static double quantile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double h = (sorted.length - 1) * q;
    int lo = (int) Math.floor(h);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
  }

  /** The sample standard deviation; NaN for fewer than two values. */
  static double standardDeviation(double[] v) {
    if (v.length < 2) {
      return Double.NaN;
    }
    double mean = Arrays.stream(v).average().orElse(0);
    double ss = 0;
    for (double x : v) {
      ss += (x - mean) * (x - mean);
    }
    return Math.sqrt(ss / (v.length - 1));
  }
}
