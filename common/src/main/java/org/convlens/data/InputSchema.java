package org.convlens.data;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The listing every {@link ImageSource} produces: one row per input, read later on executors.
 * A listing-time problem (a truncated CIFAR record, a label not in the class index) is already
 * an error here, so that the input still becomes exactly one output row.
 */
public final class InputSchema {
  public static final String DATASET = "dataset";
  public static final String ID = "id";
  public static final String SOURCE = "source";
  public static final String RECORD_INDEX = "record_index";
  public static final String OFFSET = "offset";
  public static final String LENGTH = "length";
  public static final String ENCODING = "encoding";
  public static final String LABEL = "label";
  public static final String LABEL_NAME = "label_name";
  public static final String ERROR_KIND = "error_kind";
  public static final String ERROR = "error";

  /** How an input's bytes are to be read. */
  public static final String ENCODING_FILE = "file";
  /** 3,072 bytes of planar 32×32 RGB at {@code offset} (a CIFAR record's pixels). */
  public static final String ENCODING_CIFAR = "cifar";

  public static final StructType SCHEMA =
      new StructType()
          .add(DATASET, DataTypes.StringType, false)
          .add(ID, DataTypes.StringType, false)
          .add(SOURCE, DataTypes.StringType, false)
          .add(RECORD_INDEX, DataTypes.LongType, false)
          .add(OFFSET, DataTypes.LongType, false)
          .add(LENGTH, DataTypes.LongType, false)
          .add(ENCODING, DataTypes.StringType, false)
          .add(LABEL, DataTypes.IntegerType, false)
          .add(LABEL_NAME, DataTypes.StringType, true)
          .add(ERROR_KIND, DataTypes.StringType, true)
          .add(ERROR, DataTypes.StringType, true);

  private InputSchema() {}

  /** Position of a column; rows are read by position so schema-less rows work too. */
  public static int col(String name) {
    return SCHEMA.fieldIndex(name);
  }

  /**
   * The id of an input: its dataset's name, a slash, and its path relative to the dataset root
   * (a CIFAR record adds {@code #index}). It does not depend on where the data lives, so the same
   * data copied elsewhere, or moved to HDFS, gets the same ids; and inputs of two datasets never
   * share one, since dataset names are unique within a run.
   */
  public static String id(String dataset, String relativePath) {
    return dataset + "/" + relativePath;
  }

  /** A whole-file input; {@code length} = -1 when unknown at listing time. */
  public static Row file(String dataset, String id, String path, long length, int label, String labelName) {
    return RowFactory.create(dataset, id, path, -1L, 0L, length, ENCODING_FILE, label, labelName, null, null);
  }

  /** A CIFAR record whose pixels start at {@code pixelOffset}; {@code id} from {@link #cifarId}. */
  public static Row cifar(
      String dataset, String id, String path, long index, long pixelOffset, int label, String labelName) {
    return RowFactory.create(
        dataset, id, path, index, pixelOffset, (long) CifarFormat.PIXEL_BYTES,
        ENCODING_CIFAR, label, labelName, null, null);
  }

  /** The id of record {@code index} of the batch file named {@code fileName}. */
  public static String cifarId(String dataset, String fileName, long index) {
    return id(dataset, fileName + "#" + index);
  }

  /** An input already known to be unusable at listing time. */
  public static Row error(
      String dataset, String id, String path, long index, int label, String labelName,
      ErrorKind kind, String message) {
    return RowFactory.create(
        dataset, id, path, index, 0L, -1L, ENCODING_FILE, label, labelName, kind.code(), message);
  }

  /** A row's label name, or {@code null} when the index is outside the class list. */
  static String nameOf(java.util.List<String> classNames, int label) {
    return label >= 0 && label < classNames.size() ? classNames.get(label) : null;
  }
}
