package org.convlens.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * An ImageNet class index: synset ids and class names by label. Two formats are read:
 * {@code LOC_synset_mapping.txt} (one {@code n01440764 tench, Tinca tinca} per line, label =
 * line number) and Keras' {@code imagenet_class_index.json} ({@code {"0": ["n01440764",
 * "tench"], ...}}).
 */
public record ClassIndex(List<String> synsets, List<String> names) {
  public static final String[] FILE_NAMES = {"LOC_synset_mapping.txt", "imagenet_class_index.json"};

  /** The configured file, or one of {@link #FILE_NAMES} in {@code dir} or its parent. */
  static ClassIndex locate(Path dir, String configured, Configuration conf) {
    Path file;
    if (configured != null && !configured.isBlank()) {
      file = HadoopPaths.qualify(configured, conf);
      HadoopPaths.require(file, conf, "class-index file (input.class-index)");
    } else {
      file = HadoopPaths.findNear(dir, conf, FILE_NAMES);
      if (file == null) {
        throw new InputLayoutException(
            "the ImageNet layout needs a class-index file: set input.class-index (looked for "
                + String.join(" and ", FILE_NAMES) + " in " + dir + " and its parent)");
      }
    }
    return parse(file.toString(), HadoopPaths.readLines(file, conf));
  }

  static ClassIndex parse(String file, List<String> lines) {
    List<String> synsets = new ArrayList<>();
    List<String> names = new ArrayList<>();
    if (file.endsWith(".json")) {
      try {
        JsonNode root = new ObjectMapper().readTree(String.join("\n", lines));
        Map<Integer, JsonNode> sorted = new TreeMap<>();
        root.fields().forEachRemaining(e -> sorted.put(Integer.parseInt(e.getKey()), e.getValue()));
        int expected = 0;
        for (Map.Entry<Integer, JsonNode> e : sorted.entrySet()) {
          if (e.getKey() != expected++) {
            throw new InputLayoutException("class index " + file + " skips label " + (expected - 1));
          }
          synsets.add(e.getValue().get(0).asText());
          names.add(e.getValue().get(1).asText());
        }
      } catch (InputLayoutException e) {
        throw e;
      } catch (Exception e) {
        throw new InputLayoutException(
            "cannot read class index " + file + ": expected {\"0\": [\"n01440764\", \"tench\"], ...}");
      }
    } else {
      for (String line : lines) {
        String s = line.strip();
        if (s.isEmpty()) {
          continue;
        }
        int sp = s.indexOf(' ');
        synsets.add(sp < 0 ? s : s.substring(0, sp));
        names.add(sp < 0 ? s : s.substring(sp + 1).strip());
      }
    }
    if (synsets.isEmpty()) {
      throw new InputLayoutException("class index " + file + " lists no classes");
    }
    return new ClassIndex(List.copyOf(synsets), List.copyOf(names));
  }
}
