package org.convlens.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.util.PairList;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A traced or scripted PyTorch module ({@code .pt}) whose {@code forward(x)} returns a tuple;
 * {@link ModelDescription#outputs()} says which element is which. Tuple outputs come back from
 * DJL as an {@code NDList} in tuple order.
 *
 * <p>Loaded with {@code trainParam=true} and then {@code freezeParameters(true)}: the default
 * load runs the module in inference mode, whose tensors cannot be saved for backward, which
 * would rule out input gradients (gradient and layer-attribution methods) on the same loaded model later. Loading
 * this way changes nothing for inference, which still runs with grad mode off (see {@link
 * BlockSession}); parameters stay frozen so gradients are only ever taken w.r.t. inputs.
 * {@code mapLocation=true} puts the weights on the requested device whatever device the module
 * was saved from.
 */
public final class TorchScriptClassifier extends BlockClassifier {
  TorchScriptClassifier(
      Model model, ModelDescription description, Device device, Path artifact, Probe probe) {
    super(model, description, device, artifact, probe);
  }

  /** A traced module has one tap, its feature-map output; nothing to select. */
  @Override
  PairList<String, Object> tapParams(String layer) {
    return null;
  }

  @Override
  boolean gradientForwardTraining() {
    return true;
  }


  static void loadModule(Model model, Path artifact) throws ModelLoadException {
    try {
      // The file itself, not (folder, name): PtModel would also accept a file named without .pt.
      model.load(artifact, null, Map.of("trainParam", "true", "mapLocation", "true"));
      model.getBlock().freezeParameters(true);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      throw new ModelLoadException("cannot load weights from " + artifact + ": "
          + ModelLoader.message(e), e);
    }
  }
}
