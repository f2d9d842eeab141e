package org.convlens.config;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Typed, validated configuration sections. Each record declares its keys once (a {@link Key} per
 * component and a {@link SettingsSpec} {@code SPEC}), reads itself with {@code from(Config)} and
 * checks its values in its compact constructor, so an invalid configuration never reaches a Spark
 * job. All are serialisable and are shipped to executors as values.
 */
public final class Settings {
  private Settings() {}

  /** {@code spark.*}. */
  public record SparkSettings(String master, String appName, Map<String, String> conf)
      implements Serializable {
    public static final Key<String> MASTER = Key.string("spark.master", "local[*]",
        "Spark master URL; local[*] = every core of this machine; spark-submit's --master wins");
    public static final Key<String> APP_NAME = Key.string("spark.app-name", "convlens", "Spark application name");
    public static final Key<Map<String, String>> CONF = Key.freeForm("spark.conf",
        "extra Spark properties, passed as is, e.g. conf { \"spark.executor.memory\" = \"4g\" }");
    public static final SettingsSpec<SparkSettings> SPEC = SettingsSpec.of(SparkSettings.class, MASTER, APP_NAME, CONF);

    public static SparkSettings from(com.typesafe.config.Config c) {
      return SPEC.from(c);
    }

    public static SparkSettings defaults() {
      return SPEC.defaults();
    }

    public <T> SparkSettings with(Key<T> key, T value) {
      return SPEC.with(this, key, value);
    }

    public SparkSettings {
      if (master == null || master.isBlank()) {
        throw new InvalidConfigException(
            "spark.master", "spark.master must not be empty (e.g. local[*], spark://host:7077, yarn)");
      }
      conf = Map.copyOf(conf);
    }
  }

