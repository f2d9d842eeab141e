/**
 * The model-viz stage, about the model rather than the images: {@link
 * org.convlens.modelviz.ModelVizRun} writes {@code <out>/model/} with the layer table ({@link
 * org.convlens.modelviz.ModelSummary}, drawn by {@link org.convlens.modelviz.ArchitectureSvg}),
 * the first and second convolutions' filters ({@link org.convlens.modelviz.FilterGrid}), the
 * class vectors beside the mean embeddings of an analysis ({@link
 * org.convlens.modelviz.ClassVectors}, {@link org.convlens.modelviz.ClassVectorsSchema}) and
 * input maximisation per class or channel ({@link org.convlens.modelviz.InputMaximizer}, with the
 * total-variation prior of Mahendran and Vedaldi, 2015, {@link
 * org.convlens.modelviz.TotalVariation}; output {@link org.convlens.modelviz.MaximizationSchema}).
 * Layer: beside audit and embedding, which it never uses; it may use util, config, model, data,
 * spark, attribution and analyze.
 */
package org.convlens.modelviz;
