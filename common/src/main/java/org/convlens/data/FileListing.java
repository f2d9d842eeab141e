package org.convlens.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.when;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Lists every file under a folder: the driver lists the top level, executors walk the
 * sub-folders in parallel (one task per few class folders), and only paths and lengths are
 * produced; bytes are read later, on executors, with a size guard. Nothing is left out
 * silently: every entry becomes a candidate input, an error row (a broken link, a name that is
 * not UTF-8, a folder that cannot be listed; see {@link FolderLister}) or a skip counted under a
 * reason ({@link #skipped}).
 *
 * <p>Spark's {@code binaryFile} source is not used: its scan plans no split for a zero-byte
 * file, so empty images would vanish silently instead of becoming {@code empty} error rows; and
 * it hides names starting with {@code .} or {@code _}.
 */
final class FileListing {
  private static final StructType FILES =
      new StructType()
          .add("path", DataTypes.StringType, false)
          .add("length", DataTypes.LongType, false)
          .add("kind", DataTypes.StringType, false)
          .add("code", DataTypes.StringType, true)
          .add("message", DataTypes.StringType, true)
          .add("folder", DataTypes.BooleanType, false)
          .add("ext", DataTypes.StringType, false);

  private static final Pattern EXTENSION = Pattern.compile("\\.([A-Za-z0-9]+)$");

  private FileListing() {}

  /** The label of an input, from its path relative to the dataset root. */
  interface Labeler extends Serializable {
    /** A row of {@link InputSchema#SCHEMA} for a readable file, or an error row for a bad label. */
    Row input(String dataset, String rel, String path, long length);

    /** The label index and name an error row at {@code rel} carries (-1 and null when unknown). */
    default Object[] labelOf(String rel) {
      return new Object[] {-1, null};
    }
  }

  /** Every entry under {@code root}: path, length, kind, code, message, folder and {@code ext}. */
  static Dataset<Row> all(SparkSession spark, String root, boolean recursive) {
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    String rootReal = FolderLister.realPath(root, conf);
    List<Row> top = new ArrayList<>();
    List<FolderLister.Entry> folders = new ArrayList<>();
    for (FolderLister.Entry e : FolderLister.list(root, rootReal, List.of(rootReal), conf)) {
      if (e.path().equals(root) && e.kind() == FolderLister.Kind.ERROR) {
        throw new InputLayoutException("cannot list input folder " + root + ": " + e.message());
      }
      if (e.kind() != FolderLister.Kind.DIR) {
        top.add(row(e));
      } else if (recursive) {
        folders.add(e);
      } else {
        top.add(row(FolderLister.Entry.builder()
            .path(e.path())
            .length(-1)
            .kind(FolderLister.Kind.SKIP)
            .code(FolderLister.SKIP_SUBFOLDER)
            .message("this layout reads one flat folder")
            .realPath(e.realPath())
            .build()));
      }
    }
    Dataset<Row> files = spark.createDataFrame(top, FILES);
    if (!folders.isEmpty()) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      int slices = Math.min(folders.size(), 4 * jsc.defaultParallelism());
      files = files.union(spark.createDataFrame(
          jsc.parallelize(folders, slices).flatMap(dir -> walk(dir, rootReal, conf)), FILES));
    }
    return files;
  }

  /** Every entry under the folder {@code start} (not folders themselves), depth first. */
  private static Iterator<Row> walk(FolderLister.Entry start, String rootReal, HadoopConf conf) {
    record Pending(String path, List<String> ancestors) {}
    List<Row> out = new ArrayList<>();
    ArrayDeque<Pending> pending = new ArrayDeque<>();
    pending.push(new Pending(start.path(), List.of(rootReal, start.realPath())));
    while (!pending.isEmpty()) {
      Pending dir = pending.pop();
      for (FolderLister.Entry e : FolderLister.list(dir.path(), rootReal, dir.ancestors(), conf)) {
        if (e.kind() == FolderLister.Kind.DIR) {
          List<String> chain = new ArrayList<>(dir.ancestors());
          chain.add(e.realPath());
          pending.push(new Pending(e.path(), List.copyOf(chain)));
        } else {
          out.add(row(e));
        }
      }
    }
    return out.iterator();
  }

  private static Row row(FolderLister.Entry e) {
    return RowFactory.create(e.path(), e.length(), e.kind().name(), e.code(), e.message(), e.isFolder(),
        extension(e.path()));
  }

  /**
   * The lower-cased extension of {@code path} ("" when none), as {@code
   * lower(regexp_extract(path, "\\.([A-Za-z0-9]+)$", 1))} would give it. Computed here, not as that
   * Spark expression: Spark's {@code lower} initialises ICU's case mapping on first use (its
   * dictionaries: about 3 CPU seconds, measured 2026-12-05), which the listing paid in every job
   * that lists a folder, before any image was read.
   */
  static String extension(String path) {
    Matcher m = EXTENSION.matcher(path);
    return m.find() ? m.group(1).toLowerCase(Locale.ROOT) : "";
  }

  static Column isImage(List<String> extensions) {
    return col("ext").isin(extensions.toArray());
  }

  /**
   * The inputs under {@code root} in path order: readable image files through {@code labeler},
   * and error rows for unusable entries (broken links, bad names, unlistable folders).
   */
  static Dataset<Row> images(SparkSession spark, String dataset, String root, boolean recursive,
      List<String> extensions, Labeler labeler) {
    String base = root;
    MapFunction<Row, Row> toInput = r -> {
      String path = r.getString(0);
      String rel = relative(base, path) + (r.getBoolean(5) ? "/" : "");
      if ("FILE".equals(r.getString(2))) {
        return labeler.input(dataset, rel, path, r.getLong(1));
      }
      Object[] label = labeler.labelOf(rel);
      return InputSchema.error(dataset, InputSchema.id(dataset, rel), path, -1, (int) label[0], (String) label[1],
          ErrorKind.of(r.getString(3)), r.getString(4));
    };
    return all(spark, root, recursive)
        .filter(col("kind").equalTo("FILE").and(isImage(extensions))
            .or(col("kind").equalTo("ERROR").and(col("folder").or(isImage(extensions)))))
        .orderBy(col("path"))
        .map(toInput, Encoders.row(InputSchema.SCHEMA));
  }

  /**
   * Entries under {@code root} that are not inputs, counted by reason: {@code not_an_image}
   * (extension not in {@code input.extensions}), {@code metadata} (one of {@code metadataFiles}),
   * and the listing's own skips (folder links already listed or looping back, sub-folders of a
   * flat layout). Runs one Spark count.
   */
  static Map<String, Long> skipped(SparkSession spark, String root, boolean recursive, List<String> extensions,
      String... metadataFiles) {
    Column metadata = lit(false);
    for (String name : metadataFiles) {
      metadata = metadata.or(col("path").endsWith("/" + name));
    }
    Column reason = when(col("kind").equalTo("SKIP"), col("code"))
        .when(col("folder"), lit(null))
        .when(metadata, lit(FolderLister.SKIP_METADATA))
        .when(not(isImage(extensions)), lit(FolderLister.SKIP_NOT_IMAGE));
    Map<String, Long> out = new LinkedHashMap<>();
    for (Row r : all(spark, root, recursive).select(reason.as("reason")).filter(col("reason").isNotNull())
        .groupBy("reason").count().orderBy("reason").collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
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
