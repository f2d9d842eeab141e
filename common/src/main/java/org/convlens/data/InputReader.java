package org.convlens.data;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
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

  /**
   * The bytes of {@code input} (a row of {@link InputSchema#SCHEMA}). Local files are read
   * through {@code java.nio} (no checksum sidecars, so names with {@code :} work, and a missing
   * file, a broken link and a permission problem are told apart); others through Hadoop. Any
   * failure to reach the bytes, an unknown host or an unregistered scheme included, is a {@link
   * ErrorKind#READ_FAILED} (or {@code not_found}, {@code broken_link}) error, never a crash.
   */
  public byte[] read(Row input) throws InputException {
    String source = input.getString(InputSchema.col(InputSchema.SOURCE));
    String encoding = input.getString(InputSchema.col(InputSchema.ENCODING));
    long offset = input.getLong(InputSchema.col(InputSchema.OFFSET));
    long length = input.getLong(InputSchema.col(InputSchema.LENGTH));
    try {
      Path path = new Path(source);
      if (InputSchema.ENCODING_CIFAR.equals(encoding)) {
        byte[] buf = new byte[(int) length];
        stream(path).readFully(offset, buf);
        return buf;
      }
      FileSystem fs = HadoopPaths.forReading(path, conf.get());
      java.nio.file.Path local = HadoopPaths.localPath(fs, path);
      return local != null ? readLocal(local, source) : readHadoop(fs, path, source, length);
    } catch (InputException e) {
      throw e;
    } catch (FileNotFoundException e) {
      throw new InputException(ErrorKind.NOT_FOUND, "file not found: " + source);
    } catch (EOFException e) {
      throw new InputException(ErrorKind.READ_FAILED, "file shrank while being read: " + source);
    } catch (IOException | RuntimeException e) {
      throw new InputException(ErrorKind.READ_FAILED, "cannot read " + source + ": " + HadoopPaths.reason(e), e);
    }
  }

  private byte[] readLocal(java.nio.file.Path file, String source) throws InputException, IOException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      if (Files.isSymbolicLink(file)) {
        throw new InputException(ErrorKind.BROKEN_LINK, "symbolic link to a missing target: " + source);
      }
      throw new InputException(ErrorKind.NOT_FOUND, "file not found: " + source);
    } catch (FileSystemException e) {
      if (Files.isSymbolicLink(file)) {
        throw new InputException(ErrorKind.BROKEN_LINK, "symbolic link that cannot be followed ("
            + HadoopPaths.reason(e) + "): " + source);
      }
      throw new InputException(ErrorKind.READ_FAILED, "cannot read " + source + ": " + HadoopPaths.reason(e), e);
    }
    if (attrs.isDirectory()) {
      throw new InputException(ErrorKind.UNSUPPORTED_FORMAT, source + " is a folder, not an image");
    }
    if (!attrs.isRegularFile()) {
      throw new InputException(ErrorKind.UNSUPPORTED_FORMAT,
          source + " is not a regular file (a FIFO, socket or device)");
    }
    check(attrs.size());
    try (SeekableByteChannel in = Files.newByteChannel(file)) {
      return readAtMost(Channels.newInputStream(in), attrs.size());
    } catch (AccessDeniedException e) {
      throw new InputException(ErrorKind.READ_FAILED, "cannot read " + source + ": permission denied", e);
    } catch (FileSystemException e) {
      throw new InputException(ErrorKind.READ_FAILED, "cannot read " + source + ": " + HadoopPaths.reason(e), e);
    }
  }

  private byte[] readHadoop(FileSystem fs, Path path, String source, long listed) throws InputException, IOException {
    long length = listed;
    if (length < 0) {
      FileStatus status = fs.getFileStatus(path);
      if (status.isDirectory()) {
        throw new InputException(ErrorKind.UNSUPPORTED_FORMAT, source + " is a folder, not an image");
      }
      length = status.getLen(); // may still be -1: an HTTP server that does not say
    }
    if (length >= 0) {
      check(length);
    }
    try (FSDataInputStream in = fs.open(path)) {
      return readAtMost(in, length);
    } catch (FileNotFoundException e) {
      // Some filesystems say "not found" for a file they may not open.
      if (fs.exists(path)) {
        throw new InputException(ErrorKind.READ_FAILED, "cannot read " + source + ": " + HadoopPaths.reason(e), e);
      }
      throw e;
    }
  }

  /** The size guard, before any byte is read. */
  private void check(long length) throws InputException {
    if (length == 0) {
      throw new InputException(ErrorKind.EMPTY, "file is empty (0 bytes)");
    }
    if (length > maxFileBytes) {
      throw new InputException(ErrorKind.FILE_TOO_LARGE,
          "file is " + length + " bytes, above input.max-file-bytes = " + maxFileBytes);
    }
  }

  /**
   * Reads the whole stream, {@code expected} bytes when known (-1 = unknown), never more than
   * {@code input.max-file-bytes}.
   */
  private byte[] readAtMost(InputStream in, long expected) throws IOException, InputException {
    if (expected >= 0) {
      byte[] buf = new byte[(int) expected];
      int n = in.readNBytes(buf, 0, buf.length);
      if (n < buf.length) {
        throw new EOFException();
      }
      return buf;
    }
    byte[] buf = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxFileBytes + 1));
    if (buf.length > maxFileBytes) {
      throw new InputException(ErrorKind.FILE_TOO_LARGE,
          "file is more than input.max-file-bytes = " + maxFileBytes + " bytes");
    }
    check(buf.length);
    return buf;
  }

  private FSDataInputStream stream(Path path) throws IOException {
    String p = path.toString();
    if (!p.equals(openPath)) {
      close();
      open = HadoopPaths.forReading(path, conf.get()).open(path);
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
