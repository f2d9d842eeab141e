package org.convlens.analyze;

import java.awt.image.BufferedImage;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.convlens.data.JpegQuality;

/**
 * Cheap statistics of one decoded image, stored by the analysis as nullable columns (null on
 * error rows) and read by the audit's statistics detector, which asks whether any of them
 * separates the images a class is predicted for (docs/audit.md). Computed on the image as
 * decoded, before any resize or crop: what the source looks like, not what the model saw.
 *
 * <p>Pixels are 8-bit sRGB values as decoded (gamma-encoded, not linearised). Luma is Rec. 601,
 * {@code Y = 0.299 R + 0.587 G + 0.114 B}, the weights of PIL's {@code convert("L")} and
 * OpenCV's {@code COLOR_RGB2GRAY}, kept unrounded.
 *
 * <p>Images above {@link #MAX_PIXELS} pixels are measured on a box-averaged copy (integer factor
 * {@code f = ceil(sqrt(pixels / MAX_PIXELS))}, partial blocks at the right and bottom edges
 * averaged over the pixels they hold): means are unchanged up to rounding, but sharpness and the
 * standard deviations are those of the coarser image. The Laplacian's variance depends on scale
 * anyway (the same scene is sharper per pixel at a lower resolution), so compare sharpness
 * between images of similar size.
 *
 * @param brightness mean luma over 255, 0 (black) to 1 (white)
 * @param contrast RMS contrast: the population standard deviation of luma over 255, 0 (flat) to
 *     0.5 (half black, half white)
 * @param colourfulness Hasler and Süsstrunk's M (2003, "Measuring colourfulness in natural
 *     images", SPIE 5007): with {@code rg = R - G} and {@code yb = (R + G)/2 - B} on 0..255,
 *     {@code M = sqrt(σ_rg² + σ_yb²) + 0.3 sqrt(μ_rg² + μ_yb²)}; 0 for grey, about 33
 *     "moderately" and 82 "highly" colourful on the paper's scale. The signed opponent values of
 *     the paper (the popular OpenCV recipe takes their absolute values, which this does not)
 * @param saturation mean HSV saturation {@code (max - min) / max} per pixel (0 for black), 0..1
 * @param hue circular mean of the HSV hue in degrees [0, 360), each pixel weighted by its
 *     chroma {@code max - min} (so greys do not count): 0 red, 120 green, 240 blue; null when the
 *     image has no chroma or its hues cancel out. Stored for reading; the detector tests the tint
 *     instead, since an AUC of an angle depends on where the circle is cut
 * @param tintRg mean of {@code (R - G) / 255}, -1..1: the red (+) / green (-) cast
 * @param tintYb mean of {@code ((R + G)/2 - B) / 255}, -1..1: the yellow (+) / blue (-) cast.
 *     With {@code tintRg} the mean of the opponent channels colourfulness uses: a colour cast
 *     moves them linearly, which is what an AUC can separate
 * @param sharpness variance of the 4-neighbour Laplacian ({@code [0 1 0; 1 -4 1; 0 1 0]}) of luma
 *     on 0..255, over every pixel with reflected borders (OpenCV's {@code Laplacian(grey,
 *     CV_64F).var()}, the usual blur measure of Pech-Pacheco et al., ICPR 2000; OpenCV's grey is
 *     rounded to 8 bits, this luma is not); 0 for a flat image
 * @param borderVariation border uniformity: the standard deviation of luma in the outer band
 *     ({@code max(1, min(w, h) / 8)} pixels wide) over that of the whole image; 0 = a flat border
 *     (a studio backdrop, padding), about 1 = a border as busy as the image; 0 for a flat image
 * @param fileBytes size of the file in bytes; null for CIFAR records (always 3,072 bytes of
 *     pixels: nothing about the source)
 * @param jpegQuality the JPEG quality the file was saved at, estimated from its luminance
 *     quantisation table ({@link JpegQuality}); null when the file is not a JPEG
 */
