/**
 * The model runtime, for DJL and TorchScript models alike: a loaded {@link
 * org.convlens.model.Classifier} shared by the task threads of one JVM, each thread running it
 * through its own {@link org.convlens.model.InferenceSession}; {@link
 * org.convlens.model.ModelLoader} (loads and checks a model against its {@link
 * org.convlens.model.ModelDescription}, {@code model.json}), {@link
 * org.convlens.model.ModelCache} (one model per executor JVM, keyed by model id, path and
 * device), {@link org.convlens.model.ModelSpec} (what an executor needs to load it), {@link
 * org.convlens.model.EngineSetup} (the one place that sets the engine's {@code -D} properties),
 * the bundled {@link org.convlens.model.SmallCnn}, and helpers on a loaded model ({@link
 * org.convlens.model.LayerNames}, {@link org.convlens.model.ModelParameters}, {@link
 * org.convlens.model.ParameterRandomizer}, {@link org.convlens.model.Softmax}, {@link
 * org.convlens.model.TopK}). Layer: above util and config, the only ConvLens packages it may use;
 * it never uses data (data uses it, for the preprocessing a description declares), as {@code
 * LayersTest} checks.
 */
package org.convlens.model;
