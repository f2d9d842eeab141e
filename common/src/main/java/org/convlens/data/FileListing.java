package org.convlens.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.regexp_extract;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Lists the files under a folder with Spark's {@code binaryFile} source, selecting only path and
 * length so no file content is read at listing time (bytes are read later, on executors, with
 * a size guard). Hidden files (names starting with {@code .} or {@code _}) are ignored by
 * Hadoop's listing, as everywhere in Spark.
 */
final class FileListing {
  private FileListing() {}

  /** path, length and the lower-case extension of every file under {@code root}. */
  static Dataset<Row> all(SparkSession spark, String root, boolean recursive) {
    return spark
        .read()
        .format("binaryFile")
        .option("recursiveFileLookup", String.valueOf(recursive))
        .load(root)
        .select(col("path"), col("length"))
        .withColumn("ext", lower(regexp_extract(col("path"), "\\.([A-Za-z0-9]+)$", 1)));
  }

  static Column isImage(List<String> extensions) {
    return col("ext").isin(extensions.toArray());
  }

  /** Path of {@code path} relative to {@code root} (both qualified), or the path itself. */
  static String relative(String root, String path) {
    String prefix = root.endsWith("/") ? root : root + "/";
    return path.startsWith(prefix) ? path.substring(prefix.length()) : path;
  }
}
