package org.convlens.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import ai.djl.nn.Block;
import ai.djl.util.PairList;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a {@link Classifier} from a {@link ModelSpec}, checking the description against the model
 * before anything runs on real data. Executors should go through {@link ModelCache} (once per
 * JVM); this class loads a fresh copy on every call.
 *
 * <p>Every failure is a {@link ModelLoadException} whose message is one sentence naming the file
 * and, where it is at fault, the field of the description: a missing path, a missing {@code
 * model.json} or sidecar (naming the file expected), invalid JSON, an unknown architecture, a
 * TorchScript artifact that is not a {@code .pt}, a missing or unreadable weights file, and a
 * model whose outputs do not match the description (checked with one test forward of a batch of
 * two zero images: the logits width must equal the number of class names, the embedding and
 * feature-map indices must exist).
 *
 * <p>The same forward checks the declared {@code input} size where the description records the
 * feature map's shape at the size the model was trained or exported at: {@code
 * outputs.featureMapShape}, and the {@code outputShape} of the {@code layers} entry named {@code
 * outputs.featureLayer}. A model with global average pooling accepts any input size, so without
 * this check a wrong {@code input} would run silently at the wrong resolution. Where neither is
 * recorded (older descriptions, models without a feature map), the input size is not checked.
 */
public final class ModelLoader {
  /** Description file looked for inside a model folder. */
  public static final String DESCRIPTION_FILE = "model.json";

  /** The last line of a TorchScript traceback, e.g. "RuntimeError: Given groups=1, ...". */
  private static final Pattern ERROR_LINE =
      Pattern.compile("(?:[\\w.]*(?:Error|Exception)): (.+)");

  private ModelLoader() {}

  /**
   * Starts the engine ({@link EngineSetup#configure}), picks the device ({@link DeviceSelector})
   * and loads the model described by {@code spec.path()}.
   */
  public static Classifier load(ModelSpec spec) throws ModelLoadException {
    EngineSetup.configure(spec.threads(), spec.interopThreads());
    Located located = locate(spec);
    return load(located, resolveDevice(spec, located));
  }

  /**
   * Wraps a model built in memory (tests, benchmarks): its block must be initialised and return
   * the outputs {@code description} lists. Checked with the same test forward as a loaded model.
   */
  public static Classifier fromModel(Model model, ModelDescription description)
      throws ModelLoadException {
    BlockClassifier.Probe probe = checkOutputs(model, description, Path.of("(in memory)"));
    Device device = model.getNDManager().getDevice();
    return "djl".equals(description.engine())
        ? new DjlClassifier(model, description, device, Path.of("(in memory)"), probe)
        : new TorchScriptClassifier(model, description, device, Path.of("(in memory)"), probe);
  }

  /**
   * Whether forward takes a second input {@code delta} (outputs.featureMapDelta), other than
   * through {@link LayerTaps}, whose delta is optional.
   */
  static boolean takesDelta(ModelDescription d, Block block) {
    return d.outputs().featureMapDelta() && !(block instanceof LayerTaps);
  }

  /** Where the description and weights are, and what the description says. */
  record Located(Path descriptionFile, ModelDescription description, Path artifact) {}

