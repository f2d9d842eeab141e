package org.convlens.data;

import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * CIFAR-10 / CIFAR-100 binary batches: one batch file, or every {@code *.bin} in a folder. Class
 * names come from the variant's name file next to the batches. Record labels are read on
 * executors (one sequential pass per file); a file whose length is not a whole number of records
 * yields a {@code truncated_record} error row for its partial tail.
 */
public final class CifarSource implements ImageSource {
  private static final StructType FILES =
      new StructType().add("path", DataTypes.StringType).add("length", DataTypes.LongType);

  private final String name;
  private final CifarFormat.Variant variant;
  private final List<String> files;
  private final List<Long> lengths;
  private final List<String> classNames;
  private final HadoopConf hadoop;
  /** Batch files that cannot be read (broken links, bad names): one error row each. */
  private final List<FolderLister.Entry> unusable = new ArrayList<>();

  /** {@code name} null = the batch file's name without {@code .bin}, or the folder's name. */
  public CifarSource(String input, String name, CifarFormat.Variant variant, Configuration conf) {
    this.variant = variant;
    this.hadoop = new HadoopConf(conf);
    Path root = HadoopPaths.qualify(input, conf);
    FileStatus status = HadoopPaths.require(root, conf, "CIFAR input");
    List<FileStatus> batches = new ArrayList<>();
    Path dir;
    String defaultName;
    if (status.isFile()) {
      batches.add(status);
      dir = root.getParent();
      defaultName = root.getName().replaceFirst("\\.bin$", "");
    } else {
      String real = FolderLister.realPath(root.toString(), hadoop);
      for (FolderLister.Entry e : FolderLister.list(root.toString(), real, List.of(real), hadoop)) {
        if (!e.path().endsWith(".bin")) {
          continue;
        }
        if (e.kind() == FolderLister.Kind.FILE) {
          batches.add(new FileStatus(e.length(), false, 1, 0, 0, new Path(e.path())));
        } else if (e.kind() == FolderLister.Kind.ERROR) {
          unusable.add(e);
        }
      }
      if (batches.isEmpty() && unusable.isEmpty()) {
        throw new InputLayoutException("no CIFAR batch files (*.bin) in " + root);
      }
      dir = root;
      defaultName = root.getName();
    }
    this.name = name == null || name.isBlank() ? defaultName : name;
    Path meta = new Path(dir, variant.metaFile);
    if (!HadoopPaths.isFile(meta, conf)) {
      throw new InputLayoutException(
          "CIFAR class names not found: expected " + variant.metaFile + " next to the batches in " + dir);
    }
    classNames =
        HadoopPaths.readLines(meta, conf).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    files = batches.stream().map(s -> s.getPath().toString()).toList();
    lengths = batches.stream().map(FileStatus::getLen).toList();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String format() {
    return variant == CifarFormat.Variant.CIFAR10 ? "cifar10" : "cifar100";
  }

  @Override
  public List<String> classNames() {
    return classNames;
  }

  @Override
  public Dataset<Row> list(SparkSession spark) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      rows.add(RowFactory.create(files.get(i), lengths.get(i)));
    }
    String dataset = name;
    CifarFormat.Variant v = variant;
    List<String> names = classNames;
    HadoopConf conf = hadoop;
    FlatMapFunction<Row, Row> records = file -> readRecords(dataset, file.getString(0), file.getLong(1), v, names, conf);
    Dataset<Row> listed = spark
        .createDataFrame(rows, FILES)
        .repartition(Math.max(1, rows.size()))
        .flatMap(records, Encoders.row(InputSchema.SCHEMA));
    if (!unusable.isEmpty()) {
      List<Row> errors = new ArrayList<>();
      for (FolderLister.Entry e : unusable) {
        String file = new Path(e.path()).getName();
        errors.add(InputSchema.error(dataset, InputSchema.cifarId(dataset, file, 0), e.path(), 0, -1, null,
            ErrorKind.of(e.code()), "CIFAR batch file: " + e.message()));
      }
      listed = listed.union(spark.createDataFrame(errors, InputSchema.SCHEMA));
    }
    return listed.orderBy(InputSchema.SOURCE, InputSchema.RECORD_INDEX);
  }

  static java.util.Iterator<Row> readRecords(
      String dataset, String file, long length, CifarFormat.Variant variant, List<String> names,
      HadoopConf conf) throws IOException {
    int recordBytes = variant.recordBytes();
    long full = length / recordBytes;
    long tail = length % recordBytes;
    List<Row> out = new ArrayList<>((int) Math.min(full + 1, 1 << 20));
    String fileName = new Path(file).getName();
    if (length == 0) {
      out.add(InputSchema.error(dataset, InputSchema.cifarId(dataset, fileName, 0), file, 0, -1, null, ErrorKind.EMPTY,
          "CIFAR batch file " + file + " is empty (0 bytes)"));
      return out.iterator();
    }
    Path path = new Path(file);
    byte[] label = new byte[variant.labelBytes];
    try (FSDataInputStream in = HadoopPaths.forReading(path, conf.get()).open(path)) {
      for (long i = 0; i < full; i++) {
        long offset = i * recordBytes;
        try {
          in.readFully(offset, label);
        } catch (EOFException e) {
          out.add(InputSchema.error(dataset, InputSchema.cifarId(dataset, fileName, i), file, i, -1, null,
              ErrorKind.TRUNCATED_RECORD,
              "CIFAR record " + i + " of " + file + " ends before its label (file shrank while read)"));
          continue;
        }
        int y = label[variant.labelOffset] & 0xff;
        if (y >= names.size()) {
          // The schema's label is -1 when unknown; the byte read is in the message.
          out.add(InputSchema.error(dataset, InputSchema.cifarId(dataset, fileName, i), file, i, -1, null,
              ErrorKind.BAD_LABEL,
              "CIFAR record " + i + " of " + file + " has label " + y + " but " + variant.metaFile
                  + " names only " + names.size() + " classes (wrong --format or cifar100-label?)"));
          continue;
        }
        out.add(InputSchema.cifar(dataset, InputSchema.cifarId(dataset, fileName, i), file, i,
            offset + variant.labelBytes, y, names.get(y)));
      }
    }
    if (tail > 0) {
      out.add(InputSchema.error(dataset, InputSchema.cifarId(dataset, fileName, full), file, full, -1, null,
          ErrorKind.TRUNCATED_RECORD,
          "CIFAR record " + full + " of " + file + " is truncated: " + tail + " of " + recordBytes
              + " bytes"));
    }
    return out.iterator();
  }
}
