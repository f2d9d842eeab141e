/**
 * The audit stage: {@link org.convlens.audit.AuditRun} reads an analysis and writes the Parquet
 * tables of {@link org.convlens.audit.AuditSchema} and the bounded summary {@code audit.json}
 * under {@code <out>/audit/}. Where each class looks: {@link org.convlens.audit.AttentionMaps}
 * and {@link org.convlens.audit.ClassAttention}. Shortcuts: each detector is one class behind
 * {@link org.convlens.audit.ShortcutDetector}, listed once in {@link
 * org.convlens.audit.ShortcutDetectors} (region, counterfactual, statistics, strategies, slices,
 * patch), reads what it needs through {@link org.convlens.audit.DetectorContext} and reports
 * {@link org.convlens.audit.Finding}s naming a {@link org.convlens.audit.Cue}; {@link
 * org.convlens.audit.Verdicts} turns them into one finding per class. Besides: {@link
 * org.convlens.audit.Mistakes} (confusion, confident mistakes, label issues after Northcutt et
 * al., 2021), {@link org.convlens.audit.ExplanationQuality} (the sanity checks of Adebayo et al.,
 * 2018, and deletion/insertion after Petsiuk et al., 2018) and {@link
 * org.convlens.audit.AuditDiff} ({@code audit diff}). Layer: beside modelviz and embedding, which
 * it never uses; it may use util, config, model, data, spark, attribution and analyze (the
 * counterfactual detector re-reads images as {@link org.convlens.analyze.Analyzer} decodes them).
 */
package org.convlens.audit;
