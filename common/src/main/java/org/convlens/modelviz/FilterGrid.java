package org.convlens.modelviz;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.convlens.config.InvalidConfigException;
import org.convlens.data.Images;
import org.convlens.model.ModelParameters;
import org.convlens.model.ModelParameters.Param;

/**
 * A convolution's kernels laid out as a picture (the classic first-layer filter plot of
 * Krizhevsky et al. 2012 and Zeiler &amp; Fergus 2014).
 *
 * <ul>
 *   <li>{@link Layout#RGB}: a first layer on a 3-channel input. Each of the K filters is one
 *       k×k RGB tile, normalised on its own: (w − min) / (max − min) over the filter's 3·k·k
 *       values, so every tile spans the full range (a constant filter is mid-grey).
 *   <li>{@link Layout#BY_INPUT_CHANNEL}: any other layer (the second layer, or a first layer
 *       whose input is not RGB). Kernels W[o, c] are grey k×k tiles, each normalised on its own,
 *       grouped by input channel c: one block per c holding its K kernels.
 * </ul>
 *
 * Tiles are enlarged by an integer factor (nearest neighbour) so a 3×3 kernel stays visible, with
 * a 1-pixel gap between tiles and a 4-pixel gap between groups.
 *
 * @param parameter the weight's full parameter name
 * @param module the layer it belongs to
 * @param shape K×C×kh×kw
 * @param layout how tiles are drawn and grouped
 * @param tiles one per tile in drawing order (filter o for RGB; c·K + o by input channel), each
 *     normalised to [0,1]: 3×kh×kw for RGB, kh×kw otherwise
 * @param columns tiles per row (within a group for {@link Layout#BY_INPUT_CHANNEL})
 * @param rows tile rows (within a group)
 * @param groupColumns groups per row (1 for RGB)
 * @param groupRows group rows (1 for RGB)
 * @param scale the enlargement factor
 */
