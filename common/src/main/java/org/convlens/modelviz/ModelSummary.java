package org.convlens.modelviz;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.convlens.model.BlockClassifier;
import org.convlens.model.Classifier;
import org.convlens.model.LayerNames;
import org.convlens.model.ModelDescription;
import org.convlens.model.ModelParameters;
import org.convlens.model.ModelParameters.Param;

/**
 * A model's layer table and parameter totals (Keras's {@code model.summary()}, torchinfo's
 * table), plus the nodes of a simple architecture diagram.
 *
 * <p>Layers are named as PyTorch names the modules of the equivalent {@code torch.nn} tree, with
 * PyTorch's class names as types ({@link LayerNames}). DJL models are described from their block
 * tree: one row per leaf block, its output shape from the input shapes the block recorded when it
 * was initialised. TorchScript modules do not
 * expose their module tree through DJL, so their rows come from the {@code layers} the exporting
 * script recorded in the model description (type and output shape per leaf module), or, without
 * them, from the parameter names grouped by module, with a type inferred from the weight's rank
 * and no output shape.
 *
 * @param modelId the model's id
 * @param engine {@code djl} or {@code torchscript}
 * @param input C, H, W
 * @param layers the table, in forward order
 * @param totalParameters every parameter value the engine exposes
 * @param trainableParameters all but running statistics
 * @param outputs the model's outputs (logits, embedding, feature layers) and their shapes
 * @param diagram the architecture diagram's boxes, input to outputs
 * @param notes what the table can and cannot show for this engine
 */
