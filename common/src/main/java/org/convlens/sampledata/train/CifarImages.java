package org.convlens.sampledata.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.convlens.data.CifarFormat;
import org.convlens.model.ModelDescription.Preprocessing;

/**
 * CIFAR-10 records held in memory for training: the planar RGB bytes of every image back to
 * back, and the labels. 6,000 images take 18 MB, so the whole training set fits comfortably.
 *
 * @param pixels {@code size() × 3072} bytes, each image red plane, green plane, blue plane
 * @param labels one label per image
 */
public record CifarImages(byte[] pixels, int[] labels) {
  public CifarImages {
    if (pixels.length != labels.length * CifarFormat.PIXEL_BYTES) {
      throw new IllegalArgumentException("pixels must hold 3072 bytes per label");
    }
  }

  /** Reads whole CIFAR-10 batch files, in the order given. */
  public static CifarImages read(List<Path> files) throws IOException {
    int recordBytes = CifarFormat.Variant.CIFAR10.recordBytes();
    byte[][] contents = new byte[files.size()][];
    int count = 0;
    for (int f = 0; f < files.size(); f++) {
      contents[f] = Files.readAllBytes(files.get(f));
      if (contents[f].length % recordBytes != 0) {
        throw new IOException(
            files.get(f) + " is not a CIFAR-10 batch: " + contents[f].length
                + " bytes is not a multiple of " + recordBytes);
      }
      count += contents[f].length / recordBytes;
    }
    byte[] pixels = new byte[count * CifarFormat.PIXEL_BYTES];
    int[] labels = new int[count];
    int i = 0;
    for (byte[] content : contents) {
      for (int off = 0; off < content.length; off += recordBytes, i++) {
        labels[i] = CifarFormat.label(content, off, CifarFormat.Variant.CIFAR10);
        System.arraycopy(
            content, off + 1, pixels, i * CifarFormat.PIXEL_BYTES, CifarFormat.PIXEL_BYTES);
      }
    }
    return new CifarImages(pixels, labels);
  }

  public int size() {
    return labels.length;
  }

  /**
   * Per-channel mean and standard deviation over every pixel, on the [0,1] scale, rounded to four
   * decimals so {@code model.json} stays readable. {@code resize} is the CIFAR side: the model
   * sees 32×32 input.
   */
  public Preprocessing fitPreprocessing() {
    int plane = CifarFormat.SIDE * CifarFormat.SIDE;
    double[] sum = new double[3];
    double[] sumSq = new double[3];
    for (int i = 0; i < size(); i++) {
      for (int c = 0; c < 3; c++) {
        int base = i * CifarFormat.PIXEL_BYTES + c * plane;
        for (int p = 0; p < plane; p++) {
          double v = (pixels[base + p] & 0xff) / 255.0;
          sum[c] += v;
          sumSq[c] += v * v;
        }
      }
    }
    float[] mean = new float[3];
    float[] std = new float[3];
    double n = (double) size() * plane;
    for (int c = 0; c < 3; c++) {
      double m = sum[c] / n;
      mean[c] = round4(m);
      std[c] = round4(Math.sqrt(Math.max(sumSq[c] / n - m * m, 1e-8)));
    }
    return new Preprocessing(CifarFormat.SIDE, mean, std);
  }

  /**
   * Writes image {@code index}, normalised as the model description says ({@code (x/255 - mean)
   * / std} per channel, CHW), into {@code out} at {@code offset}.
   */
  void normalise(int index, Preprocessing pre, float[] out, int offset) {
    int plane = CifarFormat.SIDE * CifarFormat.SIDE;
    int base = index * CifarFormat.PIXEL_BYTES;
    for (int c = 0; c < 3; c++) {
      float mean = pre.mean()[c];
      float std = pre.std()[c];
      for (int p = 0; p < plane; p++) {
        int k = c * plane + p;
        out[offset + k] = ((pixels[base + k] & 0xff) / 255f - mean) / std;
      }
    }
  }

  private static float round4(double v) {
    return (float) (Math.round(v * 10_000) / 10_000.0);
  }
}
