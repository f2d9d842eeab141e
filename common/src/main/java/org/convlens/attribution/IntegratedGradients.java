package org.convlens.attribution;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.convlens.config.Choice;
import org.convlens.config.InvalidConfigException;
import org.convlens.config.Key;
import org.convlens.config.SettingsSpec;
import org.convlens.data.ImageOps;
import org.convlens.model.Classifier;
import org.convlens.model.ModelDescription;

/**
 * Integrated Gradients (Sundararajan, Taly & Yan, 2017, "Axiomatic Attribution for Deep
 * Networks"; Captum's {@code IntegratedGradients}): {@code (x − x') ⊙ ∫₀¹ ∂score/∂x (x' + α(x − x'))
 * dα}, with the score the target's logit, x the normalised input the model sees and x' the
 * baseline ({@code analyze.integrated_gradients.baseline}: black, as the paper's images; the
 * dataset mean, which is Captum's default baseline of zeros on normalised inputs; or a Gaussian
 * blur of the image, Sturmfels et al. 2020).
 *
 * <p>The integral is Captum's quadrature ({@code analyze.integrated_gradients.quadrature}, default
 * {@code gausslegendre} with {@code steps} = 50 as Captum's {@code attribute}): the Gauss–Legendre
 * nodes t and weights v of {@code numpy.polynomial.legendre.leggauss(steps)} mapped to [0, 1] as
 * α = (1 + t)/2 and step = v/2; the Riemann rules place α as Captum's {@code np.linspace}. The
 * paper uses a right Riemann sum with 20 to 300 steps. The path points of all images of the batch
 * go through the model {@code internal-batch-size} at a time (Captum's {@code internal_batch_size}),
 * batched across steps and images.
 *
 * <p>Columns: {@code integrated_gradients}, the C×H×W attribution summed over channels per pixel,
 * stored symmetric (signed, as Captum's {@code visualize_image_attr} reduces it, and as {@link
 * GradientXInput} stores its product); {@code integrated_gradients_delta}, the completeness error
 * Σ attributions − (F(x) − F(x')) on the target's logit, Captum's {@code
 * compute_convergence_delta} (0 for an exact integral). Off by default: it costs 2 × steps + 1
 * passes per image.
 */
public final class IntegratedGradients implements AttributionMethod {
  public static final String NAME = "integrated_gradients";
  /** The completeness-error column. */
  public static final String DELTA = NAME + "_delta";
  private static final String S = AttributionSettings.P + NAME + ".";
  // Its keys under analyze.*, declared here with their defaults, ranges and docs; AttributionSettings
  // holds its Settings through the registry and conf/convlens.conf holds the same keys
  // (ConfFileMatchesDeclaredKeysTest).
  public static final Key<Integer> STEPS = Key.integer(S + "steps", 50,
      "Integrated Gradients' points on the path per image (Captum's n_steps, default 50)").within(1, 10_000);
  public static final Key<Baseline> BASELINE = Key.choice(S + "baseline", Baseline.class, Baseline.BLACK,
      "Integrated Gradients' baseline image x'");
  public static final Key<Double> BLUR_SIGMA = Key.number(S + "blur-sigma", 5.0,
      "σ in input pixels of the blurred baseline's Gaussian").aboveUpTo(0, 1000);
  public static final Key<Quadrature> QUADRATURE = Key.choice(S + "quadrature", Quadrature.class,
      Quadrature.GAUSS_LEGENDRE, "how the path integral is approximated (Captum's method argument)");
  public static final Key<Integer> INTERNAL_BATCH_SIZE = Key.integer(S + "internal-batch-size", 0,
      "path points per forward+backward (Captum's internal_batch_size); 0 = auto").within(0, 4096);
  public static final SettingsSpec<Settings> SPEC = SettingsSpec.of(Settings.class, STEPS, BASELINE, BLUR_SIGMA,
      QUADRATURE, INTERNAL_BATCH_SIZE);

