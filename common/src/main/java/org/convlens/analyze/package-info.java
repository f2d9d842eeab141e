/**
 * The analyze stage: {@link org.convlens.analyze.AnalyzeRun} lists every input, classifies and
 * attributes it on the executors and writes {@code <out>/analysis/} (Parquet, one row per input,
 * errors included; columns owned by {@link org.convlens.analyze.AnalysisSchema}), {@code
 * run.json} and {@code effective.conf}. {@link org.convlens.analyze.Analyzer} is the operator
 * inside {@code mapPartitions}: model from the per-JVM {@link org.convlens.model.ModelCache}, one
 * {@link org.convlens.model.InferenceSession} per task, batches through the attribution methods;
 * {@link org.convlens.analyze.ImageStatistics} are the cheap per-image statistics the audit reads.
 * Layer: above attribution; it may use util, config, model, data, spark and attribution, and the
 * stages above it (modelviz, audit, report) read its output through {@code AnalysisSchema}.
 */
package org.convlens.analyze;
