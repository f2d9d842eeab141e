package org.convlens.report;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.convlens.data.HadoopPaths;
import org.convlens.modelviz.ModelVizIndex;
import org.convlens.modelviz.ModelVizRun;
import org.convlens.spark.OutputJson;

/**
 * The report's model sections from a model-viz output ({@code <out>/model/}): the summary and
 * architecture diagram, the filter grids, the class-vector PCA views and the input-maximisation
 * curves and snapshots. Everything here is small (per class, not per image); the maximisation
 * targets shown are capped by {@code report.maximization.max-targets}.
 */
public final class ModelSection {
  private ModelSection() {}

  /** The JSON-ready model section read from {@code dir}, or null when it holds no model-viz output. */
  public static ReportData.Model read(SparkSession spark, Path dir, ReportSettings s)
      throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path index = new Path(dir, ModelVizRun.INDEX_FILE);
    if (!HadoopPaths.isFile(index, conf)) {
      return null;
    }
    ModelVizIndex viz = OutputJson.parse(new String(readBytes(index, conf), StandardCharsets.UTF_8),
        ModelVizIndex.class);
    Path svg = new Path(dir, viz.architecture() == null ? "architecture.svg" : viz.architecture());
    List<ReportData.FilterGrid> filters = new ArrayList<>();
    for (ModelVizIndex.FilterEntry f : viz.filters() == null ? List.<ModelVizIndex.FilterEntry>of() : viz.filters()) {
      Path png = new Path(dir, String.valueOf(f.file()));
      filters.add(ReportData.FilterGrid.of(f, HadoopPaths.isFile(png, conf) ? dataUri("image/png", readBytes(png, conf))
          : null));
    }
    return ReportData.Model.builder()
        .path(dir.toString())
        .runId(viz.runId())
        .finishedAt(viz.finishedAt())
        .modelId(viz.modelId())
        .engine(viz.engine())
        .device(viz.device())
        .summary(viz.summary())
        .architectureSvg(HadoopPaths.isFile(svg, conf) ? dataUri("image/svg+xml", readBytes(svg, conf)) : null)
        .filters(filters)
        .classVectors(classVectors(spark, new Path(dir, ModelVizRun.CLASS_VECTORS_DIR), conf, s))
        .maximization(maximization(spark, new Path(dir, ModelVizRun.MAXIMIZATION_DIR), conf, s,
            viz.maximization() == null ? null : viz.maximization().settings()))
        .build();
  }

  /** Three PCA views: head weight rows, mean embedding per true class, per predicted class. */
  static List<ReportData.ClassVectorView> classVectors(SparkSession spark, Path dir, Configuration conf,
      ReportSettings s) {
    List<ReportData.ClassVectorView> views = new ArrayList<>();
    if (HadoopPaths.statusOrNull(dir, conf) == null) {
      return views;
    }
    List<Row> rows = spark.read().parquet(dir.toString()).orderBy("class_index").collectAsList();
    String[][] sets = {
        {"weight", "Final-layer weight rows", "each class's row of the last linear layer"},
        {"label_mean_embedding", "Mean embedding per true class", "the average penultimate-layer embedding of the images labelled with the class"},
        {"predicted_mean_embedding", "Mean embedding per predicted class", "the average embedding of the images the model assigns to the class"}};
    for (String[] set : sets) {
      List<String> names = new ArrayList<>();
      List<double[]> vectors = new ArrayList<>();
      for (Row r : rows) {
        int i = r.fieldIndex(set[0]);
        if (r.isNullAt(i)) {
          continue;
        }
        List<Float> v = r.getList(i);
        double[] d = new double[v.size()];
        for (int j = 0; j < d.length; j++) {
          d[j] = v.get(j);
        }
        names.add(r.getString(r.fieldIndex("class_name")));
        vectors.add(d);
      }
      Projections.Result p = Projections.small(vectors.toArray(new double[0][]), s.trustK(), s.effectiveThreads());
      views.add(ReportData.ClassVectorView.of(set, names, p));
    }
    return views;
  }

  static ReportData.Maximization maximization(SparkSession spark, Path dir, Configuration conf,
      ReportSettings s, JsonNode settings) {
    List<ReportData.MaximizationTarget> targets = new ArrayList<>();
    if (HadoopPaths.statusOrNull(dir, conf) == null) {
      return new ReportData.Maximization(settings, targets, null);
    }
    Dataset<Row> all = spark.read().parquet(dir.toString());
    long total = all.count();
    for (Row r : all.orderBy(col("target_kind"), col("target_index")).limit(s.maxTargets()).collectAsList()) {
      List<String> snapshots = new ArrayList<>();
      int si = r.fieldIndex("snapshot_png");
      if (!r.isNullAt(si)) {
        for (Object png : r.getList(si)) {
          snapshots.add(dataUri("image/png", (byte[]) png));
        }
      }
      int fi = r.fieldIndex("image_png");
      targets.add(ReportData.MaximizationTarget.of(r, k -> {
        Object v = nullable(r, k);
        return v instanceof scala.collection.Seq<?> ? r.getList(r.fieldIndex(k)) : v;
      }, snapshots, r.isNullAt(fi) ? null : dataUri("image/png", (byte[]) r.get(fi))));
    }
    return new ReportData.Maximization(settings, targets, total);
  }

  private static Object nullable(Row r, String column) {
    int i = r.fieldIndex(column);
    return r.isNullAt(i) ? null : r.get(i);
  }

  static String dataUri(String type, byte[] bytes) {
    return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(bytes);
  }

  static byte[] readBytes(Path file, Configuration conf) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    try (InputStream in = fs.open(file)) {
      return in.readAllBytes();
    }
  }
}
