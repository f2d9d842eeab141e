package org.convlens.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.regexp_extract;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Lists the files under a folder: the driver lists the top level, executors walk the
 * sub-folders in parallel (one task per few class folders), and only paths and lengths are
 * produced; bytes are read later, on executors, with a size guard. Hidden names (starting with
 * {@code .} or {@code _}) are skipped, as everywhere in Hadoop and Spark.
 *
 * <p>Spark's {@code binaryFile} source is not used: its scan plans no split for a zero-byte
 * file, so empty images would vanish silently instead of becoming {@code empty} error rows.
 */
final class FileListing {
  private static final StructType FILES =
      new StructType().add("path", DataTypes.StringType, false).add("length", DataTypes.LongType, false);

  private FileListing() {}

  /** path, length and the lower-case extension ({@code ext}) of every file under {@code root}. */
  static Dataset<Row> all(SparkSession spark, String root, boolean recursive) {
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    List<Row> top = new ArrayList<>();
    List<String> folders = new ArrayList<>();
    for (FileStatus s : HadoopPaths.children(new Path(root), conf.get())) {
      if (hidden(s.getPath())) {
        continue;
      }
      if (s.isFile()) {
        top.add(RowFactory.create(s.getPath().toString(), s.getLen()));
      } else if (recursive) {
        folders.add(s.getPath().toString());
      }
    }
    Dataset<Row> files = spark.createDataFrame(top, FILES);
    if (!folders.isEmpty()) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      int slices = Math.min(folders.size(), 4 * jsc.defaultParallelism());
      files = files.union(spark.createDataFrame(
          jsc.parallelize(folders, slices).flatMap(dir -> walk(dir, conf)), FILES));
    }
    return files.withColumn("ext", lower(regexp_extract(col("path"), "\\.([A-Za-z0-9]+)$", 1)));
  }

  /** Every non-hidden file under {@code dir}, depth first. */
  private static Iterator<Row> walk(String dir, HadoopConf conf) throws IOException {
    List<Row> out = new ArrayList<>();
    Path start = new Path(dir);
    FileSystem fs = start.getFileSystem(conf.get());
    ArrayDeque<Path> pending = new ArrayDeque<>(List.of(start));
    while (!pending.isEmpty()) {
      for (FileStatus s : fs.listStatus(pending.pop())) {
        if (hidden(s.getPath())) {
          continue;
        }
        if (s.isDirectory()) {
          pending.push(s.getPath());
        } else {
          out.add(RowFactory.create(s.getPath().toString(), s.getLen()));
        }
      }
    }
    return out.iterator();
  }

  private static boolean hidden(Path p) {
    String n = p.getName();
    return n.startsWith(".") || n.startsWith("_");
  }

  static Column isImage(List<String> extensions) {
    return col("ext").isin(extensions.toArray());
  }

  /** The image files under {@code root} in path order, each mapped to an input row. */
  static Dataset<Row> images(SparkSession spark, String root, boolean recursive, List<String> extensions,
      MapFunction<Row, Row> toInput) {
    return all(spark, root, recursive)
        .filter(isImage(extensions))
        .orderBy(col("path"))
        .map(toInput, Encoders.row(InputSchema.SCHEMA));
  }

  /** Files under {@code root} that are neither images nor one of {@code metadataFiles}. */
  static long countSkipped(SparkSession spark, String root, boolean recursive, List<String> extensions,
      String... metadataFiles) {
    Dataset<Row> others = all(spark, root, recursive).filter(not(isImage(extensions)));
    for (String name : metadataFiles) {
      others = others.filter(not(col("path").endsWith("/" + name)));
    }
    return others.count();
  }

  /** Label index by name: position in {@code names}. */
  static Map<String, Integer> positions(List<String> names) {
    Map<String, Integer> out = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      out.put(names.get(i), i);
    }
    return out;
  }

  /** Path of {@code path} relative to {@code root} (both qualified), or the path itself. */
  static String relative(String root, String path) {
    String prefix = root.endsWith("/") ? root : root + "/";
    return path.startsWith(prefix) ? path.substring(prefix.length()) : path;
  }
}
