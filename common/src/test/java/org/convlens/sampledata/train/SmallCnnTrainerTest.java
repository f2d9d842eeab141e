package org.convlens.sampledata.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.convlens.sampledata.SampleGenerator;
import org.convlens.sampledata.SampleSpec;
import org.convlens.model.ModelDescription.Preprocessing;
import org.convlens.model.SmallCnn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmallCnnTrainerTest {
  private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

  @Test
  void lossFallsAndTheSavedModelPredictsTheSame(@TempDir Path dir) throws Exception {
    SampleGenerator.writeCifar10(SampleSpec.defaults(3).withCounts(30, 1), dir, QUIET);
    CifarImages train = CifarImages.read(List.of(dir.resolve("data_batch_1.bin")));
    CifarImages test = CifarImages.read(List.of(dir.resolve(SampleGenerator.TEST_BATCH)));
    Preprocessing pre = train.fitPreprocessing();
    TrainingOptions options = TrainingOptions.defaults(3, 2);

    try (SmallCnnTrainer.Trained trained =
        SmallCnnTrainer.train(train, null, pre, SampleSpec.classCount(), options, QUIET)) {
      assertEquals(2, trained.history().size());
      double first = trained.history().get(0).loss();
      double second = trained.history().get(1).loss();
      assertTrue(second < first, "loss " + first + " then " + second);
      assertTrue(Double.isNaN(trained.history().get(0).validationAccuracy()));

      int[] predicted = SmallCnnTrainer.predict(trained.model(), test, pre, 64);
      assertEquals(test.size(), predicted.length);

      trained.model().save(dir, SmallCnnTrainer.MODEL_NAME);
      Path params = dir.resolve(SmallCnnTrainer.MODEL_NAME + "-0002.params");
      assertTrue(Files.size(params) < 4_000_000, "weights stay small: " + Files.size(params));
      try (Model loaded = Model.newInstance("reloaded", ai.djl.Device.cpu(), "PyTorch")) {
        loaded.setBlock(new SmallCnn(SampleSpec.classCount()));
        loaded.load(dir, SmallCnnTrainer.MODEL_NAME, Map.of("epoch", 2));
        assertArrayEquals(predicted, SmallCnnTrainer.predict(loaded, test, pre, 64));
      }
    }
  }

  @Test
  void preprocessingIsThePerChannelMeanAndStd() {
    byte[] pixels = new byte[2 * 3072];
    // Image 0: red 0, green 255, blue 51; image 1: red 255, green 255, blue 153.
    for (int p = 0; p < 1024; p++) {
      pixels[1024 + p] = (byte) 255;
      pixels[2048 + p] = 51;
      pixels[3072 + p] = (byte) 255;
      pixels[3072 + 1024 + p] = (byte) 255;
      pixels[3072 + 2048 + p] = (byte) 153;
    }
    Preprocessing pre = new CifarImages(pixels, new int[] {0, 1}).fitPreprocessing();
    assertEquals(32, pre.resize());
    assertArrayEquals(new float[] {0.5f, 1f, 0.4f}, pre.mean(), 1e-6f);
    assertArrayEquals(new float[] {0.5f, 1e-4f, 0.2f}, pre.std(), 1e-6f);
  }

  @Test
  void rejectsAFileThatIsNotWholeRecords(@TempDir Path dir) throws IOException {
    Path bad = Files.write(dir.resolve("bad.bin"), new byte[3072]);
    assertThrows(IOException.class, () -> CifarImages.read(List.of(bad)));
  }
}
