package org.convlens.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** Small text files next to the outputs (run.json, effective.conf), on any Hadoop filesystem. */
public final class OutputFiles {
  private OutputFiles() {}

  public static void writeText(Path file, String text, Configuration conf) throws IOException {
    try (OutputStream out = file.getFileSystem(conf).create(file, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
