package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.testing.SharedSpark;
import org.junit.jupiter.api.Test;

/** Mistakes and confident learning on hand-made probabilities with known answers. */
class MistakesTest {
  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add(AuditRows.TRUE_CLASS, DataTypes.IntegerType, true)
      .add("predicted", DataTypes.IntegerType, false)
      .add("top_k_prob", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add("probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  static Row row(String id, Integer label, float... p) {
    int best = p[0] >= p[1] ? 0 : 1;
    return RowFactory.create(id, label, best, new float[] {p[best]}, p);
  }

  Dataset<Row> data() {
    return SharedSpark.get().createDataFrame(List.of(
        row("a", 0, 0.9f, 0.1f),
        row("b", 0, 0.7f, 0.3f),
        row("c", 0, 0.2f, 0.8f), // labelled 0, confidently 1: a label issue
        row("d", 1, 0.4f, 0.6f),
        row("e", 1, 0.1f, 0.9f),
        row("f", 1, 0.55f, 0.45f), // wrong, but p(0) = 0.55 < t0 = 0.6: not confident
        row("g", null, 0.5f, 0.5f)), SCHEMA);
  }

  @Test
  void perClassAccuracyEntropyAndThresholds() {
    List<Row> c = Mistakes.perClass(data()).collectAsList();
    assertEquals(2, c.size(), "the unlabelled row has no class");
    Row c0 = c.get(0);
    assertEquals(3L, c0.getLong(1));
    assertEquals(2L, c0.getLong(2));
    assertEquals(2 / 3.0, c0.getDouble(3), 1e-12);
    assertEquals((0.9 + 0.7 + 0.8) / 3, c0.getDouble(4), 1e-6, "mean top-1 probability");
    double h = (entropy(0.9, 0.1) + entropy(0.7, 0.3) + entropy(0.2, 0.8)) / 3;
    assertEquals(h, c0.getDouble(5), 1e-6, "mean entropy in nats");
    assertEquals((0.9 + 0.7 + 0.2) / 3, c0.getDouble(6), 1e-6, "t0: mean p(0) over images labelled 0");
    assertEquals((0.6 + 0.9 + 0.45) / 3, c.get(1).getDouble(6), 1e-6);
  }

  static double entropy(double... p) {
    double h = 0;
    for (double v : p) {
      h -= v * Math.log(v);
    }
    return h;
  }

  @Test
  void confusionAndConfidentMistakes() {
    List<Row> m = Mistakes.confusion(data()).collectAsList();
    assertEquals(List.of("[0,0,2]", "[0,1,1]", "[1,0,1]", "[1,1,2]"), m.stream().map(Row::toString).toList());
    List<Row> wrong = Mistakes.confidentMistakes(data(), 10).collectAsList();
    assertEquals(List.of("c", "f"), wrong.stream().map(r -> r.getString(0)).toList(), "most confident first");
  }

  @Test
  void labelIssuesFollowConfidentLearning() {
    float[] t = {(0.9f + 0.7f + 0.2f) / 3, (0.6f + 0.9f + 0.45f) / 3};
    List<Row> issues = Mistakes.labelIssues(data(), t, 0.5).collectAsList();
    assertEquals(1, issues.size(), issues.toString());
    Row c = issues.get(0);
    assertEquals("c", c.getString(0));
    assertEquals(1, c.getInt(3), "suggested class");
    assertEquals(0.2f, c.getFloat(5), 1e-6, "self-confidence");
    assertEquals(0, Mistakes.labelIssues(data(), t, 0.85).count(), "min confidence");
  }

  @Test
  void anImagePredictedAsItsLabelIsNeverAnIssue() {
    // t0 = 0.9 is out of reach, class 1 is "confident" at 0.45 >= t1 = 0.3, but the model's
    // prediction (argmax) is the given label 0: cleanlab drops it, so do we.
    Dataset<Row> d = SharedSpark.get().createDataFrame(List.of(
        RowFactory.create("x", 0, 0, new float[] {0.5f}, new float[] {0.5f, 0.45f, 0.05f}),
        RowFactory.create("y", 0, 1, new float[] {0.6f}, new float[] {0.3f, 0.6f, 0.1f})), SCHEMA);
    List<Row> issues = Mistakes.labelIssues(d, new float[] {0.9f, 0.3f, 0.5f}, 0.3).collectAsList();
    assertEquals(List.of("y"), issues.stream().map(r -> r.getString(0)).toList());
  }
}
