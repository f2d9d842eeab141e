package org.convlens.embedding;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Exact k nearest neighbours by squared Euclidean distance, brute force over blocks of query
 * rows and spread over threads. Exact and deterministic (ties go to the lower index); for the
 * ≤ 50 PCA dimensions t-SNE works on this beats a vantage-point tree, whose pruning fails in
 * that many dimensions. Cost n²·d multiply-adds: 50k points × 50 dims ≈ 1.25·10¹¹.
 *
 * @param index row i: the k neighbours of point i, nearest first (never i itself)
 * @param distance row i: their squared distances
 */
public record Neighbours(int[][] index, double[][] distance) {
  private static final int BLOCK = 64;

  public int k() {
    return index.length == 0 ? 0 : index[0].length;
  }

  /** The k nearest neighbours of every row of {@code x} (n × d), on {@code pool}. */
  public static Neighbours of(double[][] x, int k, ExecutorService pool) {
    int n = x.length;
    if (k < 1 || k >= n) {
      throw new IllegalArgumentException("k must be in 1.." + (n - 1) + ", got " + k);
    }
    double[] norms = new double[n];
    for (int i = 0; i < n; i++) {
      norms[i] = dot(x[i], x[i]);
    }
    int[][] index = new int[n][];
    double[][] distance = new double[n][];
    List<Future<?>> work = new ArrayList<>();
    for (int start = 0; start < n; start += BLOCK) {
      int from = start;
      int to = Math.min(n, start + BLOCK);
      work.add(pool.submit(() -> block(x, norms, from, to, k, index, distance)));
    }
    Parallel.await(work);
    return new Neighbours(index, distance);
  }

  private static void block(double[][] x, double[] norms, int from, int to, int k, int[][] index,
      double[][] distance) {
    int n = x.length;
    int rows = to - from;
    // A bounded max-heap per query row: the k best so far, worst on top.
    double[][] heapD = new double[rows][k];
    int[][] heapI = new int[rows][k];
    int[] size = new int[rows];
    for (int j = 0; j < n; j++) {
      double[] xj = x[j];
      for (int r = 0; r < rows; r++) {
        int i = from + r;
        if (i == j) {
          continue;
        }
        double d = norms[i] + norms[j] - 2 * dot(x[i], xj);
        if (d < 0) {
          d = 0; // rounding
        }
        if (size[r] < k) {
          push(heapD[r], heapI[r], size[r]++, d, j);
        } else if (d < heapD[r][0]) { // equal distance: the earlier (lower) index stays
          replaceTop(heapD[r], heapI[r], k, d, j);
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      // Pop into ascending order; among equal distances the lower index first.
      double[] d = heapD[r];
      int[] id = heapI[r];
      Integer[] order = new Integer[k];
      for (int t = 0; t < k; t++) {
        order[t] = t;
      }
      java.util.Arrays.sort(order, (a, b) -> d[a] != d[b] ? Double.compare(d[a], d[b]) : Integer.compare(id[a], id[b]));
      index[from + r] = new int[k];
      distance[from + r] = new double[k];
      for (int t = 0; t < k; t++) {
        index[from + r][t] = id[order[t]];
        distance[from + r][t] = d[order[t]];
      }
    }
  }

  /** x·y with four accumulators (the JIT does not vectorise a single floating-point sum). */
  static double dot(double[] a, double[] b) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    int end = a.length - 3;
    for (; i < end; i += 4) {
      s0 += a[i] * b[i];
      s1 += a[i + 1] * b[i + 1];
      s2 += a[i + 2] * b[i + 2];
      s3 += a[i + 3] * b[i + 3];
    }
    for (; i < a.length; i++) {
      s0 += a[i] * b[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  private static void push(double[] d, int[] id, int size, double v, int j) {
    int c = size;
    d[c] = v;
    id[c] = j;
    while (c > 0) {
      int p = (c - 1) / 2;
      if (greater(d, id, c, p)) {
        swap(d, id, c, p);
        c = p;
      } else {
        break;
      }
    }
  }

  private static void replaceTop(double[] d, int[] id, int size, double v, int j) {
    d[0] = v;
    id[0] = j;
    int c = 0;
    while (true) {
      int l = 2 * c + 1;
      int r = l + 1;
      int top = c;
      if (l < size && greater(d, id, l, top)) {
        top = l;
      }
      if (r < size && greater(d, id, r, top)) {
        top = r;
      }
      if (top == c) {
        return;
      }
      swap(d, id, c, top);
      c = top;
    }
  }

  /** Heap order: larger distance first; for equal distances the larger index is "worse". */
  private static boolean greater(double[] d, int[] id, int a, int b) {
    return d[a] > d[b] || (d[a] == d[b] && id[a] > id[b]);
  }

  private static void swap(double[] d, int[] id, int a, int b) {
    double t = d[a];
    d[a] = d[b];
    d[b] = t;
    int u = id[a];
    id[a] = id[b];
    id[b] = u;
  }

  /** Waits for every task; rethrows the first failure unchecked. */
  static final class Parallel {
    private Parallel() {}

    static void await(List<Future<?>> work) {
      try {
        for (Future<?> f : work) {
          f.get();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        throw c instanceof RuntimeException r ? r : new IllegalStateException(c);
      }
    }
  }
}
