package org.convlens.embedding;

/**
 * Principal components with Smile ({@code smile.feature.extraction.PCA}, covariance eigen
 * decomposition): the scores of each row on the first components and the share of variance each
 * explains. Used to reduce embeddings to 50 dimensions before t-SNE (as van der Maaten
 * recommends), for t-SNE's initialisation, and for the 2-D PCA views of the report.
 *
 * @param scores n × components, centred
 * @param explained the fraction of total variance per component, largest first
 */
public record Pca(double[][] scores, double[] explained) {
  /** The first {@code components} principal components of {@code x} (n × d); at most d. */
  public static Pca of(double[][] x, int components) {
    int d = x[0].length;
    int k = Math.min(components, d);
    smile.feature.extraction.PCA pca = smile.feature.extraction.PCA.fit(x);
    double[] share = pca.varianceProportion();
    double[] explained = java.util.Arrays.copyOf(share, k);
    double[][] scores = pca.getProjection(k).apply(x);
    return new Pca(scores, explained);
  }
}
