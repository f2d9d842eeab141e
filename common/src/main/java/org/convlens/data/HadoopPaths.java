package org.convlens.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Driver-side path checks through Hadoop's FileSystem, so local, HDFS and S3 paths all work. */
public final class HadoopPaths {
  private HadoopPaths() {}

  /** Fully qualified (scheme and absolute path) form of {@code path}. */
  public static Path qualify(String path, Configuration conf) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).makeQualified(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + path + ": " + e.getMessage(), e);
    }
  }

  public static FileStatus statusOrNull(Path path, Configuration conf) {
    try {
      return path.getFileSystem(conf).getFileStatus(path);
    } catch (java.io.FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** The status of an input that must exist, else a one-sentence error. */
  public static FileStatus require(Path path, Configuration conf, String what) {
    FileStatus s = statusOrNull(path, conf);
    if (s == null) {
      throw new InputLayoutException(what + " not found: " + path);
    }
    return s;
  }

  public static boolean isFile(Path path, Configuration conf) {
    FileStatus s = statusOrNull(path, conf);
    return s != null && s.isFile();
  }

  /**
   * The filesystem to read {@code path} through: for local paths the raw local filesystem, which
   * looks for no {@code .crc} sidecar (inputs were not written by Hadoop, and building a sidecar's
   * name fails for file names containing {@code :}).
   */
  public static FileSystem forReading(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    return fs instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRawFileSystem() : fs;
  }

  /**
   * An I/O failure in words, for one-sentence messages: "permission denied" or "no such file or
   * folder" rather than an exception's class and the path again.
   */
  public static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.UnknownHostException) {
        return "unknown host " + t.getMessage();
      }
      if (t instanceof java.net.ConnectException) {
        return "cannot connect (" + t.getMessage() + ")";
      }
      if (t instanceof org.apache.hadoop.fs.UnsupportedFileSystemException) {
        return "no filesystem for this scheme (" + t.getMessage() + ")";
      }
    }
    if (e instanceof java.nio.file.FileSystemException f) {
      if (f.getReason() != null) {
        return f.getReason();
      }
      if (f instanceof java.nio.file.AccessDeniedException) {
        return "permission denied";
      }
      if (f instanceof java.nio.file.NoSuchFileException) {
        return "no such file or folder";
      }
      if (f instanceof java.nio.file.NotDirectoryException) {
        return "a part of the path is a file";
      }
      if (f instanceof java.nio.file.FileAlreadyExistsException) {
        return "a file of that name exists";
      }
      return f.getClass().getSimpleName();
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /**
   * {@code p} as a local path when {@code fs} is the local filesystem (where java.nio sees links
   * as links, creates exclusively and moves atomically), else null.
   */
  public static java.nio.file.Path localPath(FileSystem fs, Path p) {
    if (fs instanceof org.apache.hadoop.fs.LocalFileSystem || fs instanceof org.apache.hadoop.fs.RawLocalFileSystem) {
      return java.nio.file.Path.of(fs.makeQualified(p).toUri().getPath());
    }
    return null;
  }

  /** A path as users typed it: a local one without its {@code file:} scheme, others as they are. */
  public static String display(String path) {
    return path.startsWith("file:") ? path.substring("file:".length()) : path;
  }

  /** {@link #display(String)} of a path. */
  public static String display(Path path) {
    return display(path.toString());
  }

  /** Direct children of a folder, sorted by name. */
  public static List<FileStatus> children(Path dir, Configuration conf) {
    try {
      FileSystem fs = dir.getFileSystem(conf);
      List<FileStatus> out = new ArrayList<>(Arrays.asList(fs.listStatus(dir)));
      out.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The first of {@code names} that exists in {@code dir} or its parent, or null. */
  public static Path findNear(Path dir, Configuration conf, String... names) {
    for (Path d : new Path[] {dir, dir.getParent()}) {
      if (d == null) {
        continue;
      }
      for (String n : names) {
        Path p = new Path(d, n);
        if (isFile(p, conf)) {
          return p;
        }
      }
    }
    return null;
  }

  public static List<String> readLines(Path file, Configuration conf) {
    try (var in = file.getFileSystem(conf).open(file);
        var r = new java.io.BufferedReader(
            new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8))) {
      return r.lines().toList();
    } catch (IOException e) {
      throw new InputLayoutException("cannot read " + file + ": " + e.getMessage());
    }
  }
}
