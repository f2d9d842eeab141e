package org.convlens.analyze;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convlens.attribution.AttributionSettings;

/**
 * {@code <out>/run.json}, the analyze run's summary: written once by {@link AnalyzeRun}, read back
 * by the audit (which datasets, which perturbation-grid baseline) and the report (settings and
 * datasets tables). The JSON keys are the components in snake_case, in this order ({@code
 * docs/parquet-schema.md}); written and read with {@link org.convlens.spark.OutputJson}. The
 * names are declared on the types ({@link JsonNaming}) so that any mapper, the report's
 * included, writes the same keys.
 *
 * @param runId the run's id ({@link org.convlens.spark.OutputLayout#newRunId})
 * @param finishedAt when the run ended, ISO-8601 UTC
 * @param schemaVersion {@link AnalysisSchema#VERSION} of the rows written
 * @param modelId the model's id
 * @param device the device the model ran on, as the engine names it
 * @param datasets each input dataset, in {@code input.paths} order
 * @param analysis the Parquet folder written
 * @param inputs rows written (ok and error)
 * @param ok rows with status ok
 * @param errors rows with an error ({@code inputs - ok})
 * @param errorsByKind error rows per {@code error_kind}, sorted by kind
 * @param skippedFiles entries under the inputs left out on purpose
 * @param skippedByReason those entries per reason, sorted by reason
 * @param seconds wall time, rounded to 0.01 s
 * @param imagesPerSecond inputs per second, rounded to 0.1
 * @param attribution the attribution settings the maps were computed with
 * @param config the key settings, each key's path to its value as text
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RunRecord(
    String runId,
    String finishedAt,
    int schemaVersion,
    String modelId,
    String device,
    List<Dataset> datasets,
    String analysis,
    long inputs,
    long ok,
    long errors,
    Map<String, Long> errorsByKind,
    long skippedFiles,
    Map<String, Long> skippedByReason,
    double seconds,
    double imagesPerSecond,
    Attribution attribution,
    Map<String, String> config) {

  /**
   * One input dataset.
   *
   * @param name the dataset's name, the first part of its rows' ids
   * @param format the format it was read as ({@code input.format} resolved)
   * @param path its path as given in {@code input.paths}
   * @param classes its class names, in label order (empty when unlabelled)
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Dataset(String name, String format, String path, List<String> classes) {}

  /**
   * The {@code attribution} block: the settings every method shares, then each selected method's
   * own entries ({@link org.convlens.attribution.AttributionMethod#recorded}), flat beside them
   * as the methods name them.
   *
   * @param methods the methods run, in registry order
   * @param target {@code analyze.target}
   * @param mapEncoding {@code analyze.map-encoding}, as its code
   * @param mapMaxSide {@code analyze.map-max-side}
   * @param seed {@code analyze.seed}
   * @param entries the methods' own entries, in registry order
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Attribution(
      List<String> methods,
      String target,
      String mapEncoding,
      int mapMaxSide,
      long seed,
      @JsonAnyGetter Map<String, Object> entries) {

    /**
     * The block as read from run.json. Not Jackson's any-setter on a record, which fills the map
     * out of the file's order: the whole block is read as one ordered map, and what the shared
     * components do not name stays, in order, as the methods' entries.
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Attribution fromJson(Map<String, Object> block) {
      Map<String, Object> entries = new LinkedHashMap<>(block);
      List<String> methods = new ArrayList<>();
      if (entries.remove("methods") instanceof List<?> list) {
        list.forEach(m -> methods.add(String.valueOf(m)));
      }
      Object target = entries.remove("target");
      Object mapEncoding = entries.remove("map_encoding");
      Object mapMaxSide = entries.remove("map_max_side");
      Object seed = entries.remove("seed");
      return new Attribution(methods, target == null ? null : target.toString(),
          mapEncoding == null ? null : mapEncoding.toString(),
          mapMaxSide instanceof Number n ? n.intValue() : 0, seed instanceof Number n ? n.longValue() : 0, entries);
    }

    /** The block of a run with {@code settings}, and the selected methods' own {@code entries}. */
    public static Attribution of(AttributionSettings settings, Map<String, Object> entries) {
      return new Attribution(settings.methods(), settings.target(), settings.mapEncoding().code(),
          settings.mapMaxSide(), settings.seed(), new LinkedHashMap<>(entries));
    }
  }

  /** A builder, so that a caller names each of the 17 components instead of placing them by position. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets the components by name. */
  public static final class Builder {
    private String runId;
    private String finishedAt;
    private int schemaVersion;
    private String modelId;
    private String device;
    private List<Dataset> datasets = List.of();
    private String analysis;
    private long inputs;
    private long ok;
    private long errors;
    private Map<String, Long> errorsByKind = Map.of();
    private long skippedFiles;
    private Map<String, Long> skippedByReason = Map.of();
    private double seconds;
    private double imagesPerSecond;
    private Attribution attribution;
    private Map<String, String> config = Map.of();

    private Builder() {}

    public Builder runId(String runId) {
      this.runId = runId;
      return this;
    }

    public Builder finishedAt(String finishedAt) {
      this.finishedAt = finishedAt;
      return this;
    }

    public Builder schemaVersion(int schemaVersion) {
      this.schemaVersion = schemaVersion;
      return this;
    }

    public Builder modelId(String modelId) {
      this.modelId = modelId;
      return this;
    }

    public Builder device(String device) {
      this.device = device;
      return this;
    }

    public Builder datasets(List<Dataset> datasets) {
      this.datasets = datasets;
      return this;
    }

    public Builder analysis(String analysis) {
      this.analysis = analysis;
      return this;
    }

    public Builder inputs(long inputs) {
      this.inputs = inputs;
      return this;
    }

    public Builder ok(long ok) {
      this.ok = ok;
      return this;
    }

    public Builder errors(long errors) {
      this.errors = errors;
      return this;
    }

    public Builder errorsByKind(Map<String, Long> errorsByKind) {
      this.errorsByKind = errorsByKind;
      return this;
    }

    public Builder skippedFiles(long skippedFiles) {
      this.skippedFiles = skippedFiles;
      return this;
    }

    public Builder skippedByReason(Map<String, Long> skippedByReason) {
      this.skippedByReason = skippedByReason;
      return this;
    }

    public Builder seconds(double seconds) {
      this.seconds = seconds;
      return this;
    }

    public Builder imagesPerSecond(double imagesPerSecond) {
      this.imagesPerSecond = imagesPerSecond;
      return this;
    }

    public Builder attribution(Attribution attribution) {
      this.attribution = attribution;
      return this;
    }

    public Builder config(Map<String, String> config) {
      this.config = config;
      return this;
    }

    public RunRecord build() {
      return new RunRecord(runId, finishedAt, schemaVersion, modelId, device, datasets, analysis, inputs, ok, errors,
          errorsByKind, skippedFiles, skippedByReason, seconds, imagesPerSecond, attribution, config);
    }
  }
}
