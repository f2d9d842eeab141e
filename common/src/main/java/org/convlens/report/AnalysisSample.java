package org.convlens.report;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.analyze.AnalysisSchema;
import org.convlens.data.ImageOps;

/**
 * What the report takes from the analysis output, with Spark, bounded before anything reaches the
 * driver: aggregate statistics (a few rows per class and error kind), the scatter sample (at most
 * {@code report.scatter.max-points} embeddings with a downscaled thumbnail, shrunk on the
 * executors) and the gallery sample ({@code per-class} rows for at most {@code max-classes}
 * classes). Samples are the rows with the smallest {@code xxhash64(seed, id)}: the same seed and
 * data give the same sample on any cluster, and a larger cap keeps the smaller sample's rows.
 */
public final class AnalysisSample {
  private AnalysisSample() {}

  /** Rows per error kind, with the first few examples. */
  public record ErrorKindCount(String kind, long count, List<ErrorExample> examples) {}

  public record ErrorExample(String id, String error) {}

  /** Accuracy of one true class. {@code correct} counts top-1 hits among labelled rows. */
  public record ClassStat(String name, long count, long labelled, long correct, long predicted) {}

  /**
   * @param modelIds model ids in the analysis and their row counts (the report uses the first)
   */
  public record Stats(long total, long ok, long errors, long labelled, long correct,
      List<ErrorKindCount> errorsByKind, List<ClassStat> classes, Map<String, Long> datasets,
      Map<String, Long> runIds, Map<String, Long> modelIds) {
    /** A builder, so that a caller names each of the 10 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private long total;
      private long ok;
      private long errors;
      private long labelled;
      private long correct;
      private List<ErrorKindCount> errorsByKind;
      private List<ClassStat> classes;
      private Map<String, Long> datasets;
      private Map<String, Long> runIds;
      private Map<String, Long> modelIds;

      private Builder() {}

      public Builder total(long total) {
        this.total = total;
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

      public Builder labelled(long labelled) {
        this.labelled = labelled;
        return this;
      }

      public Builder correct(long correct) {
        this.correct = correct;
        return this;
      }

      public Builder errorsByKind(List<ErrorKindCount> errorsByKind) {
        this.errorsByKind = errorsByKind;
        return this;
      }

      public Builder classes(List<ClassStat> classes) {
        this.classes = classes;
        return this;
      }

      public Builder datasets(Map<String, Long> datasets) {
        this.datasets = datasets;
        return this;
      }

      public Builder runIds(Map<String, Long> runIds) {
        this.runIds = runIds;
        return this;
      }

      public Builder modelIds(Map<String, Long> modelIds) {
        this.modelIds = modelIds;
        return this;
      }

      public Stats build() {
        return new Stats(total, ok, errors, labelled, correct, errorsByKind, classes, datasets, runIds, modelIds);
      }
    }
  }

  /**
   * The scatter sample, one entry per point: class indices refer to {@code classes}.
   *
   * @param available usable rows (status ok with an embedding) the sample was drawn from
   * @param thumbnails {@code side × side} RGB thumbnails (3·side² bytes, letterboxed), or null
   */
  public record Points(long available, List<String> classes, String[] ids, int[] label,
      int[] predicted, boolean[] correct, float[] topProb, double[][] embedding, byte[][] thumbnails,
      int thumbnailSide) {
    public int size() {
      return ids.length;
    }

    /** A builder, so that a caller names each of the 10 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private long available;
      private List<String> classes;
      private String[] ids;
      private int[] label;
      private int[] predicted;
      private boolean[] correct;
      private float[] topProb;
      private double[][] embedding;
      private byte[][] thumbnails;
      private int thumbnailSide;

      private Builder() {}

      public Builder available(long available) {
        this.available = available;
        return this;
      }

      public Builder classes(List<String> classes) {
        this.classes = classes;
        return this;
      }

      public Builder ids(String[] ids) {
        this.ids = ids;
        return this;
      }

      public Builder label(int[] label) {
        this.label = label;
        return this;
      }

      public Builder predicted(int[] predicted) {
        this.predicted = predicted;
        return this;
      }

      public Builder correct(boolean[] correct) {
        this.correct = correct;
        return this;
      }

      public Builder topProb(float[] topProb) {
        this.topProb = topProb;
        return this;
      }

      public Builder embedding(double[][] embedding) {
        this.embedding = embedding;
        return this;
      }

      public Builder thumbnails(byte[][] thumbnails) {
        this.thumbnails = thumbnails;
        return this;
      }

      public Builder thumbnailSide(int thumbnailSide) {
        this.thumbnailSide = thumbnailSide;
        return this;
      }

      public Points build() {
        return new Points(available, classes, ids, label, predicted, correct, topProb, embedding, thumbnails,
            thumbnailSide);
      }
    }
  }

  /** Columns every report read needs. */
  static final String[] REQUIRED = {"id", "status", "model_id", "embedding", "label_name",
      "predicted_name", "correct", "error_kind"};

  /** Fails with a clear message when {@code schema} is not an analysis output. */
  public static void checkSchema(StructType schema, String path) {
    AnalysisSchema.requireColumns(schema, path, "report.analysis", REQUIRED);
  }

  /** The seeded sample order: smaller comes first. */
  static Column sampleKey(long seed) {
    return xxhash64(lit(seed), col("id"));
  }

  /** The report's class of a row: its true label, else its prediction. */
  static Column classColumn() {
    return when(col("label_name").isNotNull(), col("label_name")).otherwise(col("predicted_name"));
  }

  public static Stats stats(Dataset<Row> rows, int examplesPerKind) {
    Row totals = rows.agg(
            count(lit(1)),
            sum(when(col("status").equalTo(AnalysisSchema.STATUS_OK), 1).otherwise(0)),
            sum(when(col("correct").isNotNull(), 1).otherwise(0)),
            sum(when(col("correct").equalTo(true), 1).otherwise(0)))
        .first();
    long total = totals.getLong(0);
    long ok = total == 0 ? 0 : totals.getLong(1);
    long labelled = total == 0 ? 0 : totals.getLong(2);
    long correct = total == 0 ? 0 : totals.getLong(3);

    List<ErrorKindCount> kinds = new ArrayList<>();
    Dataset<Row> errors = rows.filter(col("status").equalTo(AnalysisSchema.STATUS_ERROR))
        .withColumn("_kind", coalesce(col("error_kind"), lit("unknown")));
    for (Row r : errors.groupBy("_kind").count().orderBy(desc("count"), col("_kind")).collectAsList()) {
      String kind = r.getString(0);
      List<ErrorExample> examples = new ArrayList<>();
      for (Row e : errors.filter(col("_kind").equalTo(kind)).select("id", "error")
          .orderBy("id").limit(examplesPerKind).collectAsList()) {
        examples.add(new ErrorExample(e.getString(0), e.isNullAt(1) ? "" : e.getString(1)));
      }
      kinds.add(new ErrorKindCount(kind, r.getLong(1), examples));
    }

    Dataset<Row> okRows = rows.filter(col("status").equalTo(AnalysisSchema.STATUS_OK));
    Map<String, long[]> perClass = new LinkedHashMap<>();
    for (Row r : okRows.groupBy(classColumn().as("c"))
        .agg(count(lit(1)), sum(when(col("correct").isNotNull(), 1).otherwise(0)),
            sum(when(col("correct").equalTo(true), 1).otherwise(0)))
        .orderBy(desc("count(1)"), col("c")).collectAsList()) {
      if (!r.isNullAt(0)) {
        perClass.put(r.getString(0), new long[] {r.getLong(1), r.getLong(2), r.getLong(3), 0});
      }
    }
    for (Row r : okRows.groupBy("predicted_name").count().collectAsList()) {
      if (!r.isNullAt(0)) {
        perClass.computeIfAbsent(r.getString(0), k -> new long[4])[3] = r.getLong(1);
      }
    }
    List<ClassStat> classes = new ArrayList<>();
    perClass.forEach((name, v) -> classes.add(new ClassStat(name, v[0], v[1], v[2], v[3])));
    return Stats.builder()
        .total(total)
        .ok(ok)
        .errors(total - ok)
        .labelled(labelled)
        .correct(correct)
        .errorsByKind(kinds)
        .classes(classes)
        .datasets(counts(rows, "dataset"))
        .runIds(counts(rows, "run_id"))
        .modelIds(counts(rows, "model_id"))
        .build();
  }

  private static Map<String, Long> counts(Dataset<Row> rows, String column) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (Row r : rows.groupBy(column).count().orderBy(desc("count"), col(column)).collectAsList()) {
      m.put(r.isNullAt(0) ? "" : r.getString(0), r.getLong(1));
    }
    return m;
  }

  /**
   * The scatter sample: usable rows (ok, with an embedding), all of them when there are at most
   * {@code maxPoints}, else the {@code maxPoints} with the smallest sample key. Class indices refer
   * to {@code classes}; names outside it get index -1.
   */
  public static Points points(Dataset<Row> rows, List<String> classes, int maxPoints, long seed,
      int thumbnailSide) {
    Dataset<Row> usable = rows.filter(col("status").equalTo(AnalysisSchema.STATUS_OK)
        .and(col("embedding").isNotNull()));
    long available = usable.count();
    Dataset<Row> keyed = usable.withColumn("_key", sampleKey(seed));
    if (available > maxPoints) {
      // The cut-off is the maxPoints-th smallest (key, id); only keys and ids reach the driver.
      List<Row> keys = keyed.select("_key", "id").orderBy("_key", "id").limit(maxPoints).collectAsList();
      if (keys.isEmpty()) {
        keyed = keyed.limit(0);
      } else {
        Row last = keys.get(keys.size() - 1);
        keyed = keyed.filter(col("_key").lt(last.getLong(0))
            .or(col("_key").equalTo(last.getLong(0)).and(col("id").leq(last.getString(1)))));
      }
    }
    boolean hasPreview = List.of(rows.schema().fieldNames()).contains(AnalysisSchema.INPUT_PNG);
    Dataset<Row> picked = keyed.select(col("_key"), col("id"), col("label_name"), col("predicted_name"),
        col("correct"), col("top_k_prob"), col("embedding"),
        hasPreview ? col(AnalysisSchema.INPUT_PNG) : lit(null).cast(DataTypes.BinaryType));
    StructType compact = new StructType()
        .add("key", DataTypes.LongType).add("id", DataTypes.StringType)
        .add("label_name", DataTypes.StringType).add("predicted_name", DataTypes.StringType)
        .add("correct", DataTypes.BooleanType).add("top_prob", DataTypes.FloatType)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType))
        .add("thumb", DataTypes.BinaryType);
    List<Row> got = picked.map(new Shrink(thumbnailSide), Encoders.row(compact))
        .orderBy("key", "id").collectAsList();
    int n = got.size();
    Map<String, Integer> index = new LinkedHashMap<>();
    for (int i = 0; i < classes.size(); i++) {
      index.put(classes.get(i), i);
    }
    String[] ids = new String[n];
    int[] label = new int[n];
    int[] predicted = new int[n];
    boolean[] correct = new boolean[n];
    float[] topProb = new float[n];
    double[][] embedding = new double[n][];
    byte[][] thumbs = thumbnailSide > 0 ? new byte[n][] : null;
    for (int i = 0; i < n; i++) {
      Row r = got.get(i);
      ids[i] = r.getString(1);
      label[i] = r.isNullAt(2) ? -1 : index.getOrDefault(r.getString(2), -1);
      predicted[i] = r.isNullAt(3) ? -1 : index.getOrDefault(r.getString(3), -1);
      correct[i] = !r.isNullAt(4) && r.getBoolean(4);
      topProb[i] = r.isNullAt(5) ? Float.NaN : r.getFloat(5);
      List<Float> e = r.getList(6);
      double[] v = new double[e.size()];
      for (int j = 0; j < v.length; j++) {
        v[j] = e.get(j);
      }
      embedding[i] = v;
      if (thumbs != null) {
        thumbs[i] = r.isNullAt(7) ? null : (byte[]) r.get(7);
      }
    }
    return Points.builder()
        .available(available)
        .classes(classes)
        .ids(ids)
        .label(label)
        .predicted(predicted)
        .correct(correct)
        .topProb(topProb)
        .embedding(embedding)
        .thumbnails(thumbs)
        .thumbnailSide(thumbnailSide)
        .build();
  }

  /**
   * The gallery sample: for each of the {@code maxClasses} most frequent classes (true label,
   * else prediction), the {@code perClass} ok rows with the smallest sample key; whole rows
   * (maps, perturbation grids, preview), ordered by class frequency then key.
   */
  public static List<Row> gallery(Dataset<Row> rows, int perClass, int maxClasses, long seed) {
    if (perClass == 0) {
      return List.of();
    }
    Dataset<Row> ok = rows.filter(col("status").equalTo(AnalysisSchema.STATUS_OK))
        .withColumn("_class", classColumn())
        .filter(col("_class").isNotNull());
    Dataset<Row> top = ok.groupBy("_class").count()
        .orderBy(desc("count"), col("_class")).limit(maxClasses)
        .withColumnRenamed("count", "_class_count");
    Dataset<Row> ranked = ok.join(top, "_class")
        .withColumn("_key", sampleKey(seed))
        .withColumn("_rank", row_number().over(Window.partitionBy("_class").orderBy("_key", "id")))
        .filter(col("_rank").leq(perClass));
    return ranked.orderBy(desc("_class_count"), col("_class"), col("_rank")).collectAsList();
  }

  /** On the executors: the sample's row with its preview shrunk to a letterboxed thumbnail. */
  static final class Shrink implements MapFunction<Row, Row> {
    private final int side;

    Shrink(int side) {
      this.side = side;
    }

    @Override
    public Row call(Row r) {
      Float top = null;
      if (!r.isNullAt(5) && r.getList(5).size() > 0) {
        top = (Float) r.getList(5).get(0);
      }
      byte[] thumb = side > 0 && !r.isNullAt(7) ? thumbnail((byte[]) r.get(7), side) : null;
      return RowFactory.create(r.getLong(0), r.getString(1), r.isNullAt(2) ? null : r.getString(2),
          r.isNullAt(3) ? null : r.getString(3), r.isNullAt(4) ? null : r.getBoolean(4), top,
          r.get(6) == null ? null : toFloatArray(r.getList(6)), thumb);
    }

    private static float[] toFloatArray(List<Float> l) {
      float[] v = new float[l.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = l.get(i);
      }
      return v;
    }
  }

  /**
   * A PNG as {@code side × side} interleaved RGB bytes: area-averaged (as the maps, {@link
   * ImageOps#area}) so its longer side is {@code side}, centred on black. Null when the bytes are not
   * a readable image.
   */
  public static byte[] thumbnail(byte[] png, int side) {
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(png));
    } catch (IOException e) {
      return null;
    }
    if (img == null) {
      return null;
    }
    int w = img.getWidth();
    int h = img.getHeight();
    double s = (double) side / Math.max(w, h);
    int tw = Math.max(1, (int) Math.round(w * s));
    int th = Math.max(1, (int) Math.round(h * s));
    int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
    float[] planes = new float[3 * w * h];
    for (int i = 0; i < argb.length; i++) {
      planes[i] = (argb[i] >> 16) & 0xFF;
      planes[w * h + i] = (argb[i] >> 8) & 0xFF;
      planes[2 * w * h + i] = argb[i] & 0xFF;
    }
    float[] small = ImageOps.area(planes, 3, h, w, th, tw);
    int ox = (side - tw) / 2;
    int oy = (side - th) / 2;
    byte[] out = new byte[3 * side * side];
    for (int y = 0; y < th; y++) {
      for (int x = 0; x < tw; x++) {
        int o = 3 * ((y + oy) * side + x + ox);
        for (int c = 0; c < 3; c++) {
          out[o + c] = (byte) Math.round(small[(c * th + y) * tw + x]);
        }
      }
    }
    return out;
  }
}
