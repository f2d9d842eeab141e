package org.convlens.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
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

  private FolderSource(String root, String name, boolean imagenet, List<String> extensions,
      List<String> classNames, Map<String, Integer> labels) {
    this.root = root;
    this.name = name == null || name.isBlank() ? new Path(root).getName() : name;
    this.imagenet = imagenet;
    this.extensions = extensions;
    this.classNames = classNames;
    this.labels = labels;
  }

  /** ImageNet training layout with its class index; {@code name} null = the folder's name. */
  public static FolderSource imagenet(String input, String name, String classIndex, List<String> extensions,
      Configuration conf) {
    Path root = requireDir(input, conf);
    ClassIndex index = ClassIndex.locate(root, classIndex, conf);
    return new FolderSource(root.toString(), name, true, extensions, index.names(),
        FileListing.positions(index.synsets()));
  }

  /**
   * A plain folder: classes are the sorted first-level sub-folders (every one, hidden names
   * included, as torchvision's {@code ImageFolder}; not links to folders listed elsewhere in the
   * input); {@code name} null = the folder's name.
   */
  public static FolderSource folder(String input, String name, List<String> extensions, Configuration conf) {
    Path root = requireDir(input, conf);
    HadoopConf hadoop = new HadoopConf(conf);
    String rootReal = FolderLister.realPath(root.toString(), hadoop);
    List<String> names = new ArrayList<>();
    Map<String, Integer> labels = new HashMap<>();
    for (FolderLister.Entry e : FolderLister.list(root.toString(), rootReal, List.of(rootReal), hadoop)) {
      if (e.kind() == FolderLister.Kind.DIR) {
        String n = new Path(e.path()).getName();
        labels.put(n, names.size());
        names.add(n);
      }
    }
    return new FolderSource(root.toString(), name, false, extensions, names, labels);
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
    return FileListing.images(spark, name, root, true, extensions, new ByFolder(imagenet, labels, classNames));
  }

  /** Labels from the first-level folder of a path (a serialisable value shipped to executors). */
  private record ByFolder(boolean synsets, Map<String, Integer> byFolder, List<String> names)
      implements FileListing.Labeler {
    @Override
    public Row input(String dataset, String rel, String path, long length) {
      String id = InputSchema.id(dataset, rel);
      int slash = rel.indexOf('/');
      if (slash < 0) {
        return InputSchema.file(dataset, id, path, length, -1, null);
      }
      String folder = rel.substring(0, slash);
      Integer label = byFolder.get(folder);
      if (label == null) {
        return InputSchema.error(dataset, id, path, -1, -1, folder, ErrorKind.BAD_LABEL,
            (synsets ? "synset folder '" + folder + "' is not in the class index"
                : "folder '" + folder + "' is not a class"));
      }
      return InputSchema.file(dataset, id, path, length, label, names.get(label));
    }

    @Override
    public Object[] labelOf(String rel) {
      int slash = rel.indexOf('/');
      Integer label = slash < 0 ? null : byFolder.get(rel.substring(0, slash));
      return label == null ? new Object[] {-1, null} : new Object[] {label, names.get(label)};
    }
  }

  @Override
  public Map<String, Long> skipped(SparkSession spark) {
    return FileListing.skipped(spark, root, true, extensions);
  }
}
