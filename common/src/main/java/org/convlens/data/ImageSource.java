package org.convlens.data;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * One dataset layout. Implementations check the input on the driver (a missing path or class
 * list fails fast with an {@link InputLayoutException}) and list the inputs through Spark, so
 * that listing scales with the cluster rather than the driver.
 */
public interface ImageSource {
  /** Short dataset name written to every output row, e.g. {@code test_batch} or {@code val}. */
  String name();

  /** The layout, e.g. {@code cifar10}. */
  String format();

  /** Class names by label index; empty when the layout has none. */
  List<String> classNames();

  /** Rows of {@link InputSchema#SCHEMA}, one per input, in a stable order. */
  Dataset<Row> list(SparkSession spark);

  /** Files under the input that were not taken (not an image extension); runs a Spark count. */
  default long countSkipped(SparkSession spark) {
    return 0;
  }
}
