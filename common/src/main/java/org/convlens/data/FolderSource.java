package org.convlens.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Class-per-sub-folder layouts: the ImageNet training layout (sub-folders named by synset ids,
 * mapped to class names by a class-index file) and a plain image folder (torchvision
 * {@code ImageFolder}: classes are the sorted first-level sub-folder names). Files directly in
 * the root are unlabelled (label -1). In the ImageNet layout a sub-folder missing from the class
 * index makes its images {@code bad_label} error rows.
 */
public final class FolderSource implements ImageSource {
  private final String name;
  private final String root;
  private final boolean imagenet;
  private final List<String> extensions;
  private final List<String> classNames;
  /** Folder name → label. */
  private final Map<String, Integer> labels;

  private FolderSource(String root, boolean imagenet, List<String> extensions,
      List<String> classNames, Map<String, Integer> labels) {
    this.root = root;
    this.name = new Path(root).getName();
    this.imagenet = imagenet;
    this.extensions = extensions;
    this.classNames = classNames;
    this.labels = labels;
  }

  /** ImageNet training layout with its class index. */
  public static FolderSource imagenet(String input, String classIndex, List<String> extensions, Configuration conf) {
    Path root = requireDir(input, conf);
    ClassIndex index = ClassIndex.locate(root, classIndex, conf);
    return new FolderSource(root.toString(), true, extensions, index.names(),
        FileListing.positions(index.synsets()));
  }

  /** A plain folder: classes are the sorted first-level sub-folders. */
  public static FolderSource folder(String input, List<String> extensions, Configuration conf) {
    Path root = requireDir(input, conf);
    List<String> names = new ArrayList<>();
    Map<String, Integer> labels = new HashMap<>();
    for (FileStatus s : HadoopPaths.children(root, conf)) {
      String n = s.getPath().getName();
      if (s.isDirectory() && !n.startsWith(".") && !n.startsWith("_")) {
        labels.put(n, names.size());
        names.add(n);
      }
    }
    return new FolderSource(root.toString(), false, extensions, names, labels);
  }

  static Path requireDir(String input, Configuration conf) {
    Path root = HadoopPaths.qualify(input, conf);
    if (!HadoopPaths.require(root, conf, "input folder").isDirectory()) {
      throw new InputLayoutException("input " + root + " is a file, but this layout needs a folder");
    }
    return root;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String format() {
    return imagenet ? "imagenet" : "folder";
  }

  @Override
  public List<String> classNames() {
    return classNames;
  }

  @Override
  public Dataset<Row> list(SparkSession spark) {
    String dataset = name;
    String base = root;
    boolean synsets = imagenet;
    Map<String, Integer> byFolder = labels;
    List<String> names = classNames;
    MapFunction<Row, Row> toInput =
        r -> {
          String path = r.getString(0);
          String rel = FileListing.relative(base, path);
          int slash = rel.indexOf('/');
          if (slash < 0) {
            return InputSchema.file(dataset, rel, path, r.getLong(1), -1, null);
          }
          String folder = rel.substring(0, slash);
          Integer label = byFolder.get(folder);
          if (label == null) {
            return InputSchema.error(dataset, rel, path, -1, -1, folder, ErrorKind.BAD_LABEL,
                (synsets ? "synset folder '" + folder + "' is not in the class index"
                    : "folder '" + folder + "' is not a class"));
          }
          return InputSchema.file(dataset, rel, path, r.getLong(1), label, names.get(label));
        };
    return FileListing.images(spark, root, true, extensions, toInput);
  }

  @Override
  public long countSkipped(SparkSession spark) {
    return FileListing.countSkipped(spark, root, true, extensions);
  }
}
