package org.convlens.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.pipeline.ConfigLoader;
import org.convlens.pipeline.ConvLensConfig;
import picocli.CommandLine.Option;

/** Options every job takes; each maps onto one configuration key (see conf/convlens.conf). */
public final class CommonOptions {
  @Option(names = "--input", paramLabel = "PATH",
      description = "Dataset to read (repeatable): CIFAR batch file/folder, ImageNet folder, image folder or manifest CSV. Key input.paths.")
  List<String> inputs = new ArrayList<>();

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "auto, cifar10, cifar100, imagenet, imagenet-val, folder or manifest (default auto). Key input.format.")
  String format;

  @Option(names = "--model", paramLabel = "PATH",
      description = "Model folder with model.json, a model.json, or a TorchScript .pt with a sidecar .json (default: the bundled model). Key model.path.")
  String model;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default out). Key output.dir.")
  String out;

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master, e.g. local[*] (default), local[2], spark://host:7077. Key spark.master.")
  String master;

  @Option(names = "--conf", paramLabel = "FILE", description = "HOCON file overriding conf/convlens.conf.")
  Path conf;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one key (repeatable), e.g. --set analyze.batch-size=32.")
  List<String> sets = new ArrayList<>();

  @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
  boolean verbose;

  /** The validated configuration these options select. */
  ConvLensConfig config() {
    return config(Map.of());
  }

  /** The configuration, with a command's own key options (null values = not given). */
  ConvLensConfig config(Map<String, Object> commandKeys) {
    Map<String, Object> options = new LinkedHashMap<>(commandKeys);
    if (!inputs.isEmpty()) {
      options.put("input.paths", inputs);
    }
    options.put("input.format", format);
    options.put("model.path", model);
    options.put("output.dir", out);
    options.put("spark.master", master);
    return ConfigLoader.load(conf, options, sets);
  }

  /** Whether the user chose the master (otherwise spark-submit's master, if any, wins). */
  boolean masterExplicit() {
    return master != null || sets.stream().anyMatch(s -> s.startsWith("spark.master="));
  }
}
