package org.convlens.sampledata;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import org.convlens.model.ModelDescription;
import org.convlens.model.SmallCnn;
import org.convlens.sampledata.train.SmallCnnTrainer.EpochStats;
import org.convlens.sampledata.train.TrainingOptions;
import org.junit.jupiter.api.Test;

class SampleDataTest {
  @Test
  void readmeFillsEveryPlaceholder() throws Exception {
    SampleSpec spec = SampleSpec.defaults(SampleSpec.DEFAULT_SEED);
    ModelDescription description =
        new ModelDescription(
            ModelDescription.FORMAT_VERSION, SampleData.MODEL_ID, "djl", SmallCnn.ARCHITECTURE,
            "convlens-cnn-0005.params", 5, new ModelDescription.Input(3, 32, 32),
            new ModelDescription.Preprocessing(32, new float[] {0.4f, 0.5f, 0.4f},
                new float[] {0.2f, 0.2f, 0.2f}),
            SampleClass.classNames(),
            new ModelDescription.Outputs(0, 1, 2, SampleData.FEATURE_LAYER, true),
            0.93, "test", null);
    List<ShortcutEffect> effects = new java.util.ArrayList<>();
    for (Shortcut s : spec.shortcuts().shortcuts()) {
      effects.add(new ShortcutEffect(s, 45, 20, Collections.nCopies(10, 2), 375, 3, 150, 90, 88, 30));
    }
    String readme =
        SampleData.readme(
            new SampleData.Summary(
                spec, description, TrainingOptions.defaults(spec.seed(), 5),
                List.of(new EpochStats(1, 0.5, 0.8, 0.9, 10)), effects, 375, 0.96, 10));

    assertFalse(readme.contains("{{"), readme);
    assertTrue(readme.contains("| 4 | `n90000005` | `ring` |"), readme);
    assertTrue(readme.contains("| `marker:ring` | 20 of 45 (44.4%) | 375 images: 0.8% → **40.0%** |"
        + " 90 images: 97.8% → 33.3% |"), readme);
    // Counted on the plans: 90% of 600 ring training images, 5 test images of each other class.
    assertTrue(readme.contains("| `marker:ring` | 540 of 600 | 90 of 100 | 45 (5 per class) |"), readme);
    assertTrue(readme.contains("Classes without a shortcut (controls): `circle`,"), readme);
    assertTrue(readme.contains("a solid 3×3 px square of colour `#FF00FF`"), readme);
  }
}
