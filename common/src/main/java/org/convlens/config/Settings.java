package org.convlens.config;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Typed, validated configuration sections. Each record checks its values in its compact
 * constructor, so an invalid configuration never reaches a Spark job. All are serialisable and
 * are shipped to executors as values.
 */
public final class Settings {
  private Settings() {}

  /** {@code spark.*}. */
  public record SparkSettings(String master, String appName, Map<String, String> conf)
      implements Serializable {
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
      atLeast("input.limit", limit, 0);
      between("input.max-file-bytes", maxFileBytes, 1, Integer.MAX_VALUE - 8);
      atLeast("input.max-pixels", maxPixels, 1);
      between("input.partitions", partitions, 0, 100_000);
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

    public ModelSettings {
      if (!DEVICES.contains(device)) {
        throw InvalidConfigException.range("model.device", device, String.join(", ", DEVICES));
      }
      between("model.threads", threads, 0, 256);
      between("model.interop-threads", interopThreads, 0, 256);
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
    public OutputSettings {
      if (dir == null || dir.isBlank()) {
        throw new InvalidConfigException("output.dir", "output.dir must not be empty");
      }
      between("output.lock-timeout-seconds", lockTimeoutSeconds, 2, 86_400);
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
    public ProgressSettings {
      between("progress.interval-seconds", intervalSeconds, 0, 86_400);
    }
  }

  /** Fails naming {@code key} unless min <= value <= max (integers). */
  public static void between(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw InvalidConfigException.range(key, value, "integers from " + min + " to " + max);
    }
  }

  static void atLeast(String key, long value, long min) {
    if (value < min) {
      throw InvalidConfigException.range(key, value, "integers >= " + min);
    }
  }
}