  static Located locate(ModelSpec spec) throws ModelLoadException {
    Path path = Path.of(spec.path()).toAbsolutePath().normalize();
    if (!Files.exists(path)) {
      throw new ModelLoadException("model path does not exist: " + path);
    }
    Path descriptionFile;
    Path givenPt = null;
    String name = path.getFileName() == null ? "" : path.getFileName().toString();
    if (Files.isDirectory(path)) {
      descriptionFile = path.resolve(DESCRIPTION_FILE);
      if (!Files.isRegularFile(descriptionFile)) {
        throw new ModelLoadException("no model description in " + path + ": expected "
            + descriptionFile + " (or give a .pt file with a sidecar .json)");
      }
    } else if (name.endsWith(".pt")) {
      givenPt = path;
      descriptionFile = path.resolveSibling(name.substring(0, name.length() - 3) + ".json");
      if (!Files.isRegularFile(descriptionFile)) {
        throw new ModelLoadException("no sidecar description for " + path + ": expected "
            + descriptionFile);
      }
    } else if (name.endsWith(".json")) {
      descriptionFile = path;
    } else {
      throw new ModelLoadException("unsupported model path " + path + ": expected a folder with "
          + DESCRIPTION_FILE + ", a .json description, or a .pt file with a sidecar .json");
    }

    ModelDescription d;
    try {
      d = ModelDescription.read(descriptionFile);
    } catch (IOException e) {
      // ModelDescription.read names the file and the offending field already.
      throw new ModelLoadException(oneLine(e.getMessage()), e);
    }

    if ("djl".equals(d.engine()) && !Architectures.KNOWN.contains(d.architecture())) {
      throw new ModelLoadException("unknown architecture '" + d.architecture() + "' in "
          + descriptionFile + "; engine 'djl' knows " + Architectures.KNOWN
          + " (use engine 'torchscript' for a traced .pt)");
    }
    if ("torchscript".equals(d.engine()) && !d.artifact().endsWith(".pt")) {
      throw new ModelLoadException("engine 'torchscript' needs a .pt artifact, but "
          + descriptionFile + " names artifact '" + d.artifact() + "'");
    }
    Path artifact = descriptionFile.resolveSibling(d.artifact()).normalize();
    if (givenPt != null && !artifact.equals(givenPt)) {
      throw new ModelLoadException("sidecar " + descriptionFile + " names artifact '"
          + d.artifact() + "', not the given " + givenPt.getFileName());
    }
    if (!Files.isRegularFile(artifact)) {
      throw new ModelLoadException("weights file not found: " + artifact + " (the 'artifact' of "
          + descriptionFile + ")");
    }
    if ("djl".equals(d.engine())) {
      DjlClassifier.checkArtifactName(d, descriptionFile, artifact);
    }
    return new Located(descriptionFile, d, artifact);
  }

  static Device resolveDevice(ModelSpec spec, Located located) throws ModelLoadException {
    try {
      return DeviceSelector.resolve(spec.device());
    } catch (RuntimeException e) {
      throw new ModelLoadException("cannot place model " + located.description().id()
          + " on device '" + spec.device() + "': " + e.getMessage(), e);
    }
  }

  static BlockClassifier load(Located located, Device device) throws ModelLoadException {
    ModelDescription d = located.description();
    Model model;
    try {
      model = Model.newInstance(d.id(), device, EngineSetup.ENGINE);
    } catch (RuntimeException e) {
      throw new ModelLoadException("cannot create model " + d.id() + " on " + device + ": "
          + message(e), e);
    }
    try {
      if ("djl".equals(d.engine())) {
        DjlClassifier.loadWeights(model, d, located.artifact());
      } else {
        TorchScriptClassifier.loadModule(model, located.artifact());
      }
      BlockClassifier.Probe probe = checkOutputs(model, d, located.descriptionFile());
      return "djl".equals(d.engine())
          ? new DjlClassifier(model, d, device, located.artifact(), probe)
          : new TorchScriptClassifier(model, d, device, located.artifact(), probe);
    } catch (ModelLoadException | RuntimeException | Error e) {
      model.close();
      throw e;
    }
  }

