/**
 * The seeded sample dataset and its planted shortcuts: {@link
 * org.convlens.sampledata.SampleData} rebuilds {@code sample-data/} (generate, train the bundled
 * model, measure each shortcut), {@link org.convlens.sampledata.SampleGenerator} writes the
 * CIFAR-format batches and the ImageNet-style folders from a {@link
 * org.convlens.sampledata.SampleSpec}, {@link org.convlens.sampledata.SceneRenderer} draws one
 * image of a {@link org.convlens.sampledata.SampleClass}, and a {@link
 * org.convlens.sampledata.ShortcutPlan} ties each {@link org.convlens.sampledata.ShortcutCue}
 * kind (registered by name in {@link org.convlens.sampledata.CueKinds}) to a class and rates;
 * {@link org.convlens.sampledata.ShortcutEffect} measures how far the trained model follows each
 * one. Layer: beside attribution, above model and data; it and its sub-package {@code train} may
 * use util, config, model and data, and no stage uses them: only the {@code sample} command and
 * the benchmarks do.
 */
package org.convlens.sampledata;
