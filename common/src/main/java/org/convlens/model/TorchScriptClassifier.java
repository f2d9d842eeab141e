package org.convlens.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.IOException;
import java.nio.file.Files;
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
  /** {@code model.pt} → {@code model.relu-backward.pt}, as tools/export_model.py names it. */
  static final String RELU_BACKWARD_SUFFIX = ".relu-backward.pt";

  /** The relu-backward sibling, loaded on first use; null until then or when there is none. */
  private Model reluBackward;
  /** Why there is no usable sibling (null while not yet looked for, "" when loaded). */
  private String reluBackwardMissing;

  TorchScriptClassifier(
      Model model, ModelDescription description, Device device, Path artifact, Probe probe) {
    super(model, description, device, artifact, probe);
  }

  /** The sibling file of the modified ReLU backward (tools/relu_backward.py) for {@code artifact}. */
  static Path reluBackwardFile(Path artifact) {
    String name = artifact.getFileName().toString();
    String stem = name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name;
    return artifact.resolveSibling(stem + RELU_BACKWARD_SUFFIX);
  }

  /**
   * Null when the model's relu-backward sibling loads; else why not. The sibling is a scripted
   * module, {@code forward(x, delta, grad_logits, rule) -> (logits, dx, d delta, feature_map)},
   * that tools/export_model.py writes beside the model when torch.fx can trace it.
   */
  @Override
  public synchronized String reluBackwardMissing() {
    if (reluBackwardMissing == null) {
      Path file = artifact().getFileName() == null ? null : reluBackwardFile(artifact());
      if (file == null || !Files.isRegularFile(file)) {
        reluBackwardMissing = "model " + description().id() + " has no relu-backward module "
            + (file == null ? "" : file.getFileName() + " ")
            + "beside its weights (re-export it with tools/export_model.py, which writes one when"
            + " torch.fx can trace the model)";
      } else {
        Model sibling = Model.newInstance(description().id() + "-relu-backward", djlDevice(),
            EngineSetup.ENGINE);
        try {
          loadModule(sibling, file);
          reluBackward = sibling;
          reluBackwardMissing = "";
        } catch (ModelLoadException e) {
          sibling.close();
          reluBackwardMissing = e.getMessage();
        }
      }
    }
    return reluBackwardMissing.isEmpty() ? null : reluBackwardMissing;
  }

  @Override
  NDList reluBackward(ParameterStore parameters, NDArray x, NDArray delta, NDArray gradLogits,
      String layer, ReluRule rule) {
    String missing = reluBackwardMissing();
    if (missing != null) {
      throw new IllegalStateException(missing);
    }
    NDArray d = delta != null ? delta : x.getManager().zeros(new Shape(1, 1, 1, 1));
    NDArray code = x.getManager().create((long) rule.code());
    // training=true: DJL would run a training=false forward in inference mode, where the
    // module's own torch.autograd.grad calls cannot record.
    NDList out = reluBackward.getBlock().forward(parameters, new NDList(x, d, gradLogits, code), true);
    return new NDList(out.get(0), out.get(1), delta == null ? null : out.get(2), out.get(3));
  }

  @Override
  void closeNow() {
    super.closeNow();
    synchronized (this) {
      if (reluBackward != null) {
        reluBackward.close();
        reluBackward = null;
      }
      reluBackwardMissing = "model " + description().id() + " is closed";
    }
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
