package org.convlens.sampledata.train;

import static org.convlens.util.Shuffle.shuffle;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.convlens.data.CifarFormat;
import org.convlens.model.ModelDescription.Preprocessing;
import org.convlens.model.EngineSetup;
import org.convlens.model.LayerTaps;
import org.convlens.model.SmallCnn;

/**
 * Trains {@link SmallCnn} on CIFAR-10-format images with DJL's PyTorch engine: Adam with a
 * cosine learning-rate decay, softmax cross-entropy, a fixed shuffle order and seeded
 * initialisation, on the CPU with one intra-op thread, so a run is reproducible (the saved
 * weights are byte-identical from run to run).
 *
 * <p>Every batch's tensors live on a sub-manager closed after the step: a forward keeps all its
 * intermediates on the input's manager, and without that a training loop grows until it is
 * killed.
 */
public final class SmallCnnTrainer {
  /** Name passed to {@code Model.save}: the weights file is {@code convlens-cnn-NNNN.params}. */
  public static final String MODEL_NAME = "convlens-cnn";

  private static final String ENGINE = "PyTorch";
  private static final Shape INPUT = new Shape(3, CifarFormat.SIDE, CifarFormat.SIDE);

  /**
   * One epoch's figures.
   *
   * @param loss mean training loss over the epoch's batches, weighted by batch size
   * @param trainAccuracy accuracy on the training batches as they were trained (train mode)
   * @param validationAccuracy accuracy on the validation images after the epoch, NaN without any
   */
  public record EpochStats(
      int epoch, double loss, double trainAccuracy, double validationAccuracy, double seconds) {}

