package org.convlens.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.convlens.config.Choice;
import org.convlens.config.InputFormat;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Settings.Cifar100Label;
import org.convlens.config.Settings.InputSettings;

/** Picks and builds the {@link ImageSource} for an input path: the one place that maps formats. */
public final class ImageSources {
  private ImageSources() {}

  /**
   * Every input of {@code input.paths}, named by {@code input.names} or by their folder or file
   * names. Fails naming the key when two inputs would share a dataset name: ids start with it.
   */
  public static List<ImageSource> openAll(InputSettings input, SparkSession spark) {
    List<ImageSource> sources = new ArrayList<>();
    Map<String, String> pathByName = new HashMap<>();
    for (int i = 0; i < input.paths().size(); i++) {
      String path = input.paths().get(i);
      ImageSource source = open(path, input.names().isEmpty() ? null : input.names().get(i), input, spark);
      String earlier = pathByName.putIfAbsent(source.name(), path);
      if (earlier != null) {
        throw new InvalidConfigException("input.names", "inputs " + earlier + " and " + path
            + " both have the dataset name '" + source.name() + "', and ids ('<dataset>/<path>') would collide: "
            + (earlier.equals(path) ? "list each input once" : "give each input its own name with"
                + " --set 'input.names=[name1, name2, ...]' (one per --input, in order)"));
      }
      sources.add(source);
    }
    return sources;
  }

  /**
   * The source for {@code path}, detecting the format when {@code input.format = auto}; {@code
   * name} null = the default dataset name (the folder's or file's).
   */
  public static ImageSource open(String path, String name, InputSettings input, SparkSession spark) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    InputFormat format = input.format() == InputFormat.AUTO ? detect(path, conf) : input.format();
    return switch (format) {
      case CIFAR10 -> new CifarSource(path, name, CifarFormat.Variant.CIFAR10, conf);
      case CIFAR100 -> new CifarSource(path, name,
          input.cifar100Label() == Cifar100Label.FINE
              ? CifarFormat.Variant.CIFAR100_FINE : CifarFormat.Variant.CIFAR100_COARSE, conf);
      case IMAGENET -> FolderSource.imagenet(path, name, input.classIndex(), input.extensions(), conf);
      case IMAGENET_VAL ->
          new ImageNetValSource(path, name, input, conf);
      case FOLDER -> FolderSource.folder(path, name, input.extensions(), conf);
      case MANIFEST -> new ManifestSource(path, name, input.manifestPaths(), spark, conf);
      case AUTO -> throw new IllegalStateException("unreachable");
    };
  }

  /** The skip counts of {@link ImageSource#skipped} in words, e.g. "3 without an image extension". */
  public static String describeSkipped(Map<String, Long> byReason) {
    List<String> parts = new ArrayList<>();
    byReason.forEach((reason, n) -> parts.add(n + " " + switch (reason) {
      case FolderLister.SKIP_NOT_IMAGE -> "without an image extension (input.extensions)";
      case FolderLister.SKIP_METADATA -> "labels or class-index file(s)";
      case FolderLister.SKIP_LINK_LOOP -> "folder link(s) leading back to a folder above them (a loop)";
      case FolderLister.SKIP_LINK_INSIDE -> "folder link(s) to folders listed at their own place in the input";
      case FolderLister.SKIP_SUBFOLDER -> "sub-folder(s) of a flat layout (imagenet-val reads one folder)";
      default -> reason;
    }));
    return String.join(", ", parts);
  }

  /**
   * Detection rules, first match wins: a {@code .csv} file is a manifest; a {@code .bin} file,
   * or a folder holding {@code batches.meta.txt}, is CIFAR-10; {@code fine_label_names.txt} marks
   * CIFAR-100; a folder with synset-named sub-folders ({@code n} + 8 digits) is ImageNet; a
   * folder without sub-folders next to a validation labels file is ImageNet validation; any other
   * folder is a plain image folder.
   */
  public static InputFormat detect(String input, Configuration conf) {
    Path path = HadoopPaths.qualify(input, conf);
    FileStatus status = HadoopPaths.statusOrNull(path, conf);
    if (status == null) {
      throw new InputLayoutException("input not found: " + path);
    }
    String name = path.getName().toLowerCase();
    if (status.isFile()) {
      if (name.endsWith(".csv")) {
        return InputFormat.MANIFEST;
      }
      if (name.endsWith(".bin")) {
        return HadoopPaths.isFile(new Path(path.getParent(), "fine_label_names.txt"), conf)
            && !HadoopPaths.isFile(new Path(path.getParent(), "batches.meta.txt"), conf)
            ? InputFormat.CIFAR100 : InputFormat.CIFAR10;
      }
      throw new InvalidConfigException("input.format",
          "cannot detect the format of " + path + ": set --format to one of "
              + Choice.allowed(InputFormat.class));
    }
    List<FileStatus> children = HadoopPaths.children(path, conf);
    if (has(children, "batches.meta.txt")) {
      return InputFormat.CIFAR10;
    }
    if (has(children, "fine_label_names.txt") || has(children, "coarse_label_names.txt")) {
      return InputFormat.CIFAR100;
    }
    boolean anyDir = false;
    for (FileStatus c : children) {
      if (c.isDirectory()) {
        anyDir = true;
        if (c.getPath().getName().matches("n\\d{8}")) {
          return InputFormat.IMAGENET;
        }
      }
    }
    if (!anyDir && HadoopPaths.findNear(path, conf, ImageNetValSource.LABEL_FILES) != null) {
      return InputFormat.IMAGENET_VAL;
    }
    return InputFormat.FOLDER;
  }

  private static boolean has(List<FileStatus> children, String name) {
    return children.stream().anyMatch(c -> c.isFile() && c.getPath().getName().equals(name));
  }
}
