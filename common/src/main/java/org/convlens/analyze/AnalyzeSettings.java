package org.convlens.analyze;

import com.typesafe.config.Config;
import java.io.Serializable;
import org.convlens.attribution.AttributionSettings;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;

/**
 * {@code analyze.*}; the attribution methods' settings are {@code attribution}. Each key, its
 * default and its range are declared once below ({@link #SPEC}).
 *
 * @param topK predictions kept per image (capped at the number of classes)
 * @param batchSize images per forward pass
 * @param thumbnailSide longer side of the {@code input_png} preview (0 = no preview)
 */
public record AnalyzeSettings(int topK, int batchSize, int thumbnailSide, AttributionSettings attribution)
    implements Serializable {
  public static final Key<Integer> TOP_K = Key.integer("analyze.top-k", 5,
      "predictions kept per image, capped at the number of classes").within(1, 1000);
  public static final Key<Integer> BATCH_SIZE = Key.integer("analyze.batch-size", 64,
      "images per forward pass").within(1, 4096);
  public static final Key<Integer> THUMBNAIL_SIDE = Key.integer("analyze.thumbnail-side", 64,
      "longer side of the input_png preview column (0 = no preview)").within(0, 1024);
  public static final SettingsSpec<AnalyzeSettings> SPEC = SettingsSpec.of(AnalyzeSettings.class, TOP_K, BATCH_SIZE,
      THUMBNAIL_SIDE, AttributionSettings.SPEC);

  public AnalyzeSettings {
    TOP_K.check(topK);
    BATCH_SIZE.check(batchSize);
    THUMBNAIL_SIDE.check(thumbnailSide);
  }

  /** Reads and validates {@code analyze.*}. */
  public static AnalyzeSettings from(Config c) {
    return SPEC.from(c);
  }

  /** Every key at its default (those of conf/convlens.conf). */
  public static AnalyzeSettings defaults() {
    return SPEC.defaults();
  }

  /** These settings with {@code key} set to {@code value} (checked like a configured value). */
  public <T> AnalyzeSettings with(Key<T> key, T value) {
    return SPEC.with(this, key, value);
  }
}