  /**
   * One forward of a batch of two zero images: proves the input shape, the output indices and
   * the logits width. Two, not one, so a model that mixes rows of the batch (e.g. a traced {@code
   * view(1, -1)}) is caught too. Then one forward per tappable layer measures the shapes of the
   * layers gradient methods can use.
   */
  static BlockClassifier.Probe checkOutputs(Model model, ModelDescription d, Path descriptionFile)
      throws ModelLoadException {
    ModelDescription.Input in = d.input();
    ModelDescription.Outputs o = d.outputs();
    String shape = "2×" + in.channels() + "×" + in.height() + "×" + in.width();
    Block block = model.getBlock();
    boolean delta = takesDelta(d, block);
    try (NDManager m = model.getNDManager().newSubManager()) {
      NDArray zeros = m.zeros(new Shape(2, in.channels(), in.height(), in.width()));
      NDList inputs = delta ? new NDList(zeros, m.zeros(new Shape(1, 1, 1, 1))) : new NDList(zeros);
      NDList out;
      try {
        out = BlockSession.withoutGrad(() -> BlockSession.forwardOnce(block, m, inputs, null));
      } catch (RuntimeException e) {
        throw new ModelLoadException("test forward of " + d.id() + " on a " + shape
            + " input" + (delta ? " and a 1×1×1×1 delta" : "") + " failed (does 'input' in "
            + descriptionFile + " match the model?"
            + (delta ? " outputs.featureMapDelta = true needs forward(x, delta)" : "") + "): "
            + message(e), e);
      }
      requireOutput(out, o.logits(), "outputs.logits", d, descriptionFile);
      requireOutput(out, o.embedding(), "outputs.embedding", d, descriptionFile);
      if (o.featureMap() >= 0) {
        requireOutput(out, o.featureMap(), "outputs.featureMap", d, descriptionFile);
      }
      Shape logits = out.get(o.logits()).getShape();
      if (logits.dimension() < 2 || logits.get(0) != 2 || logits.size() / 2 != d.numClasses()) {
        throw new ModelLoadException("model " + d.id() + " produces logits of shape "
            + shapeOf(logits, shape) + " but " + descriptionFile + " lists " + d.numClasses()
            + " classNames");
      }
      Shape embedding = out.get(o.embedding()).getShape();
      if (embedding.dimension() < 2 || embedding.get(0) != 2) {
        throw new ModelLoadException("output " + o.embedding() + " of model " + d.id()
            + " has shape " + shapeOf(embedding, shape) + ", not N×D, so 'outputs.embedding' in "
            + descriptionFile + " is wrong");
      }
      Map<String, int[]> layers = new LinkedHashMap<>();
      String defaultLayer = null;
      if (o.featureMap() >= 0) {
        int[] fm = featureShape(out, o.featureMap(), d, descriptionFile, shape);
        String name = o.featureLayer() == null || o.featureLayer().isBlank()
            ? "featureMap" : o.featureLayer();
        if (block instanceof LayerTaps taps) {
          for (String layer : taps.tapLayers()) {
            PairList<String, Object> p = new PairList<>();
            p.add(LayerTaps.TAP, layer);
            NDList tapped = BlockSession.withoutGrad(
                () -> BlockSession.forwardOnce(block, m, new NDList(zeros), p));
            layers.put(layer, featureShape(tapped, o.featureMap(), d, descriptionFile, shape));
          }
          List<String> names = taps.tapLayers();
          defaultLayer = names.contains(name) ? name : names.get(names.size() - 1);
        } else if (delta) {
          layers.put(name, fm);
          defaultLayer = name;
        }
        String measuredAt = defaultLayer != null ? defaultLayer : name;
        checkFeatureMapShape(d, descriptionFile, measuredAt, layers.getOrDefault(measuredAt, fm));
      }
      return new BlockClassifier.Probe(
          (int) (embedding.size() / 2), Collections.unmodifiableMap(layers), defaultLayer);
    }
  }

