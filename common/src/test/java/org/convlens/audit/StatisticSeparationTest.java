package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The AUCs of all classes in one pass, against a brute-force count, and the stratified bootstrap. */
class StatisticSeparationTest {
  /** Rows sorted by (truth, predicted) with their strata, one statistic. */
  static StatisticSeparation.Sample sample(int classes, int[] truth, int[] predicted, double[] weight, double[] v) {
    Integer[] idx = new Integer[truth.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> truth[a] != truth[b] ? truth[a] - truth[b] : predicted[a] - predicted[b]);
    int n = truth.length;
    int[] t = new int[n];
    int[] p = new int[n];
    double[] w = new double[n];
    double[] x = new double[n];
    List<Integer> strata = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t[i] = truth[idx[i]];
      p[i] = predicted[idx[i]];
      w[i] = weight[idx[i]];
      x[i] = v[idx[i]];
      if (i == 0 || t[i] != t[i - 1] || p[i] != p[i - 1]) {
        strata.add(i);
      }
    }
    strata.add(n);
    return StatisticSeparation.Sample.builder()
        .classes(classes)
        .truth(t)
        .predicted(p)
        .weight(w)
        .strata(strata.stream().mapToInt(Integer::intValue).toArray())
        .values(new double[][] {x})
        .build();
  }

  static StatisticSeparation.Separation point(StatisticSeparation.Sample s) {
    return StatisticSeparation.separate(s, s.order(0), 0, s.weight());
  }

  /** Weighted Mann–Whitney by definition: every pair of a positive and a negative row. */
  static double bruteForce(StatisticSeparation.Sample s, java.util.function.IntPredicate inGroup,
      java.util.function.IntPredicate inReference) {
    double num = 0;
    double w1 = 0;
    double w0 = 0;
    double[] v = s.values()[0];
    for (int i = 0; i < s.rows(); i++) {
      if (Double.isNaN(v[i])) {
        continue;
      }
      if (inGroup.test(i)) {
        w1 += s.weight()[i];
      }
      if (inReference.test(i)) {
        w0 += s.weight()[i];
      }
      for (int j = 0; j < s.rows(); j++) {
        if (inGroup.test(i) && inReference.test(j) && !Double.isNaN(v[j])) {
          num += s.weight()[i] * s.weight()[j] * (v[i] > v[j] ? 1 : v[i] == v[j] ? 0.5 : 0);
        }
      }
    }
    return num / (w1 * w0);
  }

  @Test
  void onePassMatchesEveryPairCountedForEveryClass() {
    Random r = new Random(11);
    int n = 300;
    int k = 4;
    int[] truth = new int[n];
    int[] predicted = new int[n];
    double[] weight = new double[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      truth[i] = r.nextInt(k);
      predicted[i] = r.nextDouble() < 0.7 ? truth[i] : r.nextInt(k);
      weight[i] = 1 + r.nextInt(3);
      // Few distinct values: many ties; some rows without a value.
      v[i] = r.nextDouble() < 0.05 ? Double.NaN : r.nextInt(12) + predicted[i] * 0.5;
    }
    StatisticSeparation.Sample s = sample(k, truth, predicted, weight, v);
    StatisticSeparation.Separation sep = point(s);
    for (int c = 0; c < k; c++) {
      int cls = c;
      double predictedAuc = bruteForce(s, i -> s.truth()[i] != cls && s.predicted()[i] == cls,
          i -> s.truth()[i] != cls && s.predicted()[i] != cls);
      double labelledAuc = bruteForce(s, i -> s.truth()[i] == cls, i -> s.truth()[i] != cls);
      double mistakenAuc = bruteForce(s, i -> s.truth()[i] != cls && s.predicted()[i] == cls,
          i -> s.truth()[i] != cls && s.predicted()[i] != cls && s.truth()[i] != s.predicted()[i]);
      assertEquals(predictedAuc, sep.predicted()[c], 1e-12, "class " + c + " predicted");
      assertEquals(mistakenAuc, sep.mistaken()[c], 1e-12, "class " + c + " against other mistakes");
      assertEquals(labelledAuc, sep.labelled()[c], 1e-12, "class " + c + " labelled");
    }
  }

  @Test
  void perfectlySeparatedGroupsGiveOneOrZero() {
    // Class 0's fooled images (labels 1, 2 predicted 0) have the highest values, class 1's the lowest.
    int[] truth = {1, 1, 2, 2, 1, 2, 1, 2, 0, 0, 2, 2};
    int[] pred = {0, 0, 0, 1, 1, 1, 2, 2, 0, 0, 1, 1};
    double[] v = {9, 8, 10, 1, 5, 0.5, 4, 6, 2, 3, 0.7, 0.1};
    StatisticSeparation.Separation sep = point(sample(3, truth, pred, ones(truth.length), v));
    assertEquals(1.0, sep.predicted()[0], 1e-12);
    // Class 1's fooled images are the label-2 ones predicted 1 (1, 0.5, 0.7, 0.1): below every
    // label-0/2 image not predicted 1 (10, 6, 2, 3).
    assertEquals(0.0, sep.predicted()[1], 1e-12);
    assertEquals(3, sep.fooled()[0]);
    assertEquals(7, sep.reference()[0], "labels 1 and 2 not predicted 0");
    assertEquals(4, sep.fooled()[1]);
  }

  @Test
  void identicalGroupsGiveOneHalf() {
    int[] truth = new int[40];
    int[] pred = new int[40];
    double[] v = new double[40];
    for (int i = 0; i < 40; i++) {
      truth[i] = 1;
      pred[i] = i % 2 == 0 ? 0 : 1; // half fooled into class 0, half not, with the same values
      v[i] = (i / 2) % 5;
    }
    StatisticSeparation.Separation sep = point(sample(2, truth, pred, ones(40), v));
    assertEquals(0.5, sep.predicted()[0], 1e-12);
    double[] flat = new double[40];
    assertEquals(0.5, point(sample(2, truth, pred, ones(40), flat)).predicted()[0], 1e-12, "all tied");
  }

  @Test
  void weightsCountAsRepeatedRows() {
    int[] truth = {1, 1, 1, 1};
    int[] pred = {0, 1, 1, 0};
    double[] v = {5, 3, 7, 1};
    double[] w = {1, 2, 1, 1};
    // As if the row of value 3 were there twice: fooled {5, 1} against {3, 3, 7}.
    double expected = (2 + 0) / 6.0;
    assertEquals(expected, point(sample(2, truth, pred, w, v)).predicted()[0], 1e-12);
  }

  @Test
  void bootstrapIsSeededKeepsGroupSizesAndCoversTheEstimate() {
    Random r = new Random(2);
    int n = 200;
    int[] truth = new int[n];
    int[] pred = new int[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      truth[i] = 1 + r.nextInt(2);
      pred[i] = i < 30 ? 0 : truth[i];
      v[i] = r.nextGaussian() + (i < 30 ? -1 : 0);
    }
    StatisticSeparation.Sample s = sample(3, truth, pred, ones(n), v);
    boolean[] all = {true, true, true};
    StatisticSeparation.Bootstrap a = StatisticSeparation.bootstrap(s, 400, 7, all);
    StatisticSeparation.Bootstrap b = StatisticSeparation.bootstrap(s, 400, 7, all);
    StatisticSeparation.Bootstrap c = StatisticSeparation.bootstrap(s, 400, 8, all);
    assertArrayEquals(a.predicted()[0][0], b.predicted()[0][0], "same seed, same replicates");
    assertTrue(!Arrays.equals(a.predicted()[0][0], c.predicted()[0][0]), "another seed, other replicates");
    double[] reps = StatisticSeparation.finite(a.predicted()[0][0]);
    assertEquals(400, reps.length, "stratified: no replicate loses a group");
    double auc = a.point()[0].predicted()[0];
    assertTrue(auc < 0.35, "the 30 fooled images are a standard deviation lower: " + auc);
    double lo = StatisticSeparation.quantile(reps, 0.025);
    double hi = StatisticSeparation.quantile(reps, 0.975);
    assertTrue(lo < auc && auc < hi && hi < 0.5, lo + " " + auc + " " + hi);
    double se = StatisticSeparation.standardDeviation(reps);
    // Hanley and McNeil's normal approximation of the AUC's standard error, for scale only.
    double q1 = auc / (2 - auc);
    double q2 = 2 * auc * auc / (1 + auc);
    double hm = Math.sqrt((auc * (1 - auc) + 29 * (q1 - auc * auc) + 169 * (q2 - auc * auc)) / (30.0 * 170));
    assertEquals(hm, se, hm * 0.35, "bootstrap SE " + se + " vs Hanley-McNeil " + hm);
  }

  @Test
  void quantileInterpolates() {
    double[] v = {1, 2, 3, 4, 5};
    assertEquals(1, StatisticSeparation.quantile(v, 0));
    assertEquals(3, StatisticSeparation.quantile(v, 0.5));
    assertEquals(4.5, StatisticSeparation.quantile(v, 0.875));
    assertEquals(5, StatisticSeparation.quantile(v, 1));
  }

  static double[] ones(int n) {
    double[] w = new double[n];
    Arrays.fill(w, 1);
    return w;
  }
}
