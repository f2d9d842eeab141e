package org.convlens.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.djl.nn.Block;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model of an architecture known to {@link Architectures}, rebuilt as a DJL block and filled
 * with DJL parameters saved by {@code Model.save} ({@code <prefix>-NNNN.params}, NNNN = epoch).
 */
public final class DjlClassifier extends BlockClassifier {
  /** DJL's parameter-file name: {@code <prefix>-<epoch, 4+ digits>.params}. */
  static final Pattern PARAMS_NAME = Pattern.compile("(.+)-(\\d{4,})\\.params");

  DjlClassifier(
      Model model, ModelDescription description, Device device, Path artifact, Probe probe) {
    super(model, description, device, artifact, probe);
  }

  @Override
  PairList<String, Object> tapParams(String layer) {
    if (layer == null || !(block() instanceof LayerTaps)) {
      return null;
    }
    PairList<String, Object> p = new PairList<>();
    p.add(LayerTaps.TAP, layer);
    return p;
  }

  @Override
  boolean gradientForwardTraining() {
    return false;
  }

  @Override
  public String reluBackwardMissing() {
    return block() instanceof SmallCnn ? null
        : "model " + description().id() + " is not built of blocks ConvLens can run one at a time";
  }

  @Override
  NDList reluBackward(ParameterStore parameters, NDArray x, NDArray delta, NDArray gradLogits,
      String layer, ReluRule rule) {
    return ((SmallCnn) block()).reluBackward(parameters, x, delta, gradLogits, tapParams(layer), rule);
  }


  static void checkArtifactName(ModelDescription d, Path descriptionFile, Path artifact)
      throws ModelLoadException {
    Matcher m = PARAMS_NAME.matcher(artifact.getFileName().toString());
    if (!m.matches()) {
      throw new ModelLoadException("engine 'djl' needs an artifact named <prefix>-NNNN.params"
          + " (as Model.save writes it), but " + descriptionFile + " names '" + d.artifact()
          + "'");
    }
    if (Integer.parseInt(m.group(2)) != d.epoch()) {
      throw new ModelLoadException("artifact '" + d.artifact() + "' is epoch "
          + Integer.parseInt(m.group(2)) + " but 'epoch' in " + descriptionFile + " is "
          + d.epoch());
    }
  }

  /** {@code setBlock(Architectures.build(d))}, then {@code load(dir, prefix, {epoch})}. */
  static void loadWeights(Model model, ModelDescription d, Path artifact)
      throws ModelLoadException {
    Matcher m = PARAMS_NAME.matcher(artifact.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalStateException("unchecked artifact name " + artifact);
    }
    Block block = Architectures.build(d);
    model.setBlock(block);
    try {
      // DJL's loader silently skips a file without its magic and leaves the block empty.
      if (!hasDjlMagic(artifact)) {
        throw new ModelLoadException("cannot load weights from " + artifact
            + ": not a DJL parameter file (no 'DJL@' header)");
      }
      model.load(artifact.getParent(), m.group(1), Map.of("epoch", d.epoch()));
    } catch (IOException | MalformedModelException | RuntimeException e) {
      if (e instanceof ModelLoadException mle) {
        throw mle;
      }
      throw new ModelLoadException("cannot load weights from " + artifact + ": "
          + ModelLoader.message(e), e);
    }
    if (!block.isInitialized()) {
      throw new ModelLoadException("cannot load weights from " + artifact
          + ": some parameters of " + d.architecture() + " were not in the file");
    }
    // Gradients are only ever taken w.r.t. inputs: frozen weights keep backward from computing
    // (and concurrently accumulating) weight gradients.
    block.freezeParameters(true);
  }

  private static boolean hasDjlMagic(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
      byte[] magic = new byte[4];
      return in.read(magic) == 4 && "DJL@".equals(new String(magic, StandardCharsets.US_ASCII));
    }
  }
}