public record FilterGrid(
    String parameter,
    String module,
    long[] shape,
    Layout layout,
    float[][] tiles,
    int columns,
    int rows,
    int groupColumns,
    int groupRows,
    int scale) {

  public enum Layout {
    RGB,
    BY_INPUT_CHANNEL
  }

  /** Tiles are enlarged to at least this many pixels a side. */
  static final int MIN_TILE_PIXELS = 12;
  static final int GAP = 1;
  static final int GROUP_GAP = 4;
  private static final int BACKGROUND = 0xFFFFFFFF;

  /** The grid of one weight parameter; RGB layout when {@code rgb} and it has 3 input channels. */
  public static FilterGrid of(ModelParameters params, Param weight, boolean rgb) {
    long[] s = weight.shape();
    if (s.length != 4) {
      throw new IllegalArgumentException(weight.name() + " is not a convolution weight (shape "
          + java.util.Arrays.toString(s) + ")");
    }
    int k = (int) s[0];
    int c = (int) s[1];
    int kh = (int) s[2];
    int kw = (int) s[3];
    float[] w = params.values(weight.name());
    int scale = Math.max(1, (MIN_TILE_PIXELS + Math.max(kh, kw) - 1) / Math.max(kh, kw));
    if (rgb && c == 3) {
      float[][] tiles = new float[k][];
      int size = c * kh * kw;
      for (int o = 0; o < k; o++) {
        tiles[o] = normalised(w, o * size, size);
      }
      int cols = (int) Math.ceil(Math.sqrt(k));
      return new FilterGrid(weight.name(), weight.module(), s, Layout.RGB, tiles, cols,
          (k + cols - 1) / cols, 1, 1, scale);
    }
    float[][] tiles = new float[k * c][];
    int size = kh * kw;
    for (int ci = 0; ci < c; ci++) {
      for (int o = 0; o < k; o++) {
        tiles[ci * k + o] = normalised(w, (o * c + ci) * size, size);
      }
    }
    int cols = (int) Math.ceil(Math.sqrt(k));
    int groupCols = (int) Math.ceil(Math.sqrt(c));
    return new FilterGrid(weight.name(), weight.module(), s, Layout.BY_INPUT_CHANNEL, tiles, cols,
        (k + cols - 1) / cols, groupCols, (c + groupCols - 1) / groupCols, scale);
  }

  /**
   * The first and the second convolution weights: by name when given (a module or a parameter
   * name as {@link ModelParameters} names them, e.g. {@code features.block1.conv1} or {@code
   * conv1.weight}), else the first 4-D weight in the model's order and the next 4-D weight that consumes
   * its output (input channels = the first's filters), or simply the next one.
   *
   * @return one or two weights; the second is missing when the model has a single convolution
   */
  public static List<Param> chooseLayers(ModelParameters params, String first, String second) {
    List<Param> convs = params.list().stream()
        .filter(p -> p.shape().length == 4 && p.trainable()).toList();
    if (convs.isEmpty()) {
      throw new InvalidConfigException("model-viz.filters.first-layer",
          "the model has no convolution weights (4-D parameters) to draw");
    }
    Param a = first.isBlank() ? convs.get(0) : find(params, convs, first, "model-viz.filters.first-layer");
    Param b = null;
    if (!second.isBlank()) {
      b = find(params, convs, second, "model-viz.filters.second-layer");
    } else {
      int after = convs.indexOf(a) + 1;
      for (int i = after; i < convs.size() && b == null; i++) {
        if (convs.get(i).shape()[1] == a.shape()[0]) {
          b = convs.get(i);
        }
      }
      if (b == null && after < convs.size()) {
        b = convs.get(after);
      }
    }
    List<Param> out = new ArrayList<>();
    out.add(a);
    if (b != null) {
      out.add(b);
    }
    return out;
  }

  /**
   * The convolution {@code name} names. DJL's own block names ({@code 01features_01Conv2d}), which
   * earlier versions showed, are refused, naming the layer's name now, so a config fails once and
   * clearly rather than meaning something else later.
   */
  private static Param find(ModelParameters params, List<Param> convs, String name, String key) {
    for (Param p : convs) {
      if (p.name().equals(name) || p.module().equals(name)) {
        return p;
      }
    }
    String renamed = params.fromDjlName(name);
    String valid = "a convolution of the model: " + String.join(", ", convs.stream().map(Param::module).toList());
    throw InvalidConfigException.range(key, name, renamed == null ? valid
        : valid + " (DJL block names are no longer accepted: this one is now " + renamed + ")");
  }

  /** (v − min) / (max − min) of {@code v[from, from+size)}; a constant run becomes 0.5. */
  static float[] normalised(float[] v, int from, int size) {
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = from; i < from + size; i++) {
      min = Math.min(min, v[i]);
      max = Math.max(max, v[i]);
    }
    float[] out = new float[size];
    float range = max - min;
    for (int i = 0; i < size; i++) {
      out[i] = range > 0 ? (v[from + i] - min) / range : 0.5f;
    }
    return out;
  }

  public int kernelHeight() {
    return (int) shape[2];
  }

  public int kernelWidth() {
    return (int) shape[3];
  }

  /** Width of a group (or of the whole RGB grid) in pixels. */
  int groupWidth() {
    return columns * (kernelWidth() * scale + GAP) - GAP;
  }

  int groupHeight() {
    return rows * (kernelHeight() * scale + GAP) - GAP;
  }

  public int width() {
    return groupColumns * (groupWidth() + GROUP_GAP) - GROUP_GAP;
  }

  public int height() {
    return groupRows * (groupHeight() + GROUP_GAP) - GROUP_GAP;
  }

  /** Top-left pixel of tile {@code t} (in drawing order): x, y. */
  public int[] tileOrigin(int t) {
    int perGroup = layout == Layout.RGB ? tiles.length : (int) shape[0];
    int g = t / perGroup;
    int i = t % perGroup;
    int gx = (g % groupColumns) * (groupWidth() + GROUP_GAP);
    int gy = (g / groupColumns) * (groupHeight() + GROUP_GAP);
    return new int[] {
      gx + (i % columns) * (kernelWidth() * scale + GAP),
      gy + (i / columns) * (kernelHeight() * scale + GAP)
    };
  }

  /** The grid as an RGB picture on a white background. */
  public BufferedImage render() {
    BufferedImage img = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        img.setRGB(x, y, BACKGROUND);
      }
    }
    int kh = kernelHeight();
    int kw = kernelWidth();
    for (int t = 0; t < tiles.length; t++) {
      int[] at = tileOrigin(t);
      float[] tile = tiles[t];
      for (int y = 0; y < kh; y++) {
        for (int x = 0; x < kw; x++) {
          int rgb;
          if (layout == Layout.RGB) {
            rgb = (Images.byteOf(tile[y * kw + x]) << 16) | (Images.byteOf(tile[kh * kw + y * kw + x]) << 8)
                | Images.byteOf(tile[2 * kh * kw + y * kw + x]);
          } else {
            int v = Images.byteOf(tile[y * kw + x]);
            rgb = (v << 16) | (v << 8) | v;
          }
          for (int dy = 0; dy < scale; dy++) {
            for (int dx = 0; dx < scale; dx++) {
              img.setRGB(at[0] + x * scale + dx, at[1] + y * scale + dy, rgb);
            }
          }
        }
      }
    }
    return img;
  }
}
