package org.convlens.config;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the ConvLens checkout (conf/, sample-data/) is: {@code -Dconvlens.home} (set by the
 * launcher), else {@code $CONVLENS_HOME}, else the nearest folder at or above the working
 * directory that holds {@code conf/convlens.conf}. Driver-side only.
 */
public final class ConvLensHome {
  private ConvLensHome() {}

  public static Path find() {
    String prop = System.getProperty("convlens.home");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    String env = System.getenv("CONVLENS_HOME");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("conf").resolve("convlens.conf"))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "cannot find the ConvLens home (conf/convlens.conf): run from the checkout or set CONVLENS_HOME");
  }

  /** The bundled sample data folder. */
  public static Path sampleData() {
    return find().resolve("sample-data");
  }

  /** The bundled model (used when model.path is empty). */
  public static Path bundledModel() {
    return sampleData().resolve("model");
  }
}
