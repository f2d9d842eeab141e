package org.convlens.analyze;

import static org.convlens.config.Settings.between;

import java.io.Serializable;
import org.convlens.attribution.AttributionSettings;

/**
 * {@code analyze.*}; the attribution methods' settings are {@code attribution}.
 *
 * @param thumbnailSide longer side of the {@code input_png} preview (0 = no preview)
 */
public record AnalyzeSettings(int topK, int batchSize, int thumbnailSide, AttributionSettings attribution)
    implements Serializable {
  public AnalyzeSettings {
    between("analyze.top-k", topK, 1, 1000);
    between("analyze.batch-size", batchSize, 1, 4096);
    between("analyze.thumbnail-side", thumbnailSide, 0, 1024);
  }
}
