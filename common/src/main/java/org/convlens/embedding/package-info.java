/**
 * Low-dimensional views of embeddings, on the driver and seeded: {@link
 * org.convlens.embedding.Pca} (Smile), Barnes-Hut {@link org.convlens.embedding.Tsne} (van der
 * Maaten, 2014; multithreaded and deterministic), exact nearest neighbours ({@link
 * org.convlens.embedding.Neighbours}) and the {@link org.convlens.embedding.Trustworthiness} of a
 * view (Venna and Kaski, 2001, as scikit-learn defines it). Layer: beside modelviz and audit,
 * which it never uses; it may use util, config, model, data, spark, attribution and analyze (today
 * it needs util only), so the report and the benchmarks can run it on any array.
 */
package org.convlens.embedding;
