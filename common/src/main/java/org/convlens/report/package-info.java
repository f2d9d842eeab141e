/**
 * The report stage: {@link org.convlens.report.ReportRun} reads the analysis (and the model-viz
 * output and {@code audit.json} when present), keeps the bounded, seeded samples {@link
 * org.convlens.report.AnalysisSample} draws with Spark, computes the 2-D views ({@link
 * org.convlens.report.Projections}), packs scatter thumbnails into sprite sheets ({@link
 * org.convlens.report.SpriteAtlas}), reads the model sections ({@link
 * org.convlens.report.ModelSection}) and writes one self-contained HTML file through {@link
 * org.convlens.report.HtmlReport} (one autoescaping Pebble template, the data serialised once as
 * JSON, assets inlined from the classpath, a Content-Security-Policy). Layer: above modelviz,
 * audit and embedding; it may use every common package below it except sampledata, and only
 * pipeline and jobs use it.
 */
package org.convlens.report;
