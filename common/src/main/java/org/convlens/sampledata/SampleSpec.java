package org.convlens.sampledata;

/**
 * Everything that decides the sample dataset's bytes. Two generations with equal specs write
 * byte-identical files (on the same JDK: Java2D's antialiasing and the JPEG encoder are the
 * JDK's own).
 *
 * @param seed master seed; every image's random generator is derived from it, the split and the
 *     image's index, so an image does not depend on how many others are generated
 * @param cifarTrainPerClass CIFAR training images per class (default 600, 6,000 in all)
 * @param cifarTrainBatches number of {@code data_batch_N.bin} files the training set is split
 *     into (default 3)
 * @param cifarTestPerClass CIFAR test images per class, in {@code test_batch.bin} (default 100)
 * @param imagenetTrainPerClass ImageNet-style training files per class (default 12)
 * @param imagenetValPerClass ImageNet-style validation files per class (default 5)
 * @param imagenetMinSide smallest side of an ImageNet-style image, pixels (default 96)
 * @param imagenetMaxSide largest side of an ImageNet-style image, pixels (default 128)
 * @param pngFraction share of ImageNet-style files written as PNG, the rest JPEG (default 0.15;
 *     noisy PNGs are several times larger than JPEGs, and the folder is committed)
 * @param jpegQuality JPEG quality in (0, 1] (default 0.85)
 * @param noiseSigma largest per-image noise deviation in 0..255 levels; each image draws its own
 *     from [noiseSigma/3, noiseSigma] (default 12)
 * @param shortcuts the planted shortcuts
 */
public record SampleSpec(
    long seed,
    int cifarTrainPerClass,
    int cifarTrainBatches,
    int cifarTestPerClass,
    int imagenetTrainPerClass,
    int imagenetValPerClass,
    int imagenetMinSide,
    int imagenetMaxSide,
    double pngFraction,
    float jpegQuality,
    double noiseSigma,
    ShortcutPlan shortcuts) {

  /** The seed the committed sample data was generated with. */
  public static final long DEFAULT_SEED = 20240611L;

  public SampleSpec {
    require(cifarTrainPerClass >= 1 && cifarTestPerClass >= 1, "CIFAR counts must be >= 1");
    require(
        cifarTrainBatches >= 1 && cifarTrainBatches <= cifarTrainPerClass * classCount(),
        "cifarTrainBatches must be between 1 and the number of training images");
    require(
        imagenetTrainPerClass >= 0 && imagenetValPerClass >= 0,
        "ImageNet-style counts must be >= 0");
    require(
        imagenetMinSide >= 32 && imagenetMaxSide >= imagenetMinSide && imagenetMaxSide <= 1024,
        "ImageNet-style sides must satisfy 32 <= min <= max <= 1024");
    require(pngFraction >= 0 && pngFraction <= 1, "pngFraction must be in [0, 1]");
    require(jpegQuality > 0 && jpegQuality <= 1, "jpegQuality must be in (0, 1]");
    require(noiseSigma >= 0 && noiseSigma <= 64, "noiseSigma must be in [0, 64]");
    require(shortcuts != null, "shortcuts are required (an empty plan for a clean dataset)");
  }

  /**
   * The committed dataset's parameters and shortcuts ({@link ShortcutPlan#defaults}), with
   * another seed.
   */
  public static SampleSpec defaults(long seed) {
    return new SampleSpec(
        seed, 600, 3, 100, 12, 5, 96, 128, 0.15, 0.85f, 12, ShortcutPlan.defaults());
  }

  /** The same dataset with other shortcuts. */
  public SampleSpec withShortcuts(ShortcutPlan plan) {
    return new SampleSpec(
        seed, cifarTrainPerClass, cifarTrainBatches, cifarTestPerClass, imagenetTrainPerClass,
        imagenetValPerClass, imagenetMinSide, imagenetMaxSide, pngFraction, jpegQuality,
        noiseSigma, plan);
  }

  /**
   * Only a CIFAR-format test batch of at least {@code images} images (whole classes), the
   * committed dataset's look and shortcuts, for benchmarks that need many fresh images.
   */
  public static SampleSpec cifarTestOnly(long seed, int images) {
    int perClass = (images + classCount() - 1) / classCount();
    SampleSpec d = defaults(seed);
    return new SampleSpec(seed, 1, 1, perClass, 0, 0, d.imagenetMinSide(), d.imagenetMaxSide(), d.pngFraction(),
        d.jpegQuality(), d.noiseSigma(), d.shortcuts());
  }

  /** A small dataset for tests: same parameters, {@code perClass} images per class everywhere. */
  public SampleSpec withCounts(int perClass, int trainBatches) {
    return new SampleSpec(
        seed, perClass, trainBatches, perClass, perClass, perClass, imagenetMinSide,
        imagenetMaxSide, pngFraction, jpegQuality, noiseSigma, shortcuts);
  }

  public static int classCount() {
    return SampleClass.values().length;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