  /**
   * The feature map measured by the test forward at the declared input size must have the shape
   * the description recorded at the size the model was trained or exported at (when it recorded
   * one): {@code outputs.featureMapShape}, then the {@code layers} entry of the feature layer.
   */
  private static void checkFeatureMapShape(ModelDescription d, Path descriptionFile,
      String layer, int[] measured) throws ModelLoadException {
    ModelDescription.Outputs o = d.outputs();
    if (o.featureMapShape() != null) {
      requireShape(d, descriptionFile, layer, measured, o.featureMapShape(),
          "outputs.featureMapShape");
    }
    if (d.layers() != null && o.featureLayer() != null) {
      for (ModelDescription.Layer l : d.layers()) {
        if (l.name().equals(o.featureLayer())
            && l.outputShape() != null && l.outputShape().length == 3) {
          requireShape(d, descriptionFile, layer, measured, l.outputShape(),
              "the 'layers' entry " + l.name());
          break;
        }
      }
    }
  }

  private static void requireShape(ModelDescription d, Path descriptionFile, String layer,
      int[] measured, int[] recorded, String where) throws ModelLoadException {
    if (Arrays.equals(measured, recorded)) {
      return;
    }
    ModelDescription.Input in = d.input();
    String file = descriptionFile.getFileName() == null
        ? descriptionFile.toString() : descriptionFile.getFileName().toString();
    boolean sizeOnly = recorded[0] == measured[0];
    throw new ModelLoadException(descriptionFile + " declares input " + in.channels() + "×"
        + in.height() + "×" + in.width() + ", but the model's feature map " + layer
        + " comes out " + dims(measured) + " where the description records " + dims(recorded)
        + " in " + where + " (the size it was trained/exported at): "
        + (sizeOnly
            ? "fix 'input' in " + file
            : "the channel counts differ, so check " + where + " and outputs.featureLayer in "
                + file));
  }

  private static String dims(int[] shape) {
    StringBuilder sb = new StringBuilder();
    for (int v : shape) {
      sb.append(sb.length() == 0 ? "" : "×").append(v);
    }
    return sb.toString();
  }

  private static int[] featureShape(NDList out, int index, ModelDescription d,
      Path descriptionFile, String inputShape) throws ModelLoadException {
    Shape fm = out.get(index).getShape();
    if (fm.dimension() != 4 || fm.get(0) != 2) {
      throw new ModelLoadException("output " + index + " of model " + d.id()
          + " has shape " + shapeOf(fm, inputShape) + ", not N×K×h×w, so 'outputs.featureMap' in "
          + descriptionFile + " is wrong (use -1 when there is none)");
    }
    return new int[] {(int) fm.get(1), (int) fm.get(2), (int) fm.get(3)};
  }

  private static void requireOutput(
      NDList out, int index, String field, ModelDescription d, Path descriptionFile)
      throws ModelLoadException {
    if (index >= out.size()) {
      throw new ModelLoadException("model " + d.id() + " returns " + out.size()
          + " output(s) but '" + field + "' in " + descriptionFile + " is " + index);
    }
  }

  private static String shapeOf(Shape s, String inputShape) {
    return s + " for a " + inputShape + " input";
  }

  /** The most specific message in a cause chain (DJL wraps native errors several times). */
  static String message(Throwable e) {
    Throwable t = e;
    String best = e.toString();
    while (t != null) {
      if (t instanceof java.io.EOFException) {
        return "the file ends early (truncated?)";
      }
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        best = t.getMessage();
      }
      t = t.getCause() == t ? null : t.getCause();
    }
    return oneLine(best);
  }

  /**
   * The sentence of a possibly multi-line message. libtorch appends a C++ backtrace ("Exception
   * raised from ..."), and TorchScript a Python-style traceback ending in "RuntimeError: ...";
   * keep that last error line, else the first line.
   */
  static String oneLine(String message) {
    String s = message;
    int cut = s.indexOf("Exception raised from");
    if (cut > 0) {
      s = s.substring(0, cut);
    }
    String[] lines = s.strip().split("\\R");
    if (lines.length > 1) {
      for (int i = lines.length - 1; i >= 0; i--) {
        Matcher m = ERROR_LINE.matcher(lines[i].strip());
        if (m.matches()) {
          return m.group(1).strip();
        }
      }
    }
    return lines[0].strip();
  }
}
