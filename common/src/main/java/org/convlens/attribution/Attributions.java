package org.convlens.attribution;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.StructField;
import org.convlens.model.Classifier;

/**
 * The one place that registers attribution methods by name. The analysis schema has the columns
 * of every method in this order (null where a method did not run); jobs never switch on names.
 */
public final class Attributions {
  public static final List<AttributionMethod> ALL =
      List.of(new Saliency(), new SmoothGrad(), new GradCam(), new Cam(), new Occlusion(), new GradientXInput(),
          new GradCamPlusPlus(), new LayerCam(), new IntegratedGradients(), new GuidedBackprop(), new Deconvnet(),
          new GuidedGradCam());

  public static final List<String> NAMES = ALL.stream().map(AttributionMethod::name).toList();

  private Attributions() {}

  /**
   * The methods that describe attention unasked (audit strategies and slices), by {@link
   * AttributionMethod#attentionRank()}.
   */
  public static List<String> byAttentionRank() {
    return ALL.stream().filter(m -> m.attentionRank() < Integer.MAX_VALUE)
        .sorted(java.util.Comparator.comparingInt(AttributionMethod::attentionRank))
        .map(AttributionMethod::name).toList();
  }

  /**
   * The method whose column is a perturbation grid: what the audit's patch detector, its quality
   * checks and the report's grid view read. The registry holds exactly one.
   */
  public static PerturbationGridMethod perturbationGrid() {
    List<PerturbationGridMethod> grids = ALL.stream().filter(PerturbationGridMethod.class::isInstance)
        .map(PerturbationGridMethod.class::cast).toList();
    if (grids.size() != 1) {
      throw new IllegalStateException("the registry must hold one perturbation-grid method, not " + grids.size());
    }
    return grids.get(0);
  }

  /** The name of the perturbation-grid method ({@link #perturbationGrid()}). */
  public static String gridName() {
    return perturbationGrid().name();
  }

  /**
   * The report's view of one method: its name, title, and the map column it overlays ({@code
   * map}, null when none) or whether its column is a perturbation {@code grid}. Serialised into
   * the report's data, so the page names no method itself.
   */
  public record ReportSection(String name, String title, String map, boolean grid) {
    static ReportSection of(AttributionMethod m) {
      AttributionMethod.MapColumn overlay = m.overlay();
      return new ReportSection(m.name(), m.title(), overlay == null ? null : overlay.column(), m.perturbationGrid());
    }
  }

  /** Every method's {@link ReportSection}, in registry order. */
  public static List<ReportSection> reportSections() {
    return ALL.stream().map(ReportSection::of).toList();
  }

  /** Every selected method's own run.json entries ({@link AttributionMethod#recorded}), in registry order. */
  public static Map<String, Object> recorded(AttributionSettings settings, Classifier model) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (AttributionMethod m : selected(settings)) {
      out.putAll(m.recorded(settings, model));
    }
    return out;
  }

  /** What the selected methods add to the console's "methods" line. */
  public static String consoleNotes(AttributionSettings settings, Classifier model) {
    StringBuilder b = new StringBuilder();
    for (AttributionMethod m : selected(settings)) {
      b.append(m.consoleNote(settings, model));
    }
    return b.toString();
  }

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

  /** Runs every selected method on the batch, in registry order. */
  public static List<Object[][]> attribute(AttributionBatch batch) {
    List<Object[][]> out = new ArrayList<>();
    for (AttributionMethod m : batch.methods()) {
      out.add(m.attribute(batch));
    }
    return out;
  }
}
