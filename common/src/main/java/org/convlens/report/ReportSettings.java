package org.convlens.report;

import java.io.Serializable;
import java.util.List;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Settings;

/**
 * {@code report.*}: what the report job reads, how much of it reaches the driver and how the
 * projections are computed. Everything the driver collects is bounded by these caps (see {@code
 * docs/report.md} for the sizes they imply); every sample is seeded with {@code seed}.
 *
 * @param analysis the analyze output; empty = {@code <output.dir>/analysis}
 * @param model the model-viz output; empty = {@code <output.dir>/model} when it exists
 * @param file the HTML file to write; empty = {@code <output.dir>/report/index.html}
 * @param title the report's title; empty = "ConvLens report: &lt;model id&gt;"
 * @param seed seed of the scatter and gallery samples
 * @param maxPoints most images in the PCA / t-SNE views; more usable rows are sampled
 * @param thumbnailSide side of each hover thumbnail in the sprite atlas (0 = none)
 * @param perplexities t-SNE perplexities, each one view (van der Maaten recommends 5 to 50)
 * @param iterations t-SNE iterations (scikit-learn's default 1,000)
 * @param pcaDims PCA dimensions before the neighbour search and t-SNE
 * @param theta Barnes-Hut accuracy (0.5 as scikit-learn; 0 would be exact and O(n²))
 * @param threads driver threads for the neighbour search, t-SNE and trustworthiness (0 = all)
 * @param trustK neighbourhood size of trustworthiness (k = 10)
 * @param trustQueries query points of the trustworthiness estimate (exact when n ≤ this)
 * @param perClass gallery images per class
 * @param maxClasses most classes in the galleries (the most frequent first)
 * @param maxTargets most input-maximisation targets shown (in the model-viz order)
 */
public record ReportSettings(
    String analysis,
    String model,
    String file,
    String title,
    long seed,
    int maxPoints,
    int thumbnailSide,
    List<Integer> perplexities,
    int iterations,
    int pcaDims,
    double theta,
    int threads,
    int trustK,
    int trustQueries,
    int perClass,
    int maxClasses,
    int maxTargets)
    implements Serializable {

  private static final String P = "report.";

  public ReportSettings {
    analysis = analysis.strip();
    model = model.strip();
    file = file.strip();
    title = title.strip();
    Settings.between(P + "scatter.max-points", maxPoints, 0, 1_000_000);
    if (thumbnailSide != 0) {
      Settings.between(P + "scatter.thumbnail-side", thumbnailSide, 8, 64);
    }
    perplexities = List.copyOf(perplexities);
    if (perplexities.isEmpty()) {
      throw new InvalidConfigException(P + "tsne.perplexities",
          "report.tsne.perplexities must list at least one perplexity, e.g. [5, 30, 50]");
    }
    if (perplexities.stream().distinct().count() != perplexities.size()) {
      throw new InvalidConfigException(P + "tsne.perplexities",
          "report.tsne.perplexities lists a perplexity twice: " + perplexities);
    }
    for (int p : perplexities) {
      Settings.between(P + "tsne.perplexities", p, 2, 200);
    }
    Settings.between(P + "tsne.iterations", iterations, 250, 100_000);
    Settings.between(P + "tsne.pca-dims", pcaDims, 2, 1024);
    if (!(theta >= 0 && theta <= 1)) {
      throw InvalidConfigException.range(P + "tsne.theta", theta, "numbers from 0 to 1");
    }
    Settings.between(P + "tsne.threads", threads, 0, 256);
    Settings.between(P + "trustworthiness.k", trustK, 1, 100);
    Settings.between(P + "trustworthiness.queries", trustQueries, 10, 1_000_000);
    Settings.between(P + "gallery.per-class", perClass, 0, 100);
    Settings.between(P + "gallery.max-classes", maxClasses, 1, 10_000);
    Settings.between(P + "maximization.max-targets", maxTargets, 0, 10_000);
  }

  /** The largest perplexity: its neighbour search serves the smaller ones. */
  public int maxPerplexity() {
    return perplexities.stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  /** Driver threads to use. */
  public int effectiveThreads() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }
}
