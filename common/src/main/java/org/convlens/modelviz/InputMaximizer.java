package org.convlens.modelviz;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.convlens.data.ImageOps;
import org.convlens.model.InferenceSession;
import org.convlens.model.InferenceSession.Objective;
import org.convlens.model.ModelDescription;
import org.convlens.model.Softmax;
import org.convlens.model.TopK;

/**
 * Input maximisation (activation maximisation; Erhan et al. 2009, Simonyan et al. 2014, with the
 * total-variation prior of Mahendran &amp; Vedaldi 2015 and the jitter and blur of Yosinski et al.
 * 2015 / Olah et al. 2017): gradient ascent on the input image of one {@link Target}, starting
 * from seeded noise. The update is given in {@link MaximizeSettings}.
 *
 * <p>The image is optimised in pixel space [0,1] and normalised by the model's own
 * preprocessing before each forward, so "valid pixel range" means what a real image could hold.
 * Everything random (start noise, jitter) comes from one {@link SplittableRandom} seeded by the
 * settings' seed and the target, so the same seed and model give the same image on any executor.
 */
public final class InputMaximizer {
  private InputMaximizer() {}

  /**
   * What is maximised.
   *
   * @param kind class score or channel mean
   * @param index the class index or the channel index
   * @param name the class name, or {@code <layer>:<channel>}
   * @param layer the layer of a channel target (null for classes)
   */
  public record Target(Objective.Kind kind, int index, String name, String layer) implements Serializable {
    public Objective objective() {
      return kind == Objective.Kind.CLASS ? Objective.classScore(index) : Objective.channelMean(layer, index);
    }

    /** Mixed into the seed so every target has its own noise and jitter. */
    long salt() {
      return (kind == Objective.Kind.CLASS ? 0x9E3779B97F4A7C15L : 0xC2B2AE3D27D4EB4FL) * (index + 1L)
          + (layer == null ? 0 : layer.hashCode());
    }
  }

  /** One image of the animation: the image after {@code step} updates, C×H×W in [0,1]. */
  public record Snapshot(int step, float[] image) {}