  /**
   * {@code input.*}.
   *
   * @param names dataset names, one per path (empty = each input's folder or file name); a
   *     dataset's name leads every id of its inputs, so names must differ within a run
   * @param manifestPaths where manifest paths may point
   */
  public record InputSettings(
      List<String> paths,
      List<String> names,
      InputFormat format,
      Cifar100Label cifar100Label,
      String classIndex,
      String valLabels,
      List<String> extensions,
      long limit,
      long maxFileBytes,
      long maxPixels,
      int partitions,
      ManifestPaths manifestPaths)
      implements Serializable {
    private static final String P = "input.";
    public static final Key<List<String>> PATHS = Key.strings(P + "paths", List.of(),
        "one or more datasets: CIFAR batch files or folders, ImageNet folders, image folders or manifest CSVs")
        .unrecorded();
    public static final Key<List<String>> NAMES = Key.strings(P + "names", List.of(),
        "dataset names, one per path (empty = each input's folder or file name)").unrecorded();
    public static final Key<InputFormat> FORMAT = Key.choice(P + "format", InputFormat.class, InputFormat.AUTO,
        "dataset layout");
    public static final Key<Cifar100Label> CIFAR100_LABEL = Key.choice(P + "cifar100-label", Cifar100Label.class,
        Cifar100Label.FINE, "CIFAR-100 only: which label");
    public static final Key<String> CLASS_INDEX = Key.string(P + "class-index", "",
        "ImageNet: the class-index file; empty = look for one beside the input").unrecorded();
    public static final Key<String> VAL_LABELS = Key.string(P + "val-labels", "",
        "ImageNet validation: the labels file; empty = look for one beside the input").unrecorded();
    public static final Key<List<String>> EXTENSIONS = Key.strings(P + "extensions",
        List.of("jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff"),
        "file-name extensions read as images in folder layouts (case-insensitive)");
    public static final Key<Long> LIMIT = Key.longInteger(P + "limit", 0,
        "at most this many inputs per dataset (0 = all)").atLeast(0);
    public static final Key<Long> MAX_FILE_BYTES = Key.longInteger(P + "max-file-bytes", 67_108_864,
        "files larger than this are error rows (file_too_large)").within(1, Integer.MAX_VALUE - 8);
    public static final Key<Long> MAX_PIXELS = Key.longInteger(P + "max-pixels", 89_478_485,
        "images declaring more pixels are error rows (too_many_pixels); PIL's default limit").atLeast(1);
    public static final Key<Integer> PARTITIONS = Key.integer(P + "partitions", 0,
        "Spark partitions of the analysis stage; 0 = 2 x default parallelism").within(0, 100_000).unrecorded();
    public static final Key<ManifestPaths> MANIFEST_PATHS = Key.choice(P + "manifest-paths", ManifestPaths.class,
        ManifestPaths.ANYWHERE, "where paths in a manifest may point");
    public static final SettingsSpec<InputSettings> SPEC = SettingsSpec.of(InputSettings.class, PATHS, NAMES, FORMAT,
        CIFAR100_LABEL, CLASS_INDEX, VAL_LABELS, EXTENSIONS, LIMIT, MAX_FILE_BYTES, MAX_PIXELS, PARTITIONS,
        MANIFEST_PATHS);

    public static InputSettings from(com.typesafe.config.Config c) {
      return SPEC.from(c);
    }

    public static InputSettings defaults() {
      return SPEC.defaults();
    }

    public <T> InputSettings with(Key<T> key, T value) {
      return SPEC.with(this, key, value);
    }

    /** These settings with other inputs and their dataset names (empty = default names). */
    public InputSettings withInputs(List<String> paths, List<String> names) {
      return with(PATHS, paths).with(NAMES, names);
    }

    public InputSettings {
      paths = List.copyOf(paths);
      names = names.stream().map(String::strip).toList();
      for (String n : names) {
        if (n.isEmpty() || n.contains("/") || n.equals(".") || n.equals("..")) {
          throw InvalidConfigException.range("input.names", n, "non-empty names without '/'");
        }
      }
      if (!names.isEmpty() && names.size() != paths.size()) {
        throw new InvalidConfigException("input.names", "input.names has " + names.size() + " name(s) for "
            + paths.size() + " input path(s): give one name per input, in the same order, or none");
      }
      extensions = extensions.stream().map(e -> e.toLowerCase().replaceFirst("^\\.", "")).toList();
      LIMIT.check(limit);
      MAX_FILE_BYTES.check(maxFileBytes);
      MAX_PIXELS.check(maxPixels);
      PARTITIONS.check(partitions);
    }
  }

  /** Where a manifest's paths may point. */
  public enum ManifestPaths implements Choice {
    /** Anywhere the executors can read: relative to the manifest, absolute, or any Hadoop URI. */
    ANYWHERE("anywhere"),
    /** Only the manifest's folder and below; other paths are {@code path_not_allowed} rows. */
    BELOW_MANIFEST("below-manifest");

    private final String code;

    ManifestPaths(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }
  }

  /** Which label of a CIFAR-100 record to use. */
  public enum Cifar100Label implements Choice {
    FINE("fine"),
    COARSE("coarse");

    private final String code;

    Cifar100Label(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }
  }

