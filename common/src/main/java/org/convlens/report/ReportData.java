package org.convlens.report;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Map;
import org.convlens.analyze.RunRecord;
import org.convlens.attribution.Attributions;

/**
 * Everything the report's script draws: serialised once as JSON into the page ({@link
 * HtmlReport}), read by report.js through the JSDoc typedefs of the same names (docs/report.md).
 * The keys are the components in snake_case, declared on each type so that any mapper writes the
 * same names; one component per section of the page.
 *
 * @param title the page title
 * @param generatedAt when the report was written, ISO-8601 UTC
 * @param settings the report settings, by each key's JSON name
 * @param run the analysis the report reads
 * @param model the model section (model-viz output); null when there is none
 * @param embedding the embedding projector's points and views
 * @param methods every attribution method's view ({@link Attributions#reportSections()})
 * @param gallery the per-class gallery
 * @param audit the audit's {@code audit.json}, read as written (the detectors' sections as plain
 *     JSON values); null when there is none of this model or it cannot be read
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ReportData(
    String title,
    String generatedAt,
    Map<String, Object> settings,
    Run run,
    Model model,
    Embedding embedding,
    List<Attributions.ReportSection> methods,
    Gallery gallery,
    org.convlens.audit.AuditSummary audit) {

  /** A builder, so that a caller names each of the 9 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name. */
  public static final class Builder {
    private String title;
    private String generatedAt;
    private Map<String, Object> settings;
    private Run run;
    private Model model;
    private Embedding embedding;
    private List<Attributions.ReportSection> methods;
    private Gallery gallery;
    private org.convlens.audit.AuditSummary audit;

    private Builder() {}

    public Builder title(String title) {
      this.title = title;
      return this;
    }

    public Builder generatedAt(String generatedAt) {
      this.generatedAt = generatedAt;
      return this;
    }

    public Builder settings(Map<String, Object> settings) {
      this.settings = settings;
      return this;
    }

    public Builder run(Run run) {
      this.run = run;
      return this;
    }

    public Builder model(Model model) {
      this.model = model;
      return this;
    }

    public Builder embedding(Embedding embedding) {
      this.embedding = embedding;
      return this;
    }

    public Builder methods(List<Attributions.ReportSection> methods) {
      this.methods = methods;
      return this;
    }

    public Builder gallery(Gallery gallery) {
      this.gallery = gallery;
      return this;
    }

    public Builder audit(org.convlens.audit.AuditSummary audit) {
      this.audit = audit;
      return this;
    }

    public ReportData build() {
      return new ReportData(title, generatedAt, settings, run, model, embedding, methods, gallery, audit);
    }
  }

  /**
   * The analysis read.
   *
   * @param analysisPath its folder
   * @param modelId the model reported (the most common one when several share the folder)
   * @param stats row counts
   * @param runJson the analysis's run.json; null when it has none
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Run(String analysisPath, String modelId, AnalysisSample.Stats stats, RunRecord runJson) {}

  /**
   * The embedding projector.
   *
   * @param classes class names in legend order
   * @param available usable images with an embedding
   * @param n points drawn
   * @param dims the embedding's dimensions
   * @param pcaDims dimensions after PCA (t-SNE's input)
   * @param explained PCA's explained variance ratios
   * @param skipped views left out, with why
   * @param views each projection's coordinates and quality
   * @param points the points' ids and figures
   * @param atlas the thumbnails' sprite atlas; null without thumbnails
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Embedding(List<String> classes, long available, int n, int dims, int pcaDims, double[] explained,
      List<String> skipped, List<View> views, Points points, Atlas atlas) {

    /** The section of {@code p} projected as {@code r}, with its thumbnails packed in {@code atlas}. */
    static Embedding of(AnalysisSample.Points p, Projections.Result r, SpriteAtlas atlas) {
      return new Embedding(p.classes(), p.available(), p.size(), r.dims(), r.pcaDims(), r.explained(), r.skipped(),
          r.views().stream().map(View::of).toList(), Points.of(p),
          atlas == null ? null : new Atlas(atlas.side(), atlas.columns(), atlas.perAtlas(), atlas.images()));
    }
  }

  /** One projection: PCA or t-SNE at a perplexity, coordinates at 5 significant digits. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record View(String kind, Integer perplexity, double[] x, double[] y, Double trustworthiness, Integer trustK,
      Double klDivergence, double seconds) {

    static View of(Projections.View v) {
      return new View(v.kind(), v.perplexity(), ReportRun.rounded(v.x()), ReportRun.rounded(v.y()),
          v.trustworthiness(), v.trustK(), v.klDivergence(), v.seconds());
    }
  }

  /**
   * The points: ids stored as a shared prefix and suffixes (ids share a dataset's path: a tenth of
   * the JSON at 50k points); the top probability at 4 digits, -1 where unknown.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Points(String idPrefix, String[] id, int[] label, int[] predicted, boolean[] correct, float[] prob) {

    static Points of(AnalysisSample.Points p) {
      String prefix = ReportRun.commonPrefix(p.ids());
      String[] suffixes = new String[p.size()];
      for (int i = 0; i < suffixes.length; i++) {
        suffixes[i] = p.ids()[i].substring(prefix.length());
      }
      float[] prob = p.topProb().clone();
      for (int i = 0; i < prob.length; i++) {
        prob[i] = Float.isNaN(prob[i]) ? -1 : Math.round(prob[i] * 1e4f) / 1e4f;
      }
      return new Points(prefix, suffixes, p.label(), p.predicted(), p.correct(), prob);
    }
  }

  /** The sprite atlas: thumbnail side, columns per atlas image, thumbnails per atlas, the PNG data URIs. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Atlas(int side, int columns, int perAtlas, List<String> images) {}

  /** The gallery: its classes in order and its images. */
  public record Gallery(List<String> classes, List<GalleryItem> items) {}

  /**
   * One gallery image: its prediction, its stored maps for display by column, and under the
   * perturbation-grid method's name ({@link #grids}) its grids.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"class", "id", "label", "predicted", "correct", "top_names", "top_probs", "target",
      "target_prob", "image", "maps", "grids"})
  public record GalleryItem(@com.fasterxml.jackson.annotation.JsonProperty("class") String cls, String id,
      String label, String predicted, Boolean correct, List<Object> topNames, List<Object> topProbs, String target,
      Float targetProb, String image, Map<String, DisplayMap> maps, @JsonAnyGetter Map<String, List<Grid>> grids) {

    /** A builder, so that a caller names each of the 12 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name. */
    public static final class Builder {
      private String cls;
      private String id;
      private String label;
      private String predicted;
      private Boolean correct;
      private List<Object> topNames;
      private List<Object> topProbs;
      private String target;
      private Float targetProb;
      private String image;
      private Map<String, DisplayMap> maps;
      private Map<String, List<Grid>> grids;

      private Builder() {}

      public Builder cls(String cls) {
        this.cls = cls;
        return this;
      }

      public Builder id(String id) {
        this.id = id;
        return this;
      }

      public Builder label(String label) {
        this.label = label;
        return this;
      }

      public Builder predicted(String predicted) {
        this.predicted = predicted;
        return this;
      }

      public Builder correct(Boolean correct) {
        this.correct = correct;
        return this;
      }

      public Builder topNames(List<Object> topNames) {
        this.topNames = topNames;
        return this;
      }

      public Builder topProbs(List<Object> topProbs) {
        this.topProbs = topProbs;
        return this;
      }

      public Builder target(String target) {
        this.target = target;
        return this;
      }

      public Builder targetProb(Float targetProb) {
        this.targetProb = targetProb;
        return this;
      }

      public Builder image(String image) {
        this.image = image;
        return this;
      }

      public Builder maps(Map<String, DisplayMap> maps) {
        this.maps = maps;
        return this;
      }

      public Builder grids(Map<String, List<Grid>> grids) {
        this.grids = grids;
        return this;
      }

      public GalleryItem build() {
        return new GalleryItem(cls, id, label, predicted, correct, topNames, topProbs, target, targetProb, image, maps,
            grids);
      }
    }
  }

  /** A stored map scaled to 0..255 for display ({@link ReportRun#displayMap}): base64 of height × width bytes. */
  public record DisplayMap(int height, int width, String data) {}

  /** One perturbation grid: window and stride in input pixels, its cells' target probability and drop. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Grid(int window, int stride, int rows, int cols, List<Object> targetProb, List<Object> drop) {

    /** The grid stored in {@code o}, one element of the perturbation-grid column. */
    static Grid of(org.apache.spark.sql.Row o) {
      return new Grid(o.getInt(o.fieldIndex("window")), o.getInt(o.fieldIndex("stride")), o.getInt(o.fieldIndex("rows")),
          o.getInt(o.fieldIndex("cols")), o.getList(o.fieldIndex("target_prob")), o.getList(o.fieldIndex("drop")));
    }
  }

  /**
   * The model section (model-viz output, docs/model-viz.md).
   *
   * @param path the model-viz folder
   * @param runId its run's id
   * @param finishedAt when it ended
   * @param modelId the model
   * @param engine the engine it ran on
   * @param device the device
   * @param summary the model summary as model-viz.json holds it
   * @param architectureSvg the architecture drawing as a data URI; null when missing
   * @param filters the filter grids
   * @param classVectors the three PCA views of class vectors
   * @param maximization input maximisation's settings and targets
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Model(String path, String runId, String finishedAt, String modelId, String engine, String device,
      JsonNode summary, String architectureSvg, List<FilterGrid> filters, List<ClassVectorView> classVectors,
      Maximization maximization) {

    /** A builder, so that a caller names each of the 11 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name. */
    public static final class Builder {
      private String path;
      private String runId;
      private String finishedAt;
      private String modelId;
      private String engine;
      private String device;
      private JsonNode summary;
      private String architectureSvg;
      private List<FilterGrid> filters;
      private List<ClassVectorView> classVectors;
      private Maximization maximization;

      private Builder() {}

      public Builder path(String path) {
        this.path = path;
        return this;
      }

      public Builder runId(String runId) {
        this.runId = runId;
        return this;
      }

      public Builder finishedAt(String finishedAt) {
        this.finishedAt = finishedAt;
        return this;
      }

      public Builder modelId(String modelId) {
        this.modelId = modelId;
        return this;
      }

      public Builder engine(String engine) {
        this.engine = engine;
        return this;
      }

      public Builder device(String device) {
        this.device = device;
        return this;
      }

      public Builder summary(JsonNode summary) {
        this.summary = summary;
        return this;
      }

      public Builder architectureSvg(String architectureSvg) {
        this.architectureSvg = architectureSvg;
        return this;
      }

      public Builder filters(List<FilterGrid> filters) {
        this.filters = filters;
        return this;
      }

      public Builder classVectors(List<ClassVectorView> classVectors) {
        this.classVectors = classVectors;
        return this;
      }

      public Builder maximization(Maximization maximization) {
        this.maximization = maximization;
        return this;
      }

      public Model build() {
        return new Model(path, runId, finishedAt, modelId, engine, device, summary, architectureSvg, filters,
            classVectors, maximization);
      }
    }
  }

  /** One filter grid of model-viz.json, its PNG as a data URI (null when missing). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record FilterGrid(String which, String module, String parameter, String layout, long[] shape,
      int width, int height, String png) {

    /** The grid {@code f} with its PNG {@code png}. */
    static FilterGrid of(org.convlens.modelviz.ModelVizIndex.FilterEntry f, String png) {
      return new FilterGrid(f.which(), f.module(), f.parameter(), f.layout(), f.shape(), f.width(), f.height(), png);
    }
  }

  /**
   * One PCA view of class vectors: its key, title and what the vectors are, the classes drawn, and
   * either the coordinates with the explained variance and trustworthiness, or a note why not.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ClassVectorView(String key, String title, String what, List<String> classes, String note, float[] x,
      float[] y, double[] explained, Double trustworthiness, Integer trustK) {

    /**
     * The view {@code set} ({key, title, what}) of {@code classes} from their projection {@code p}:
     * its first view, or the note why there is none.
     */
    static ClassVectorView of(String[] set, List<String> classes, Projections.Result p) {
      if (p.views().isEmpty()) {
        return new ClassVectorView(set[0], set[1], set[2], classes,
            p.skipped().isEmpty() ? "not available" : p.skipped().get(0), null, null, null, null, null);
      }
      Projections.View v = p.views().get(0);
      return new ClassVectorView(set[0], set[1], set[2], classes, null, v.x(), v.y(), p.explained(),
          v.trustworthiness(), v.trustK());
    }
  }

  /**
   * Input maximisation: its settings as model-viz.json records them, the targets drawn (at most
   * {@code report.max-targets}) and how many there are (absent without a maximisation folder).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Maximization(JsonNode settings, List<MaximizationTarget> targets,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long totalTargets) {}

  /**
   * One maximised target: a row of model-viz's {@code maximization} table (docs/model-viz.md;
   * the curves and figures as that table holds them, null where it has none), its snapshots and
   * final image as PNG data URIs.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record MaximizationTarget(String kind, int index, String name, String status, String error, int steps,
      Object objective, Object tvLoss, Object targetProb, Object snapshotSteps, Object initialObjective,
      Object finalObjective, Object initialProb, Object finalProb, Object finalTop1Name, Object finalTop1Prob,
      Object seconds, List<String> snapshots, String finalPng) {

    /** The target of row {@code r}; {@code value} reads a column as JSON-ready (lists as lists, null as null). */
    static MaximizationTarget of(org.apache.spark.sql.Row r, java.util.function.Function<String, Object> value,
        List<String> snapshots, String finalPng) {
      return new MaximizationTarget(r.getString(r.fieldIndex("target_kind")), r.getInt(r.fieldIndex("target_index")),
          r.getString(r.fieldIndex("target_name")), r.getString(r.fieldIndex("status")), (String) value.apply("error"),
          r.getInt(r.fieldIndex("steps")), value.apply("objective"), value.apply("tv_loss"),
          value.apply("target_prob"), value.apply("snapshot_steps"), value.apply("initial_objective"),
          value.apply("final_objective"), value.apply("initial_prob"), value.apply("final_prob"),
          value.apply("final_top1_name"), value.apply("final_top1_prob"), value.apply("seconds"), snapshots, finalPng);
    }
  }
}