  /**
   * Input values per pass that {@code internal-batch-size = 0} aims for: the perturbation grid's
   * automatic batch, which docs/benchmarks.md measured fastest on 2 cores at 32² and 224².
   */
  public static final int AUTO_VALUES_PER_PASS = 1 << 20;

  /**
   * {@code analyze.integrated_gradients.*}.
   *
   * @param steps points on the path (Captum's {@code n_steps})
   * @param baseline the baseline image x'
   * @param blurSigma σ in input pixels of the {@link Baseline#BLURRED} baseline
   * @param quadrature the rule that places the points and weighs them
   * @param internalBatchSize path points per forward+backward; 0 = auto (see {@link #pointsPerPass})
   */
  public record Settings(int steps, Baseline baseline, double blurSigma, Quadrature quadrature,
      int internalBatchSize) implements Serializable {
    public Settings {
      STEPS.check(steps);
      BASELINE.check(baseline);
      BLUR_SIGMA.check(blurSigma);
      QUADRATURE.check(quadrature);
      INTERNAL_BATCH_SIZE.check(internalBatchSize);
      if (quadrature != Quadrature.GAUSS_LEGENDRE && steps < 2) {
        throw InvalidConfigException.range(STEPS.path(), steps,
            "integers from 2 for " + QUADRATURE.path() + " = " + quadrature.code() + " (as Captum's Riemann rules)");
      }
    }

    /**
     * Path points per forward+backward for a model input of {@code values} numbers (C·H·W): the
     * configured value, or for 0 about {@link #AUTO_VALUES_PER_PASS} input values, 1 to 64 points
     * (64 at 32², 6 at 224²).
     */
    public int pointsPerPass(int values) {
      if (internalBatchSize > 0) {
        return internalBatchSize;
      }
      return Math.max(1, Math.min(64, AUTO_VALUES_PER_PASS / Math.max(1, values)));
    }
  }

  /** The baseline image x', in the model's normalised input space. */
  public enum Baseline implements Choice {
    /** Pixel value 0 in every channel: (0 − mean)/std after normalisation (the paper's images). */
    BLACK("black"),
    /** The normalisation mean, i.e. 0 after normalisation (Captum's default baseline of zeros). */
    MEAN("mean"),
    /** The image blurred by a Gaussian of σ = {@code blur-sigma} pixels (edges clamped). */
    BLURRED("blurred");

    private final String code;

    Baseline(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }
  }

  /** Captum's integral approximations ({@code captum/attr/_utils/approximation_methods.py}). */
  public enum Quadrature implements Choice {
    /** Gauss–Legendre nodes and weights mapped to [0, 1] (Captum's default). */
    GAUSS_LEGENDRE("gausslegendre"),
    /**
     * α from 0 to 1 in n equal steps, the two ends weighted 1/(2n), the others 1/n: Captum's
     * weights, which sum to (n − 1)/n rather than 1 (the points are 1/(n − 1) apart), so the
     * integral comes out that fraction of the true one and the completeness error shows it.
     */
    RIEMANN_TRAPEZOID("riemann_trapezoid"),
    /** α = 0, 1/n, …, 1 − 1/n, each weighted 1/n. */
    RIEMANN_LEFT("riemann_left"),
    /** α = 1/n, …, 1, each weighted 1/n (the paper's sum). */
    RIEMANN_RIGHT("riemann_right"),
    /** α = 1/(2n), …, 1 − 1/(2n), each weighted 1/n. */
    RIEMANN_MIDDLE("riemann_middle");

    private final String code;

    Quadrature(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }

