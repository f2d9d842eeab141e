package org.convlens.modelviz;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;

/**
 * {@code <out>/model/model-viz.json}, the model-viz run's index: written once by {@link
 * ModelVizRun}, read by the report's model sections. The JSON keys are the components in
 * snake_case, in this order ({@code docs/parquet-schema.md}); written and read with {@link
 * org.convlens.spark.OutputJson}, names declared on the types ({@link JsonNaming}) so that any
 * mapper writes the same keys. The model summary and the maximisation settings are kept as JSON
 * trees: their readers pass them on to the report whole.
 *
 * @param runId the run's id
 * @param finishedAt when the run ended, ISO-8601 UTC
 * @param modelId the model's id
 * @param engine the engine that ran it (djl, torchscript)
 * @param device the device it ran on, as the engine names it
 * @param seconds wall time, rounded to 0.01 s
 * @param summary the {@link ModelSummary} (layer table, totals, diagram)
 * @param architecture the architecture diagram's file, relative to the model folder
 * @param filters the first- and second-layer filter grids drawn (none, one or two)
 * @param classVectors the class-vector table written
 * @param maximization the input-maximisation table written and its targets
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ModelVizIndex(
    String runId,
    String finishedAt,
    String modelId,
    String engine,
    String device,
    double seconds,
    JsonNode summary,
    String architecture,
    List<FilterEntry> filters,
    ClassVectorsEntry classVectors,
    MaximizationEntry maximization) {

  /**
   * One filter grid image ({@link FilterGrid}).
   *
   * @param which {@code first} or {@code second}
   * @param parameter the weight parameter drawn
   * @param module the module that owns it
   * @param shape the weight's shape (out, in, height, width)
   * @param layout {@code rgb} or {@code by_input_channel}
   * @param file the PNG, relative to the model folder
   * @param width the PNG's width in pixels
   * @param height the PNG's height in pixels
   * @param columns tile columns
   * @param rows tile rows
   * @param groupColumns group columns (1 for RGB)
   * @param groupRows group rows (1 for RGB)
   * @param scale the enlargement factor
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record FilterEntry(
      String which,
      String parameter,
      String module,
      long[] shape,
      String layout,
      String file,
      int width,
      int height,
      int columns,
      int rows,
      int groupColumns,
      int groupRows,
      int scale) {

    /** The entry of grid {@code g}, drawn to {@code file}. */
    public static FilterEntry of(FilterGrid g, String file, String which) {
      return new FilterEntry(which, g.parameter(), g.module(), g.shape(), g.layout().name().toLowerCase(Locale.ROOT),
          file, g.width(), g.height(), g.columns(), g.rows(), g.groupColumns(), g.groupRows(), g.scale());
    }
  }

  /**
   * The class-vector table ({@link ClassVectorsSchema}).
   *
   * @param path its folder, relative to the model folder
   * @param schemaVersion {@link ClassVectorsSchema#VERSION}
   * @param headWeight the last linear layer's weight parameter; null when the model has none
   * @param analysis the analysis averaged for the class means; null when there was none
   * @param analysisRows the ok rows averaged (0 without an analysis)
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record ClassVectorsEntry(String path, int schemaVersion, String headWeight, String analysis,
      long analysisRows) {}

  /**
   * The input-maximisation table ({@link MaximizationSchema}).
   *
   * @param path its folder, relative to the model folder; null when there were no targets
   * @param schemaVersion {@link MaximizationSchema#VERSION}
   * @param settings the {@link MaximizeSettings} used
   * @param targets one entry per target, by kind then index
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record MaximizationEntry(String path, int schemaVersion, JsonNode settings, List<TargetEntry> targets) {}

  /**
   * One maximisation target. A failed target has an {@code error} and nothing from {@code file}
   * on; a finished one has no {@code error} key: absent keys, not nulls, tell the two apart.
   *
   * @param kind {@code class} or {@code channel}
   * @param index the class or channel index
   * @param name its name
   * @param layer the layer of a channel target; null for a class
   * @param status {@code ok} or the failure's kind
   * @param error what went wrong (failed targets only)
   * @param file the final image's PNG, relative to the model folder (finished targets only)
   * @param initialObjective the objective at the start
   * @param finalObjective the objective at the end
   * @param finalProb the target's probability at the end
   * @param finalTop1 the class the model predicts for the final image
   * @param seconds the target's wall time
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record TargetEntry(
      String kind,
      int index,
      String name,
      String layer,
      String status,
      @JsonInclude(JsonInclude.Include.NON_NULL) String error,
      @JsonInclude(JsonInclude.Include.NON_NULL) String file,
      @JsonInclude(JsonInclude.Include.NON_NULL) Float initialObjective,
      @JsonInclude(JsonInclude.Include.NON_NULL) Float finalObjective,
      @JsonInclude(JsonInclude.Include.NON_NULL) Float finalProb,
      @JsonInclude(JsonInclude.Include.NON_NULL) String finalTop1,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double seconds) {

    /** The {@link MaximizationSchema} columns {@link #of} reads, in this order. */
    static final String[] COLUMNS = {"target_kind", "target_index", "target_name", "layer", "status", "error",
        "image_png", "initial_objective", "final_objective", "final_prob", "final_top1_name", "seconds"};

    /**
     * The entry of a maximisation row (its {@link #COLUMNS}); {@code file} is where its final
     * image was written, null when the target failed (no image).
     */
    static TargetEntry of(Row r, String file) {
      if (file == null) {
        return new TargetEntry(r.getString(0), r.getInt(1), r.getString(2), r.getString(3), r.getString(4),
            r.getString(5), null, null, null, null, null, null);
      }
      return new TargetEntry(r.getString(0), r.getInt(1), r.getString(2), r.getString(3), r.getString(4), null,
          file, (Float) r.get(7), (Float) r.get(8), (Float) r.get(9), r.getString(10), (Double) r.get(11));
    }

    /** Whether the target finished (it has a final image). */
    public boolean finished() {
      return file != null;
    }
  }

  /** A builder, so that a caller names each of the 11 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name. */
  public static final class Builder {
    private String runId;
    private String finishedAt;
    private String modelId;
    private String engine;
    private String device;
    private double seconds;
    private JsonNode summary;
    private String architecture;
    private List<FilterEntry> filters = List.of();
    private ClassVectorsEntry classVectors;
    private MaximizationEntry maximization;

    private Builder() {}

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

    public Builder seconds(double seconds) {
      this.seconds = seconds;
      return this;
    }

    public Builder summary(JsonNode summary) {
      this.summary = summary;
      return this;
    }

    public Builder architecture(String architecture) {
      this.architecture = architecture;
      return this;
    }

    public Builder filters(List<FilterEntry> filters) {
      this.filters = filters;
      return this;
    }

    public Builder classVectors(ClassVectorsEntry classVectors) {
      this.classVectors = classVectors;
      return this;
    }

    public Builder maximization(MaximizationEntry maximization) {
      this.maximization = maximization;
      return this;
    }

    public ModelVizIndex build() {
      return new ModelVizIndex(runId, finishedAt, modelId, engine, device, seconds, summary, architecture, filters,
          classVectors, maximization);
    }
  }
}