public record ModelSummary(
    String modelId,
    String engine,
    int[] input,
    List<Layer> layers,
    long totalParameters,
    long trainableParameters,
    Map<String, int[]> outputs,
    List<Node> diagram,
    List<String> notes) {

  /**
   * @param name the layer (module) name, as in its parameter names, e.g. {@code features.block1.conv1}
   * @param type its PyTorch class: Conv2d, BatchNorm2d, ReLU, MaxPool2d, Linear, …
   * @param outputShape output shape of one image, or null when unknown
   * @param parameters parameter values it owns
   * @param trainable of which trainable
   * @param detail e.g. {@code 3→32, 3×3} for a convolution, from its weight's shape
   */
  public record Layer(String name, String type, int[] outputShape, long parameters, long trainable,
      String detail) {
    /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String name;
      private String type;
      private int[] outputShape;
      private long parameters;
      private long trainable;
      private String detail;

      private Builder() {}

      public Builder name(String name) {
        this.name = name;
        return this;
      }

      public Builder type(String type) {
        this.type = type;
        return this;
      }

      public Builder outputShape(int[] outputShape) {
        this.outputShape = outputShape;
        return this;
      }

      public Builder parameters(long parameters) {
        this.parameters = parameters;
        return this;
      }

      public Builder trainable(long trainable) {
        this.trainable = trainable;
        return this;
      }

      public Builder detail(String detail) {
        this.detail = detail;
        return this;
      }

      public Layer build() {
        return new Layer(name, type, outputShape, parameters, trainable, detail);
      }
    }
  }

  /** A box of the diagram: a title, a subtitle (type and shape) and its parameter count. */
  public record Node(String title, String subtitle, long parameters) {}

  public long nonTrainableParameters() {
    return totalParameters - trainableParameters;
  }

  public static ModelSummary of(Classifier classifier) {
    return of(classifier, ModelParameters.of(classifier));
  }

  /** The summary of {@code classifier}, whose parameters the caller has already listed. */
  public static ModelSummary of(Classifier classifier, ModelParameters params) {
    BlockClassifier c = (BlockClassifier) classifier;
    ModelDescription d = c.description();
    Map<String, List<Param>> byModule = new LinkedHashMap<>();
    for (Param p : params.list()) {
      byModule.computeIfAbsent(p.module(), m -> new ArrayList<>()).add(p);
    }
    List<Layer> layers = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Set<String> used = new LinkedHashSet<>();
    if ("djl".equals(d.engine())) {
      for (LayerNames.Module m : LayerNames.of(c.block()).leaves()) {
        List<Param> own = byModule.getOrDefault(m.name(), List.of());
        used.add(m.name());
        layers.add(Layer.builder()
            .name(m.name())
            .type(m.type())
            .outputShape(outputShape(m.block(), own))
            .parameters(sum(own, false))
            .trainable(sum(own, true))
            .detail(detail(own))
            .build());
      }
      notes.add("Rows are the leaf blocks of the DJL model, named as the equivalent PyTorch modules;"
          + " batch-norm running statistics count as non-trainable parameters.");
    } else if (d.layers() != null) {
      for (ModelDescription.Layer l : d.layers()) {
        List<Param> own = byModule.getOrDefault(l.name(), List.of());
        used.add(l.name());
        layers.add(Layer.builder()
            .name(l.name())
            .type(l.type())
            .outputShape(l.outputShape())
            .parameters(sum(own, false))
            .trainable(sum(own, true))
            .detail(detail(own))
            .build());
      }
      notes.add("Rows and output shapes are the layers recorded by the exporting script in the model"
          + " description; parameter counts come from the TorchScript module itself. Buffers"
          + " (batch-norm running statistics) are not exposed by TorchScript and not counted.");
    } else {
      notes.add("The model description records no layers, so rows are the modules that own"
          + " parameters, with a type inferred from the weight's shape and no output shape."
          + " Buffers (batch-norm running statistics) are not exposed by TorchScript and not counted.");
    }
    // Parameters no row claimed (a composite block's own, or modules the description missed).
    for (Map.Entry<String, List<Param>> e : byModule.entrySet()) {
      if (!used.contains(e.getKey())) {
        List<Param> own = e.getValue();
        layers.add(Layer.builder()
            .name(e.getKey())
            .type(inferType(own))
            .outputShape(null)
            .parameters(sum(own, false))
            .trainable(sum(own, true))
            .detail(detail(own))
            .build());
      }
    }
    Map<String, int[]> outputs = new LinkedHashMap<>();
    outputs.put("logits", new int[] {d.numClasses()});
    outputs.put("embedding", new int[] {c.embeddingDim()});
    for (Map.Entry<String, int[]> e : c.gradientLayers().entrySet()) {
      outputs.put(e.getKey(), e.getValue());
    }
    ModelDescription.Input in = d.input();
    int[] input = {in.channels(), in.height(), in.width()};
    return new ModelSummary(d.id(), d.engine(), input, List.copyOf(layers), params.total(),
        params.trainable(), outputs, diagram(input, layers, outputs), List.copyOf(notes));
  }

  /**
   * One image's output shape, from the input shapes the block recorded when it was initialised
   * (batch dimension dropped); null when the block recorded none.
   */
  private static int[] outputShape(Block block, List<Param> own) {
    if (block instanceof Linear) {
      // DJL records a Linear's input as its feature count only; its output is the weight's rows.
      for (Param p : own) {
        if (p.role().equals("weight") && p.shape().length == 2) {
          return new int[] {(int) p.shape()[0]};
        }
      }
    }
    try {
      Shape[] in = block.getInputShapes();
      if (in == null || in.length == 0) {
        return null;
      }
      long[] s = block.getOutputShapes(in)[0].getShape();
      int from = s.length >= 2 ? 1 : 0;
      int[] out = new int[s.length - from];
      for (int i = from; i < s.length; i++) {
        out[i - from] = (int) s[i];
      }
      return out;
    } catch (RuntimeException e) {
      return null; // not initialised with shapes: the row shows no shape
    }
  }

  private static long sum(List<Param> params, boolean trainableOnly) {
    return params.stream().filter(p -> !trainableOnly || p.trainable()).mapToLong(Param::size).sum();
  }

  /** "in→out, k×k" for a convolution, "in→out" for a linear layer, else "". */
  private static String detail(List<Param> params) {
    for (Param p : params) {
      if (!p.role().equals("weight")) {
        continue;
      }
      long[] s = p.shape();
      if (s.length == 4) {
        return s[1] + "→" + s[0] + ", " + s[2] + "×" + s[3];
      }
      if (s.length == 2) {
        return s[1] + "→" + s[0];
      }
    }
    return "";
  }

  /** A type from the parameters alone: 4-D weight = Conv2d, 2-D = Linear, 1-D = Norm. */
  static String inferType(List<Param> params) {
    for (Param p : params) {
      if (p.role().equals("weight")) {
        return switch (p.shape().length) {
          case 4 -> "Conv2d";
          case 2 -> "Linear";
          case 1 -> "Norm";
          default -> "Parameters";
        };
      }
    }
    return "Parameters";
  }

  /**
   * The diagram's boxes: the input, then one box per top-level module when the model has at
   * least four (a ResNet's conv1, bn1, …, layer1..4, fc), otherwise one per row that owns a weight
   * or changes the shape (a plain stack: its convolutions, poolings and the head), then the
   * outputs.
   */
  static List<Node> diagram(int[] input, List<Layer> layers, Map<String, int[]> outputs) {
    List<Node> nodes = new ArrayList<>();
    nodes.add(new Node("input", shape(input), 0));
    Map<String, List<Layer>> top = new LinkedHashMap<>();
    for (Layer l : layers) {
      top.computeIfAbsent(topLevel(l.name()), k -> new ArrayList<>()).add(l);
    }
    if (top.size() >= 4) {
      for (Map.Entry<String, List<Layer>> e : top.entrySet()) {
        List<Layer> group = e.getValue();
        int[] shape = null;
        for (Layer l : group) {
          shape = l.outputShape() != null ? l.outputShape() : shape;
        }
        String type = group.size() == 1 ? group.get(0).type() : group.size() + " layers";
        nodes.add(new Node(e.getKey(), type + (shape == null ? "" : " · " + shape(shape)),
            group.stream().mapToLong(Layer::parameters).sum()));
      }
    } else {
      int[] previous = input;
      for (Layer l : layers) {
        boolean weighted = !l.detail().isEmpty();
        boolean reshapes = l.outputShape() != null && !java.util.Arrays.equals(l.outputShape(), previous);
        if (weighted || reshapes) {
          String sub = l.type() + (l.detail().isEmpty() ? "" : " " + l.detail())
              + (l.outputShape() == null ? "" : " · " + shape(l.outputShape()));
          nodes.add(new Node(l.name(), sub, l.parameters()));
        }
        if (l.outputShape() != null) {
          previous = l.outputShape();
        }
      }
    }
    for (Map.Entry<String, int[]> e : outputs.entrySet()) {
      if (e.getKey().equals("logits") || e.getKey().equals("embedding")) {
        nodes.add(new Node(e.getKey(), shape(e.getValue()), 0));
      }
    }
    return List.copyOf(nodes);
  }

  /** The first component of a dotted module path. */
  private static String topLevel(String name) {
    int cut = name.indexOf('.');
    return cut < 0 ? name : name.substring(0, cut);
  }

  /** 3×32×32 */
  public static String shape(int[] s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length; i++) {
      b.append(i == 0 ? "" : "×").append(s[i]);
    }
    return b.toString();
  }
}
