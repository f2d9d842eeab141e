package org.convlens.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.convlens.embedding.Neighbours;
import org.convlens.embedding.Pca;
import org.convlens.embedding.Trustworthiness;
import org.convlens.embedding.Tsne;

/**
 * t-SNE figures side by side on the same data: ConvLens's Barnes-Hut t-SNE (PCA to 50, exact
 * kNN, 1,000 iterations, perplexity 30) at each size, scikit-learn's Barnes-Hut t-SNE on the same
 * PCA-50 input (scikit-learn through tools/tsne_sklearn.py, run by {@code --python}; skipped
 * without it), and Smile's exact t-SNE on the quality subset. Quality = trustworthiness (k = 10), computed by the
 * same Java code for every embedding (exact up to 5,000 points, else over 2,000 seeded queries).
 *
 * <p>Data: a seeded mixture of 10 Gaussian clusters in 128 dimensions with three noise levels
 * (standard deviation 1, 2 and 3 around centres drawn with standard deviation 4), standing in
 * for penultimate-layer embeddings of 10 classes.
 */
public final class TsneBenchmark {
  private static final long SEED = 20240611L;
  private static final int TW_K = 10;
  private static final int TW_QUERIES = 2000;

  private final PrintStream out;
  private final int threads;
  private final Path scratch;
  private final String python;

  /**
   * @param python the Python command (a path, or a name looked up on PATH) that runs
   *     tools/tsne_sklearn.py; it needs scikit-learn, else the scikit-learn row is skipped
   */
  public TsneBenchmark(PrintStream out, int threads, Path scratch, String python) {
    this.out = out;
    this.threads = threads;
    this.scratch = scratch;
    this.python = python;
  }

  public void run(List<Integer> sizes, int smilePoints) throws Exception {
    out.println();
    out.printf(Locale.ROOT, "== t-SNE (perplexity 30, 1000 iterations, %d threads), 10-cluster mixture in 128-d ==%n", threads);
    Files.createDirectories(scratch);
    if (smilePoints > 0) {
      double[][] x = pca50(mixture(smilePoints));
      long s0 = System.nanoTime();
      smile.manifold.TSNE exact = new smile.manifold.TSNE(x, 2, 30, 200, 1000);
      double smileSeconds = (System.nanoTime() - s0) / 1e9;
      double smileTw = Trustworthiness.of(x, exact.coordinates, TW_K, threads);
      row(smilePoints, "Smile exact t-SNE (reference)", smileSeconds, smileTw, "");
      Result ours = ours(x);
      row(smilePoints, "ConvLens Barnes-Hut t-SNE", ours.seconds, ours.tw,
          String.format(Locale.ROOT, "%s; trustworthiness %+.4f", Speedup.words("ConvLens", smileSeconds / ours.seconds,
              "Smile"), ours.tw - smileTw));
    }
    for (int n : sizes) {
      double[][] x = pca50(mixture(n));
      Result ours = ours(x);
      row(n, "ConvLens Barnes-Hut t-SNE", ours.seconds, ours.tw,
          String.format(Locale.ROOT, "kNN %.1f s, optimisation %.1f s, KL %.3f", ours.knnSeconds, ours.seconds - ours.knnSeconds, ours.kl));
      Result sk = sklearn(x, ours.tw);
      if (sk != null) {
        row(n, "scikit-learn Barnes-Hut t-SNE (same PCA-50 input)", sk.seconds, sk.tw,
            String.format(Locale.ROOT, "%s; trustworthiness %+.4f vs scikit-learn",
                Speedup.words("ConvLens", sk.seconds / ours.seconds, "scikit-learn"), ours.tw - sk.tw));
      }
    }
  }

  private record Result(double seconds, double knnSeconds, double tw, double kl) {}

  private Result ours(double[][] x) {
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Neighbours knn;
    try {
      knn = Neighbours.of(x, Tsne.neighboursFor(30, x.length), pool);
    } finally {
      pool.shutdownNow();
    }
    double knnSeconds = (System.nanoTime() - start) / 1e9;
    double[][] init = Tsne.scaledInit(x);
    Tsne.Result r = Tsne.fit(knn, init, Tsne.Options.defaults(30, threads), null);
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(seconds, knnSeconds, tw(x, r.coordinates()), r.klDivergence());
  }

  private Result sklearn(double[][] x, double oursTw) throws IOException, InterruptedException {
    Path script = Path.of("tools/tsne_sklearn.py");
    if (!Files.isRegularFile(script)) {
      out.println("  (scikit-learn row skipped: needs tools/tsne_sklearn.py; run from the checkout)");
      return null;
    }
    int n = x.length;
    int d = x[0].length;
    Path in = scratch.resolve("tsne-in.bin");
    Path result = scratch.resolve("tsne-sklearn.bin");
    ByteBuffer buf = ByteBuffer.allocate(8 + 8 * n * d).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(n).putInt(d);
    for (double[] row : x) {
      for (double v : row) {
        buf.putDouble(v);
      }
    }
    Files.write(in, buf.array());
    Process p;
    try {
      p = new ProcessBuilder(List.of(python, script.toString(), in.toString(), result.toString(),
          "30", String.valueOf(threads), String.valueOf(SEED))).redirectErrorStream(true).start();
    } catch (IOException e) {
      // The command is not there: say which, and how to name another.
      out.println("  (scikit-learn row skipped: cannot run '" + python + "': set --python or CONVLENS_PYTHON)");
      return null;
    }
    String text = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0 || !text.contains("seconds=")) {
      out.println("  (scikit-learn row skipped: " + text.strip().replaceAll("\\s+", " ") + ")");
      return null;
    }
    double seconds = Double.parseDouble(text.substring(text.lastIndexOf("seconds=") + 8).strip());
    ByteBuffer y = ByteBuffer.wrap(Files.readAllBytes(result)).order(ByteOrder.LITTLE_ENDIAN);
    double[][] coords = new double[n][2];
    for (int i = 0; i < n; i++) {
      coords[i][0] = y.getDouble();
      coords[i][1] = y.getDouble();
    }
    return new Result(seconds, 0, tw(x, coords), Double.NaN);
  }

  private double tw(double[][] x, double[][] y) {
    return x.length <= 5000 ? Trustworthiness.of(x, y, TW_K, threads)
        : Trustworthiness.estimate(x, y, TW_K, TW_QUERIES, SEED, threads);
  }

  private void row(int n, String what, double seconds, double tw, String note) {
    out.printf(Locale.ROOT, "  %6d points  %-52s %8.1f s  trustworthiness %.4f  %s%n", n, what, seconds, tw, note);
  }

  private static double[][] pca50(double[][] x) {
    return Pca.of(x, 50).scores();
  }

  /** The seeded benchmark data (see the class comment). */
  static double[][] mixture(int n) {
    Random r = new Random(SEED);
    int d = 128;
    double[][] centres = new double[10][d];
    for (double[] c : centres) {
      for (int j = 0; j < d; j++) {
        c[j] = 4 * r.nextGaussian();
      }
    }
    double[][] x = new double[n][d];
    for (int i = 0; i < n; i++) {
      double spread = 1 + (i % 3);
      for (int j = 0; j < d; j++) {
        x[i][j] = centres[i % 10][j] + spread * r.nextGaussian();
      }
    }
    return x;
  }
}
