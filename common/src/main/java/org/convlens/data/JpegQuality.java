package org.convlens.data;

/**
 * Estimates the quality setting a JPEG was saved with, from its luminance quantisation table.
 *
 * <p>Nearly every encoder (libjpeg and libjpeg-turbo under PIL and most tools, the JDK's ImageIO
 * writer, ImageMagick) builds its tables the IJG way: the example luminance table of the JPEG
 * standard (ITU-T T.81, Annex K, Table K.1) scaled by {@code 5000 / q} percent for a quality
 * {@code q < 50} and by {@code 200 - 2q} percent from 50 up, each entry rounded and clamped to
 * 1..255 (libjpeg's {@code jpeg_quality_scaling} and {@code jpeg_add_quant_table} with
 * {@code force_baseline}). The estimate is the quality 1..100 whose IJG table is nearest the
 * file's luminance table (least sum of absolute differences over the 64 entries; the higher
 * quality on a tie). A file made by an IJG-style encoder gets its quality back exactly; a file
 * whose tables are its own (some cameras, some editors) gets the IJG quality that quantises
 * about as coarsely. ImageMagick's {@code identify -format %Q} answers the same question with
 * its own lookup table of sums over both tables; on IJG files the two agree.
 *
 * <p>Only the markers before the first scan are read (no pixel data); anything that is not a
 * readable JPEG header gives null.
 */
public final class JpegQuality {
  /** ITU-T T.81 Table K.1, the example luminance quantisation table, in row-major order. */
  private static final int[] K1_LUMINANCE = {
      16, 11, 10, 16, 24, 40, 51, 61,
      12, 12, 14, 19, 26, 58, 60, 55,
      14, 13, 16, 24, 40, 57, 69, 56,
      14, 17, 22, 29, 51, 87, 80, 62,
      18, 22, 37, 56, 68, 109, 103, 77,
      24, 35, 55, 64, 81, 104, 113, 92,
      49, 64, 78, 87, 103, 121, 120, 101,
      72, 92, 95, 98, 112, 100, 103, 99};

  /** Where the k-th coefficient of a DQT segment (zig-zag order) sits in row-major order. */
  private static final int[] ZIGZAG = {
      0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
      12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
      35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
      58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

  private JpegQuality() {}

  /**
   * The estimated quality (1..100) of the JPEG in {@code bytes}, or null when the bytes are not a
   * JPEG or its header holds no luminance table.
   */
  public static Integer estimate(byte[] bytes) {
    int[] table = luminanceTable(bytes);
    return table == null ? null : nearestIjgQuality(table);
  }

  /**
   * The quantisation table of the first colour component (luminance in a YCbCr or grey JPEG), in
   * row-major order; null when there is none or the header cannot be walked.
   */
  static int[] luminanceTable(byte[] b) {
    if (b == null || b.length < 4 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xFF) != 0xD8) {
      return null;
    }
    int[][] tables = new int[4][];
    int firstComponentTable = -1;
    int pos = 2;
    while (pos + 4 <= b.length) {
      if ((b[pos] & 0xFF) != 0xFF) {
        return null;
      }
      int marker = b[pos + 1] & 0xFF;
      if (marker == 0xFF) { // fill byte
        pos++;
        continue;
      }
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // no length
        pos += 2;
        continue;
      }
      if (marker == 0xDA || marker == 0xD9) { // start of scan / end of image: the header is over
        break;
      }
      int length = (b[pos + 2] & 0xFF) << 8 | (b[pos + 3] & 0xFF);
      int end = pos + 2 + length;
      if (length < 2 || end > b.length) {
        return null;
      }
      if (marker == 0xDB) {
        int p = pos + 4;
        while (p < end) {
          int precision = (b[p] & 0xFF) >> 4;
          int id = b[p] & 0x0F;
          int size = precision == 0 ? 64 : 128;
          if (id > 3 || p + 1 + size > end) {
            return null;
          }
          int[] t = new int[64];
          for (int k = 0; k < 64; k++) {
            t[ZIGZAG[k]] = precision == 0 ? b[p + 1 + k] & 0xFF
                : (b[p + 1 + 2 * k] & 0xFF) << 8 | (b[p + 2 + 2 * k] & 0xFF);
          }
          tables[id] = t;
          p += 1 + size;
        }
      } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        // SOF: precision, height, width, component count, then (id, sampling, table) per component
        if (length >= 11) {
          firstComponentTable = b[pos + 12] & 0x0F;
        }
      }
      pos = end;
    }
    int id = firstComponentTable >= 0 && firstComponentTable < 4 ? firstComponentTable : 0;
    return tables[id];
  }

  /** The IJG quality 1..100 whose scaled K.1 table is nearest {@code table} (row-major). */
  static int nearestIjgQuality(int[] table) {
    int best = 100;
    long bestDistance = Long.MAX_VALUE;
    for (int q = 100; q >= 1; q--) {
      long distance = 0;
      int[] ijg = ijgTable(q);
      for (int i = 0; i < 64; i++) {
        distance += Math.abs((long) table[i] - ijg[i]);
      }
      if (distance < bestDistance) {
        best = q;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** libjpeg's luminance table at quality {@code q} (row-major), baseline-clamped to 1..255. */
  static int[] ijgTable(int q) {
    int scale = q < 50 ? 5000 / q : 200 - 2 * q;
    int[] t = new int[64];
    for (int i = 0; i < 64; i++) {
      t[i] = (int) Math.max(1, Math.min(255, (K1_LUMINANCE[i] * (long) scale + 50) / 100));
    }
    return t;
  }
}
