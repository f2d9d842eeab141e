package org.convlens.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.analyze.AnalyzeRun;
import org.convlens.analyze.RunRecord;
import org.convlens.attribution.AttributionMethod;
import org.convlens.attribution.Attributions;
import org.convlens.attribution.MapEncoding;
import org.convlens.audit.AuditSettings;
import org.convlens.audit.AuditSummary;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.StageContext;
import org.convlens.data.HadoopPaths;
import org.convlens.modelviz.ModelVizRun;
import org.convlens.spark.OutputFiles;
import org.convlens.spark.OutputJson;
import org.convlens.spark.OutputLayout;
import org.convlens.spark.OutputLock;
import org.convlens.spark.ProgressReporter;

/**
 * The report stage, on the driver: reads the analysis (and the model-viz output when there is
 * one) with Spark, keeps only the bounded samples {@link AnalysisSample} draws, computes the
 * projections ({@link Projections}) and writes one self-contained HTML file ({@link HtmlReport}).
 * Prints each phase, and t-SNE's iterations, as it goes.
 */
public final class ReportRun {
  public static final String REPORT_DIR = "report";
  public static final String REPORT_FILE = "index.html";
  /** Attribution map columns the report overlays, in registry order (each method's overlay). */
  static final List<String> MAP_COLUMNS = Attributions.ALL.stream().map(AttributionMethod::overlay)
      .filter(java.util.Objects::nonNull).map(AttributionMethod.MapColumn::column).toList();
  private static final int ERROR_EXAMPLES = 5;

