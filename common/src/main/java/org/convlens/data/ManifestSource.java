package org.convlens.data;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * A CSV manifest with a header and columns {@code path,label}. Paths may be absolute (any
 * Hadoop scheme) or relative to the manifest's folder. Labels are class names (classes = the
 * sorted distinct names) or, when every label is an integer, label indices (then names are
 * unknown). An empty label means unlabelled. A listed file that does not exist becomes a
 * {@code not_found} error row when executors read it.
 */
public final class ManifestSource implements ImageSource {
  private final String manifest;
  private final String name;
  private final String baseDir;
  private final boolean hasLabel;
  private final boolean numeric;
  private final List<String> classNames;

  public ManifestSource(String input, SparkSession spark, Configuration conf) {
    Path file = HadoopPaths.qualify(input, conf);
    FileStatus status = HadoopPaths.require(file, conf, "manifest");
    if (!status.isFile()) {
      throw new InputLayoutException("manifest " + file + " is a folder; a manifest is a CSV file");
    }
    this.manifest = file.toString();
    this.name = file.getName().replaceFirst("\\.csv$", "");
    this.baseDir = file.getParent().toString();
    Dataset<Row> csv = read(spark);
    List<String> columns = Arrays.asList(csv.columns());
    if (!columns.contains("path")) {
      throw new InputLayoutException(
          "manifest " + file + " needs a header with a 'path' column (and optionally 'label'); found "
              + columns);
    }
    hasLabel = columns.contains("label");
    TreeSet<String> distinct = new TreeSet<>();
    if (hasLabel) {
      for (Row r : csv.select(col("label")).distinct().collectAsList()) {
        if (r.getString(0) != null && !r.getString(0).isBlank()) {
          distinct.add(r.getString(0).strip());
        }
      }
    }
    numeric = !distinct.isEmpty() && distinct.stream().allMatch(s -> s.matches("\\d+"));
    classNames = numeric ? List.of() : new ArrayList<>(distinct);
  }

  private Dataset<Row> read(SparkSession spark) {
    return spark.read().option("header", "true").option("mode", "PERMISSIVE").csv(manifest);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String format() {
    return "manifest";
  }

  @Override
  public List<String> classNames() {
    return classNames;
  }

  @Override
  public Dataset<Row> list(SparkSession spark) {
    String dataset = name;
    String base = baseDir;
    boolean labelled = hasLabel;
    boolean indices = numeric;
    Map<String, Integer> byName = FileListing.positions(classNames);
    String manifestPath = manifest;
    Function<Tuple2<Row, Long>, Row> toInput =
        t -> {
          Row r = t._1();
          long line = t._2() + 2; // 1-based, after the header
          String p = r.getString(r.fieldIndex("path"));
          String label = labelled ? r.getString(r.fieldIndex("label")) : null;
          label = label == null ? "" : label.strip();
          if (p == null || p.isBlank()) {
            return InputSchema.error(dataset, "line " + line, manifestPath, -1, -1, null,
                ErrorKind.NOT_FOUND, "manifest line " + line + " has an empty path");
          }
          String path = p.strip().startsWith("/") || p.contains(":/") ? p.strip() : base + "/" + p.strip();
          int y = -1;
          String yName = null;
          if (!label.isEmpty()) {
            if (indices) {
              y = Integer.parseInt(label);
            } else {
              y = byName.get(label);
              yName = label;
            }
          }
          return InputSchema.file(dataset, p.strip(), path, -1L, y, yName);
        };
    // Rows keep the manifest's order; the index numbers them for error messages.
    return spark.createDataFrame(read(spark).javaRDD().zipWithIndex().map(toInput), InputSchema.SCHEMA);
  }
}
