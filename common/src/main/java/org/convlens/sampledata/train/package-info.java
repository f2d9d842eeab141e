/**
 * Training of the bundled {@link org.convlens.model.SmallCnn} on the sample data's CIFAR-format
 * batches: {@link org.convlens.sampledata.train.SmallCnnTrainer} (Adam with cosine decay,
 * seeded, one intra-op thread, so the saved weights are byte-identical from run to run), its
 * {@link org.convlens.sampledata.train.TrainingOptions} and the in-memory records it trains on
 * ({@link org.convlens.sampledata.train.CifarImages}). Part of the sampledata layer: it may use
 * util, config, model, data and its parent package, so training stays out of the model runtime
 * that every stage loads.
 */
package org.convlens.sampledata.train;