    /** The points α in [0, 1] and their weights for {@code n} steps, as Captum computes them. */
    public Rule rule(int n) {
      double[] alphas = new double[n];
      double[] weights = new double[n];
      if (this == GAUSS_LEGENDRE) {
        double[][] nodes = gaussLegendre(n);
        for (int s = 0; s < n; s++) {
          alphas[s] = 0.5 * (1 + nodes[0][s]);
          weights[s] = 0.5 * nodes[1][s];
        }
        return new Rule(alphas, weights);
      }
      if (n < 2) {
        throw new IllegalArgumentException(code + " needs at least 2 steps, not " + n);
      }
      double first = switch (this) {
        case RIEMANN_RIGHT -> 1.0 / n;
        case RIEMANN_MIDDLE -> 1.0 / (2 * n);
        default -> 0;
      };
      double last = switch (this) {
        case RIEMANN_LEFT -> 1 - 1.0 / n;
        case RIEMANN_MIDDLE -> 1 - 1.0 / (2 * n);
        default -> 1;
      };
      for (int s = 0; s < n; s++) {
        // numpy.linspace: start + s·step, the last point exactly the stop.
        alphas[s] = s == n - 1 ? last : first + s * ((last - first) / (n - 1));
        weights[s] = 1.0 / n;
      }
      if (this == RIEMANN_TRAPEZOID) {
        weights[0] /= 2;
        weights[n - 1] /= 2;
      }
      return new Rule(alphas, weights);
    }
  }

  /** Points α on the path from x' (0) to x (1) and the weight of the gradient at each. */
  public record Rule(double[] alphas, double[] weights) {}

