package org.convlens.data;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;

/**
 * Reads an input's bytes on an executor, through Hadoop's FileSystem. The size guard runs
 * before any byte is read. Consecutive CIFAR records of one batch file share one open stream.
 * Not thread-safe: one per task.
 */
public final class InputReader implements AutoCloseable {
  private final HadoopConf conf;
  private final long maxFileBytes;
  private String openPath;
  private FSDataInputStream open;

  public InputReader(HadoopConf conf, long maxFileBytes) {
    this.conf = conf;
    this.maxFileBytes = maxFileBytes;
  }

  /** The bytes of {@code input} (a row of {@link InputSchema#SCHEMA}). */
  public byte[] read(Row input) throws InputException {
    String source = input.getString(InputSchema.col(InputSchema.SOURCE));
    String encoding = input.getString(InputSchema.col(InputSchema.ENCODING));
    long offset = input.getLong(InputSchema.col(InputSchema.OFFSET));
    long length = input.getLong(InputSchema.col(InputSchema.LENGTH));
    Path path = new Path(source);
    try {
      if (InputSchema.ENCODING_CIFAR.equals(encoding)) {
        byte[] buf = new byte[(int) length];
        stream(path).readFully(offset, buf);
        return buf;
      }
      FileSystem fs = path.getFileSystem(conf.get());
      if (length < 0) {
        FileStatus status = fs.getFileStatus(path);
        if (status.isDirectory()) {
          throw new InputException(ErrorKind.UNSUPPORTED_FORMAT, source + " is a folder, not an image");
        }
        length = status.getLen();
      }
      if (length == 0) {
        throw new InputException(ErrorKind.EMPTY, "file is empty (0 bytes)");
      }
      if (length > maxFileBytes) {
        throw new InputException(ErrorKind.FILE_TOO_LARGE,
            "file is " + length + " bytes, above input.max-file-bytes = " + maxFileBytes);
      }
      byte[] buf = new byte[(int) length];
      try (FSDataInputStream in = fs.open(path)) {
        in.readFully(0, buf);
      }
      return buf;
    } catch (FileNotFoundException e) {
      throw new InputException(ErrorKind.NOT_FOUND, "file not found: " + source);
    } catch (EOFException e) {
      throw new InputException(ErrorKind.READ_FAILED, "file shrank while being read: " + source);
    } catch (IOException e) {
      throw new InputException(ErrorKind.READ_FAILED, "cannot read " + source + ": " + e.getMessage(), e);
    }
  }

  private FSDataInputStream stream(Path path) throws IOException {
    String p = path.toString();
    if (!p.equals(openPath)) {
      close();
      open = path.getFileSystem(conf.get()).open(path);
      openPath = p;
    }
    return open;
  }

  @Override
  public void close() {
    if (open != null) {
      try {
        open.close();
      } catch (IOException ignored) {
        // Read-only stream: nothing to lose.
      }
      open = null;
      openPath = null;
    }
  }
}
