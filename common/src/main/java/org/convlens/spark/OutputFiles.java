package org.convlens.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Small files next to the outputs (run.json, effective.conf, PNGs, SVGs), on any Hadoop
 * filesystem. Each is written to a temporary name beside it and renamed over the old one, so a
 * reader (or a crash) never sees half a file, and a failed write leaves the old file intact.
 */
public final class OutputFiles {
  /** Prefix of the temporary files; leftovers of a killed run are removed by the next run. */
  static final String TEMP_PREFIX = ".convlens-tmp-";

  private OutputFiles() {}

  /** A small JSON file (run.json, audit.json...), or null when it is missing or unreadable. */
  public static com.fasterxml.jackson.databind.JsonNode readJson(Path file, Configuration conf) {
    try {
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.isFile(file)) {
        return null;
      }
      try (java.io.InputStream in = fs.open(file)) {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
      }
    } catch (IOException e) {
      return null;
    }
  }

  public static void writeText(Path file, String text, Configuration conf) throws IOException {
    writeBytes(file, text.getBytes(StandardCharsets.UTF_8), conf);
  }

  public static void writeBytes(Path file, byte[] bytes, Configuration conf) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    // No .crc sidecar next to files people open directly (the local filesystem writes one).
    if (fs instanceof LocalFileSystem local) {
      fs = local.getRawFileSystem();
    }
    Path temp = new Path(file.getParent(), TEMP_PREFIX + java.util.UUID.randomUUID() + "-" + file.getName());
    try {
      try (OutputStream out = fs.create(temp, true)) {
        out.write(bytes);
      }
      StagedOutput.moveReplacing(fs, temp, file);
    } finally {
      fs.delete(temp, false);
    }
  }
}
