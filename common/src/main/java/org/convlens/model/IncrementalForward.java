package org.convlens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * Incremental exact inference for copies of one image that differ from it in one rectangle each
 * (a perturbation grid's copies), after Nakandala et al. (Krypton, SIGMOD 2019): the unchanged image is run once, stage by
 * stage, and its activations kept; a copy then recomputes, in each stage, only the output
 * rectangle its changed input rectangle can reach (the stage's kernel, stride and padding say
 * which), reading the rest from the kept activations. After the last stage the copies' feature
 * maps are put together and the model's head gives their logits.
 *
 * <p>Batching: the copies of one call are computed together, each stage on one window per copy
 * of a common size (the largest any copy needs, moved inward where it would cross the edge of
 * the map), so one convolution call serves them all. A window's own zero padding is only used
 * where the window's edge is the map's edge, where it is the model's padding too; elsewhere the
 * window reaches far enough that no output taken from it reads a padded value. So every value
 * taken is the same sum of the same products as in a full forward; only the order in which the
 * engine adds them may differ, within float rounding (the tests bound it at 1e-5 on the logits).
 *
 * <p>What it supports ({@link #supports}): stages of stride 1, or pooling stages without padding
 * whose input length the stride divides. Other models run full re-inference.
 */
final class IncrementalForward {
  private final StagedModel model;
  private final ParameterStore parameters;
  private final NDManager manager;
  private final List<StagedModel.Stage> stages;
  /** Channels, height and width of each stage's input, then of the last stage's output. */
  private final int[][] shapes;

  private IncrementalForward(StagedModel model, ParameterStore parameters, NDManager manager, int[][] shapes) {
    this.model = model;
    this.parameters = parameters;
    this.manager = manager;
    this.stages = model.stages();
    this.shapes = shapes;
  }

  /**
   * The shapes through the stages for an input of {@code height}×{@code width}, or null when a
   * stage's geometry is outside what this class handles (see the class comment). Channels are
   * not known here and left 0.
   */
  static int[][] geometry(StagedModel model, int height, int width) {
    List<StagedModel.Stage> stages = model.stages();
    if (stages == null || stages.isEmpty()) {
      return null;
    }
    int[][] shapes = new int[stages.size() + 1][];
    int h = height;
    int w = width;
    for (int s = 0; s < stages.size(); s++) {
      StagedModel.Stage st = stages.get(s);
      shapes[s] = new int[] {0, h, w};
      if (st.stride() > 1 && (st.padding() != 0 || h % st.stride() != 0 || w % st.stride() != 0)) {
        return null;
      }
      h = st.outputLength(h);
      w = st.outputLength(w);
      if (h < 1 || w < 1) {
        return null;
      }
    }
    shapes[stages.size()] = new int[] {0, h, w};
    return shapes;
  }

  /** Whether {@code model} can run incrementally on inputs of {@code height}×{@code width}. */
  static boolean supports(StagedModel model, int height, int width) {
    return geometry(model, height, width) != null;
  }

  /**
   * The logits of each patched copy of {@code image}, computed {@code perEval} copies at a time.
   * Runs on {@code manager} (the caller's sub-manager, closed by the caller), grad mode off.
   */
  static float[][] logits(StagedModel model, ParameterStore parameters, NDManager manager, float[] image,
      int channels, int height, int width, List<InferenceSession.Patch> patches, int perEval) {
    int[][] shapes = geometry(model, height, width);
    if (shapes == null) {
      throw new IllegalArgumentException("the model's stages cannot run incrementally on " + height + "×" + width
          + " inputs");
    }
    shapes[0][0] = channels;
    IncrementalForward f = new IncrementalForward(model, parameters, manager, shapes);
    float[][] base = f.base(image);
    float[][] out = new float[patches.size()][];
    int per = Math.max(1, perEval);
    for (int start = 0; start < patches.size(); start += per) {
      List<InferenceSession.Patch> chunk = patches.subList(start, Math.min(patches.size(), start + per));
      float[][] logits = f.chunk(base, chunk);
      System.arraycopy(logits, 0, out, start, logits.length);
    }
    return out;
  }

  /** The unchanged image's input to every stage and the last stage's output, each C×H×W. */
  private float[][] base(float[] image) {
    float[][] base = new float[stages.size() + 1][];
    base[0] = image;
    try (NDManager m = manager.newSubManager()) {
      NDArray x = m.create(image, new Shape(1, shapes[0][0], shapes[0][1], shapes[0][2]));
      for (int s = 0; s < stages.size(); s++) {
        x = stages.get(s).forward(parameters, x);
        Shape shape = x.getShape();
        if (shape.get(2) != shapes[s + 1][1] || shape.get(3) != shapes[s + 1][2]) {
          throw new IllegalStateException("stage " + stages.get(s).name() + " gave " + shape + ", its geometry says "
              + shapes[s + 1][1] + "×" + shapes[s + 1][2]);
        }
        shapes[s + 1][0] = (int) shape.get(1);
        base[s + 1] = floats(x);
      }
    }
    return base;
  }

  /** A rectangle [top, bottom) × [left, right) of one copy, with its values C×rows×cols. */
  private static final class Dirty {
    int top;
    int bottom;
    int left;
    int right;
    float[] values;

    int rows() {
      return bottom - top;
    }

    int cols() {
      return right - left;
    }
  }

  private float[][] chunk(float[][] base, List<InferenceSession.Patch> patches) {
    int n = patches.size();
    Dirty[] dirty = new Dirty[n];
    for (int j = 0; j < n; j++) {
      InferenceSession.Patch p = patches.get(j);
      Dirty d = new Dirty();
      d.top = p.top();
      d.bottom = p.top() + p.height();
      d.left = p.left();
      d.right = p.left() + p.width();
      d.values = p.values();
      dirty[j] = d;
    }
    try (NDManager m = manager.newSubManager()) {
      int s = 0;
      // Stage by stage while the copies' windows are smaller than the map; from the first stage
      // whose window would be the whole map, the copies' maps are put together and the rest of the
      // model runs on them as a plain forward.
      for (; s < stages.size(); s++) {
        int[][] reach = reach(s, dirty);
        if (wholeMap(s, reach)) {
          break;
        }
        dirty = stage(m, s, base[s], dirty, reach);
      }
      int[] shape = shapes[s];
      float[] maps = new float[n * shape[0] * shape[1] * shape[2]];
      for (int j = 0; j < n; j++) {
        paste(base[s], shape, dirty[j], maps, j, 0, 0, shape[1], shape[2]);
      }
      NDArray x = m.create(maps, new Shape(n, shape[0], shape[1], shape[2]));
      for (; s < stages.size(); s++) {
        x = stages.get(s).forward(parameters, x);
      }
      float[] flat = floats(model.head(parameters, x));
      int classes = flat.length / n;
      float[][] out = new float[n][classes];
      for (int j = 0; j < n; j++) {
        System.arraycopy(flat, j * classes, out[j], 0, classes);
      }
      return out;
    }
  }

  /**
   * Per copy, what stage {@code s} reaches from the copy's changed rectangle: {rows from, rows to,
   * rows read from, rows read to, the same four for columns} (see {@link #reach(StagedModel.Stage,
   * int, int, int, int)}).
   */
  private int[][] reach(int s, Dirty[] in) {
    StagedModel.Stage st = stages.get(s);
    int[] inShape = shapes[s];
    int[] outShape = shapes[s + 1];
    int[][] reach = new int[in.length][];
    for (int j = 0; j < in.length; j++) {
      int[] rows = reach(st, in[j].top, in[j].bottom, inShape[1], outShape[1]);
      int[] cols = reach(st, in[j].left, in[j].right, inShape[2], outShape[2]);
      reach[j] = new int[] {rows[0], rows[1], rows[2], rows[3], cols[0], cols[1], cols[2], cols[3]};
    }
    return reach;
  }

  /** Whether stage {@code s} reads the whole map for at least one copy. */
  private boolean wholeMap(int s, int[][] reach) {
    for (int[] r : reach) {
      if (r[3] - r[2] == shapes[s][1] && r[7] - r[6] == shapes[s][2]) {
        return true;
      }
    }
    return false;
  }

  /** One stage for every copy: each copy's window in, its changed output rectangle out. */
  private Dirty[] stage(NDManager m, int s, float[] base, Dirty[] in, int[][] reach) {
    StagedModel.Stage st = stages.get(s);
    int[] inShape = shapes[s];
    int[] outShape = shapes[s + 1];
    int n = in.length;
    int windowRows = 0;
    int windowCols = 0;
    for (int[] r : reach) {
      windowRows = Math.max(windowRows, r[3] - r[2]);
      windowCols = Math.max(windowCols, r[7] - r[6]);
    }
    windowRows = Math.min(inShape[1], roundUp(windowRows, st.stride()));
    windowCols = Math.min(inShape[2], roundUp(windowCols, st.stride()));
    int c = inShape[0];
    float[] windows = new float[n * c * windowRows * windowCols];
    int[] tops = new int[n];
    int[] lefts = new int[n];
    for (int j = 0; j < n; j++) {
      tops[j] = Math.min(reach[j][2], inShape[1] - windowRows);
      lefts[j] = Math.min(reach[j][6], inShape[2] - windowCols);
      paste(base, inShape, in[j], windows, j, tops[j], lefts[j], windowRows, windowCols);
    }
    NDArray y = st.forward(parameters, m.create(windows, new Shape(n, c, windowRows, windowCols)));
    int outRows = (int) y.getShape().get(2);
    int outCols = (int) y.getShape().get(3);
    int outC = outShape[0];
    float[] flat = floats(y);
    y.close();
    Dirty[] out = new Dirty[n];
    for (int j = 0; j < n; j++) {
      Dirty d = new Dirty();
      d.top = reach[j][0];
      d.bottom = reach[j][1];
      d.left = reach[j][4];
      d.right = reach[j][5];
      int r0 = d.top - tops[j] / st.stride();
      int c0 = d.left - lefts[j] / st.stride();
      if (r0 < 0 || c0 < 0 || r0 + d.rows() > outRows || c0 + d.cols() > outCols) {
        throw new IllegalStateException("stage " + st.name() + ": changed rows " + d.top + ".." + d.bottom
            + " and columns " + d.left + ".." + d.right + " fall outside the window computed at " + tops[j] + ","
            + lefts[j]);
      }
      d.values = new float[outC * d.rows() * d.cols()];
      for (int ch = 0; ch < outC; ch++) {
        for (int r = 0; r < d.rows(); r++) {
          System.arraycopy(flat, ((j * outC + ch) * outRows + r0 + r) * outCols + c0, d.values,
              (ch * d.rows() + r) * d.cols(), d.cols());
        }
      }
      out[j] = d;
    }
    return out;
  }

  /**
   * Along one axis: the output positions [from, to) that input positions [a, b) reach, and the
   * input positions [needFrom, needTo) those outputs read (both clipped to the map), as {from, to,
   * needFrom, needTo}.
   */
  static int[] reach(StagedModel.Stage st, int a, int b, int length, int outLength) {
    int k = st.kernel();
    int s = st.stride();
    int p = st.padding();
    // Output o reads inputs [o·s − p, o·s − p + k): it reads [a, b) when o·s − p + k > a and o·s − p < b.
    int from = Math.max(0, Math.floorDiv(a + p - k, s) + 1);
    int to = Math.min(outLength, Math.floorDiv(b + p - 1, s) + 1);
    int needFrom = Math.max(0, from * s - p);
    int needTo = Math.min(length, (to - 1) * s - p + k);
    return new int[] {from, to, needFrom, needTo};
  }

  /**
   * Copies into slot {@code j} of {@code dst} (n×C×rows×cols) the window of {@code base} (C×H×W)
   * at (top, left), then the copy's changed rectangle over it.
   */
  private static void paste(float[] base, int[] shape, Dirty d, float[] dst, int j, int top, int left, int rows,
      int cols) {
    int c = shape[0];
    int h = shape[1];
    int w = shape[2];
    for (int ch = 0; ch < c; ch++) {
      int slot = (j * c + ch) * rows;
      for (int r = 0; r < rows; r++) {
        System.arraycopy(base, (ch * h + top + r) * w + left, dst, (slot + r) * cols, cols);
      }
      for (int r = 0; r < d.rows(); r++) {
        System.arraycopy(d.values, (ch * d.rows() + r) * d.cols(), dst, (slot + d.top - top + r) * cols + d.left - left,
            d.cols());
      }
    }
  }

  private static int roundUp(int x, int step) {
    return (x + step - 1) / step * step;
  }

  private static float[] floats(NDArray a) {
    return (a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false)).toFloatArray();
  }
}
