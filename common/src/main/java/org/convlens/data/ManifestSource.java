package org.convlens.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.min;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.Settings.ManifestPaths;
import scala.Tuple2;

/**
 * A CSV manifest with a header and columns {@code path,label}, parsed as RFC 4180 CSV (quoted
 * fields may hold commas, doubled quotes and line breaks). Paths may be absolute (any Hadoop
 * scheme) or relative to the manifest's folder; with {@code input.manifest-paths =
 * below-manifest} a path that leaves the manifest's folder (absolute, a URI, or climbing out with
 * {@code ..}; judged on the path as written, links are not resolved) is a {@code
 * path_not_allowed} error row. Labels are class names (classes = the sorted distinct names) or,
 * when every label is an integer, label indices (then names are unknown); an index too large to
 * be a class index is a {@code bad_label} error row. An empty label means unlabelled.
 *
 * <p>Ids are {@code <dataset>/<path as written>}. A file listed again (the same path after
 * resolving {@code .} and {@code ..}) is analysed once, at its first record; every later record
 * becomes a {@code duplicate} error row with the id {@code <dataset>/<path>@row<N>} naming the
 * first. A listed file that does not exist becomes a {@code not_found} error row when executors
 * read it.
 */
public final class ManifestSource implements ImageSource {
  private static final StructType RECORDS = new StructType()
      .add("record", DataTypes.LongType, false)
      .add("written", DataTypes.StringType, true)
      .add("resolved", DataTypes.StringType, true)
      .add("label", DataTypes.StringType, true);

  private final String manifest;
  private final String name;
  private final String baseDir;
  private final boolean hasLabel;
  private final boolean numeric;
  private final List<String> classNames;
  private final ManifestPaths scope;
  /** Where absolute paths without a scheme live ({@code fs.defaultFS}), to compare them. */
  private final String defaultFs;

  /** {@code name} null = the manifest's file name without {@code .csv}. */
  public ManifestSource(String input, String name, ManifestPaths scope, SparkSession spark, Configuration conf) {
    Path file = HadoopPaths.qualify(input, conf);
    FileStatus status = HadoopPaths.require(file, conf, "manifest");
    if (!status.isFile()) {
      throw new InputLayoutException("manifest " + file + " is a folder; a manifest is a CSV file");
    }
    this.manifest = file.toString();
    this.name = name == null || name.isBlank() ? file.getName().replaceFirst("\\.csv$", "") : name;
    this.baseDir = file.getParent().toString();
    this.scope = scope;
    this.defaultFs = org.apache.hadoop.fs.FileSystem.getDefaultUri(conf).toString();
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

  /**
   * RFC 4180: a quote inside a quoted field is doubled (Spark's default escape is a backslash),
   * and a quoted field may span lines (Spark's default reads one record per line).
   */
  private Dataset<Row> read(SparkSession spark) {
    return spark.read().option("header", "true").option("mode", "PERMISSIVE").option("multiLine", "true")
        .option("escape", "\"").csv(manifest);
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

  /**
   * Where a path written in the manifest points, normalised ({@code .} and {@code ..} resolved)
   * and qualified (an absolute path without a scheme is on {@code defaultFs}), or null when it
   * cannot be parsed as a path.
   */
  static String resolve(String base, String defaultFs, String written) {
    String p = written.strip();
    try {
      Path path;
      if (p.matches("[A-Za-z][A-Za-z0-9+.-]*:/.*")) {
        path = new Path(p);
      } else if (p.startsWith("/")) {
        path = new Path(new Path(defaultFs), p);
      } else {
        path = new Path(base + "/" + p);
      }
      return new Path(path.toUri().normalize()).toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Whether {@code resolved} lies in {@code base} or below it. */
  static boolean below(String base, String resolved) {
    return resolved != null && resolved.startsWith(base.endsWith("/") ? base : base + "/")
        && !resolved.substring(base.length()).contains("/../");
  }

  @Override
  public Dataset<Row> list(SparkSession spark) {
    String base = baseDir;
    String fsUri = defaultFs;
    boolean labelled = hasLabel;
    // Records keep the manifest's order; the index numbers them for ids and messages.
    Function<Tuple2<Row, Long>, Row> toRecord = t -> {
      Row r = t._1();
      String written = r.getString(r.fieldIndex("path"));
      written = written == null || written.isBlank() ? null : written.strip();
      String label = labelled ? r.getString(r.fieldIndex("label")) : null;
      return RowFactory.create(t._2() + 1, written, written == null ? null : resolve(base, fsUri, written),
          label == null ? "" : label.strip());
    };
    Dataset<Row> records = spark.createDataFrame(read(spark).javaRDD().zipWithIndex().map(toRecord), RECORDS)
        .withColumn("first", min("record").over(Window.partitionBy("resolved")));

    String dataset = name;
    String manifestPath = manifest;
    boolean indices = numeric;
    boolean belowOnly = scope == ManifestPaths.BELOW_MANIFEST;
    Map<String, Integer> byName = FileListing.positions(classNames);
    MapFunction<Row, Row> toInput = r -> {
      long record = r.getLong(0);
      String written = r.getString(1);
      String resolved = r.getString(2);
      String label = r.getString(3);
      if (written == null) {
        return InputSchema.error(dataset, InputSchema.id(dataset, "@row" + record), manifestPath, -1, -1, null,
            ErrorKind.NOT_FOUND, "manifest record " + record + " has an empty path");
      }
      int y = -1;
      String yName = null;
      String labelError = null;
      if (!label.isEmpty()) {
        if (indices) {
          long index = label.length() > 10 ? Long.MAX_VALUE : Long.parseLong(label);
          if (index > Integer.MAX_VALUE) {
            labelError = "label " + label + " of manifest record " + record + " is not a class index (too large)";
          } else {
            y = (int) index;
          }
        } else {
          y = byName.get(label);
          yName = label;
        }
      }
      long first = r.getLong(4);
      String id = InputSchema.id(dataset, written);
      if (resolved == null) {
        return InputSchema.error(dataset, id, written, -1, y, yName, ErrorKind.NOT_FOUND,
            "manifest record " + record + " is not a valid path");
      }
      if (record != first) {
        return InputSchema.error(dataset, id + "@row" + record, resolved, -1, y, yName, ErrorKind.DUPLICATE,
            "manifest record " + record + " names the same file as record " + first + ", analysed there");
      }
      if (belowOnly && !below(base, resolved)) {
        return InputSchema.error(dataset, id, resolved, -1, y, yName, ErrorKind.PATH_NOT_ALLOWED,
            "manifest record " + record + " points outside the manifest's folder, and input.manifest-paths ="
                + " below-manifest");
      }
      if (labelError != null) {
        return InputSchema.error(dataset, id, resolved, -1, -1, null, ErrorKind.BAD_LABEL, labelError);
      }
      return InputSchema.file(dataset, id, resolved, -1L, y, yName);
    };
    return records.orderBy("record").map(toInput, Encoders.row(InputSchema.SCHEMA));
  }
}