  /** The trained model (close it) and its history. */
  public record Trained(Model model, List<EpochStats> history) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }

  private SmallCnnTrainer() {}

  /**
   * Trains a fresh {@link SmallCnn}.
   *
   * @param validation images evaluated after every epoch, or null
   * @param pre normalisation applied to every image; the same goes into {@code model.json}
   * @param log receives one line per epoch
   * @return the model, with its {@code Epoch} property set for {@code Model.save}
   */
  public static Trained train(
      CifarImages train,
      CifarImages validation,
      Preprocessing pre,
      int numClasses,
      TrainingOptions options,
      PrintStream log) {
    // One thread each, so training is reproducible run to run.
    EngineSetup.configure(1, 1);
    Engine.getEngine(ENGINE).setRandomSeed((int) options.seed());
    Model model = Model.newInstance(MODEL_NAME, Device.cpu(), ENGINE);
    try {
      model.setBlock(new SmallCnn(numClasses));
      List<EpochStats> history = fit(model, train, validation, pre, options, log);
      model.setProperty("Epoch", Integer.toString(options.epochs()));
      return new Trained(model, history);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** Top-1 predictions of {@code model} (eval mode, no gradients) for every image. */
  public static int[] predict(Model model, CifarImages images, Preprocessing pre, int batchSize) {
    ParameterStore ps = new ParameterStore(model.getNDManager(), false);
    int[] predictions = new int[images.size()];
    for (int start = 0; start < images.size(); start += batchSize) {
      int n = Math.min(batchSize, images.size() - start);
      try (NDManager batch = model.getNDManager().newSubManager()) {
        NDArray x = batch.create(normalised(images, pre, start, n, null), batchShape(n));
        NDArray logits = model.getBlock().forward(ps, new NDList(x), false).get(0);
        System.arraycopy(argMax(logits), 0, predictions, start, n);
      }
    }
    return predictions;
  }

  /**
   * The shape {@code [K, h, w]} of the feature map {@link SmallCnn} returns (its third output)
   * when tapped at {@code layer}, for one image of the training size: measured with one forward
   * of a zero image in eval mode. This is the {@code outputs.featureMapShape} of its description.
   */
  public static int[] featureMapShape(Model model, String layer) {
    ParameterStore ps = new ParameterStore(model.getNDManager(), false);
    PairList<String, Object> tap = new PairList<>();
    tap.add(LayerTaps.TAP, layer);
    try (NDManager m = model.getNDManager().newSubManager()) {
      NDArray x = m.zeros(batchShape(1));
      Shape s = model.getBlock().forward(ps, new NDList(x), false, tap).get(2).getShape();
      return new int[] {(int) s.get(1), (int) s.get(2), (int) s.get(3)};
    }
  }

  /** Share of {@code predictions} equal to {@code labels}. */
  public static double accuracy(int[] predictions, int[] labels) {
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      if (predictions[i] == labels[i]) {
        correct++;
      }
    }
    return (double) correct / labels.length;
  }

  private static List<EpochStats> fit(
      Model model,
      CifarImages train,
      CifarImages validation,
      Preprocessing pre,
      TrainingOptions options,
      PrintStream log) {
    // The model outputs logits; log-softmax here and a loss told its input is already
    // log-probabilities avoids the softmax-then-log underflow of the default loss.
    Loss loss = new SoftmaxCrossEntropyLoss("loss", 1, -1, true, true);
    // Cosine decay to 1% over the run: the last epoch's small steps settle BatchNorm and the
    // weights, so the final test accuracy does not swing by points from epoch to epoch.
    int stepsPerEpoch = (train.size() + options.batchSize() - 1) / options.batchSize();
    Tracker learningRate =
        Tracker.cosine()
            .setBaseValue(options.learningRate())
            .optFinalValue(options.learningRate() / 100)
            .setMaxUpdates(options.epochs() * stepsPerEpoch)
            .build();
    DefaultTrainingConfig config =
        new DefaultTrainingConfig(loss)
            .optDevices(new Device[] {Device.cpu()})
            .optOptimizer(Optimizer.adam().optLearningRateTracker(learningRate).build());
    List<EpochStats> history = new ArrayList<>();
    SplittableRandom shuffle = new SplittableRandom(options.seed());
    int[] order = new int[train.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    try (Trainer trainer = model.newTrainer(config)) {
      trainer.initialize(batchShape(1));
      for (int epoch = 1; epoch <= options.epochs(); epoch++) {
        long began = System.nanoTime();
        shuffle(order, shuffle);
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < order.length; start += options.batchSize()) {
          int n = Math.min(options.batchSize(), order.length - start);
          int[] labels = new int[n];
          float[] input = normalised(train, pre, start, n, order);
          for (int k = 0; k < n; k++) {
            labels[k] = train.labels()[order[start + k]];
          }
          try (NDManager batch = trainer.getManager().newSubManager()) {
            NDArray x = batch.create(input, batchShape(n));
            NDArray y = batch.create(labels);
            try (GradientCollector gc = trainer.newGradientCollector()) {
              NDArray logits = trainer.forward(new NDList(x)).get(0);
              NDArray l = loss.evaluate(new NDList(y), new NDList(logits.logSoftmax(1)));
              gc.backward(l);
              lossSum += l.getFloat() * n;
              int[] predicted = argMax(logits);
              for (int k = 0; k < n; k++) {
                correct += predicted[k] == labels[k] ? 1 : 0;
              }
            }
            trainer.step();
          }
        }
        double valAccuracy =
            validation == null
                ? Double.NaN
                : accuracy(predict(model, validation, pre, 256), validation.labels());
        EpochStats stats =
            new EpochStats(
                epoch,
                lossSum / order.length,
                (double) correct / order.length,
                valAccuracy,
                (System.nanoTime() - began) / 1e9);
        history.add(stats);
        log.printf(
            Locale.ROOT,
            "epoch %d/%d  loss %.4f  train-acc %.4f  test-acc %.4f  %.1f s%n",
            epoch, options.epochs(), stats.loss(), stats.trainAccuracy(),
            stats.validationAccuracy(), stats.seconds());
      }
    }
    return history;
  }

  /**
   * Images {@code start..start+n} (through {@code order} when given), normalised, as one NCHW
   * buffer.
   */
  private static float[] normalised(
      CifarImages images, Preprocessing pre, int start, int n, int[] order) {
    int size = (int) INPUT.size();
    float[] out = new float[n * size];
    for (int k = 0; k < n; k++) {
      images.normalise(order == null ? start + k : order[start + k], pre, out, k * size);
    }
    return out;
  }

  private static Shape batchShape(int n) {
    return new Shape(n, INPUT.get(0), INPUT.get(1), INPUT.get(2));
  }

  private static int[] argMax(NDArray logits) {
    int classes = (int) logits.getShape().get(1);
    float[] v = logits.toFloatArray();
    int[] best = new int[v.length / classes];
    for (int i = 0; i < best.length; i++) {
      int b = 0;
      for (int c = 1; c < classes; c++) {
        if (v[i * classes + c] > v[i * classes + b]) {
          b = c;
        }
      }
      best[i] = b;
    }
    return best;
  }

}
