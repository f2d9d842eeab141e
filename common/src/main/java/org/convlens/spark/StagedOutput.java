package org.convlens.spark;

import static org.convlens.data.HadoopPaths.display;
import static org.convlens.data.HadoopPaths.localPath;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An output folder written beside its destination and swapped in only when complete, so that a
 * failed, killed or interrupted run leaves the previous output exactly as it was.
 *
 * <p>A job writes into {@link #path()} ({@code <parent>/<name>.staging-<run id>}; not a hidden
 * name, which Spark's readers would ignore), then either
 *
 * <ul>
 *   <li>{@link #replace}: the old output is renamed aside ({@code <name>.previous-<run id>}), the
 *       staged one renamed into place, and the old one deleted. Between the two renames there is
 *       no output at {@code <name>} for a moment; if the process dies exactly then, the next run
 *       that takes the folder's lock puts the previous output back ({@link #recover}); or
 *   <li>{@link #append}: the staged data files are moved one by one into the existing output
 *       (analyze's resume). Each move is atomic and file names are unique per run, so a crash in
 *       the middle leaves some complete files moved and the rest not: a later resume analyses
 *       exactly the missing inputs.
 * </ul>
 *
 * Both check {@link OutputLock#checkHeld()} first. Renames within one folder are atomic on local
 * disks and HDFS; on object stores they are copies, and this guarantee is weaker.
 */
public final class StagedOutput implements AutoCloseable {
  private static final String STAGING = ".staging-";
  private static final String PREVIOUS = ".previous-";
  /** {@code <name>.staging-<run id>} or {@code <name>.previous-<run id>}; run ids as {@link OutputLayout#newRunId} makes them. */
  private static final java.util.regex.Pattern LEFTOVER =
      java.util.regex.Pattern.compile("(.+)\\.(staging|previous)-(\\d{8}T\\d{6}Z-[0-9a-f]{4})");

  private final Path target;
  private final Path staging;
  private final Configuration conf;
  private boolean done;

  private StagedOutput(Path target, Path staging, Configuration conf) {
    this.target = target;
    this.staging = staging;
    this.conf = conf;
  }

  /** A fresh staging folder for {@code target} (nothing is created until a job writes there). */
  public static StagedOutput begin(Path destination, Configuration conf, String runId) {
    Path target = new Path(destination.toString()); // without a trailing slash: getParent() must be the parent
    Path staging = new Path(target.getParent(), target.getName() + STAGING + runId);
    try {
      FileSystem fs = staging.getFileSystem(conf);
      fs.delete(staging, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + staging + ": " + e.getMessage(), e);
    }
    return new StagedOutput(target, staging, conf);
  }

  /** Where the job writes. */
  public Path path() {
    return staging;
  }

  /** The destination. */
  public Path target() {
    return target;
  }

  /** Swaps the staged output in place of {@code target} (whatever was there is replaced). */
  public void replace(OutputLock lock) throws IOException {
    lock.checkHeld();
    FileSystem fs = staging.getFileSystem(conf);
    if (!fs.exists(staging)) {
      fs.mkdirs(staging); // a job that wrote nothing still replaces the old output
    }
    Path previous = new Path(target.getParent(), target.getName() + PREVIOUS + staging.getName()
        .substring(staging.getName().lastIndexOf(STAGING) + STAGING.length()));
    boolean hadOld = fs.exists(target);
    if (hadOld && !fs.rename(target, previous)) {
      throw new IOException("cannot move " + target + " aside to replace it");
    }
    if (!fs.rename(staging, target)) {
      if (hadOld) {
        fs.rename(previous, target);
      }
      throw new IOException("cannot move " + staging + " to " + target);
    }
    done = true;
    if (hadOld) {
      fs.delete(previous, true);
    }
  }

  /** Moves the staged data files (names not starting with {@code _} or {@code .}) into {@code target}. */
  public void append(OutputLock lock) throws IOException {
    lock.checkHeld();
    FileSystem fs = staging.getFileSystem(conf);
    if (!fs.exists(target)) {
      fs.mkdirs(target);
    }
    if (fs.exists(staging)) {
      for (FileStatus s : fs.listStatus(staging)) {
        String name = s.getPath().getName();
        if (s.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
          Path to = new Path(target, name);
          if (!fs.rename(s.getPath(), to)) {
            throw new IOException("cannot move " + s.getPath() + " to " + to);
          }
        }
      }
    }
    done = true;
    fs.delete(staging, true);
  }

  /** Removes the staging folder unless the output was committed. */
  @Override
  public void close() {
    if (!done) {
      try {
        staging.getFileSystem(conf).delete(staging, true);
      } catch (IOException | RuntimeException e) {
        // The next run holding the lock removes it (recover).
      }
    }
  }

  /**
   * Cleans up after interrupted runs in {@code folder}; called with its lock held, so no other
   * run is writing there. Staging folders are deleted; an output moved aside whose replacement
   * never arrived is put back.
   */
  static void recover(Path folder, Configuration conf, PrintStream console) {
    try {
      FileSystem fs = folder.getFileSystem(conf);
      for (FileStatus s : fs.listStatus(folder)) {
        String name = s.getPath().getName();
        java.util.regex.Matcher m = LEFTOVER.matcher(name);
        if (m.matches() && m.group(2).equals("previous")) {
          Path original = new Path(folder, m.group(1));
          if (!fs.exists(original) && fs.rename(s.getPath(), original)) {
            console.println("output: restored " + display(original)
                + ", which an interrupted run had moved aside");
          } else {
            fs.delete(s.getPath(), true);
          }
        } else if (m.matches() || name.startsWith(OutputFiles.TEMP_PREFIX)) {
          console.println("output: removing " + display(s.getPath()) + " left by an interrupted run");
          fs.delete(s.getPath(), true);
        } else if (name.startsWith(OutputLock.FILE + ".stale-")) {
          fs.delete(s.getPath(), false);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean up " + folder + ": " + e.getMessage(), e);
    }
  }

  /** Replaces {@code target} by {@code source} atomically where the filesystem can. */
  static void moveReplacing(FileSystem fs, Path source, Path target) throws IOException {
    java.nio.file.Path from = localPath(fs, source);
    if (from != null) {
      Files.move(from, localPath(fs, target), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try {
      org.apache.hadoop.fs.FileContext.getFileContext(target.toUri(), fs.getConf())
          .rename(source, target, org.apache.hadoop.fs.Options.Rename.OVERWRITE);
    } catch (UnsupportedOperationException e) {
      fs.delete(target, false);
      if (!fs.rename(source, target)) {
        throw new IOException("cannot move " + source + " to " + target);
      }
    }
  }
}