  /**
   * The optimisation of one target. Curves have one entry per step, measured on the (jittered)
   * image the step's gradient came from, before its update.
   *
   * @param objective the objective per step (class score or channel mean)
   * @param tv TV_β of the image per step (before the update)
   * @param targetProb softmax probability of the target class per step (null for channels)
   * @param top1 the model's top-1 class per step
   * @param snapshots images at the steps {@link MaximizeSettings#snapshotAt} chooses
   * @param image the final image, C×H×W in [0,1]
   * @param initialObjective objective of the starting noise (no jitter)
   * @param finalObjective objective of the final image (no jitter)
   * @param initialProb target-class probability of the starting noise (NaN for channels)
   * @param finalProb target-class probability of the final image (NaN for channels)
   * @param finalTop1 the model's top-1 class for the final image
   * @param finalTop1Prob its probability
   * @param seconds wall time of the optimisation
   */
  public record Result(
      Target target,
      float[] objective,
      float[] tv,
      float[] targetProb,
      int[] top1,
      List<Snapshot> snapshots,
      float[] image,
      float initialObjective,
      float finalObjective,
      float initialProb,
      float finalProb,
      int finalTop1,
      float finalTop1Prob,
      double seconds) {
    /** A builder, so that a caller names each of the 14 components instead of placing them by position. */
    public static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
      private Target target;
      private float[] objective;
      private float[] tv;
      private float[] targetProb;
      private int[] top1;
      private List<Snapshot> snapshots;
      private float[] image;
      private float initialObjective;
      private float finalObjective;
      private float initialProb;
      private float finalProb;
      private int finalTop1;
      private float finalTop1Prob;
      private double seconds;

      private Builder() {}

      public Builder target(Target target) {
        this.target = target;
        return this;
      }

      public Builder objective(float[] objective) {
        this.objective = objective;
        return this;
      }

      public Builder tv(float[] tv) {
        this.tv = tv;
        return this;
      }

      public Builder targetProb(float[] targetProb) {
        this.targetProb = targetProb;
        return this;
      }

      public Builder top1(int[] top1) {
        this.top1 = top1;
        return this;
      }

      public Builder snapshots(List<Snapshot> snapshots) {
        this.snapshots = snapshots;
        return this;
      }

      public Builder image(float[] image) {
        this.image = image;
        return this;
      }

      public Builder initialObjective(float initialObjective) {
        this.initialObjective = initialObjective;
        return this;
      }

      public Builder finalObjective(float finalObjective) {
        this.finalObjective = finalObjective;
        return this;
      }

      public Builder initialProb(float initialProb) {
        this.initialProb = initialProb;
        return this;
      }

      public Builder finalProb(float finalProb) {
        this.finalProb = finalProb;
        return this;
      }

      public Builder finalTop1(int finalTop1) {
        this.finalTop1 = finalTop1;
        return this;
      }

      public Builder finalTop1Prob(float finalTop1Prob) {
        this.finalTop1Prob = finalTop1Prob;
        return this;
      }

      public Builder seconds(double seconds) {
        this.seconds = seconds;
        return this;
      }

      public Result build() {
        return new Result(target, objective, tv, targetProb, top1, snapshots, image, initialObjective, finalObjective,
            initialProb, finalProb, finalTop1, finalTop1Prob, seconds);
      }
    }
  }

  /** Optimises one target on {@code session} (the caller's thread owns the session). */
  public static Result run(InferenceSession session, ModelDescription model, Target target,
      MaximizeSettings s) {
    return run(session, model, target, s, null);
  }

  /** As {@link #run(InferenceSession, ModelDescription, Target, MaximizeSettings)}, calling
   * {@code onStep} (when not null) after every step, for progress. */
  public static Result run(InferenceSession session, ModelDescription model, Target target,
      MaximizeSettings s, Runnable onStep) {
    long start = System.nanoTime();
    int c = model.input().channels();
    int h = model.input().height();
    int w = model.input().width();
    float[] mean = model.preprocessing().mean();
    float[] std = model.preprocessing().std();
    Objective objective = target.objective();
    boolean isClass = target.kind() == Objective.Kind.CLASS;
    SplittableRandom random = new SplittableRandom(s.seed() ^ target.salt());

    float[] p = new float[c * h * w];
    for (int i = 0; i < p.length; i++) {
      p[i] = clip((float) (0.5 + s.initNoise() * random.nextGaussian()));
    }
    List<Snapshot> snapshots = new ArrayList<>();
    snapshots.add(new Snapshot(0, p.clone()));
    InferenceSession.ObjectiveGradients initial =
        session.objective(new float[][] {normalise(p, c, h, w, mean, std)}, objective);

    float[] objectives = new float[s.steps()];
    float[] tvs = new float[s.steps()];
    float[] probs = isClass ? new float[s.steps()] : null;
    int[] top1 = new int[s.steps()];
    float[] blurKernel = s.blurSigma() > 0 ? ImageOps.gaussianKernel(s.blurSigma()) : null;
    for (int step = 0; step < s.steps(); step++) {
      int dy = s.jitter() > 0 ? random.nextInt(-s.jitter(), s.jitter() + 1) : 0;
      int dx = s.jitter() > 0 ? random.nextInt(-s.jitter(), s.jitter() + 1) : 0;
      float[] shifted = roll(p, c, h, w, dy, dx);
      InferenceSession.ObjectiveGradients g =
          session.objective(new float[][] {normalise(shifted, c, h, w, mean, std)}, objective);
      objectives[step] = g.values()[0];
      tvs[step] = (float) TotalVariation.value(p, c, h, w, s.tvBeta());
      float[] logits = g.logits()[0];
      top1[step] = TopK.argmax(logits);
      if (isClass) {
        probs[step] = Softmax.softmax(logits)[target.index()];
      }
      // d/dp of a(normalise(roll(p))): divide by std, then roll back.
      float[] grad = g.inputGradients()[0];
      for (int ch = 0; ch < c; ch++) {
        float inv = 1f / std[ch];
        for (int i = ch * h * w, end = (ch + 1) * h * w; i < end; i++) {
          grad[i] *= inv;
        }
      }
      grad = roll(grad, c, h, w, -dy, -dx);
      float scale = (float) s.lr();
      if (s.normalizeGradient()) {
        double sq = 0;
        for (float v : grad) {
          sq += (double) v * v;
        }
        scale /= (float) (Math.sqrt(sq / grad.length) + 1e-8);
      }
      float[] tvGrad = s.tvWeight() > 0 ? TotalVariation.gradient(p, c, h, w, s.tvBeta()) : null;
      for (int i = 0; i < p.length; i++) {
        float v = p[i] + scale * grad[i];
        if (tvGrad != null) {
          v -= (float) (s.tvWeight() * tvGrad[i]);
        }
        p[i] = v;
      }
      if (blurKernel != null && (step + 1) % s.blurEvery() == 0) {
        p = ImageOps.blur(p, c, h, w, blurKernel);
      }
      for (int i = 0; i < p.length; i++) {
        p[i] = clip(p[i]);
      }
      if (s.snapshotAt(step + 1)) {
        snapshots.add(new Snapshot(step + 1, p.clone()));
      }
      if (onStep != null) {
        onStep.run();
      }
    }
    InferenceSession.ObjectiveGradients last =
        session.objective(new float[][] {normalise(p, c, h, w, mean, std)}, objective);
    float[] finalProbs = Softmax.softmax(last.logits()[0]);
    int finalTop1 = TopK.argmax(last.logits()[0]);
    float initialProb = isClass ? Softmax.softmax(initial.logits()[0])[target.index()] : Float.NaN;
    return Result.builder()
        .target(target)
        .objective(objectives)
        .tv(tvs)
        .targetProb(probs)
        .top1(top1)
        .snapshots(snapshots)
        .image(p)
        .initialObjective(initial.values()[0])
        .finalObjective(last.values()[0])
        .initialProb(initialProb)
        .finalProb(isClass ? finalProbs[target.index()] : Float.NaN)
        .finalTop1(finalTop1)
        .finalTop1Prob(finalProbs[finalTop1])
        .seconds((System.nanoTime() - start) / 1e9)
        .build();
  }

  /** (p − mean) / std per channel: the model's input for pixel values p in [0,1]. */
  static float[] normalise(float[] p, int c, int h, int w, float[] mean, float[] std) {
    float[] x = new float[p.length];
    for (int ch = 0; ch < c; ch++) {
      for (int i = ch * h * w, end = (ch + 1) * h * w; i < end; i++) {
        x[i] = (p[i] - mean[ch]) / std[ch];
      }
    }
    return x;
  }

  /** The image shifted by (dy, dx) with wrap-around: out[y][x] = in[y − dy][x − dx]. */
  static float[] roll(float[] in, int c, int h, int w, int dy, int dx) {
    if (dy == 0 && dx == 0) {
      return in.clone();
    }
    float[] out = new float[in.length];
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      for (int y = 0; y < h; y++) {
        int sy = Math.floorMod(y - dy, h);
        for (int x = 0; x < w; x++) {
          out[base + y * w + x] = in[base + sy * w + Math.floorMod(x - dx, w)];
        }
      }
    }
    return out;
  }

  private static float clip(float v) {
    return v < 0 ? 0 : (v > 1 ? 1 : v);
  }
}
