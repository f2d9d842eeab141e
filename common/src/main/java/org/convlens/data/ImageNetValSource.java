package org.convlens.data;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.Settings.InputSettings;

/**
 * The ImageNet validation layout: one flat folder of images and a labels file. Labels files
 * read: a CSV with a header whose first column is the file name and whose second is a synset or
 * a label index ({@code filename,synset}), Kaggle's {@code LOC_val_solution.csv}
 * ({@code ImageId,PredictionString}, the first token of the prediction string is the synset; the
 * id has no extension), or whitespace-separated {@code name synset} lines. A file the labels
 * file does not mention is unlabelled (label -1); a label that is not in the class index makes
 * a {@code bad_label} error row.
 */
public final class ImageNetValSource implements ImageSource {
  public static final String[] LABEL_FILES = {"val_labels.csv", "LOC_val_solution.csv"};

  private final String root;
  private final String name;
  private final List<String> extensions;
  private final ClassIndex index;
  /** File name (and file name without extension) → synset or index as written. */
  private final Map<String, String> labelsByFile;

  /**
   * {@code name} null = the folder's name; the class index, labels file and extensions are {@code
   * settings}' {@code input.class-index}, {@code input.val-labels} and {@code input.extensions}.
   */
  public ImageNetValSource(String input, String name, InputSettings settings, Configuration conf) {
    String classIndex = settings.classIndex();
    String valLabels = settings.valLabels();
    List<String> extensions = settings.extensions();
    Path dir = FolderSource.requireDir(input, conf);
    this.root = dir.toString();
    this.name = name == null || name.isBlank() ? dir.getName() : name;
    this.extensions = extensions;
    this.index = ClassIndex.locate(dir, classIndex, conf);
    Path labels;
    if (valLabels != null && !valLabels.isBlank()) {
      labels = HadoopPaths.qualify(valLabels, conf);
      HadoopPaths.require(labels, conf, "validation labels file (input.val-labels)");
    } else {
      labels = HadoopPaths.findNear(dir, conf, LABEL_FILES);
      if (labels == null) {
        throw new InputLayoutException(
            "the ImageNet validation layout needs a labels file: set input.val-labels (looked for "
                + String.join(" and ", LABEL_FILES) + " in " + dir + " and its parent)");
      }
    }
    this.labelsByFile = parseLabels(labels.toString(), HadoopPaths.readLines(labels, conf));
  }

  static Map<String, String> parseLabels(String file, List<String> lines) {
    Map<String, String> out = new HashMap<>();
    boolean csv = file.toLowerCase().endsWith(".csv");
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || (csv && i == 0)) {
        continue;
      }
      String[] parts = csv ? line.split(",", 2) : line.split("\\s+", 2);
      if (parts.length < 2) {
        throw new InputLayoutException(
            "labels file " + file + " line " + (i + 1) + " has no label: '" + line + "'");
      }
      String fileName = parts[0].strip();
      String label = parts[1].strip().split("\\s+")[0];
      out.put(fileName, label);
      int dot = fileName.lastIndexOf('.');
      if (dot < 0) {
        continue;
      }
      out.putIfAbsent(fileName.substring(0, dot), label);
    }
    return out;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String format() {
    return "imagenet-val";
  }

  @Override
  public List<String> classNames() {
    return index.names();
  }

  @Override
  public Dataset<Row> list(SparkSession spark) {
    Map<String, String> byFile = labelsByFile;
    Map<String, Integer> bySynset = FileListing.positions(index.synsets());
    List<String> names = index.names();
    FileListing.Labeler labeler = (dataset, rel, path, length) -> {
      String id = InputSchema.id(dataset, rel);
      String fileName = new Path(path).getName();
      String stem = fileName.contains(".") ? fileName.substring(0, fileName.lastIndexOf('.')) : fileName;
      String written = byFile.getOrDefault(fileName, byFile.get(stem));
      if (written == null) {
        return InputSchema.file(dataset, id, path, length, -1, null);
      }
      Integer label = bySynset.get(written);
      if (label == null && written.matches("\\d{1,9}")) {
        int k = Integer.parseInt(written);
        label = k < names.size() ? k : null;
      }
      if (label == null) {
        return InputSchema.error(dataset, id, path, -1, -1, written, ErrorKind.BAD_LABEL,
            "label '" + written + "' of " + fileName + " is not in the class index");
      }
      return InputSchema.file(dataset, id, path, length, label, names.get(label));
    };
    return FileListing.images(spark, name, root, false, extensions, labeler);
  }

  @Override
  public Map<String, Long> skipped(SparkSession spark) {
    return FileListing.skipped(spark, root, false, extensions, LABEL_FILES);
  }
}
