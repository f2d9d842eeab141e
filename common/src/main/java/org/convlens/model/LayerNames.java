package org.convlens.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.SymbolBlock;
import ai.djl.nn.norm.BatchNorm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names ConvLens shows for a model's layers and parameters: those of the equivalent {@code
 * torch.nn} module tree, dotted as PyTorch's {@code named_modules()} and {@code
 * named_parameters()} write them ({@code features.block1.conv1}, {@code
 * features.block1.conv1.weight}), with PyTorch's class names as types ({@code Conv2d}, {@code
 * BatchNorm2d}, {@code ReLU}, {@code MaxPool2d}, {@code Linear}). This is the one place that
 * knows DJL's own block names ({@code 01features_01Conv2d}); nothing a user sees carries them.
 *
 * <ul>
 *   <li><b>DJL blocks</b>: names are derived from the block tree. A child of a {@link
 *       SequentialBlock} is named by its index, as in an {@code nn.Sequential}; any other child by
 *       the name it was added with ({@code addChildBlock("head", …)}; DJL prefixes it with its
 *       position, {@code 02head}, which is dropped). A block that groups its descendants the way
 *       its PyTorch equivalent would (the bundled {@link SmallCnn}: {@code features.block1.conv1})
 *       says so through {@link Named}. Parameter names follow PyTorch's: a batch norm's
 *       {@code gamma}, {@code beta}, {@code runningMean}, {@code runningVar} are its {@code
 *       weight}, {@code bias}, {@code running_mean}, {@code running_var}.
 *   <li><b>TorchScript modules</b> ({@link SymbolBlock}s): their parameters already carry the
 *       module's own dotted names ({@code layer4.1.conv2.weight}), kept as they are. Their module
 *       tree is not exposed through DJL, so {@link #leaves()} is empty.
 * </ul>
 */
public final class LayerNames {
  /**
   * A leaf module of a DJL block tree.
   *
   * @param name its dotted name, e.g. {@code features.block1.conv1}
   * @param type the PyTorch class it corresponds to, e.g. {@code Conv2d}
   * @param block the DJL block (internal: for shapes, never for display)
   */
  public record Module(String name, String type, Block block) {}

  /**
   * Where a parameter lives.
   *
   * @param module the dotted name of the module that owns it ({@code ""} for the root's own)
   * @param role its name within the module: {@code weight}, {@code bias}, {@code running_mean}, …
   */
  public record Owner(String module, String role) {
    /** The full dotted name, e.g. {@code features.block1.conv1.weight}. */
    public String name() {
      return module.isEmpty() ? role : module + "." + role;
    }
  }

  /**
   * A DJL block whose PyTorch equivalent groups its descendants differently from the DJL tree
   * (DJL's parameter file fixes the tree, so the grouping cannot be changed there).
   */
  public interface Named {
    /** Dotted names, relative to this block, of the descendants it names (keyed by identity). */
    Map<Block, String> moduleNames();
  }

  /** DJL's batch-norm parameter names and PyTorch's. */
  private static final Map<String, String> NORM_ROLES = Map.of("gamma", "weight", "beta", "bias",
      "runningMean", "running_mean", "runningVar", "running_var");
  /** DJL's pooling lambdas ({@code maxPool2d}, {@code globalAvgPool2d}) and PyTorch's classes. */
  private static final Pattern POOL = Pattern.compile("(global)?(max|avg|lp|Max|Avg|Lp)Pool([123]d)");
  private static final Map<String, String> LAMBDA_TYPES = Map.of("batchFlatten", "Flatten",
      "identity", "Identity", "softPlus", "Softplus", "softSign", "Softsign", "sigmoid", "Sigmoid");

  private final List<Module> leaves;
  private final Map<Parameter, Owner> owners;
  private final Map<String, String> djlNames;

  private LayerNames(List<Module> leaves, Map<Parameter, Owner> owners, Map<String, String> djlNames) {
    this.leaves = Collections.unmodifiableList(leaves);
    this.owners = owners;
    this.djlNames = djlNames;
  }

  /** The names of {@code root}'s modules and parameters. */
  public static LayerNames of(Block root) {
    List<Module> leaves = new ArrayList<>();
    Map<Parameter, Owner> owners = new IdentityHashMap<>();
    Map<String, String> djlNames = new HashMap<>();
    if (root instanceof SymbolBlock) {
      for (var pair : root.getParameters()) {
        String name = pair.getValue().getName();
        int dot = name.lastIndexOf('.');
        owners.put(pair.getValue(), new Owner(dot < 0 ? "" : name.substring(0, dot), name.substring(dot + 1)));
      }
    } else {
      walk(root, "", "", new IdentityHashMap<>(), leaves, owners, djlNames);
    }
    return new LayerNames(leaves, owners, djlNames);
  }

  /** The leaf modules in the block tree's (forward) order; empty for TorchScript. */
  public List<Module> leaves() {
    return leaves;
  }

  /** The owner of one of the model's parameters. */
  public Owner owner(Parameter p) {
    Owner o = owners.get(p);
    if (o == null) {
      throw new IllegalArgumentException("parameter " + p.getName() + " is not part of this model");
    }
    return o;
  }

  /**
   * The dotted name of a module or parameter that DJL names {@code djlName} ({@code
   * 01features_08Conv2d}, {@code 01features_08Conv2d_weight}), or null: only to tell a user who
   * gives an old name what it is called now.
   */
  public String fromDjlName(String djlName) {
    return djlNames.get(djlName);
  }

  /**
   * @param path the dotted name of {@code block}
   * @param djlPath DJL's name of it: the child keys joined with '_', as in its parameter names
   */
  private static void walk(Block block, String path, String djlPath, Map<Block, String> named,
      List<Module> leaves, Map<Parameter, Owner> owners, Map<String, String> djlNames) {
    if (block instanceof Named n) {
      n.moduleNames().forEach((b, name) -> named.put(b, join(path, name)));
    }
    if (!djlPath.isEmpty()) {
      djlNames.put(djlPath, path);
    }
    for (var pair : block.getDirectParameters()) {
      Parameter p = pair.getValue();
      String role = block instanceof BatchNorm ? NORM_ROLES.getOrDefault(p.getName(), p.getName()) : p.getName();
      Owner owner = new Owner(path, role);
      owners.put(p, owner);
      djlNames.put(djlPath.isEmpty() ? p.getName() : djlPath + "_" + p.getName(), owner.name());
    }
    if (block.getChildren().isEmpty()) {
      leaves.add(new Module(path, type(block), block));
      return;
    }
    int i = 0;
    for (var child : block.getChildren()) {
      i++;
      String name = named.get(child.getValue());
      if (name == null) {
        name = join(path, block instanceof SequentialBlock ? String.valueOf(i - 1) : added(child.getKey(), i));
      }
      walk(child.getValue(), name, djlPath.isEmpty() ? child.getKey() : djlPath + "_" + child.getKey(), named,
          leaves, owners, djlNames);
    }
  }

  /** The name a child was added with: DJL's child key less the position DJL put in front. */
  private static String added(String key, int position) {
    String prefix = String.format(Locale.ROOT, "%02d", position);
    return key.startsWith(prefix) && key.length() > prefix.length() ? key.substring(prefix.length()) : key;
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  /** The PyTorch class a DJL leaf block corresponds to. */
  static String type(Block block) {
    if (block instanceof LambdaBlock l) {
      String name = l.getName();
      Matcher m = POOL.matcher(name);
      if (m.matches()) {
        String kind = m.group(2).equalsIgnoreCase("lp") ? "LP" : capitalised(m.group(2));
        return (m.group(1) != null ? "Adaptive" : "") + kind + "Pool" + m.group(3);
      }
      return LAMBDA_TYPES.getOrDefault(name, capitalised(name));
    }
    if (block instanceof BatchNorm) {
      // PyTorch has one class per input rank: N×C → 1d, N×C×H×W → 2d.
      int rank = inputRank(block);
      return rank >= 2 && rank <= 5 ? "BatchNorm" + Math.max(1, rank - 2) + "d" : "BatchNorm";
    }
    return block.getClass().getSimpleName();
  }

  private static int inputRank(Block block) {
    try {
      Shape[] in = block.getInputShapes();
      return in == null || in.length == 0 ? -1 : in[0].dimension();
    } catch (RuntimeException e) {
      return -1; // not initialised: the rank is unknown
    }
  }

  private static String capitalised(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
