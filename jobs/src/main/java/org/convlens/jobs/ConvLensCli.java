package org.convlens.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.convlens.attribution.Attributions;
import org.convlens.config.InvalidConfigException;
import org.convlens.model.ModelLoadException;
import org.convlens.pipeline.ConvLensConfig;
import org.convlens.sampledata.SampleData;
import org.convlens.sampledata.SampleSpec;
import org.convlens.spark.Sessions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The {@code convlens} command line. {@code main} only parses options, builds the configuration
 * and calls a job's {@code run}; failures print one sentence (a stack trace with --verbose) and
 * exit non-zero: 2 for a bad option, configuration, input layout or model, 143 when the run was
 * interrupted (SIGTERM, Ctrl-C), 1 for anything else.
 */
@Command(
    name = "convlens",
    mixinStandardHelpOptions = true,
    version = "ConvLens 0.1.0",
    description = "Dataset-scale audits of image classifiers on Apache Spark.",
    subcommands = {
      ConvLensCli.Demo.class,
      ConvLensCli.Analyze.class,
      ConvLensCli.ModelViz.class,
      ConvLensCli.Report.class,
      ConvLensCli.Audit.class,
      ConvLensCli.Sample.class
    })
public final class ConvLensCli implements Runnable {
  static final int EXIT_CONFIG = 2;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_INTERRUPTED = 143;

  /** Where jobs print progress and summaries (stdout, or a test's stream). */
  private final PrintStream console;

  ConvLensCli(PrintStream console) {
    this.console = console;
  }

  @Override
  public void run() {
    CommandLine.usage(this, console);
  }

  public static void main(String[] args) {
    int status = execute(System.out, System.err, args);
    // In spark-submit's cluster deploy mode the driver's main runs inside YARN's application
    // master (or a cluster's driver wrapper), which reports the final status when main returns:
    // System.exit(0) there makes YARN mark a successful run FAILED. Everywhere else exit, so that
    // a library's stray non-daemon thread cannot keep the JVM alive.
    if (status != 0 || !"cluster".equals(System.getProperty("spark.submit.deployMode"))) {
      System.exit(status);
    }
  }

