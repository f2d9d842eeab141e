package org.convlens.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

class QualityFiguresTest {
  private static Row rho(String id, String method, int step, Double value) {
    return RowFactory.create(id, method, ExplanationQuality.RANDOMIZATION, step, "layer" + step, value, null, null);
  }

  private static Row curve(String id, String method, String kind, float... points) {
    return RowFactory.create(id, method, kind, -1, null, ExplanationQuality.auc(points), points, null);
  }

  private static List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    rows.add(rho("b", "cam", 1, 0.5));
    rows.add(rho("a", "cam", 1, 0.3));
    rows.add(rho("c", "cam", 1, 0.1));
    rows.add(rho("a", "gradcam", 1, 0.9));
    rows.add(rho("b", "gradcam", 1, null)); // an all-zero map
    rows.add(rho("c", "gradcam", 1, null));
    rows.add(rho("a", "cam", 2, -0.2));
    rows.add(curve("a", "cam", ExplanationQuality.DELETION, 1, 0.5f, 0));
    rows.add(curve("b", "cam", ExplanationQuality.DELETION, 1, 0.25f, 0));
    rows.add(RowFactory.create("z", "", ExplanationQuality.ERROR, -1, null, null, null, "cannot read the input again"));
    return rows;
  }

  @Test
  void meansStandardDeviationsAndCountsPerFigure() {
    QualityFigures.Result r = QualityFigures.of(rows(), new Bootstrap(1000, 1));
    assertEquals(List.of("a", "b", "c"), r.ids(), "measured images, sorted; the unreadable one is an error");
    assertEquals(List.of("z: cannot read the input again"), r.errors());
    List<QualityFigures.Cascade> c = r.cascade();
    assertEquals(List.of("cam/1", "cam/2", "gradcam/1"), c.stream().map(f -> f.method() + "/" + f.step()).toList());
    assertEquals(3, c.get(0).images());
    assertEquals(0.3, c.get(0).mean(), 1e-12);
    assertEquals(0.2, c.get(0).std(), 1e-12, "sample standard deviation");
    assertEquals("layer1", c.get(0).layer());
    assertTrue(c.get(0).interval().lo() >= 0.1 && c.get(0).interval().hi() <= 0.5);
    assertEquals(1, c.get(2).images(), "maps that were all zero have no ρ");
    assertEquals(0.9, c.get(2).mean(), 1e-12);
    assertNull(c.get(2).std(), "one image has no standard deviation");
    assertEquals(new Bootstrap.Interval(0.9, 0.9), c.get(2).interval());
    QualityFigures.Curve d = r.curves().get(0);
    assertEquals(2, d.images());
    assertEquals((0.5 + 0.375) / 2, d.mean(), 1e-6);
    assertArrayEquals(new float[] {1, 0.375f, 0}, d.curve(), 1e-6f);
  }

  @Test
  void theOrderOfTheRowsDoesNotMatter() {
    QualityFigures.Result first = QualityFigures.of(rows(), new Bootstrap(1000, 4));
    for (int seed = 0; seed < 5; seed++) {
      List<Row> shuffled = new ArrayList<>(rows());
      Collections.shuffle(shuffled, new Random(seed));
      QualityFigures.Result again = QualityFigures.of(shuffled, new Bootstrap(1000, 4));
      assertEquals(first.ids(), again.ids());
      for (int i = 0; i < first.cascade().size(); i++) {
        assertEquals(first.cascade().get(i), again.cascade().get(i), "as Spark partitions decide the order");
      }
      assertEquals(first.curves().get(0).interval(), again.curves().get(0).interval());
    }
  }
}
