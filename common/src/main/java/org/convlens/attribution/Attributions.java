package org.convlens.attribution;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.StructField;
import org.convlens.model.Classifier;

/**
 * The one place that registers attribution methods by name. The analysis schema has the columns
 * of every method in this order (null where a method did not run); jobs never switch on names.
 */
public final class Attributions {
  public static final List<AttributionMethod> ALL =
      List.of(new Saliency(), new SmoothGrad(), new GradCam(), new Cam(), new Occlusion());

  public static final List<String> NAMES = ALL.stream().map(AttributionMethod::name).toList();

  private Attributions() {}

  public static AttributionMethod byName(String name) {
    for (AttributionMethod m : ALL) {
      if (m.name().equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown attribution method '" + name + "'; known: " + NAMES);
  }

  /** The selected methods, in registry order. */
  public static List<AttributionMethod> selected(AttributionSettings settings) {
    return ALL.stream().filter(m -> settings.runs(m.name())).toList();
  }

  /** Every method's columns, in registry order. */
  public static List<StructField> fields() {
    List<StructField> f = new ArrayList<>();
    for (AttributionMethod m : ALL) {
      f.addAll(m.fields());
    }
    return f;
  }

  /** Driver-side checks of every selected method against the loaded model. */
  public static void check(Classifier model, AttributionSettings settings) {
    for (AttributionMethod m : selected(settings)) {
      m.check(model, settings);
    }
  }

  /**
   * The values of {@link #fields()} for image {@code i} of an attributed batch: each selected
   * method's values, nulls for the others.
   */
  public static Object[] values(AttributionSettings settings, List<Object[][]> perMethod, int i) {
    List<Object> v = new ArrayList<>();
    int next = 0;
    for (AttributionMethod m : ALL) {
      if (settings.runs(m.name())) {
        for (Object o : perMethod.get(next)[i]) {
          v.add(o);
        }
        next++;
      } else {
        for (int k = 0; k < m.fields().size(); k++) {
          v.add(null);
        }
      }
    }
    return v.toArray();
  }

  /** Runs every selected method on the batch, in registry order. */
  /**
   * Images through the model per input image for {@code settings}: the shared pass (2 with a
   * backward, 1 without) plus each selected method's extra forwards. The unit of progress.
   */
  public static long forwardsPerImage(AttributionSettings settings, Classifier model) {
    long n = AttributionBatch.sharedLayer(settings, model) != null ? 2 : 1;
    for (AttributionMethod m : selected(settings)) {
      n += m.extraForwardsPerImage(settings, model.description());
    }
    return n;
  }

  public static List<Object[][]> attribute(AttributionBatch batch) {
    List<Object[][]> out = new ArrayList<>();
    for (AttributionMethod m : batch.methods()) {
      out.add(m.attribute(batch));
    }
    return out;
  }
}
