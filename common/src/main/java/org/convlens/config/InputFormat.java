package org.convlens.config;

/** The dataset layouts ConvLens reads ({@code input.format}). */
public enum InputFormat implements Choice {
  /**
   * Detect from the path: a {@code .csv} file is a manifest, a {@code .bin} file or a folder with
   * {@code batches.meta.txt} CIFAR-10, {@code fine_label_names.txt} CIFAR-100, synset sub-folders
   * ImageNet, a flat folder beside a labels file ImageNet validation, any other folder a plain
   * image folder (first match wins).
   */
  AUTO("auto"),
  /** CIFAR-10 binary batches with batches.meta.txt. */
  CIFAR10("cifar10"),
  /** CIFAR-100 binary batches (fine or coarse labels, input.cifar100-label). */
  CIFAR100("cifar100"),
  /** ImageNet training layout: one sub-folder per synset, plus a class-index file. */
  IMAGENET("imagenet"),
  /** ImageNet validation layout: one flat folder plus a labels file. */
  IMAGENET_VAL("imagenet-val"),
  /** A plain image folder; the class is the first-level sub-folder (torchvision ImageFolder). */
  FOLDER("folder"),
  /** A CSV with a header and columns path,label (label = class name or index; may be empty). */
  MANIFEST("manifest");

  private final String code;

  InputFormat(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }
}
