package org.convlens.sampledata;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Which shortcuts a sample dataset carries: the generator's configuration, read from JSON.
 *
 * <pre>
 * {
 *   "description": "free text, copied into the ground truth",
 *   "shortcuts": [
 *     {"class": "ring", "kind": "marker", "params": {"rgb": "#FF00FF"}, "trainRate": 0.9,
 *      "otherClassesTestRate": 0.05, "otherClassesValRate": 0.2},
 *     {"class": "square", "kind": "illumination", "trainRate": 0.85}
 *   ]
 * }
 * </pre>
 *
 * <p>{@code class} is a {@link SampleClass} name, {@code kind} a name in {@link CueKinds};
 * missing {@code params} take the kind's defaults. {@code trainRate} is required; {@code testRate}
 * defaults to it, {@code otherClassesTestRate} to {@value #DEFAULT_OTHERS_TEST_RATE} and {@code
 * otherClassesValRate} to 0 (see {@link Shortcut}). Any kind may go on any class, and a class may
 * carry several. Unknown keys, kinds, classes and parameters and rates outside [0, 1] are errors
 * that name the key and the allowed values.
 *
 * <p>The ground truth the generator writes ({@code shortcuts.json}) is this form with every
 * parameter resolved plus derived keys ({@code label} and {@code images} in each entry, {@code
 * controls} at the top), which are ignored when read: so a dataset's ground truth is also a
 * configuration that makes it again.
 *
 * <p>The demo's configuration is the classpath resource {@value #DEFAULT_RESOURCE} next to this
 * class; {@link #defaults()} reads it.
 */
public record ShortcutPlan(String description, List<Shortcut> shortcuts) {
  public static final String DEFAULT_RESOURCE = "sample-shortcuts.json";
  public static final double DEFAULT_OTHERS_TEST_RATE = 0.05;

  private static final List<String> TOP_KEYS = List.of("description", "shortcuts");
  private static final List<String> ENTRY_KEYS =
      List.of("class", "kind", "params", "trainRate", "testRate", "otherClassesTestRate",
          "otherClassesValRate");
  /** Written into the ground truth for its readers; recomputed on generation, ignored on input. */
  private static final Set<String> DERIVED_TOP_KEYS = Set.of("controls");
  private static final Set<String> DERIVED_ENTRY_KEYS = Set.of("label", "images");

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  public ShortcutPlan {
    description = description == null ? "" : description;
    shortcuts = List.copyOf(shortcuts);
  }

  /** The demo's shortcuts, from the resource {@value #DEFAULT_RESOURCE}. */
  public static ShortcutPlan defaults() {
    try (InputStream in = ShortcutPlan.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + DEFAULT_RESOURCE);
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), DEFAULT_RESOURCE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read resource " + DEFAULT_RESOURCE, e);
    }
  }

  /** Reads a configuration file; errors name the file. */
  public static ShortcutPlan read(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Parses a configuration.
   *
   * @param source where the text came from, the prefix of every error message
   */
  public static ShortcutPlan parse(String json, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          source + " is not valid JSON: " + e.getOriginalMessage() + " (line "
              + e.getLocation().getLineNr() + ")");
    }
    try {
      return parse(root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private static ShortcutPlan parse(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("expected an object with a \"shortcuts\" list");
    }
    checkKeys(root, "", TOP_KEYS, DERIVED_TOP_KEYS);
    JsonNode description = root.get("description");
    if (description != null && !description.isTextual()) {
      throw new IllegalArgumentException("description must be a string");
    }
    JsonNode list = root.get("shortcuts");
    if (list == null || !list.isArray()) {
      throw new IllegalArgumentException(
          "\"shortcuts\" must be a list (empty for a clean dataset)");
    }
    List<Shortcut> shortcuts = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      shortcuts.add(entry(list.get(i), "shortcuts[" + i + "]"));
    }
    return new ShortcutPlan(description == null ? "" : description.asText(), shortcuts);
  }

  private static Shortcut entry(JsonNode e, String where) {
    if (!e.isObject()) {
      throw new IllegalArgumentException(where + " must be an object");
    }
    checkKeys(e, where + ".", ENTRY_KEYS, DERIVED_ENTRY_KEYS);
    SampleClass target = sampleClass(text(e, "class", where), where);
    ShortcutCue cue = CueKinds.parse(text(e, "kind", where), e.get("params"), where);
    double trainRate = rate(e, "trainRate", Double.NaN, where);
    return Shortcut.builder()
        .target(target)
        .cue(cue)
        .trainRate(trainRate)
        .testRate(rate(e, "testRate", trainRate, where))
        .otherClassesTestRate(rate(e, "otherClassesTestRate", DEFAULT_OTHERS_TEST_RATE, where))
        .otherClassesValRate(rate(e, "otherClassesValRate", 0, where))
        .build();
  }

  private static SampleClass sampleClass(String name, String where) {
    for (SampleClass c : SampleClass.values()) {
      if (c.className().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "invalid value '" + name + "' for " + where + ".class: allowed values are "
            + String.join(", ", SampleClass.classNames()));
  }

  private static String text(JsonNode e, String key, String where) {
    JsonNode v = e.get(key);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(where + "." + key + " is required (a string)");
    }
    return v.asText();
  }

  /** A rate in [0, 1]; {@code fallback} NaN makes the key required. */
  private static double rate(JsonNode e, String key, double fallback, String where) {
    JsonNode v = e.get(key);
    if (v == null || v.isNull()) {
      if (Double.isNaN(fallback)) {
        throw new IllegalArgumentException(where + "." + key + " is required (a rate in [0, 1])");
      }
      return fallback;
    }
    if (!v.isNumber() || !(v.asDouble() >= 0 && v.asDouble() <= 1)) {
      throw new IllegalArgumentException(
          "invalid value '" + v + "' for " + where + "." + key + ": allowed values are 0 to 1");
    }
    return v.asDouble();
  }

  private static void checkKeys(JsonNode o, String prefix, List<String> keys, Set<String> derived) {
    for (Iterator<String> names = o.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!keys.contains(name) && !derived.contains(name)) {
        throw new IllegalArgumentException(
            "unknown key " + prefix + name + ": allowed keys are " + String.join(", ", keys));
      }
    }
  }

  /** The classes no shortcut is correlated with, in label order: the controls. */
  public List<SampleClass> controls() {
    return Arrays.stream(SampleClass.values())
        .filter(c -> shortcuts.stream().noneMatch(s -> s.target() == c))
        .toList();
  }

  /** The configuration with every parameter resolved, in the form {@link #parse} reads. */
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("description", description);
    ArrayNode list = root.putArray("shortcuts");
    for (Shortcut s : shortcuts) {
      ObjectNode e = list.addObject();
      e.put("class", s.target().className());
      e.put("kind", s.cue().kind());
      e.set("params", s.cue().params());
      e.put("trainRate", s.trainRate());
      e.put("testRate", s.testRate());
      e.put("otherClassesTestRate", s.otherClassesTestRate());
      e.put("otherClassesValRate", s.otherClassesValRate());
    }
    return root;
  }
}