  /**
   * The n-point Gauss–Legendre rule on [−1, 1], nodes ascending, as {@code
   * numpy.polynomial.legendre.leggauss(n)} returns it: each node by Newton's method on the
   * Legendre recurrence from Tricomi's initial guess, to double precision.
   *
   * @return {nodes, weights}
   */
  static double[][] gaussLegendre(int n) {
    double[] nodes = new double[n];
    double[] weights = new double[n];
    for (int i = 0; i < (n + 1) / 2; i++) {
      double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5)); // the i-th largest root, roughly
      double derivative = 0;
      for (int iteration = 0; iteration < 100; iteration++) {
        double previous = 1; // P_0
        double current = z; // P_1
        for (int k = 2; k <= n; k++) {
          double next = ((2 * k - 1) * z * current - (k - 1) * previous) / k;
          previous = current;
          current = next;
        }
        derivative = n * (z * current - previous) / (z * z - 1);
        double dz = current / derivative;
        z -= dz;
        if (Math.abs(dz) <= 1e-16 * Math.max(1, Math.abs(z))) {
          break;
        }
      }
      double w = 2 / ((1 - z * z) * derivative * derivative);
      // Symmetric pairs, as numpy symmetrises its nodes and weights.
      nodes[n - 1 - i] = z;
      nodes[i] = -z;
      weights[n - 1 - i] = w;
      weights[i] = w;
    }
    if (n % 2 == 1) {
      nodes[n / 2] = 0;
    }
    return new double[][] {nodes, weights};
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "Integrated Gradients";
  }

  @Override
  public SettingsSpec<Settings> settingsSpec() {
    return SPEC;
  }

  /** Off by default: its path costs 2 × steps + 1 passes per image. */
  @Override
  public boolean runsByDefault() {
    return false;
  }

  /** Signed, so stored symmetric; the report draws it over the image. */
  @Override
  public List<MapColumn> maps() {
    return List.of(new MapColumn(NAME, MapEncoding.Range.SYMMETRIC, true));
  }

  /** The map, then the completeness error (a float per image). */
  @Override
  public List<StructField> fields() {
    return List.of(new StructField(NAME, MapEncoding.STRUCT, true, Metadata.empty()),
        new StructField(DELTA, DataTypes.FloatType, true, Metadata.empty()));
  }

  @Override
  public Map<String, Object> recorded(AttributionSettings settings, Classifier model) {
    Settings own = settings.of(SPEC);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(NAME + "_steps", own.steps());
    out.put(NAME + "_quadrature", own.quadrature().code());
    out.put(NAME + "_baseline", own.baseline().code());
    if (own.baseline() == Baseline.BLURRED) {
      out.put(NAME + "_blur_sigma", own.blurSigma());
    }
    out.put(NAME + "_internal_batch_size", own.internalBatchSize());
    return out;
  }

  /** Needs no gradient from the shared pass: it runs its own along the path. */
  @Override
  public String gradientLayer(AttributionSettings settings, Classifier model) {
    return null;
  }

  /** A forward and a backward per path point, and the baseline's forward for the completeness error. */
  @Override
  public long extraForwardsPerImage(AttributionSettings settings, ModelDescription model) {
    return 2L * settings.of(SPEC).steps() + 1;
  }

  @Override
  public Object[][] attribute(AttributionBatch batch) {
    ModelDescription d = batch.description();
    ModelDescription.Input in = d.input();
    int plane = in.height() * in.width();
    int size = in.channels() * plane;
    Settings own = batch.settings().of(SPEC);
    int steps = own.steps();
    Rule rule = own.quadrature().rule(steps);
    float[][] x = batch.images();
    int n = x.length;
    float[][] baselines = new float[n][];
    for (int i = 0; i < n; i++) {
      baselines[i] = baseline(own, d, x[i]);
    }
    // Σ_s weight_s · ∂score/∂x at x' + α_s (x − x'), per image; the path points of all images
    // go through the model pointsPerPass at a time, built only when their pass comes.
    double[][] integral = new double[n][size];
    int perPass = own.pointsPerPass(size);
    long points = (long) n * steps;
    for (long from = 0; from < points; from += perPass) {
      int m = (int) Math.min(perPass, points - from);
      float[][] path = new float[m][];
      int[] targets = new int[m];
      for (int k = 0; k < m; k++) {
        int i = (int) ((from + k) / steps);
        float alpha = (float) rule.alphas()[(int) ((from + k) % steps)];
        float[] b = baselines[i];
        float[] point = new float[size];
        for (int p = 0; p < size; p++) {
          point[p] = b[p] + alpha * (x[i][p] - b[p]); // in float, as Captum's baseline + alpha * (input - baseline)
        }
        path[k] = point;
        targets[k] = batch.target(i);
      }
      float[][] g = batch.gradientsOf(path, targets).inputGradients();
      for (int k = 0; k < m; k++) {
        int i = (int) ((from + k) / steps);
        double weight = rule.weights()[(int) ((from + k) % steps)];
        double[] sum = integral[i];
        for (int p = 0; p < size; p++) {
          sum[p] += weight * g[k][p];
        }
      }
    }
    float[][] baselineLogits = batch.logitsOf(baselines);
    Object[][] out = new Object[n][];
    for (int i = 0; i < n; i++) {
      float[] map = new float[plane];
      double total = 0;
      for (int c = 0; c < in.channels(); c++) {
        for (int p = 0; p < plane; p++) {
          int at = c * plane + p;
          float attribution = (float) integral[i][at] * (x[i][at] - baselines[i][at]);
          map[p] += attribution;
          total += attribution;
        }
      }
      int t = batch.target(i);
      float delta = (float) (total - ((double) batch.logits(i)[t] - baselineLogits[i][t]));
      out[i] = new Object[] {batch.store(map, 1, in.height(), in.width(), MapEncoding.Range.SYMMETRIC), delta};
    }
    return out;
  }

  /** The baseline x' of {@code image}, C×H×W in the model's normalised input space. */
  static float[] baseline(Settings own, ModelDescription d, float[] image) {
    ModelDescription.Input in = d.input();
    int plane = in.height() * in.width();
    float[] b = new float[image.length];
    switch (own.baseline()) {
      case BLACK -> {
        float[] mean = d.preprocessing().mean();
        float[] std = d.preprocessing().std();
        for (int c = 0; c < in.channels(); c++) {
          java.util.Arrays.fill(b, c * plane, (c + 1) * plane, (0f - mean[c]) / std[c]);
        }
      }
      case MEAN -> { } // zeros
      case BLURRED -> b = ImageOps.blur(image, in.channels(), in.height(), in.width(),
          ImageOps.gaussianKernel(own.blurSigma()));
    }
    return b;
  }
}
