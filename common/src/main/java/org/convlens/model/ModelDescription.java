package org.convlens.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What ConvLens needs to know about a classifier, stored as {@code model.json} next to the
 * weights (or as a sidecar {@code <name>.json} next to a TorchScript {@code .pt}).
 *
 * <p>The preprocessing is defined here once and applied identically by every job: resize the
 * shorter side to {@link Preprocessing#resize()} (antialiased bilinear, as torchvision/PIL),
 * centre-crop to the input size, scale to [0,1], then {@code (x - mean) / std} per channel.
 *
 * @param formatVersion version of this description format (currently 1)
 * @param id stable model id; the per-JVM model cache is keyed by it
 * @param engine {@code djl} (DJL parameters of a known architecture) or {@code torchscript}
 * @param architecture for {@code djl}: a name known to {@link Architectures}; otherwise free text
 * @param artifact weights file, relative to the description's folder
 * @param epoch for {@code djl}: the epoch number passed to {@code Model.load}
 * @param input input tensor shape (channels, height, width)
 * @param preprocessing resize/crop/normalisation
 * @param classNames class names, index = logit position
 * @param outputs which forward outputs are logits, embedding and the layer-attribution feature map
 * @param testAccuracy top-1 accuracy on the held-out set the model was evaluated on, or null
 * @param notes free text: how and on what it was trained
 * @param layers optional, for TorchScript models (whose module tree DJL does not expose): the
 *     layers as the exporting script saw them, in forward order, for the model summary; null when
 *     not recorded (DJL models are described from their blocks)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelDescription(
    int formatVersion,
    String id,
    String engine,
    String architecture,
    String artifact,
    int epoch,
    Input input,
    Preprocessing preprocessing,
    List<String> classNames,
    Outputs outputs,
    Double testAccuracy,
    String notes,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<Layer> layers)
    implements Serializable {

  public static final int FORMAT_VERSION = 1;
  public static final List<String> ENGINES = List.of("djl", "torchscript");

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public ModelDescription {
    require(formatVersion == FORMAT_VERSION, "formatVersion must be " + FORMAT_VERSION);
    require(id != null && !id.isBlank(), "id is required");
    require(ENGINES.contains(engine), "engine must be one of " + ENGINES + ", got " + engine);
    require(artifact != null && !artifact.isBlank(), "artifact is required");
    require(input != null, "input is required");
    require(preprocessing != null, "preprocessing is required");
    require(classNames != null && !classNames.isEmpty(), "classNames must not be empty");
    require(outputs != null, "outputs is required");
    require(
        preprocessing.mean().length == input.channels()
            && preprocessing.std().length == input.channels(),
        "preprocessing.mean and .std need one value per input channel (" + input.channels() + ")");
    classNames = List.copyOf(classNames);
    layers = layers == null ? null : List.copyOf(layers);
  }

  /**
   * One layer of a TorchScript model as its exporting script recorded it (e.g. with forward
   * hooks on the leaf modules).
   *
   * @param name the module's name, as in its parameter names ({@code layer1.0.conv1})
   * @param type the module's class ({@code Conv2d}, {@code BatchNorm2d}, {@code ReLU}, …)
   * @param outputShape the output shape of one image (without the batch dimension), or null
   */
  public record Layer(String name, String type, int[] outputShape) implements Serializable {
    public Layer {
      require(name != null && !name.isBlank(), "layers[].name is required");
      require(type != null && !type.isBlank(), "layers[].type is required");
    }
  }

  /** Input tensor shape, channels first. */
  public record Input(int channels, int height, int width) implements Serializable {
    public Input {
      require(channels == 3 || channels == 1, "input.channels must be 1 or 3");
      require(height > 0 && width > 0, "input.height and input.width must be positive");
    }
  }

  /**
   * @param resize target of the shorter side before the centre crop; 0 = resize straight to
   *     the input size (no crop)
   * @param mean per-channel mean, on the [0,1] scale
   * @param std per-channel standard deviation, on the [0,1] scale
   */
  public record Preprocessing(int resize, float[] mean, float[] std) implements Serializable {
    public Preprocessing {
      require(resize >= 0, "preprocessing.resize must be >= 0");
      require(mean != null && std != null, "preprocessing.mean and .std are required");
      for (float s : std) {
        require(s > 0, "preprocessing.std values must be > 0");
      }
    }
  }

  /**
   * Positions of the outputs in the forward result.
   *
   * @param logits index of the logits output (shape N×classes)
   * @param embedding index of the penultimate embedding (N×D)
   * @param featureMap index of the last convolutional feature map (N×K×h×w) for the layer-attribution methods, or
   *     -1 when the model does not expose it
   * @param featureLayer name of the feature-map layer (the layer-attribution methods' default layer)
   * @param featureMapDelta true when {@code forward} takes a second input {@code delta} that is
   *     added to the feature map (broadcasting): the gradient w.r.t. {@code delta} is then the
   *     feature map's gradient, which layer attribution needs and TorchScript does not expose otherwise.
   *     Plain inference passes a 1×1×1×1 zero.
   * @param featureMapShape the feature map's shape for one image, {@code [K, h, w]}, measured at
   *     the input size the model was trained or exported at (at {@code featureLayer} for a model
   *     with tappable layers, else output {@code featureMap}), or null when not recorded (absent
   *     in older descriptions). Loading checks the test forward at {@code input}'s size against
   *     it, so a wrong {@code input} fails even for a model that accepts any size (global
   *     average pooling); see {@link ModelLoader}.
   */
  public record Outputs(
      int logits,
      int embedding,
      int featureMap,
      String featureLayer,
      boolean featureMapDelta,
      @JsonInclude(JsonInclude.Include.NON_NULL) int[] featureMapShape)
      implements Serializable {
    public Outputs {
      require(logits >= 0 && embedding >= 0, "outputs.logits and outputs.embedding must be >= 0");
      require(!featureMapDelta || featureMap >= 0,
          "outputs.featureMapDelta needs an outputs.featureMap index");
      require(featureMapShape == null || featureMap >= 0,
          "outputs.featureMapShape needs an outputs.featureMap index");
      if (featureMapShape != null) {
        require(featureMapShape.length == 3
                && featureMapShape[0] > 0 && featureMapShape[1] > 0 && featureMapShape[2] > 0,
            "outputs.featureMapShape must be [K, h, w] with positive values");
        featureMapShape = featureMapShape.clone();
      }
    }

    /** Without a recorded feature-map shape (nothing to check the input size against). */
    public Outputs(
        int logits, int embedding, int featureMap, String featureLayer, boolean featureMapDelta) {
      this(logits, embedding, featureMap, featureLayer, featureMapDelta, null);
    }

    /** A builder, so that a caller names each of the 6 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private int logits;
      private int embedding;
      private int featureMap;
      private String featureLayer;
      private boolean featureMapDelta;
      private int[] featureMapShape;

      private Builder() {}

      public Builder logits(int logits) {
        this.logits = logits;
        return this;
      }

      public Builder embedding(int embedding) {
        this.embedding = embedding;
        return this;
      }

      public Builder featureMap(int featureMap) {
        this.featureMap = featureMap;
        return this;
      }

      public Builder featureLayer(String featureLayer) {
        this.featureLayer = featureLayer;
        return this;
      }

      public Builder featureMapDelta(boolean featureMapDelta) {
        this.featureMapDelta = featureMapDelta;
        return this;
      }

      public Builder featureMapShape(int[] featureMapShape) {
        this.featureMapShape = featureMapShape;
        return this;
      }

      public Outputs build() {
        return new Outputs(logits, embedding, featureMap, featureLayer, featureMapDelta, featureMapShape);
      }
    }
  }

  public int numClasses() {
    return classNames.size();
  }

  /** The class a user named, by class name or by index; -1 when it is neither. */
  public int classIndex(String nameOrIndex) {
    int byName = classNames.indexOf(nameOrIndex);
    if (byName >= 0) {
      return byName;
    }
    try {
      int index = Integer.parseInt(nameOrIndex.strip());
      return index >= 0 && index < numClasses() ? index : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Reads and validates a description; errors name the file and the field. */
  public static ModelDescription read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("model description not found: " + file);
    }
    try {
      return JSON.readValue(file.toFile(), ModelDescription.class);
    } catch (JsonProcessingException e) {
      throw new IOException("invalid model description " + file + ": " + describe(e), e);
    } catch (IOException e) {
      throw new IOException("cannot read model description " + file + ": " + e.getMessage(), e);
    }
  }

  /** One line naming the field: a validation message, or Jackson's message with its field. */
  private static String describe(JsonProcessingException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root != e && root instanceof IllegalArgumentException) {
      return root.getMessage(); // from a compact constructor; it names the field
    }
    StringBuilder sb = new StringBuilder();
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      StringBuilder field = new StringBuilder();
      for (JsonMappingException.Reference ref : m.getPath()) {
        if (ref.getFieldName() != null) {
          field.append(field.length() == 0 ? "" : ".").append(ref.getFieldName());
        } else if (ref.getIndex() >= 0) {
          field.append('[').append(ref.getIndex()).append(']');
        }
      }
      sb.append("field '").append(field).append("': ");
    }
    sb.append(e.getOriginalMessage());
    JsonLocation at = e.getLocation();
    if (at != null && at.getLineNr() > 0) {
      sb.append(" (line ").append(at.getLineNr()).append(", column ").append(at.getColumnNr())
          .append(')');
    }
    return sb.toString().replaceAll("\\s*\\R\\s*", " ");
  }

  public void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** A builder, so that a caller names each of the 13 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name; {@link #build()} checks them as the constructor does. */
  public static final class Builder {
    private int formatVersion;
    private String id;
    private String engine;
    private String architecture;
    private String artifact;
    private int epoch;
    private Input input;
    private Preprocessing preprocessing;
    private List<String> classNames;
    private Outputs outputs;
    private Double testAccuracy;
    private String notes;
    private List<Layer> layers;

    private Builder() {}

    public Builder formatVersion(int formatVersion) {
      this.formatVersion = formatVersion;
      return this;
    }

    public Builder id(String id) {
      this.id = id;
      return this;
    }

    public Builder engine(String engine) {
      this.engine = engine;
      return this;
    }

    public Builder architecture(String architecture) {
      this.architecture = architecture;
      return this;
    }

    public Builder artifact(String artifact) {
      this.artifact = artifact;
      return this;
    }

    public Builder epoch(int epoch) {
      this.epoch = epoch;
      return this;
    }

    public Builder input(Input input) {
      this.input = input;
      return this;
    }

    public Builder preprocessing(Preprocessing preprocessing) {
      this.preprocessing = preprocessing;
      return this;
    }

    public Builder classNames(List<String> classNames) {
      this.classNames = classNames;
      return this;
    }

    public Builder outputs(Outputs outputs) {
      this.outputs = outputs;
      return this;
    }

    public Builder testAccuracy(Double testAccuracy) {
      this.testAccuracy = testAccuracy;
      return this;
    }

    public Builder notes(String notes) {
      this.notes = notes;
      return this;
    }

    public Builder layers(List<Layer> layers) {
      this.layers = layers;
      return this;
    }

    public ModelDescription build() {
      return new ModelDescription(formatVersion, id, engine, architecture, artifact, epoch, input, preprocessing,
          classNames, outputs, testAccuracy, notes, layers);
    }
  }
}
