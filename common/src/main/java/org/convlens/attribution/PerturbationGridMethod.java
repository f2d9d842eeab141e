package org.convlens.attribution;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.Key;

/**
 * A method whose column is not a map but a perturbation grid per window ({@code window, stride,
 * rows, cols, target_prob, drop, argmax}): what the audit's patch detector reads and what the
 * quality checks re-run, laid as tiles, in the randomisation cascade. The audit and the report
 * reach the registry's grid method through {@link Attributions#perturbationGrid()} and this
 * interface only, so that neither names it.
 */
public interface PerturbationGridMethod extends AttributionMethod {
  /** The analysis column holding the grids: the method's name. */
  default String column() {
    return name();
  }

  /** The row schema of one grid (the column is an array of them, one per window). */
  StructType gridSchema();

  /** Window positions along a side of {@code length} pixels for this window and stride. */
  int windowPositions(int length, int window, int stride);

  /** The configured window sides, in order. */
  List<Integer> windows(AttributionSettings settings);

  /** The stride of configured window {@code i}. */
  int stride(AttributionSettings settings, int i);

  /** {@code settings} with one window and its stride (tiles when stride = window). */
  AttributionSettings withGrid(AttributionSettings settings, int window, int stride);

  /** {@code settings} with {@code perturbations} perturbed copies per forward pass. */
  AttributionSettings withPerturbationsPerEval(AttributionSettings settings, int perturbations);

  /** The code of the configured baseline (what a perturbed pixel becomes). */
  String baseline(AttributionSettings settings);

  /** The entry of run.json's {@code attribution} block that records the baseline. */
  String baselineEntry();

  /**
   * {@code settings} with the baseline of code {@code code} (as run.json records it), or null
   * when this version does not know the code.
   */
  AttributionSettings withBaseline(AttributionSettings settings, String code);

  /**
   * Its {@code audit.quality.*} key: at how many randomisation-cascade steps the audit re-runs
   * the method, spread evenly from the first to the last (0 = every step).
   */
  Key<Integer> cascadeSteps();

  /** The per-pixel attribution of one stored grid, {@code h×w}. */
  float[] pixelMap(Row grid, int h, int w);
}
