package org.convlens.report;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  public static Map<String, Object> read(SparkSession spark, Path dir, ReportSettings s)
      throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path index = new Path(dir, ModelVizRun.INDEX_FILE);
    if (!HadoopPaths.isFile(index, conf)) {
      return null;
    }
    ModelVizIndex viz = OutputJson.parse(new String(readBytes(index, conf), StandardCharsets.UTF_8),
        ModelVizIndex.class);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", dir.toString());
    m.put("run_id", viz.runId());
    m.put("finished_at", viz.finishedAt());
    m.put("model_id", viz.modelId());
    m.put("engine", viz.engine());
    m.put("device", viz.device());
    m.put("summary", viz.summary());
    Path svg = new Path(dir, viz.architecture() == null ? "architecture.svg" : viz.architecture());
    m.put("architecture_svg", HadoopPaths.isFile(svg, conf) ? dataUri("image/svg+xml", readBytes(svg, conf)) : null);

    List<Map<String, Object>> filters = new ArrayList<>();
    for (ModelVizIndex.FilterEntry f : viz.filters() == null ? List.<ModelVizIndex.FilterEntry>of() : viz.filters()) {
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("which", f.which());
      g.put("module", f.module());
      g.put("parameter", f.parameter());
      g.put("layout", f.layout());
      g.put("shape", f.shape());
      g.put("width", f.width());
      g.put("height", f.height());
      Path png = new Path(dir, String.valueOf(f.file()));
      g.put("png", HadoopPaths.isFile(png, conf) ? dataUri("image/png", readBytes(png, conf)) : null);
      filters.add(g);
    }
    m.put("filters", filters);
    m.put("class_vectors", classVectors(spark, new Path(dir, ModelVizRun.CLASS_VECTORS_DIR), conf, s));
    m.put("maximization", maximization(spark, new Path(dir, ModelVizRun.MAXIMIZATION_DIR), conf, s,
        viz.maximization() == null ? null : viz.maximization().settings()));
    return m;
  }

  /** Three PCA views: head weight rows, mean embedding per true class, per predicted class. */
  static List<Map<String, Object>> classVectors(SparkSession spark, Path dir, Configuration conf,
      ReportSettings s) {
    List<Map<String, Object>> views = new ArrayList<>();
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
      Map<String, Object> view = new LinkedHashMap<>();
      view.put("key", set[0]);
      view.put("title", set[1]);
      view.put("what", set[2]);
      view.put("classes", names);
      Projections.Result p = Projections.small(vectors.toArray(new double[0][]), s.trustK(), s.effectiveThreads());
      if (p.views().isEmpty()) {
        view.put("note", p.skipped().isEmpty() ? "not available" : p.skipped().get(0));
      } else {
        Projections.View v = p.views().get(0);
        view.put("x", v.x());
        view.put("y", v.y());
        view.put("explained", p.explained());
        view.put("trustworthiness", v.trustworthiness());
        view.put("trust_k", v.trustK());
      }
      views.add(view);
    }
    return views;
  }

  static Map<String, Object> maximization(SparkSession spark, Path dir, Configuration conf,
      ReportSettings s, JsonNode settings) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("settings", settings);
    List<Map<String, Object>> targets = new ArrayList<>();
    m.put("targets", targets);
    if (HadoopPaths.statusOrNull(dir, conf) == null) {
      return m;
    }
    Dataset<Row> all = spark.read().parquet(dir.toString());
    long total = all.count();
    m.put("total_targets", total);
    for (Row r : all.orderBy(col("target_kind"), col("target_index")).limit(s.maxTargets()).collectAsList()) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("kind", r.getString(r.fieldIndex("target_kind")));
      t.put("index", r.getInt(r.fieldIndex("target_index")));
      t.put("name", r.getString(r.fieldIndex("target_name")));
      t.put("status", r.getString(r.fieldIndex("status")));
      t.put("error", nullable(r, "error"));
      t.put("steps", r.getInt(r.fieldIndex("steps")));
      for (String k : List.of("objective", "tv_loss", "target_prob", "snapshot_steps",
          "initial_objective", "final_objective", "initial_prob", "final_prob", "final_top1_name",
          "final_top1_prob", "seconds")) {
        Object v = nullable(r, k);
        t.put(k, v instanceof scala.collection.Seq<?> ? r.getList(r.fieldIndex(k)) : v);
      }
      List<String> snapshots = new ArrayList<>();
      int si = r.fieldIndex("snapshot_png");
      if (!r.isNullAt(si)) {
        for (Object png : r.getList(si)) {
          snapshots.add(dataUri("image/png", (byte[]) png));
        }
      }
      t.put("snapshots", snapshots);
      int fi = r.fieldIndex("image_png");
      t.put("final_png", r.isNullAt(fi) ? null : dataUri("image/png", (byte[]) r.get(fi)));
      targets.add(t);
    }
    return m;
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
