/**
 * The attribution methods, one class each behind {@link
 * org.convlens.attribution.AttributionMethod} (Captum's {@code attribute(inputs, target)} shape)
 * and registered by name in {@link org.convlens.attribution.Attributions}, the only list of them:
 * {@link org.convlens.attribution.Saliency} (Simonyan et al., 2014), {@link
 * org.convlens.attribution.SmoothGrad} (Smilkov et al., 2017), {@link
 * org.convlens.attribution.GradCam} (Selvaraju et al., 2017), {@link
 * org.convlens.attribution.Cam} (Zhou et al., 2016), {@link
 * org.convlens.attribution.Occlusion} (Zeiler and Fergus, 2014) and {@link
 * org.convlens.attribution.GradientXInput} (Shrikumar et al., 2016). Each method class carries what
 * the other stages derive from it: its keys, title, map columns and their kind, its attention
 * plane for the audit, its report overlay and its run.json entries; the audit, the report and the
 * jobs read them through the registry and never name a method. {@link
 * org.convlens.attribution.AttributionBatch} runs the one forward (and backward, when a selected
 * method needs gradients) that every method of a batch shares; {@link
 * org.convlens.attribution.MapEncoding} stores a map in a Parquet column and {@link
 * org.convlens.attribution.Maps} reduces maps. Layer: above model and data; it may use util,
 * config, model and data, and knows neither Spark jobs nor the stages that call it, so that a
 * method can be tested on a model alone.
 */
package org.convlens.attribution;
