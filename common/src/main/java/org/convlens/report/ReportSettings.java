package org.convlens.report;

import java.io.Serializable;
import java.util.List;
import com.typesafe.config.Config;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

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
  public static final Key<String> ANALYSIS = Key.string(P + "analysis", "",
      "the analyze output; empty = <output.dir>/analysis").normalised(String::strip).unrecorded();
  public static final Key<String> MODEL = Key.string(P + "model", "",
      "the model-viz output; empty = <output.dir>/model when it exists").normalised(String::strip).unrecorded();
  public static final Key<String> FILE = Key.string(P + "file", "",
      "the HTML file; empty = <output.dir>/report/index.html").normalised(String::strip).unrecorded();
  public static final Key<String> TITLE = Key.string(P + "title", "",
      "title; empty = \"ConvLens report: <model id>\"").normalised(String::strip).unrecorded();
  public static final Key<Long> SEED = Key.longInteger(P + "seed", 20240611, "seed of the scatter and gallery samples");
  public static final Key<Integer> MAX_POINTS = Key.integer(P + "scatter.max-points", 50_000,
      "most images in the PCA and t-SNE views; more usable rows are sampled").within(0, 1_000_000);
  public static final Key<Integer> THUMBNAIL_SIDE = Key.integer(P + "scatter.thumbnail-side", 32,
      "side of each hover thumbnail (0 = none)").allow(t -> t == 0 || (t >= 8 && t <= 64), "integers from 8 to 64");
  public static final Key<List<Integer>> PERPLEXITIES = Key.ints(P + "tsne.perplexities", List.of(5, 30, 50),
      "one t-SNE view per perplexity").eachWithin(2, 200);
  public static final Key<Integer> ITERATIONS = Key.integer(P + "tsne.iterations", 1000,
      "t-SNE iterations; early exaggeration for the first 250").within(250, 100_000);
  public static final Key<Integer> PCA_DIMS = Key.integer(P + "tsne.pca-dims", 50,
      "PCA dimensions before the neighbour search").within(2, 1024);
  public static final Key<Double> THETA = Key.number(P + "tsne.theta", 0.5,
      "Barnes-Hut accuracy; 0.5 as scikit-learn").allow(t -> t >= 0 && t <= 1, "numbers from 0 to 1");
  public static final Key<Integer> THREADS = Key.integer(P + "tsne.threads", 0,
      "driver threads for the neighbour search, t-SNE and trustworthiness (0 = all cores)").within(0, 256)
      .unrecorded();
  public static final Key<Integer> TRUST_K = Key.integer(P + "trustworthiness.k", 10,
      "neighbourhood size k of trustworthiness").within(1, 100);
  public static final Key<Integer> TRUST_QUERIES = Key.integer(P + "trustworthiness.queries", 2000,
      "query points of the trustworthiness estimate").within(10, 1_000_000);
  public static final Key<Integer> PER_CLASS = Key.integer(P + "gallery.per-class", 6,
      "images per true class in the gallery, perturbation-grid and overlay sections").within(0, 100);
  public static final Key<Integer> MAX_CLASSES = Key.integer(P + "gallery.max-classes", 100,
      "most classes in those sections, the most frequent first").within(1, 10_000);
  public static final Key<Integer> MAX_TARGETS = Key.integer(P + "maximization.max-targets", 100,
      "most input-maximisation targets shown").within(0, 10_000);
  public static final SettingsSpec<ReportSettings> SPEC = SettingsSpec.of(ReportSettings.class, ANALYSIS, MODEL,
      FILE, TITLE, SEED, MAX_POINTS, THUMBNAIL_SIDE, PERPLEXITIES, ITERATIONS, PCA_DIMS, THETA, THREADS, TRUST_K,
      TRUST_QUERIES, PER_CLASS, MAX_CLASSES, MAX_TARGETS);

  public ReportSettings {
    analysis = ANALYSIS.check(analysis);
    model = MODEL.check(model);
    file = FILE.check(file);
    title = TITLE.check(title);
    MAX_POINTS.check(maxPoints);
    THUMBNAIL_SIDE.check(thumbnailSide);
    perplexities = List.copyOf(perplexities);
    if (perplexities.isEmpty()) {
      throw new InvalidConfigException(PERPLEXITIES.path(),
          "report.tsne.perplexities must list at least one perplexity, e.g. [5, 30, 50]");
    }
    if (perplexities.stream().distinct().count() != perplexities.size()) {
      throw new InvalidConfigException(PERPLEXITIES.path(),
          "report.tsne.perplexities lists a perplexity twice: " + perplexities);
    }
    PERPLEXITIES.check(perplexities);
    ITERATIONS.check(iterations);
    PCA_DIMS.check(pcaDims);
    THETA.check(theta);
    THREADS.check(threads);
    TRUST_K.check(trustK);
    TRUST_QUERIES.check(trustQueries);
    PER_CLASS.check(perClass);
    MAX_CLASSES.check(maxClasses);
    MAX_TARGETS.check(maxTargets);
  }

  /** Reads and validates {@code report.*}. */
  public static ReportSettings from(Config c) {
    return SPEC.from(c);
  }

  /** Every key at its default (those of conf/convlens.conf). */
  public static ReportSettings defaults() {
    return SPEC.defaults();
  }

  /** These settings with {@code key} set to {@code value} (checked like a configured value). */
  public <T> ReportSettings with(Key<T> key, T value) {
    return SPEC.with(this, key, value);
  }

  /** The settings table of the report: every recorded key by its path. */
  public java.util.Map<String, Object> toMap() {
    return SPEC.toMap(this);
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
