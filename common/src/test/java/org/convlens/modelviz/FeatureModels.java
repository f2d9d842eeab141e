package org.convlens.modelviz;

import java.nio.file.Path;
import org.convlens.config.ConvLensHome;
import org.convlens.model.Classifier;
import org.convlens.model.ModelCache;
import org.convlens.model.ModelLoadException;
import org.convlens.model.ModelSpec;

/**
 * The two committed models these tests look at, from the per-JVM {@link ModelCache} (loaded once,
 * closed at JVM exit): the bundled DJL model and the TorchScript fixture.
 */
final class FeatureModels {
  private FeatureModels() {}

  static Classifier bundled() throws ModelLoadException {
    return ModelCache.get(new ModelSpec(ConvLensHome.bundledModel().toString(), "cpu", 1, 1));
  }

  static Classifier tiny() throws ModelLoadException {
    return ModelCache.get(new ModelSpec(tinyPt().toString(), "cpu", 1, 1));
  }

  static Path tinyPt() {
    return ConvLensHome.sampleData().resolve("torchscript/tiny_cnn.pt");
  }
}
