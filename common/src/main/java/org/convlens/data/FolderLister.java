package org.convlens.data;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Lists one folder level and says what each entry is, leaving nothing out silently.
 *
 * <p>Hadoop's local filesystem drops from a listing every entry it cannot stat (a dangling
 * symbolic link, a link that points at itself, a name that is not valid UTF-8) and follows
 * folder links blindly (a link {@code self -> .} repeats a folder until the path is too long;
 * two such links never end). So local folders are listed here through {@code java.nio}, which
 * sees links as links; other filesystems (HDFS, object stores) through Hadoop's {@code
 * listStatus}, where neither problem exists. Hidden names ({@code .x}, {@code _x}) are listed
 * like any other: Hadoop's habit of hiding them is for its own bookkeeping files, not for users'
 * images (torchvision's {@code ImageFolder} reads them too).
 *
 * <p>Folder links are followed at most once per real folder: a link to a folder inside the
 * input is skipped (that folder is listed at its own place), a link to one of the folders above
 * it is a loop and skipped; both are counted with a reason. A link to a folder outside the
 * input is followed.
 */
final class FolderLister {
  private FolderLister() {}

  /** What an entry is. */
  enum Kind {
    /** A readable regular file: a candidate input. */
    FILE,
    /** A folder to descend into. */
    DIR,
    /** Unusable: becomes an error row ({@link Entry#code} is an {@link ErrorKind} code). */
    ERROR,
    /** Left out on purpose, counted under the reason {@link Entry#code}. */
    SKIP
  }

  /** Skip reasons, as counted in {@code run.json}'s {@code skipped_by_reason}. */
  static final String SKIP_NOT_IMAGE = "not_an_image";
  static final String SKIP_METADATA = "metadata";
  static final String SKIP_LINK_LOOP = "link_loop";
  static final String SKIP_LINK_INSIDE = "link_inside_input";
  static final String SKIP_SUBFOLDER = "subfolder";

  /**
   * One listed entry.
   *
   * @param path the entry as a Hadoop path string ({@code file:/data/cat/1.png})
   * @param length bytes, for files; -1 otherwise
   * @param kind what it is
   * @param code the error kind or skip reason; null for files and folders
   * @param message why, for errors and skips
   * @param realPath for folders: the real (link-resolved) location, to detect loops
   */
  record Entry(String path, long length, Kind kind, String code, String message, String realPath)
      implements Serializable {
    boolean isFolder() {
      return kind == Kind.DIR || realPath != null;
    }

    /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private String path;
      private long length;
      private Kind kind;
      private String code;
      private String message;
      private String realPath;

      private Builder() {}

      Builder path(String path) {
        this.path = path;
        return this;
      }

      Builder length(long length) {
        this.length = length;
        return this;
      }

      Builder kind(Kind kind) {
        this.kind = kind;
        return this;
      }

      Builder code(String code) {
        this.code = code;
        return this;
      }

      Builder message(String message) {
        this.message = message;
        return this;
      }

      Builder realPath(String realPath) {
        this.realPath = realPath;
        return this;
      }

      Entry build() {
        return new Entry(path, length, kind, code, message, realPath);
      }
    }
  }

  /** The real location of a listing root ({@code path} itself where links do not exist). */
  static String realPath(String dir, HadoopConf conf) {
    java.nio.file.Path local = localPath(dir, conf);
    if (local == null) {
      return dir;
    }
    try {
      return local.toRealPath().toString();
    } catch (IOException e) {
      return local.toAbsolutePath().normalize().toString();
    }
  }

  /**
   * The entries of folder {@code dir}, sorted by name.
   *
   * @param rootReal the real location of the input root (links into it are skipped)
   * @param ancestors real locations of {@code dir} and every folder above it (links to them are
   *     loops)
   */
  static List<Entry> list(String dir, String rootReal, List<String> ancestors, HadoopConf conf) {
    java.nio.file.Path local = localPath(dir, conf);
    List<Entry> out = local != null ? listLocal(dir, local, rootReal, ancestors) : listHadoop(dir, ancestors, conf);
    out.sort(Comparator.comparing(Entry::path));
    return out;
  }

  /** {@code dir} as a local path when it lives on the local filesystem, else null. */
  private static java.nio.file.Path localPath(String dir, HadoopConf conf) {
    Path p = new Path(dir);
    try {
      return HadoopPaths.localPath(p.getFileSystem(conf.get()), p);
    } catch (IOException | RuntimeException e) {
      return null; // Not resolvable as a local path: list it through Hadoop, which will say why.
    }
  }

  private static List<Entry> listLocal(String dir, java.nio.file.Path folder, String rootReal, List<String> ancestors) {
    List<Entry> out = new ArrayList<>();
    String prefix = dir.endsWith("/") ? dir : dir + "/";
    try (DirectoryStream<java.nio.file.Path> children = Files.newDirectoryStream(folder)) {
      for (java.nio.file.Path child : children) {
        out.add(local(prefix + child.getFileName().toString(), child, rootReal, ancestors));
      }
    } catch (IOException | RuntimeException e) {
      out.add(unlistable(dir, e));
    }
    return out;
  }

  private static Entry local(String path, java.nio.file.Path child, String rootReal, List<String> ancestors) {
    String name = child.getFileName().toString();
    // A name that is not valid UTF-8 decodes with replacement characters; by that string the
    // file cannot be found again (here, on an executor, or by a user reading the id).
    if (!Files.exists(java.nio.file.Path.of(child.toString()), LinkOption.NOFOLLOW_LINKS)) {
      return error(path, ErrorKind.BAD_FILE_NAME, "the file name '" + name + "' is not valid UTF-8, so it cannot"
          + " be opened by name: rename it (e.g. convmv -f latin1 -t utf8)");
    }
    boolean link = Files.isSymbolicLink(child);
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(child, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      if (link) {
        return error(path, ErrorKind.BROKEN_LINK, "symbolic link to a missing target" + target(child));
      }
      return error(path, ErrorKind.NOT_FOUND, "deleted while the folder was being listed");
    } catch (FileSystemException e) {
      if (link) {
        return error(path, ErrorKind.BROKEN_LINK, "symbolic link that cannot be followed" + target(child)
            + (e.getReason() == null ? "" : ": " + e.getReason()));
      }
      return error(path, ErrorKind.READ_FAILED, "cannot read its attributes: " + HadoopPaths.reason(e));
    } catch (IOException e) {
      return error(path, ErrorKind.READ_FAILED, "cannot read its attributes: " + HadoopPaths.reason(e));
    }
    if (attrs.isDirectory()) {
      String real;
      try {
        real = child.toRealPath().toString();
      } catch (IOException e) {
        return error(path, ErrorKind.READ_FAILED, "cannot resolve the folder: " + HadoopPaths.reason(e));
      }
      if (ancestors.contains(real)) {
        return Entry.builder()
            .path(path)
            .length(-1)
            .kind(Kind.SKIP)
            .code(SKIP_LINK_LOOP)
            .message("a link back to a folder above it (" + real + ")")
            .realPath(real)
            .build();
      }
      if (link && (real.equals(rootReal) || real.startsWith(rootReal.endsWith("/") ? rootReal : rootReal + "/"))) {
        return Entry.builder()
            .path(path)
            .length(-1)
            .kind(Kind.SKIP)
            .code(SKIP_LINK_INSIDE)
            .message("a link to " + real + ", which is listed at its own place in the input")
            .realPath(real)
            .build();
      }
      return Entry.builder().path(path).length(-1).kind(Kind.DIR).code(null).message(null).realPath(real).build();
    }
    if (!attrs.isRegularFile()) {
      // A FIFO or a device would block or never end when read.
      return error(path, ErrorKind.UNSUPPORTED_FORMAT, "not a regular file (a FIFO, socket or device)");
    }
    return Entry.builder()
        .path(path)
        .length(attrs.size())
        .kind(Kind.FILE)
        .code(null)
        .message(null)
        .realPath(null)
        .build();
  }

  private static String target(java.nio.file.Path link) {
    try {
      return " (" + Files.readSymbolicLink(link) + ")";
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
  }

  private static List<Entry> listHadoop(String dir, List<String> ancestors, HadoopConf conf) {
    List<Entry> out = new ArrayList<>();
    try {
      Path p = new Path(dir);
      for (FileStatus s : p.getFileSystem(conf.get()).listStatus(p)) {
        String path = s.getPath().toString();
        if (s.isDirectory()) {
          out.add(ancestors.contains(path)
              ? Entry.builder()
                  .path(path)
                  .length(-1)
                  .kind(Kind.SKIP)
                  .code(SKIP_LINK_LOOP)
                  .message("a link back to a folder above it")
                  .realPath(path)
                  .build()
              : Entry.builder().path(path).length(-1).kind(Kind.DIR).code(null).message(null).realPath(path).build());
        } else if (s.isFile()) {
          out.add(Entry.builder()
              .path(path)
              .length(s.getLen())
              .kind(Kind.FILE)
              .code(null)
              .message(null)
              .realPath(null)
              .build());
        } else {
          out.add(error(path, ErrorKind.BROKEN_LINK, "a symbolic link that cannot be followed"));
        }
      }
    } catch (IOException | RuntimeException e) {
      out.add(unlistable(dir, e));
    }
    return out;
  }

  /** An error for a folder whose content cannot be listed: one row stands for what it holds. */
  private static Entry unlistable(String dir, Exception e) {
    return Entry.builder()
        .path(dir)
        .length(-1)
        .kind(Kind.ERROR)
        .code(ErrorKind.READ_FAILED.code())
        .message("cannot list this folder, so the images in it are not analysed: " + HadoopPaths.reason(e))
        .realPath(dir)
        .build();
  }

  private static Entry error(String path, ErrorKind kind, String message) {
    return Entry.builder()
        .path(path)
        .length(-1)
        .kind(Kind.ERROR)
        .code(kind.code())
        .message(message)
        .realPath(null)
        .build();
  }

}