public record ImageStatistics(float brightness, float contrast, float colourfulness, float saturation, Float hue,
    float tintRg, float tintYb, float sharpness, float borderVariation, Long fileBytes, Integer jpegQuality)
    implements Serializable {

  /** Images with more pixels are measured on a box-averaged copy of at most about this many. */
  public static final long MAX_PIXELS = 1L << 22;

  public static final String BRIGHTNESS = "brightness";
  public static final String CONTRAST = "contrast";
  public static final String COLOURFULNESS = "colourfulness";
  public static final String SATURATION = "saturation";
  public static final String HUE = "hue";
  public static final String TINT_RG = "tint_rg";
  public static final String TINT_YB = "tint_yb";
  public static final String SHARPNESS = "sharpness";
  public static final String BORDER_VARIATION = "border_variation";
  public static final String FILE_BYTES = "file_bytes";
  public static final String JPEG_QUALITY = "jpeg_quality";

  /** The analysis columns, in this order, after {@link AnalysisSchema#INPUT_PNG}; all nullable. */
  public static final List<StructField> FIELDS = List.of(
      DataTypes.createStructField(BRIGHTNESS, DataTypes.FloatType, true),
      DataTypes.createStructField(CONTRAST, DataTypes.FloatType, true),
      DataTypes.createStructField(COLOURFULNESS, DataTypes.FloatType, true),
      DataTypes.createStructField(SATURATION, DataTypes.FloatType, true),
      DataTypes.createStructField(HUE, DataTypes.FloatType, true),
      DataTypes.createStructField(TINT_RG, DataTypes.FloatType, true),
      DataTypes.createStructField(TINT_YB, DataTypes.FloatType, true),
      DataTypes.createStructField(SHARPNESS, DataTypes.FloatType, true),
      DataTypes.createStructField(BORDER_VARIATION, DataTypes.FloatType, true),
      DataTypes.createStructField(FILE_BYTES, DataTypes.LongType, true),
      DataTypes.createStructField(JPEG_QUALITY, DataTypes.IntegerType, true));

  /** The values of {@link #FIELDS}, in order. */
  public Object[] values() {
    return new Object[] {brightness, contrast, colourfulness, saturation, hue, tintRg, tintYb, sharpness,
        borderVariation, fileBytes, jpegQuality};
  }

  /**
   * The statistics of a decoded image file.
   *
   * @param file the file's bytes (its size, and its quantisation table when a JPEG)
   * @param format the decoded format ({@link org.convlens.data.DecodedImage#format()})
   */
  public static ImageStatistics ofFile(BufferedImage rgb, byte[] file, String format) {
    Integer quality = "jpeg".equals(format) ? JpegQuality.estimate(file) : null;
    long pixels = (long) rgb.getWidth() * rgb.getHeight();
    int factor = pixels <= MAX_PIXELS ? 1 : (int) Math.ceil(Math.sqrt((double) pixels / MAX_PIXELS));
    Pixels p = factor == 1 ? new Pixels(rgb.getRGB(0, 0, rgb.getWidth(), rgb.getHeight(), null, 0, rgb.getWidth()),
        rgb.getWidth(), rgb.getHeight()) : boxAverage(rgb, factor);
    return measure(p.rgb, p.width, p.height, (long) file.length, quality);
  }

  /** The statistics of planar 8-bit RGB (a CIFAR record's layout: red plane, green, blue). */
  public static ImageStatistics ofPlanar(byte[] planar, int w, int h) {
    int n = w * h;
    int[] rgb = new int[n];
    for (int i = 0; i < n; i++) {
      rgb[i] = (planar[i] & 0xFF) << 16 | (planar[n + i] & 0xFF) << 8 | (planar[2 * n + i] & 0xFF);
    }
    return measure(rgb, w, h, null, null);
  }

  private record Pixels(int[] rgb, int width, int height) {}

  /** Block means over {@code factor}² pixels, read one row at a time (no full-size copy). */
  private static Pixels boxAverage(BufferedImage img, int factor) {
    int w = img.getWidth();
    int h = img.getHeight();
    int ow = (w + factor - 1) / factor;
    int oh = (h + factor - 1) / factor;
    int[] out = new int[ow * oh];
    long[] r = new long[ow];
    long[] g = new long[ow];
    long[] b = new long[ow];
    long[] count = new long[ow];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int o = x / factor;
        r[o] += row[x] >> 16 & 0xFF;
        g[o] += row[x] >> 8 & 0xFF;
        b[o] += row[x] & 0xFF;
        count[o]++;
      }
      if (y % factor == factor - 1 || y == h - 1) {
        int oy = y / factor;
        for (int o = 0; o < ow; o++) {
          long c = count[o];
          out[oy * ow + o] = (int) ((r[o] + c / 2) / c) << 16 | (int) ((g[o] + c / 2) / c) << 8
              | (int) ((b[o] + c / 2) / c);
        }
        java.util.Arrays.fill(r, 0);
        java.util.Arrays.fill(g, 0);
        java.util.Arrays.fill(b, 0);
        java.util.Arrays.fill(count, 0);
      }
    }
    return new Pixels(out, ow, oh);
  }

  /** The statistics of {@code w × h} pixels packed {@code 0x??RRGGBB}, row-major. */
  static ImageStatistics measure(int[] rgb, int w, int h, Long fileBytes, Integer jpegQuality) {
    int n = w * h;
    int band = Math.max(1, Math.min(w, h) / 8);
    float[] luma = new float[n];
    // First pass: means (luma, the opponent channels, the border band), saturation, the hue vector.
    double sumY = 0;
    double sumRg = 0;
    double sumYb = 0;
    double sumSat = 0;
    double hueX = 0;
    double hueY = 0;
    double sumBand = 0;
    long bandPixels = 0;
    for (int y = 0, i = 0; y < h; y++) {
      boolean bandRow = y < band || y >= h - band;
      for (int x = 0; x < w; x++, i++) {
        int r = rgb[i] >> 16 & 0xFF;
        int g = rgb[i] >> 8 & 0xFF;
        int b = rgb[i] & 0xFF;
        // Sums over the stored float, so that a flat image's mean is its value exactly.
        float yv = (float) (0.299 * r + 0.587 * g + 0.114 * b);
        luma[i] = yv;
        sumY += yv;
        sumRg += r - g;
        sumYb += 0.5 * (r + g) - b;
        int max = Math.max(r, Math.max(g, b));
        int chroma = max - Math.min(r, Math.min(g, b));
        if (chroma > 0) {
          sumSat += (double) chroma / max;
          // HSV hue; red's sector is left in [-60, 60] degrees, the same angle on the circle
          double degrees = max == r ? 60.0 * (g - b) / chroma
              : max == g ? 60.0 * ((double) (b - r) / chroma + 2) : 60.0 * ((double) (r - g) / chroma + 4);
          double radians = Math.toRadians(degrees);
          hueX += chroma * Math.cos(radians);
          hueY += chroma * Math.sin(radians);
        }
        if (bandRow || x < band || x >= w - band) {
          sumBand += yv;
          bandPixels++;
        }
      }
    }
    double meanY = sumY / n;
    double meanRg = sumRg / n;
    double meanYb = sumYb / n;
    double meanBand = sumBand / bandPixels;
    // Second pass: the spreads, and the Laplacian with OpenCV's default border (reflect-101).
    double varY = 0;
    double varRg = 0;
    double varYb = 0;
    double varBand = 0;
    double sumLap = 0;
    double sumLap2 = 0;
    for (int y = 0, i = 0; y < h; y++) {
      boolean bandRow = y < band || y >= h - band;
      int up = reflect(y - 1, h) * w;
      int down = reflect(y + 1, h) * w;
      for (int x = 0; x < w; x++, i++) {
        int r = rgb[i] >> 16 & 0xFF;
        int g = rgb[i] >> 8 & 0xFF;
        int b = rgb[i] & 0xFF;
        double dy = luma[i] - meanY;
        varY += dy * dy;
        double drg = r - g - meanRg;
        varRg += drg * drg;
        double dyb = 0.5 * (r + g) - b - meanYb;
        varYb += dyb * dyb;
        if (bandRow || x < band || x >= w - band) {
          double d = luma[i] - meanBand;
          varBand += d * d;
        }
        double lap = (double) luma[up + x] + luma[down + x] + luma[y * w + reflect(x - 1, w)]
            + luma[y * w + reflect(x + 1, w)] - 4.0 * luma[i];
        sumLap += lap;
        sumLap2 += lap * lap;
      }
    }
    double sdY = Math.sqrt(varY / n);
    double sdBand = Math.sqrt(varBand / bandPixels);
    double colourfulness = Math.sqrt(varRg / n + varYb / n) + 0.3 * Math.sqrt(meanRg * meanRg + meanYb * meanYb);
    double meanLap = sumLap / n;
    double sharpness = Math.max(0, sumLap2 / n - meanLap * meanLap);
    double resultant = Math.hypot(hueX, hueY);
    Float hue = null;
    if (resultant > 1e-6 * n) {
      double degrees = Math.toDegrees(Math.atan2(hueY, hueX));
      hue = (float) (degrees < 0 ? degrees + 360 : degrees);
      if (hue >= 360f) {
        hue = 0f;
      }
    }
    return new ImageStatistics((float) (meanY / 255), (float) (sdY / 255), (float) colourfulness,
        (float) (sumSat / n), hue, (float) (meanRg / 255), (float) (meanYb / 255), (float) sharpness,
        (float) (sdY == 0 ? 0 : sdBand / sdY), fileBytes, jpegQuality);
  }

  /** OpenCV's BORDER_REFLECT_101: -1 → 1, n → n - 2; a side of one pixel reflects onto itself. */
  private static int reflect(int i, int n) {
    if (n == 1) {
      return 0;
    }
    return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
  }
}