  /** {@code model.*}. */
  public record ModelSettings(String path, String device, int threads, int interopThreads)
      implements Serializable {
    /** {@code auto} (a GPU Spark assigned, else the CPU), {@code cpu} or {@code gpu}. */
    public static final List<String> DEVICES = List.of("auto", "cpu", "gpu");

    public static final Key<String> PATH = Key.string("model.path", "",
        "a model folder, model.json or TorchScript .pt; empty = the bundled model").unrecorded();
    public static final Key<String> DEVICE = Key.string("model.device", "auto",
        "auto (the GPU Spark assigned, else CPU), cpu or gpu").normalised(d -> d.toLowerCase())
        .allow(DEVICES::contains, String.join(", ", DEVICES));
    public static final Key<Integer> THREADS = Key.integer("model.threads", 1,
        "PyTorch intra-op threads per executor JVM (0 = PyTorch's default)").within(0, 256).unrecorded();
    public static final Key<Integer> INTEROP_THREADS = Key.integer("model.interop-threads", 1,
        "PyTorch inter-op threads per executor JVM (0 = PyTorch's default)").within(0, 256).unrecorded();
    public static final SettingsSpec<ModelSettings> SPEC = SettingsSpec.of(ModelSettings.class, PATH, DEVICE,
        THREADS, INTEROP_THREADS);

    public static ModelSettings from(com.typesafe.config.Config c) {
      return SPEC.from(c);
    }

    public static ModelSettings defaults() {
      return SPEC.defaults();
    }

    public <T> ModelSettings with(Key<T> key, T value) {
      return SPEC.with(this, key, value);
    }

    public ModelSettings {
      device = DEVICE.check(device);
      THREADS.check(threads);
      INTEROP_THREADS.check(interopThreads);
    }
  }

  /**
   * {@code output.*}.
   *
   * @param lockTimeoutSeconds a run holding the output folder's lock refreshes it every quarter
   *     of this; a lock not refreshed for this long belongs to a run that died, and the next run
   *     takes it over
   */
  public record OutputSettings(String dir, WriteMode mode, int lockTimeoutSeconds) implements Serializable {
    public static final Key<String> DIR = Key.string("output.dir", "out",
        "everything goes under this folder: analysis/, model/, run.json, effective.conf").unrecorded();
    public static final Key<WriteMode> MODE = Key.choice("output.mode", WriteMode.class, WriteMode.OVERWRITE,
        "what to do when the output exists: overwrite, error or resume");
    public static final Key<Integer> LOCK_TIMEOUT_SECONDS = Key.integer("output.lock-timeout-seconds", 60,
        "a run's lock on its output folder not refreshed for this long is taken over").within(2, 86_400)
        .unrecorded();
    public static final SettingsSpec<OutputSettings> SPEC = SettingsSpec.of(OutputSettings.class, DIR, MODE,
        LOCK_TIMEOUT_SECONDS);

    public static OutputSettings from(com.typesafe.config.Config c) {
      return SPEC.from(c);
    }

    public static OutputSettings defaults() {
      return SPEC.defaults();
    }

    public <T> OutputSettings with(Key<T> key, T value) {
      return SPEC.with(this, key, value);
    }

    public OutputSettings {
      if (dir == null || dir.isBlank()) {
        throw new InvalidConfigException("output.dir", "output.dir must not be empty");
      }
      LOCK_TIMEOUT_SECONDS.check(lockTimeoutSeconds);
    }
  }

  /**
   * What to do when the output already exists: replace it, refuse, or (analyze) resume: keep it
   * and analyse only the inputs whose id it does not hold yet.
   */
  public enum WriteMode implements Choice {
    OVERWRITE("overwrite"),
    ERROR("error"),
    RESUME("resume");

    private final String code;

    WriteMode(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }
  }

  /** {@code progress.*}. */
  public record ProgressSettings(int intervalSeconds) implements Serializable {
    public static final Key<Integer> INTERVAL_SECONDS = Key.integer("progress.interval-seconds", 5,
        "longest time between console progress lines on long stages (0 = off)").within(0, 86_400).unrecorded();
    public static final SettingsSpec<ProgressSettings> SPEC = SettingsSpec.of(ProgressSettings.class,
        INTERVAL_SECONDS);

    public static ProgressSettings from(com.typesafe.config.Config c) {
      return SPEC.from(c);
    }

    public static ProgressSettings defaults() {
      return SPEC.defaults();
    }

    public ProgressSettings {
      INTERVAL_SECONDS.check(intervalSeconds);
    }
  }

  /** Fails naming {@code key} unless min <= value <= max (integers). */
  public static void between(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw InvalidConfigException.range(key, value, "integers from " + min + " to " + max);
    }
  }
}
