package org.convlens.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CIFAR binary format (https://www.cs.toronto.edu/~kriz/cifar.html). CIFAR-10 records are
 * {@code <1 byte label><3072 bytes pixels>}; CIFAR-100 records are {@code <1 byte coarse
 * label><1 byte fine label><3072 bytes>}. Pixels are 32×32, stored as the red plane, then green,
 * then blue, each row-major.
 */
public final class CifarFormat {
  public static final int SIDE = 32;
  public static final int PIXEL_BYTES = 3 * SIDE * SIDE;

  /** Which CIFAR variant (and, for CIFAR-100, which label) a batch file holds. */
  public enum Variant {
    CIFAR10(1, 0, "batches.meta.txt"),
    CIFAR100_FINE(2, 1, "fine_label_names.txt"),
    CIFAR100_COARSE(2, 0, "coarse_label_names.txt");

    /** Label bytes before the pixels. */
    public final int labelBytes;
    /** Which of the label bytes is the label used. */
    public final int labelOffset;
    /** The class-name file shipped with the binary version of the dataset. */
    public final String metaFile;

    Variant(int labelBytes, int labelOffset, String metaFile) {
      this.labelBytes = labelBytes;
      this.labelOffset = labelOffset;
      this.metaFile = metaFile;
    }

    public int recordBytes() {
      return labelBytes + PIXEL_BYTES;
    }
  }

  private CifarFormat() {}

  /** The label of the record starting at {@code offset} in {@code buf}. */
  public static int label(byte[] buf, int offset, Variant variant) {
    return buf[offset + variant.labelOffset] & 0xff;
  }

  /** Writes one CIFAR-10 record (label + planar RGB) into {@code out} at {@code offset}. */
  public static void writeCifar10(byte[] out, int offset, int label, byte[] planarRgb) {
    if (planarRgb.length != PIXEL_BYTES || label < 0 || label > 255) {
      throw new IllegalArgumentException("a CIFAR-10 record needs a label 0..255 and 3072 bytes");
    }
    out[offset] = (byte) label;
    System.arraycopy(planarRgb, 0, out, offset + 1, PIXEL_BYTES);
  }

  /** Reads a class-name file: one name per line, blank lines ignored. */
  public static List<String> readClassNames(Path file) throws IOException {
    List<String> names = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String name = line.strip();
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }
}
