package org.convlens.audit;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How well one image statistic separates groups of images, for every class at once: the AUC
 * (Mann–Whitney U over {@code n1 n0}, ties counted half) and a stratified bootstrap of it. The
 * maths of {@link ImageStatisticsDetector}; docs/audit.md explains the test.
 *
 * <p>For class {@code c} two AUCs are measured:
 *
 * <ul>
 *   <li><b>predicted</b>: among images <em>not labelled</em> {@code c}, those predicted {@code c}
 *       (the images the class fools) against those not predicted {@code c}. Only images of other
 *       classes take part, so a statistic that belongs to the class's own object (a class whose
 *       photos are genuinely bright) cannot produce it;
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
 * below the current value of all rows, of rows labelled {@code c}, predicted {@code c} and both,
 * the weight of any class's reference group below a value is one subtraction away. A statistic
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
  }

  /**
   * One statistic's separations under given row weights.
   *
   * @param predicted per class, the AUC of the images not labelled c predicted c against those not
   *     predicted c (NaN when a group is empty)
   * @param labelled per class, the AUC of the images labelled c against the others
   * @param fooled per class, the weight of the images not labelled c predicted c
   * @param reference per class, the weight of the images neither labelled nor predicted c
   * @param labelledWeight per class, the weight of the images labelled c
   * @param total the weight of every row with a value
   */
  record Separation(double[] predicted, double[] labelled, double[] fooled, double[] reference,
      double[] labelledWeight, double total) {}

  /** {@code statistic}'s separations with rows weighted {@code w} (rows in {@code order}). */
  static Separation separate(Sample s, int[] order, int statistic, double[] w) {
    int k = s.classes();
    double[] values = s.values()[statistic];
    int[] truth = s.truth();
    int[] pred = s.predicted();
    // Weights strictly below the current value: all rows, labelled c, predicted c, both.
    double below = 0;
    double[] belowT = new double[k];
    double[] belowP = new double[k];
    double[] belowD = new double[k];
    // The same within the current group of tied values.
    double[] groupT = new double[k];
    double[] groupP = new double[k];
    double[] groupD = new double[k];
    double[] numPredicted = new double[k];
    double[] numLabelled = new double[k];
    for (int a = 0; a < order.length; ) {
      int b = a + 1;
      while (b < order.length && values[order[b]] == values[order[a]]) {
        b++;
      }
      double group = 0;
      for (int j = a; j < b; j++) {
        int i = order[j];
        double wi = w[i];
        group += wi;
        groupT[truth[i]] += wi;
        groupP[pred[i]] += wi;
        if (truth[i] == pred[i]) {
          groupD[truth[i]] += wi;
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
        if (t != p) { // one of the images class p fools; its reference: neither labelled nor predicted p
          double ref = below - belowT[p] - belowP[p] + belowD[p];
          double tied = group - groupT[p] - groupP[p] + groupD[p];
          numPredicted[p] += wi * (ref + 0.5 * tied);
        }
        numLabelled[t] += wi * (below - belowT[t] + 0.5 * (group - groupT[t]));
      }
      below += group;
      for (int j = a; j < b; j++) {
        int i = order[j];
        int t = truth[i];
        int p = pred[i];
        belowT[t] += groupT[t];
        groupT[t] = 0;
        belowP[p] += groupP[p];
        groupP[p] = 0;
        belowD[t] += groupD[t];
        groupD[t] = 0;
      }
      a = b;
    }
    double[] aucPredicted = new double[k];
    double[] aucLabelled = new double[k];
    double[] fooled = new double[k];
    double[] reference = new double[k];
    double[] labelledWeight = new double[k];
    for (int c = 0; c < k; c++) {
      fooled[c] = belowP[c] - belowD[c];
      reference[c] = below - belowT[c] - belowP[c] + belowD[c];
      labelledWeight[c] = belowT[c];
      aucPredicted[c] = fooled[c] > 0 && reference[c] > 0 ? numPredicted[c] / (fooled[c] * reference[c]) : Double.NaN;
      double others = below - belowT[c];
      aucLabelled[c] = belowT[c] > 0 && others > 0 ? numLabelled[c] / (belowT[c] * others) : Double.NaN;
    }
    return new Separation(aucPredicted, aucLabelled, fooled, reference, labelledWeight, below);
  }

  /**
   * The point estimates and bootstrap replicates of every statistic.
   *
   * @param point per statistic, the separation under the rows' own weights
   * @param predicted per statistic and class, the replicates of the predicted AUC (null for
   *     classes not tracked); NaN where a replicate left a group empty
   * @param labelled likewise for the labelled AUC
   */
  record Bootstrap(Separation[] point, float[][][] predicted, float[][][] labelled, int replicates) {}

  /**
   * Runs {@code replicates} stratified bootstrap replicates, keeping the replicates of the classes
   * in {@code tracked} (the others get point estimates only: the replicates of every class of a
   * 1,000-class model would not fit in memory).
   */
  static Bootstrap bootstrap(Sample s, int replicates, long seed, boolean[] tracked) {
    int stats = s.values().length;
    int k = s.classes();
    int n = s.rows();
    int[][] orders = new int[stats][];
    Separation[] point = new Separation[stats];
    float[][][] predicted = new float[stats][k][];
    float[][][] labelled = new float[stats][k][];
    for (int st = 0; st < stats; st++) {
      orders[st] = s.order(st);
      point[st] = separate(s, orders[st], st, s.weight());
      for (int c = 0; c < k; c++) {
        if (tracked[c]) {
          predicted[st][c] = new float[replicates];
          labelled[st][c] = new float[replicates];
        }
      }
    }
    SplittableRandom random = new SplittableRandom(seed);
    int[] draws = new int[n];
    double[] w = new double[n];
    int[] strata = s.strata();
    for (int r = 0; r < replicates; r++) {
      Arrays.fill(draws, 0);
      for (int g = 0; g + 1 < strata.length; g++) {
        int start = strata[g];
        int size = strata[g + 1] - start;
        for (int d = 0; d < size; d++) {
          draws[start + random.nextInt(size)]++;
        }
      }
      for (int i = 0; i < n; i++) {
        w[i] = draws[i] * s.weight()[i];
      }
      for (int st = 0; st < stats; st++) {
        Separation sep = separate(s, orders[st], st, w);
        for (int c = 0; c < k; c++) {
          if (tracked[c]) {
            predicted[st][c][r] = (float) sep.predicted()[c];
            labelled[st][c][r] = (float) sep.labelled()[c];
          }
        }
      }
    }
    return new Bootstrap(point, predicted, labelled, replicates);
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
