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

  public CifarSource(String input, CifarFormat.Variant variant, Configuration conf) {
    this.variant = variant;
    this.hadoop = new HadoopConf(conf);
    Path root = HadoopPaths.qualify(input, conf);
    FileStatus status = HadoopPaths.require(root, conf, "CIFAR input");
    List<FileStatus> batches = new ArrayList<>();
    Path dir;
    if (status.isFile()) {
      batches.add(status);
      dir = root.getParent();
      name = root.getName().replaceFirst("\\.bin$", "");
    } else {
      for (FileStatus s : HadoopPaths.children(root, conf)) {
        if (s.isFile() && s.getPath().getName().endsWith(".bin")) {
          batches.add(s);
        }
      }
      if (batches.isEmpty()) {
        throw new InputLayoutException("no CIFAR batch files (*.bin) in " + root);
      }
      dir = root;
      name = root.getName();
    }
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
    return spark
        .createDataFrame(rows, FILES)
        .repartition(Math.max(1, rows.size()))
        .flatMap(records, Encoders.row(InputSchema.SCHEMA))
        .orderBy(InputSchema.SOURCE, InputSchema.RECORD_INDEX);
  }

  static java.util.Iterator<Row> readRecords(
      String dataset, String file, long length, CifarFormat.Variant variant, List<String> names,
      HadoopConf conf) throws IOException {
    int recordBytes = variant.recordBytes();
    long full = length / recordBytes;
    long tail = length % recordBytes;
    List<Row> out = new ArrayList<>((int) Math.min(full + 1, 1 << 20));
    if (length == 0) {
      out.add(InputSchema.error(dataset, file + "#0", file, 0, -1, null, ErrorKind.EMPTY,
          "CIFAR batch file " + file + " is empty (0 bytes)"));
      return out.iterator();
    }
    Path path = new Path(file);
    byte[] label = new byte[variant.labelBytes];
    try (FSDataInputStream in = path.getFileSystem(conf.get()).open(path)) {
      for (long i = 0; i < full; i++) {
        long offset = i * recordBytes;
        try {
          in.readFully(offset, label);
        } catch (EOFException e) {
          out.add(InputSchema.error(dataset, file + "#" + i, file, i, -1, null, ErrorKind.TRUNCATED_RECORD,
              "CIFAR record " + i + " of " + file + " ends before its label (file shrank while read)"));
          continue;
        }
        int y = label[variant.labelOffset] & 0xff;
        if (y >= names.size()) {
          out.add(InputSchema.error(dataset, file + "#" + i, file, i, y, null, ErrorKind.BAD_LABEL,
              "CIFAR record " + i + " of " + file + " has label " + y + " but " + variant.metaFile
                  + " names only " + names.size() + " classes (wrong --format or cifar100-label?)"));
          continue;
        }
        out.add(InputSchema.cifar(dataset, file, i, offset + variant.labelBytes, y, names.get(y)));
      }
    }
    if (tail > 0) {
      out.add(InputSchema.error(dataset, file + "#" + full, file, full, -1, null, ErrorKind.TRUNCATED_RECORD,
          "CIFAR record " + full + " of " + file + " is truncated: " + tail + " of " + recordBytes
              + " bytes"));
    }
    return out.iterator();
  }
}
