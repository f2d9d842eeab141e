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
        ModelDescription.builder()
            .formatVersion(ModelDescription.FORMAT_VERSION)
            .id(SampleData.MODEL_ID)
            .engine("djl")
            .architecture(SmallCnn.ARCHITECTURE)
            .artifact("convlens-cnn-0005.params")
            .epoch(5)
            .input(new ModelDescription.Input(3, 32, 32))
            .preprocessing(new ModelDescription.Preprocessing(32, new float[] {0.4f, 0.5f, 0.4f},
                new float[] {0.2f, 0.2f, 0.2f}))
            .classNames(SampleClass.classNames())
            .outputs(new ModelDescription.Outputs(0, 1, 2, SampleData.FEATURE_LAYER, true))
            .testAccuracy(0.93)
            .notes("test")
            .layers(null)
            .build();
    List<ShortcutEffect> effects = new java.util.ArrayList<>();
    for (Shortcut s : spec.shortcuts().shortcuts()) {
      effects.add(ShortcutEffect.builder()
          .shortcut(s)
          .plantedOthers(45)
          .plantedFooled(20)
          .plantedFooledByLabel(Collections.nCopies(10, 2))
          .cleanOthers(375)
          .cleanOthersAsTarget(3)
          .cleanOthersAsTargetWithCue(150)
          .ownCarriers(90)
          .ownCarriersRight(88)
          .ownCarriersRightWithoutCue(30)
          .build());
    }
    String readme =
        SampleData.readme(
            SampleData.Summary.builder()
                .spec(spec)
                .description(description)
                .training(TrainingOptions.defaults(spec.seed(), 5))
                .history(List.of(new EpochStats(1, 0.5, 0.8, 0.9, 10)))
                .shortcuts(effects)
                .cleanImages(375)
                .cleanAccuracy(0.96)
                .trainingSeconds(10)
                .build());

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
