package org.convlens.modelviz;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.data.Images;
import org.convlens.model.InferenceSession.Objective;
import org.convlens.model.ModelDescription;

/**
 * The input-maximisation output ({@code <out>/model/maximization/}, Parquet): one row per target,
 * with the curves per step and the snapshots of the animation as PNG. Documented in {@code
 * docs/parquet-schema.md}; bump {@link #VERSION} on any change that is not a pure addition of a
 * nullable column.
 */
public final class MaximizationSchema {
  public static final int VERSION = 1;
  public static final String KIND_CLASS = "class";
  public static final String KIND_CHANNEL = "channel";

  public static final StructType SCHEMA =
      new StructType()
          .add("schema_version", DataTypes.IntegerType, false)
          .add("run_id", DataTypes.StringType, false)
          .add("model_id", DataTypes.StringType, false)
          .add("target_kind", DataTypes.StringType, false)
          .add("target_index", DataTypes.IntegerType, false)
          .add("target_name", DataTypes.StringType, false)
          .add("layer", DataTypes.StringType, true)
          .add("status", DataTypes.StringType, false)
          .add("error", DataTypes.StringType, true)
          .add("steps", DataTypes.IntegerType, false)
          .add("objective", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("tv_loss", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("target_prob", DataTypes.createArrayType(DataTypes.FloatType, false), true)
          .add("top1", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
          .add("snapshot_steps", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
          .add("snapshot_png", DataTypes.createArrayType(DataTypes.BinaryType, false), true)
          .add("image_png", DataTypes.BinaryType, true)
          .add("channels", DataTypes.IntegerType, false)
          .add("height", DataTypes.IntegerType, false)
          .add("width", DataTypes.IntegerType, false)
          .add("initial_objective", DataTypes.FloatType, true)
          .add("final_objective", DataTypes.FloatType, true)
          .add("initial_prob", DataTypes.FloatType, true)
          .add("final_prob", DataTypes.FloatType, true)
          .add("final_top1", DataTypes.IntegerType, true)
          .add("final_top1_name", DataTypes.StringType, true)
          .add("final_top1_prob", DataTypes.FloatType, true)
          .add("seconds", DataTypes.DoubleType, true);

  private MaximizationSchema() {}

  public static int col(String name) {
    return SCHEMA.fieldIndex(name);
  }

  static String kind(InputMaximizer.Target t) {
    return t.kind() == Objective.Kind.CLASS ? KIND_CLASS : KIND_CHANNEL;
  }

  /** The row of a finished optimisation. */
  static Row row(String runId, ModelDescription d, MaximizeSettings s, InputMaximizer.Result r) {
    InputMaximizer.Target t = r.target();
    ModelDescription.Input in = d.input();
    int[] steps = new int[r.snapshots().size()];
    byte[][] pngs = new byte[steps.length][];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = r.snapshots().get(i).step();
      pngs[i] = Images.png(r.snapshots().get(i).image(), in.channels(), in.height(), in.width(),
          s.snapshotMaxSide());
    }
    boolean isClass = t.kind() == Objective.Kind.CLASS;
    return RowFactory.create(VERSION, runId, d.id(), kind(t), t.index(), t.name(), t.layer(), "ok",
        null, s.steps(), r.objective(), r.tv(), r.targetProb(), r.top1(), steps, pngs,
        Images.png(r.image(), in.channels(), in.height(), in.width(), 0), in.channels(),
        in.height(), in.width(), r.initialObjective(), r.finalObjective(),
        isClass ? r.initialProb() : null, isClass ? r.finalProb() : null, r.finalTop1(),
        d.classNames().get(r.finalTop1()), r.finalTop1Prob(), r.seconds());
  }

  /** The row of a target whose optimisation failed: the error, no curves. */
  static Row errorRow(String runId, ModelDescription d, MaximizeSettings s, InputMaximizer.Target t,
      String error) {
    ModelDescription.Input in = d.input();
    return RowFactory.create(VERSION, runId, d.id(), kind(t), t.index(), t.name(), t.layer(), "error",
        error, s.steps(), null, null, null, null, null, null, null, in.channels(), in.height(),
        in.width(), null, null, null, null, null, null, null, null);
  }
}
