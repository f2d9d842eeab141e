/**
 * The attribution methods, one class each behind {@link
 * org.convlens.attribution.AttributionMethod} (Captum's {@code attribute(inputs, target)} shape)
 * and registered by name in {@link org.convlens.attribution.Attributions}, the only list of them.
 * Each method class carries what the other stages derive from it: its title, map columns and their
 * kind, its own keys and settings record, its attention plane for the audit, its report overlay and
 * its run.json entries; a method whose column is a perturbation grid also implements {@link
 * org.convlens.attribution.PerturbationGridMethod}, the audit's and the report's only view of it.
 * The audit, the report and the jobs read all of this through the registry and never name a
 * method. {@link org.convlens.attribution.AttributionSettings} holds the shared keys and every
 * method's settings; {@link org.convlens.attribution.AttributionBatch} runs the one forward (and
 * backward, when a selected method needs gradients) that every method of a batch shares; {@link
 * org.convlens.attribution.MapEncoding} stores a map in a Parquet column and {@link
 * org.convlens.attribution.Maps} reduces maps. Layer: above model and data; it may use util,
 * config, model and data, and knows neither Spark jobs nor the stages that call it, so that a
 * method can be tested on a model alone.
 */
package org.convlens.attribution;
