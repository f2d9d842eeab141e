package org.convlens.data;

import java.util.List;
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

  /** The source for {@code path}, detecting the format when {@code input.format = auto}. */
  public static ImageSource open(String path, InputSettings input, SparkSession spark) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    InputFormat format = input.format() == InputFormat.AUTO ? detect(path, conf) : input.format();
    return switch (format) {
      case CIFAR10 -> new CifarSource(path, CifarFormat.Variant.CIFAR10, conf);
      case CIFAR100 -> new CifarSource(path,
          input.cifar100Label() == Cifar100Label.FINE
              ? CifarFormat.Variant.CIFAR100_FINE : CifarFormat.Variant.CIFAR100_COARSE, conf);
      case IMAGENET -> FolderSource.imagenet(path, input.classIndex(), input.extensions(), conf);
      case IMAGENET_VAL -> new ImageNetValSource(path, input.classIndex(), input.valLabels(), input.extensions(), conf);
      case FOLDER -> FolderSource.folder(path, input.extensions(), conf);
      case MANIFEST -> new ManifestSource(path, spark, conf);
      case AUTO -> throw new IllegalStateException("unreachable");
    };
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