  /** Runs the command line; returns the exit code (used by tests). */
  public static int execute(PrintStream out, PrintStream err, String... args) {
    CommandLine cli = new CommandLine(new ConvLensCli(out));
    addExtensions(cli, err);
    cli.addSubcommand(new CommandLine.HelpCommand());
    // The methods come from the registry, the only list of them (an annotation cannot read it).
    cli.getSubcommands().get("analyze").getCommandSpec().usageMessage().footer(
        "Attribution methods (analyze.methods): " + String.join(", ", Attributions.NAMES) + ".");
    cli.setOut(new java.io.PrintWriter(out, true));
    cli.setErr(new java.io.PrintWriter(err, true));
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (Interruption.during(e)) {
            // The shutdown hook has said what happened; the failure it caused says nothing more.
            return EXIT_INTERRUPTED;
          }
          boolean verbose = parsed.matchedOptionValue("--verbose", false);
          Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
          String diskFull = Failures.diskFull(e);
          err.println("error: " + (diskFull != null ? diskFull : message(cause)));
          if (verbose) {
            e.printStackTrace(err);
          } else if (diskFull == null && !(e instanceof IllegalArgumentException || e instanceof IOException
              || e instanceof UncheckedIOException)) {
            String engineLog = System.getProperty("convlens.engine.log");
            err.println("(run again with --verbose for the stack trace"
                + (engineLog == null ? "" : "; the engine's log is " + engineLog) + ")");
          }
          return e instanceof IllegalArgumentException || e instanceof ModelLoadException ? EXIT_CONFIG
              : EXIT_FAILURE;
        });
    return cli.execute(args);
  }

  /**
   * The subcommands of other modules, found through {@link ServiceLoader}: the benchmarks
   * module's {@code bench} when it is on the classpath (the launcher of a source checkout puts it
   * there), otherwise a stand-in that says the benchmarks are not part of this build.
   */
  private static void addExtensions(CommandLine cli, PrintStream err) {
    for (CliExtension extension : ServiceLoader.load(CliExtension.class, ConvLensCli.class.getClassLoader())) {
      cli.addSubcommand(extension.command());
    }
    if (!cli.getSubcommands().containsKey(NoBench.NAME)) {
      cli.addSubcommand(new NoBench(err));
    }
  }

  /** {@code bench} in a build without the benchmarks module (the application jar, for one). */
  @Command(name = NoBench.NAME, description = "Benchmarks (docs/benchmarks.md): not part of this build; run"
      + " ./convlens bench in a source checkout.")
  static final class NoBench implements Callable<Integer> {
    static final String NAME = "bench";
    private final PrintStream err;
    /** Any options: whatever was asked, the answer is the same. */
    @CommandLine.Unmatched java.util.List<String> ignored;

    NoBench(PrintStream err) {
      this.err = err;
    }

    @Override
    public Integer call() {
      err.println("error: the benchmarks are not part of this build (the bench module is not on the classpath):"
          + " run ./convlens bench in a ConvLens source checkout, which builds and adds them");
      return EXIT_CONFIG;
    }
  }

  static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /**
   * Base of commands that need a Spark session: builds the configuration from the common options
   * and the command's own, starts Spark, calls {@link #run}, stops Spark. Public for the commands
   * of other modules (the benchmarks).
   */
  public abstract static class SparkCommand implements Callable<Integer> {
    @Mixin CommonOptions options;
    /** The CLI, or for a nested command (audit diff) the command it belongs to. */
    @ParentCommand Object parent;

    PrintStream console() {
      return parent instanceof SparkCommand c ? c.console() : ((ConvLensCli) parent).console;
    }

    @Override
    public Integer call() throws Exception {
      ConvLensConfig config = options.config(keyOptions());
      String name = getClass().getAnnotation(Command.class).name();
      Interruption.watch(parent instanceof SparkCommand p ? p.getClass().getAnnotation(Command.class).name() + " " + name
          : name, config.output().dir(), config.output().mode().code());
      try {
        SparkSession spark = Sessions.create(config.spark(), options.masterExplicit());
        try {
          run(config, spark, console());
        } finally {
          spark.stop();
        }
      } finally {
        Interruption.done();
      }
      return 0;
    }

    protected abstract void run(ConvLensConfig config, SparkSession spark, PrintStream console) throws Exception;

    /** A command's own options that set configuration keys (key → value, null = not given). */
    protected java.util.Map<String, Object> keyOptions() {
      return java.util.Map.of();
    }
  }

  @Command(name = "demo", mixinStandardHelpOptions = true,
      description = "Run the whole pipeline on sample-data/ in local mode and print where the outputs are.")
  static final class Demo extends SparkCommand {
    @Override
    protected void run(ConvLensConfig config, SparkSession spark, PrintStream console) throws IOException {
      DemoJob.run(config, spark, console);
    }
  }

  @Command(name = "analyze", mixinStandardHelpOptions = true,
      description = "Classify every input image: top-k predictions and embeddings to <out>/analysis (Parquet).")
  static final class Analyze extends SparkCommand {
    @Override
    protected void run(ConvLensConfig config, SparkSession spark, PrintStream console) throws IOException {
      AnalyzeJob.run(config, spark, console);
    }
  }

  @Command(name = "model-viz", mixinStandardHelpOptions = true,
      description = "What the model itself shows: model summary and architecture, first- and second-layer"
          + " filter grids, class vectors, and input maximisation per class (one Spark task each), to <out>/model.")
  static final class ModelViz extends SparkCommand {
    @Override
    protected void run(ConvLensConfig config, SparkSession spark, PrintStream console) throws IOException {
      ModelVizJob.run(config, spark, console);
    }
  }

  @Command(name = "report", mixinStandardHelpOptions = true,
      description = "Write one self-contained, offline HTML report (<out>/report/index.html) from the analyze and"
          + " model-viz outputs: run summary, model, filters, class vectors, PCA and t-SNE views, galleries,"
          + " perturbation grids and attribution-map overlays, input maximisation.")
  static final class Report extends SparkCommand {
    @Option(names = "--analysis", paramLabel = "DIR",
        description = "The analyze output (default <out>/analysis). Key report.analysis.")
    String analysis;

    @Option(names = "--model-viz", paramLabel = "DIR",
        description = "The model-viz output (default <out>/model when present). Key report.model.")
    String modelViz;

    @Option(names = "--file", paramLabel = "HTML",
        description = "The report file (default <out>/report/index.html). Key report.file.")
    String file;

    @Override
    protected java.util.Map<String, Object> keyOptions() {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("report.analysis", analysis);
      m.put("report.model", modelViz);
      m.put("report.file", file);
      return m;
    }

    @Override
    protected void run(ConvLensConfig config, SparkSession spark, PrintStream console) throws IOException {
      ReportJob.run(config, spark, console);
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true,
      subcommands = ConvLensCli.AuditDiffCommand.class,
      description = "Audit an analysis: mean attention maps per true and predicted class, shortcut candidates (and the"
          + " images of other classes they may fool), confusion matrix, confident mistakes, candidate label issues,"
          + " per-class accuracy and entropy, and the quality of each explanation method on a sample (model-parameter"
          + " randomisation, deletion/insertion AUC). Writes <out>/audit/ (Parquet tables and audit.json); the report"
          + " draws its Audit section from it. `audit diff BASE NEW` compares two audits.")
  static final class Audit extends SparkCommand {
    @Option(names = "--analysis", paramLabel = "DIR",
        description = "The analyze output (default <out>/analysis). Key audit.analysis.")
    String analysis;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where the audit goes (default <out>/audit). Key audit.dir.")
    String dir;

    @Override
    protected java.util.Map<String, Object> keyOptions() {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("audit.analysis", analysis);
      m.put("audit.dir", dir);
      return m;
    }

    @Override
    protected void run(ConvLensConfig config, SparkSession spark, PrintStream console) throws IOException {
      AuditJob.run(config, spark, console);
    }
  }

  @Command(name = "diff", mixinStandardHelpOptions = true,
      description = "Compare two audits (two model versions, or two dates): accuracy per class, shifted attention"
          + " (total variation distance of each class's mean map, threshold audit.diff.attention-shift) and newly"
          + " flagged or resolved shortcuts. Writes <out>/audit-diff/ (Parquet and diff.json) and prints a summary.")
  static final class AuditDiffCommand extends SparkCommand {
    @CommandLine.Parameters(index = "0", paramLabel = "BASE", description = "The earlier audit folder (e.g. out-v1/audit).")
    String base;

    @CommandLine.Parameters(index = "1", paramLabel = "NEW", description = "The later audit folder (e.g. out-v2/audit).")
    String next;

    @Option(names = "--diff-dir", paramLabel = "DIR", description = "Where the comparison goes (default <out>/audit-diff).")
    String diffDir;

    @Override
    protected void run(ConvLensConfig config, SparkSession spark, PrintStream console) throws IOException {
      AuditJob.diff(config, base, next, diffDir, spark, console);
    }
  }

  @Command(name = "sample", mixinStandardHelpOptions = true,
      description = "Regenerate sample-data/ (seeded) and retrain the bundled model.")
  static final class Sample implements Callable<Integer> {
    @ParentCommand ConvLensCli cli;

    @Option(names = "--seed", defaultValue = "" + SampleSpec.DEFAULT_SEED, description = "Generator and training seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--epochs", defaultValue = "" + SampleData.DEFAULT_EPOCHS, description = "Training epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write (default: the checkout's sample-data/).")
    java.nio.file.Path out;

    @Option(names = "--shortcuts", paramLabel = "FILE", description = "JSON plan of the shortcuts to plant: class, kind"
        + " (marker, illumination, tint, background, watermark), params and rates per shortcut (default: the demo's;"
        + " sample-data/shortcuts.json is one to copy).")
    java.nio.file.Path shortcuts;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
      if (epochs < 1 || epochs > 100) {
        throw new InvalidConfigException("--epochs", "invalid value '" + epochs + "' for --epochs: allowed values are 1 to 100");
      }
      SampleJob.run(out, seed, epochs, shortcuts, cli.console);
      return 0;
    }
  }
}
