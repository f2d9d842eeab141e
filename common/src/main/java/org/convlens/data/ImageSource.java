package org.convlens.data;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * One dataset layout. Implementations check the input on the driver (a missing path or class
 * list fails fast with an {@link InputLayoutException}) and list the inputs through Spark, so
 * that listing scales with the cluster rather than the driver.
 */
public interface ImageSource {
  /**
   * Dataset name written to every output row and leading every id, e.g. {@code test_batch} or
   * {@code val}: the input's folder or file name, or the one {@code input.names} gives.
   */
  String name();

  /** The layout, e.g. {@code cifar10}. */
  String format();

  /** Class names by label index; empty when the layout has none. */
  List<String> classNames();

  /** Rows of {@link InputSchema#SCHEMA}, one per input, in a stable order. */
  Dataset<Row> list(SparkSession spark);

  /**
   * Entries under the input that were left out on purpose, counted by reason ({@code
   * not_an_image}, {@code metadata}, {@code link_loop}, {@code link_inside_input}, {@code
   * subfolder}); runs a Spark count. Everything else under the input is a row.
   */
  default Map<String, Long> skipped(SparkSession spark) {
    return Map.of();
  }
}
