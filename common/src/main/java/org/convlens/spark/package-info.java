/**
 * What every Spark stage does around its own work: the session ({@link
 * org.convlens.spark.Sessions}), outputs written beside their destination and swapped in whole
 * ({@link org.convlens.spark.StagedOutput}, {@link org.convlens.spark.OutputFiles}), one writer
 * per output folder ({@link org.convlens.spark.OutputLock}), the shared folder layout and run ids
 * ({@link org.convlens.spark.OutputLayout}), the console progress line ({@link
 * org.convlens.spark.ProgressReporter}) and a real local standalone cluster for the cluster tests
 * and the soak benchmark ({@link org.convlens.spark.StandaloneCluster}). Layer: on the level of
 * model and data, above data; it may use util, config and data only, so that any stage can use
 * it.
 */
package org.convlens.spark;
