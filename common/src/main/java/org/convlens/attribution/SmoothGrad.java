package org.convlens.attribution;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
import org.convlens.model.Classifier;
import org.convlens.model.ModelDescription;

/**
 * SmoothGrad (Smilkov et al., 2017) over the vanilla input gradient: the mean, over {@code
 * analyze.smoothgrad.samples} copies of the image with Gaussian noise of σ = {@code noise} ×
 * (max − min of the image), of {@code max_c |∂score/∂x_c|}. Averaging absolute gradients follows
 * Captum's {@code NoiseTunnel} over its plain-gradient method (which takes {@code abs} first); the paper
 * averages signed gradients and then takes the magnitude. Noise is seeded by {@code
 * analyze.seed} and the image id, so a rerun gives the same map. The noisy copies are batched
 * (up to 64 copies per forward+backward).
 */
public final class SmoothGrad implements AttributionMethod {
  public static final String NAME = "smoothgrad";
  // Its keys under analyze.*, declared here with their defaults, ranges and docs; AttributionSettings
  // holds its Settings through the registry and conf/convlens.conf holds the same keys
  // (ConfFileMatchesDeclaredKeysTest).
  public static final Key<Integer> SAMPLES = Key.integer(AttributionSettings.P + "smoothgrad.samples", 16,
      "SmoothGrad's noisy copies per image (Smilkov et al. use about 50, Captum 5)").within(1, 1000);
  public static final Key<Double> NOISE = Key.number(AttributionSettings.P + "smoothgrad.noise", 0.15,
      "SmoothGrad's noise σ as a fraction of the image's value range (the paper: 0.10 to 0.20)")
      .allow(n -> n > 0 && n <= 1, "numbers in (0, 1], typically 0.1 to 0.2");
  public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, SAMPLES, NOISE);

  /**
   * {@code analyze.smoothgrad.*}.
   *
   * @param samples noisy copies per image (the paper's n)
   * @param noise noise σ as a fraction of the image's value range (the paper's σ/(max−min))
   */
  public record Settings(int samples, double noise) implements Serializable {
    public Settings {
      SAMPLES.check(samples);
      NOISE.check(noise);
    }
  }
  /** Noisy copies per forward+backward: bounds the memory of one pass. */
  static final int MAX_COPIES_PER_PASS = 64;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SettingsSpec<Settings> settingsSpec() {
    return SPEC;
  }

  /** Off by default: its noisy samples cost 2 × samples passes per image. */
  @Override
  public boolean runsByDefault() {
    return false;
  }

  @Override
  public String title() {
    return "SmoothGrad";
  }

  @Override
  public List<MapColumn> maps() {
    return List.of(new MapColumn(NAME, MapEncoding.Range.UNIT, true));
  }

  @Override
  public Map<String, Object> recorded(AttributionSettings settings, Classifier model) {
    Map<String, Object> out = new LinkedHashMap<>();
    Settings own = settings.of(SPEC);
    out.put(NAME + "_samples", own.samples());
    out.put(NAME + "_noise", own.noise());
    return out;
  }

  /** Needs no gradient from the shared pass: it runs its own on noisy copies. */
  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    return null;
  }

  /** A forward and a backward per noisy sample. */
  @Override
  public long extraForwardsPerImage(AttributionSettings settings, ModelDescription model) {
    return 2L * settings.of(SPEC).samples();
  }

  @Override
  public Object[][] attribute(AttributionBatch batch) {
    ModelDescription.Input in = batch.description().input();
    int plane = in.height() * in.width();
    Settings own = batch.settings().of(SPEC);
    int n = own.samples();
    int chunk = Math.min(n, MAX_COPIES_PER_PASS);
    Object[][] out = new Object[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      float[] x = batch.images()[i];
      float min = Float.POSITIVE_INFINITY;
      float max = Float.NEGATIVE_INFINITY;
      for (float v : x) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      double sigma = own.noise() * (max - min);
      SplittableRandom r = new SplittableRandom(batch.settings().seed() ^ (long) batch.id(i).hashCode() * 0x9E3779B97F4A7C15L);
      float[] sum = new float[plane];
      for (int done = 0; done < n; done += chunk) {
        int m = Math.min(chunk, n - done);
        float[][] noisy = new float[m][];
        int[] targets = new int[m];
        for (int s = 0; s < m; s++) {
          noisy[s] = new float[x.length];
          for (int p = 0; p < x.length; p++) {
            noisy[s][p] = (float) (x[p] + sigma * org.convlens.util.Gaussian.next(r));
          }
          targets[s] = batch.target(i);
        }
        float[][] g = batch.gradientsOf(noisy, targets).inputGradients();
        for (int s = 0; s < m; s++) {
          float[] map = Maps.maxAbsOverChannels(g[s], in.channels(), plane);
          for (int p = 0; p < plane; p++) {
            sum[p] += map[p];
          }
        }
      }
      for (int p = 0; p < plane; p++) {
        sum[p] /= n;
      }
      out[i] = new Object[] {batch.store(sum, 1, in.height(), in.width(), MapEncoding.Range.UNIT)};
    }
    return out;
  }
}