  /**
   * What a run did.
   *
   * @param points images in the scatter views (of {@code available} usable rows)
   * @param views the projections drawn
   */
  public record Summary(String file, long bytes, long rows, long points, long available,
      int galleryImages, List<Projections.View> views, boolean modelSection, boolean auditSection, double seconds) {
    /** A builder, so that a caller names each of the 10 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private String file;
      private long bytes;
      private long rows;
      private long points;
      private long available;
      private int galleryImages;
      private List<Projections.View> views;
      private boolean modelSection;
      private boolean auditSection;
      private double seconds;

      private Builder() {}

      public Builder file(String file) {
        this.file = file;
        return this;
      }

      public Builder bytes(long bytes) {
        this.bytes = bytes;
        return this;
      }

      public Builder rows(long rows) {
        this.rows = rows;
        return this;
      }

      public Builder points(long points) {
        this.points = points;
        return this;
      }

      public Builder available(long available) {
        this.available = available;
        return this;
      }

      public Builder galleryImages(int galleryImages) {
        this.galleryImages = galleryImages;
        return this;
      }

      public Builder views(List<Projections.View> views) {
        this.views = views;
        return this;
      }

      public Builder modelSection(boolean modelSection) {
        this.modelSection = modelSection;
        return this;
      }

      public Builder auditSection(boolean auditSection) {
        this.auditSection = auditSection;
        return this;
      }

      public Builder seconds(double seconds) {
        this.seconds = seconds;
        return this;
      }

      public Summary build() {
        return new Summary(file, bytes, rows, points, available, galleryImages, views, modelSection, auditSection,
            seconds);
      }
    }
  }

  private ReportRun() {}

  public static Summary execute(StageContext stage, ReportSettings settings, AuditSettings auditSettings,
      SparkSession spark, PrintStream console)
      throws IOException {
    long start = System.nanoTime();
    ReportSettings s = settings;
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path outDir = HadoopPaths.qualify(stage.output().dir(), hadoop);
    Path analysisDir = s.analysis().isEmpty() ? new Path(outDir, OutputLayout.ANALYSIS_DIR)
        : HadoopPaths.qualify(s.analysis(), hadoop);
    if (HadoopPaths.statusOrNull(analysisDir, hadoop) == null) {
      throw new InvalidConfigException("report.analysis", "no analysis output at " + analysisDir
          + ": run `convlens analyze` first, or point --analysis (report.analysis) at one");
    }
    Path modelDir = s.model().isEmpty() ? new Path(outDir, ModelVizRun.MODEL_DIR)
        : HadoopPaths.qualify(s.model(), hadoop);
    if (!s.model().isEmpty() && HadoopPaths.statusOrNull(modelDir, hadoop) == null) {
      throw new InvalidConfigException("report.model", "no model-viz output at " + modelDir
          + ": run `convlens model-viz`, or leave report.model empty");
    }
    Path file = s.file().isEmpty() ? new Path(new Path(outDir, REPORT_DIR), REPORT_FILE)
        : HadoopPaths.qualify(s.file(), hadoop);
    // Where the report goes is checked (and held) before any work.
    try (OutputLock lock = OutputLock.acquire(file.getParent(), hadoop, s.file().isEmpty() ? "output.dir"
        : "report.file", "report", stage.output().lockTimeoutSeconds(), console)) {
      return render(stage, settings, auditSettings, spark, console, lock, outDir, analysisDir, modelDir, file, start);
    }
  }

  private static Summary render(StageContext stage, ReportSettings s, AuditSettings auditSettings,
      SparkSession spark, PrintStream console, OutputLock lock,
      Path outDir, Path analysisDir, Path modelDir, Path file, long start) throws IOException {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Phases phases = new Phases(console);

    phases.start("reading " + analysisDir);
    Dataset<Row> all = spark.read().parquet(analysisDir.toString());
    AnalysisSample.checkSchema(all.schema(), analysisDir.toString());
    // One report = one model: when runs of several models share the folder, the most common.
    List<Row> models = all.groupBy("model_id").count().orderBy(desc("count"), col("model_id")).collectAsList();
    if (models.isEmpty()) {
      throw new IllegalArgumentException(analysisDir + " holds no rows: nothing to report");
    }
    String modelId = models.get(0).getString(0);
    Dataset<Row> rows = models.size() == 1 ? all : all.filter(col("model_id").equalTo(modelId));
    rows = rows.cache();

    phases.start("statistics");
    AnalysisSample.Stats stats = AnalysisSample.stats(rows, ERROR_EXAMPLES);
    List<String> classes = classOrder(rows, stats);

    phases.start("sampling up to " + s.maxPoints() + " embeddings for the scatter views (seed " + s.seed() + ")");
    AnalysisSample.Points points = AnalysisSample.points(rows, classes, s.maxPoints(), s.seed(), s.thumbnailSide());
    console.printf(Locale.ROOT, "report: %,d of %,d usable images in the scatter views%n", points.size(),
        points.available());

    LongAccumulator iterations = spark.sparkContext().longAccumulator("convlens.tsne");
    Projections.Result projections;
    ProgressReporter[] running = {null};
    try {
      projections = Projections.compute(points.embedding(), s, new Projections.Listener() {
        @Override
        public void phase(String name) {
          if (running[0] != null) {
            running[0].close();
            running[0] = null;
          }
          phases.start(name);
          if (name.startsWith("t-SNE")) {
            iterations.reset();
            running[0] = new ProgressReporter(name, new ProgressReporter.Total(s.iterations(), "iterations", "it"),
                iterations, stage.progress().intervalSeconds(), console);
          }
        }

        @Override
        public void iteration(int i) {
          iterations.add(1);
        }
      });
    } finally {
      if (running[0] != null) {
        running[0].close();
      }
    }

    phases.start("sprite atlas of " + points.size() + " thumbnails");
    SpriteAtlas atlas = points.thumbnails() == null || points.size() == 0 ? null
        : SpriteAtlas.pack(points.thumbnails(), points.thumbnailSide());

    phases.start("gallery sample: " + s.perClass() + " per class, at most " + s.maxClasses() + " classes");
    List<Row> gallery = AnalysisSample.gallery(rows, s.perClass(), s.maxClasses(), s.seed());

    ReportData.Model model = null;
    if (HadoopPaths.statusOrNull(modelDir, hadoop) != null) {
      phases.start("model sections from " + modelDir);
      model = ModelSection.read(spark, modelDir, s);
    }
    RunRecord runJson = OutputJson.read(new Path(analysisDir.getParent(), AnalyzeRun.RUN_FILE), RunRecord.class, hadoop);
    Path auditDir = auditSettings.dir().isEmpty() ? new Path(outDir, org.convlens.audit.AuditRun.AUDIT_DIR)
        : HadoopPaths.qualify(auditSettings.dir(), hadoop);
    AuditSummary audit = OutputJson.read(new Path(auditDir, org.convlens.audit.AuditRun.SUMMARY_FILE),
        AuditSummary.class, hadoop);
    if (audit != null && !modelId.equals(audit.modelId())) {
      console.println("report: " + auditDir + " audits model " + audit.modelId() + ", not " + modelId
          + "; the Audit section is left out (run `convlens audit` again)");
      audit = null;
    } else if (audit != null) {
      phases.start("audit section from " + auditDir);
    }

    phases.start("writing " + file);
    String title = s.title().isEmpty() ? "ConvLens report: " + modelId : s.title();
    String generated = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, Object> settings = s.toMap();
    ReportData data = ReportData.builder()
        .title(title)
        .generatedAt(generated)
        .settings(settings)
        .run(new ReportData.Run(analysisDir.toString(), modelId, stats, runJson))
        .model(model)
        .embedding(ReportData.Embedding.of(points, projections, atlas))
        .methods(Attributions.reportSections())
        .gallery(gallerySection(gallery))
        .audit(audit)
        .build();

    Map<String, Object> page = new LinkedHashMap<>();
    page.put("title", title);
    page.put("generated_at", generated);
    page.put("model_id", modelId);
    page.put("analysis_path", analysisDir.toString());
    page.put("stats", stats);
    page.put("accuracy", stats.labelled() == 0 ? "n/a (no labels)"
        : String.format(Locale.ROOT, "%.2f%% (%,d of %,d labelled)", 100.0 * stats.correct() / stats.labelled(),
            stats.correct(), stats.labelled()));
    page.put("other_models", models.size() > 1 ? models.subList(1, models.size()).stream()
        .map(r -> r.getString(0) + " (" + r.getLong(1) + " rows)").toList() : List.of());
    page.put("settings", settings);
    page.put("run_settings", runSettings(runJson));
    page.put("datasets", datasets(runJson));
    page.put("layers", model == null ? List.of() : layers(model));
    page.put("model", model == null ? Map.of() : modelFacts(model));
    String html = HtmlReport.render(page, data);
    byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
    lock.checkHeld();
    OutputFiles.writeBytes(file, bytes, hadoop);
    rows.unpersist();
    double seconds = (System.nanoTime() - start) / 1e9;
    console.printf(Locale.ROOT, "report: %s (%.1f MB) in %.1f s%n", file, bytes.length / 1e6, seconds);
    return Summary.builder()
        .file(file.toString())
        .bytes(bytes.length)
        .rows(stats.total())
        .points(points.size())
        .available(points.available())
        .galleryImages(gallery.size())
        .views(projections.views())
        .modelSection(model != null)
        .auditSection(audit != null)
        .seconds(seconds)
        .build();
  }

  /** Class names: the model's order where the analysis shows it (predictions), then the rest. */
  static List<String> classOrder(Dataset<Row> rows, AnalysisSample.Stats stats) {
    Set<String> names = new LinkedHashSet<>();
    for (Row r : rows.filter(col("predicted").isNotNull()).select("predicted", "predicted_name").distinct()
        .orderBy("predicted").collectAsList()) {
      names.add(r.getString(1));
    }
    List<String> rest = new ArrayList<>();
    for (AnalysisSample.ClassStat c : stats.classes()) {
      if (!names.contains(c.name())) {
        rest.add(c.name());
      }
    }
    rest.sort(null);
    names.addAll(rest);
    return new ArrayList<>(names);
  }

  /** The analyze run's settings worth showing (from run.json), flattened to key = value. */
  private static Map<String, String> runSettings(RunRecord run) {
    Map<String, String> m = new LinkedHashMap<>();
    if (run == null) {
      return m;
    }
    m.put("run_id", String.valueOf(run.runId()));
    m.put("model_id", String.valueOf(run.modelId()));
    m.put("device", String.valueOf(run.device()));
    m.put("finished_at", String.valueOf(run.finishedAt()));
    m.put("seconds", String.valueOf(run.seconds()));
    if (run.config() != null) {
      m.putAll(run.config());
    }
    // The attribution block is open-ended (each method adds its own entries): shown as its JSON,
    // a list or an object as JSON text.
    JsonNode att = run.attribution() == null ? OutputJson.tree(Map.of()) : OutputJson.tree(run.attribution());
    att.fieldNames().forEachRemaining(k -> m.put("attribution." + k,
        att.get(k).isValueNode() ? att.get(k).asText() : att.get(k).toString()));
    return m;
  }

  /** The analyze run's datasets (name, format, path) from run.json. */
  private static List<Map<String, String>> datasets(RunRecord run) {
    List<Map<String, String>> out = new ArrayList<>();
    if (run != null && run.datasets() != null) {
      for (RunRecord.Dataset d : run.datasets()) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", String.valueOf(d.name()));
        m.put("format", String.valueOf(d.format()));
        m.put("path", String.valueOf(d.path()));
        m.put("classes", String.valueOf(d.classes() == null ? 0 : d.classes().size()));
        out.add(m);
      }
    }
    return out;
  }

