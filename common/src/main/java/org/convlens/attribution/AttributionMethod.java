package org.convlens.attribution;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.convlens.config.SettingsSpec;
import org.convlens.model.Classifier;
import org.convlens.model.ModelDescription;

/**
 * One attribution method (one class each, registered by name in {@link Attributions}), in the
 * manner of Captum's {@code attribute(inputs, target, ...)}: given a batch whose target classes
 * are already chosen, it returns per image the values of its output columns.
 *
 * <p>Gradient methods do not run their own passes: they say which gradients they need ({@link
 * #gradientLayer}) and the batch computes them once for all methods, in the same forward that
 * gives the predictions and embeddings.
 *
 * <p>A method also carries every fact the other stages derive from it (as Captum's {@code
 * grad_cam.py} carries its own docs and defaults): its {@link #title()}, its {@link #maps() map
 * columns} with their kind, how it reduces to an {@link #attentionPlane attention plane} for the
 * audit, whether the report overlays it, its rank for describing attention, its own settings
 * ({@link #settingsSpec()}), whether it is a perturbation grid ({@link PerturbationGridMethod}),
 * and what it records in run.json. The audit, the report and the jobs read
 * these through {@link Attributions} and never name a method.
 */
public interface AttributionMethod {
  /** The name used in {@code analyze.methods}, {@code audit.methods} and as its first column. */
  String name();

  /** How the report, audit.json readers and the console title the method. */
  String title();

  /**
   * The method's own typed settings, declared in its class: the keys (with defaults, ranges and
   * docs) of one settings record, which {@link AttributionSettings} holds and {@link
   * AttributionSettings#of} returns; null when the method has none.
   */
  default SettingsSpec<? extends Record> settingsSpec() {
    return null;
  }

  /** Whether {@code analyze.methods}' default list holds the method. */
  default boolean runsByDefault() {
    return true;
  }

  /**
   * One stored map column of the method: its name, how its values are brought to the stored
   * range ({@link MapEncoding.Range}: non-negative by the maximum, min–max, or signed), and
   * whether the report draws it over the image.
   */
  record MapColumn(String column, MapEncoding.Range kind, boolean overlay) {}

  /** The {@link MapEncoding} map columns of {@link #fields()}, in order; none for a grid method. */
  default List<MapColumn> maps() {
    return List.of();
  }

  /** The map column the report draws over the image, or null when it draws none. */
  default MapColumn overlay() {
    return maps().stream().filter(MapColumn::overlay).findFirst().orElse(null);
  }

  /**
   * Where the method stands when the audit picks, unasked, one method to describe a class's or
   * slice's attention: lower first, {@link Integer#MAX_VALUE} = never picked unasked. Today's
   * order puts the coarse maps that localise objects (layer maps, perturbation grids) before the
   * pixel-gradient ones.
   */
  default int attentionRank() {
    return Integer.MAX_VALUE;
  }

  /**
   * Whether the method's column is a perturbation grid, i.e. it is a {@link
   * PerturbationGridMethod}.
   */
  default boolean perturbationGrid() {
    return this instanceof PerturbationGridMethod;
  }

  /** A plane of non-negative or signed attribution values, {@code height×width}. */
  record Plane(float[] values, int height, int width) {}

  /**
   * The method's value in an analysis row reduced to one plane for the audit, or null when the
   * row has none. By default the first map column, the largest |value| over channels.
   *
   * @param inputH the model's input height (grid methods place windows in input pixels)
   * @param inputW the model's input width
   */
  default Plane attentionPlane(Row row, int inputH, int inputW) {
    int i = row.fieldIndex(maps().get(0).column());
    if (row.isNullAt(i)) {
      return null;
    }
    Row map = row.getStruct(i);
    int c = map.getInt(0);
    int h = map.getInt(1);
    int w = map.getInt(2);
    return new Plane(Maps.maxAbsOverChannels(MapEncoding.decode(map), c, h * w), h, w);
  }

  /**
   * The method's own entries of run.json's {@code attribution} block when it runs (its settings
   * as applied to {@code model}); none by default.
   */
  default Map<String, Object> recorded(AttributionSettings settings, Classifier model) {
    return new LinkedHashMap<>();
  }

  /** What the console's "methods" line adds for this method (e.g. its layer); "" by default. */
  default String consoleNote(AttributionSettings settings, Classifier model) {
    return "";
  }

  /**
   * The columns this method fills (nullable; null on error rows and when not selected): by
   * default one {@link MapEncoding#STRUCT} per {@link #maps() map column}.
   */
  default List<StructField> fields() {
    return maps().stream()
        .map(m -> new StructField(m.column(), MapEncoding.STRUCT, true, org.apache.spark.sql.types.Metadata.empty()))
        .toList();
  }

  /**
   * What the method needs from the batch's shared forward+backward pass: {@code null} = none
   * (a perturbation method), {@code ""} = input gradients, a layer name = input gradients and
   * that layer's activation and gradient.
   */
  String gradientLayer(AttributionSettings settings, Classifier model);

  /**
   * Checks, on the driver before any image is read, that the model supports this method with
   * these settings; throws {@link org.convlens.config.InvalidConfigException} naming the key.
   */
  default void check(Classifier model, AttributionSettings settings) {}

  /**
   * The extra images this method runs through the model per input image, beyond the batch's
   * shared pass (a backward counts as one more forward): a perturbation method's perturbed
   * copies, a noise-averaging method's noisy samples. Progress lines are measured in this work.
   */
  default long extraForwardsPerImage(AttributionSettings settings, ModelDescription model) {
    return 0;
  }

  /** The values of {@link #fields()} for each image of the batch, in order. */
  Object[][] attribute(AttributionBatch batch);
}
