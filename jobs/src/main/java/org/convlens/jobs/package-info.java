/**
 * The {@code convlens} command line (module jobs): {@link org.convlens.jobs.ConvLensCli} parses
 * the options shared by every command ({@link org.convlens.jobs.CommonOptions}), builds the
 * configuration and calls one thin job: {@link org.convlens.jobs.AnalyzeJob}, {@link
 * org.convlens.jobs.ModelVizJob}, {@link org.convlens.jobs.AuditJob}, {@link
 * org.convlens.jobs.ReportJob}, {@link org.convlens.jobs.DemoJob} (all four in order on {@code
 * sample-data/}) and {@link org.convlens.jobs.SampleJob}; commands from modules it does not depend
 * on (the benchmarks) come in through {@link org.convlens.jobs.CliExtension}. Layer: the top of
 * the application; it may use every package of the library and no library package may use it
 * ({@code LayersTest}, which lives in this module's tests).
 */
package org.convlens.jobs;