  private static List<Map<String, String>> layers(ReportData.Model model) {
    List<Map<String, String>> out = new ArrayList<>();
    JsonNode summary = model.summary();
    if (summary == null) {
      return out;
    }
    for (JsonNode l : summary.path("layers")) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("name", l.path("name").asText());
      row.put("type", l.path("type").asText());
      row.put("shape", l.path("output_shape").toString().replace(",", "×").replaceAll("[\\[\\]]", ""));
      row.put("parameters", String.format(Locale.ROOT, "%,d", l.path("parameters").asLong()));
      row.put("detail", l.path("detail").asText());
      out.add(row);
    }
    return out;
  }

  private static Map<String, String> modelFacts(ReportData.Model model) {
    Map<String, String> m = new LinkedHashMap<>();
    JsonNode summary = model.summary();
    m.put("model_id", String.valueOf(model.modelId()));
    m.put("engine", String.valueOf(model.engine()));
    if (summary != null) {
      m.put("input", summary.path("input").toString().replace(",", "×").replaceAll("[\\[\\]]", ""));
      m.put("total_parameters", String.format(Locale.ROOT, "%,d", summary.path("total_parameters").asLong()));
      m.put("trainable_parameters", String.format(Locale.ROOT, "%,d", summary.path("trainable_parameters").asLong()));
      List<String> notes = new ArrayList<>();
      summary.path("notes").forEach(n -> notes.add(n.asText()));
      m.put("notes", String.join(" ", notes));
    }
    return m;
  }

  /** The longest prefix every id starts with ("" for none). */
  static String commonPrefix(String[] ids) {
    if (ids.length == 0) {
      return "";
    }
    String prefix = ids[0];
    for (String id : ids) {
      int k = 0;
      int max = Math.min(prefix.length(), id.length());
      while (k < max && prefix.charAt(k) == id.charAt(k)) {
        k++;
      }
      prefix = prefix.substring(0, k);
    }
    // Never split a surrogate pair.
    if (!prefix.isEmpty() && Character.isHighSurrogate(prefix.charAt(prefix.length() - 1))) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    return prefix;
  }

  /** Coordinates with 5 significant digits: enough for any screen, and a third of the JSON. */
  static double[] rounded(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Double.parseDouble(String.format(Locale.ROOT, "%.5g", v[i]));
    }
    return out;
  }

  private static ReportData.Gallery gallerySection(List<Row> rows) {
    List<String> classes = new ArrayList<>();
    List<ReportData.GalleryItem> items = new ArrayList<>();
    for (Row r : rows) {
      String cls = r.getString(r.fieldIndex("_class"));
      if (!classes.contains(cls)) {
        classes.add(cls);
      }
      int ci = r.fieldIndex("correct");
      int ti = r.fieldIndex("target_prob");
      Map<String, ReportData.DisplayMap> maps = new LinkedHashMap<>();
      for (String c : MAP_COLUMNS) {
        if (has(r, c) && !r.isNullAt(r.fieldIndex(c))) {
          maps.put(c, displayMap(r.getStruct(r.fieldIndex(c))));
        }
      }
      // The perturbation grids, under the grid method's name (the report's grid view reads them).
      String gridColumn = Attributions.gridName();
      List<ReportData.Grid> grids = new ArrayList<>();
      if (has(r, gridColumn) && !r.isNullAt(r.fieldIndex(gridColumn))) {
        for (Row o : r.<Row>getList(r.fieldIndex(gridColumn))) {
          grids.add(ReportData.Grid.of(o));
        }
      }
      items.add(ReportData.GalleryItem.builder()
          .cls(cls)
          .id(r.getString(r.fieldIndex("id")))
          .label(str(r, "label_name"))
          .predicted(str(r, "predicted_name"))
          .correct(r.isNullAt(ci) ? null : r.getBoolean(ci))
          .topNames(list(r, "top_k_name"))
          .topProbs(list(r, "top_k_prob"))
          .target(str(r, "target_name"))
          .targetProb(r.isNullAt(ti) ? null : r.getFloat(ti))
          .image(has(r, AnalysisSchema.INPUT_PNG) && !r.isNullAt(r.fieldIndex(AnalysisSchema.INPUT_PNG))
              ? ModelSection.dataUri("image/png", (byte[]) r.get(r.fieldIndex(AnalysisSchema.INPUT_PNG))) : null)
          .maps(maps)
          .grids(Map.of(gridColumn, grids))
          .build());
    }
    return new ReportData.Gallery(classes, items);
  }

  /**
   * A stored map scaled to 0..255 for display: non-negative maps by their maximum, signed ones
   * (min–max maps) from minimum to maximum; first channel only. Base64 of height × width bytes.
   */
  static ReportData.DisplayMap displayMap(Row map) {
    float[] v = MapEncoding.decode(map);
    int h = map.getInt(map.fieldIndex("height"));
    int w = map.getInt(map.fieldIndex("width"));
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < h * w; i++) {
      min = Math.min(min, v[i]);
      max = Math.max(max, v[i]);
    }
    float lo = min >= 0 ? 0 : min;
    float range = max - lo;
    byte[] b = new byte[h * w];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (range > 0 ? Math.round(255 * (v[i] - lo) / range) : 0);
    }
    return new ReportData.DisplayMap(h, w, Base64.getEncoder().encodeToString(b));
  }

  private static boolean has(Row r, String column) {
    return List.of(r.schema().fieldNames()).contains(column);
  }

  private static String str(Row r, String column) {
    int i = r.fieldIndex(column);
    return r.isNullAt(i) ? null : r.getString(i);
  }

  private static List<Object> list(Row r, String column) {
    int i = r.fieldIndex(column);
    return r.isNullAt(i) ? List.of() : r.getList(i);
  }

  /** Prints "report: <phase>" with the time since the stage began. */
  static final class Phases {
    private final PrintStream console;
    private final long start = System.nanoTime();

    Phases(PrintStream console) {
      this.console = console;
    }

    void start(String phase) {
      console.printf(Locale.ROOT, "report [%5.1f s]: %s%n", (System.nanoTime() - start) / 1e9, phase);
    }
  }
}
