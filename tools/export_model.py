#!/usr/bin/python3
"""Exports a PyTorch image classifier for ConvLens: the TorchScript file with the feature-map
`delta` and the embedding exposed, and its complete sidecar description, in one command.

  /usr/bin/python3 tools/export_model.py resnet50 --weights resnet50.pth --classes classes.txt \\
      --out models/                       # -> models/resnet50.pt + models/resnet50.json

The model is a torchvision architecture name (built with weights=None, then --weights loaded)
or --module FILE, an nn.Module saved with torch.save(model, FILE) (its classes must be
importable: set PYTHONPATH). The exported module's forward(x, delta) returns (logits, embedding,
feature_map): `delta` is added to the output of the feature-map layer (--layer, by default the
last convolutional stage of the family, see FAMILIES), the embedding is the flattened input of
the classifier's last linear layer (--head). The sidecar holds everything ConvLens reads: input
size, preprocessing, class names, output positions, the feature map's shape and the leaf layers.

Before writing, it reloads the saved module and checks it against the eager model: outputs at
another batch size than the trace's for both kinds of `delta`, and the gradient of `delta`
against the gradient of the layer's output taken with hooks; after writing, it reloads the file.
Beside the .pt it writes <name>.relu-backward.pt (tools/relu_backward.py), the modified ReLU
backward of guided backprop, deconvnet and Grad-CAM's backprop modifiers, checked against
backward hooks on every ReLU call; none when torch.fx cannot trace the model or it calls no ReLU.
It says whether CAM is valid for the model (the head after the layer must be global average
pooling + one linear layer; ConvLens's own check before a run only sees the pooling).
--reference DIR also writes <name>.reference.json: PyTorch's logits, saliency, Grad-CAM and CAM
for the images in DIR, as ConvLens defines them (docs/models.md), to compare. --self-test
exports the listed architectures (default: seven, see SELF_TEST) at 64x64.

Needs Debian's python3-torch and python3-torchvision (PyTorch >= 1.13, torchvision >= 0.14).
Everything random is seeded (--seed), so the same command gives the same weights and sidecar.
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tempfile
import time
import warnings
import zipfile

# libtorch's oneDNN AVX-512 convolution backward is wrong on some CPUs (AMD family 26); ConvLens
# caps it at AVX2 for the same reason. Read when torch loads, so before the import.
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError:
    sys.exit("export_model: PyTorch is not installed for %s; on Debian: apt-get install "
             "python3-torch python3-torchvision, then run this with /usr/bin/python3"
             % sys.executable)
try:
    import torchvision
    from torchvision import models as tv_models
    from torchvision import transforms
except ImportError:
    sys.exit("export_model: torchvision is not installed for %s; on Debian: apt-get install "
             "python3-torchvision, then run this with /usr/bin/python3" % sys.executable)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_layers import leaf_layers  # noqa: E402  (next to this script)
import relu_backward  # noqa: E402  (next to this script)

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
REFERENCE_BATCH = 16  # images per forward and backward of --reference (bounds its memory)
# --self-test's default: one or two architectures per common family, and whether CAM is valid
# for each (global average pooling + one linear layer after the default layer).
SELF_TEST = {"resnet18": True, "resnet50": True, "vgg16": False, "densenet121": False,
             "mobilenet_v3_large": False, "efficientnet_b0": True, "convnext_tiny": False}


class ExportError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def last_child_of_type(container, kind):
    """Name (relative to container) of the last direct child that is an instance of kind."""
    names = [n for n, m in container.named_children() if isinstance(m, kind)]
    return names[-1] if names else None


def vgg_layer(model):
    """The last ReLU of `features`: relu5_3 for VGG-16, the Grad-CAM paper's layer (before the
    last max-pool, so twice the resolution of `features`)."""
    return "features." + last_child_of_type(model.features, nn.ReLU)


# torchvision class -> (family, default feature-map layer). The layer is the last convolutional
# stage before global pooling, where Grad-CAM users hook it. Classes outside this table (timm
# and other models given with --module) get the heuristic of default_layer().
FAMILIES = {
    "ResNet": ("resnet/resnext/wide_resnet", lambda m: "layer4", "layer4"),
    "VGG": ("vgg", vgg_layer, "the last ReLU of features (features.29 for vgg16)"),
    "AlexNet": ("alexnet", vgg_layer, "the last ReLU of features"),
    "DenseNet": ("densenet", lambda m: "features", "features"),
    "MobileNetV2": ("mobilenet_v2", lambda m: "features", "features"),
    "MobileNetV3": ("mobilenet_v3", lambda m: "features", "features"),
    "EfficientNet": ("efficientnet", lambda m: "features", "features"),
    "ConvNeXt": ("convnext", lambda m: "features", "features (= its last stage)"),
    "RegNet": ("regnet", lambda m: "trunk_output", "trunk_output"),
    "MNASNet": ("mnasnet", lambda m: "layers", "layers"),
    "ShuffleNetV2": ("shufflenet_v2", lambda m: "conv5", "conv5"),
    "GoogLeNet": ("googlenet", lambda m: "inception5b", "inception5b"),
    "Inception3": ("inception_v3", lambda m: "Mixed_7c", "Mixed_7c"),
}
# Architecture name prefixes of those classes in torchvision.models (squeezenet has no linear
# head; vision transformers have no convolutional feature map).
PREFIXES = ("resnet", "resnext", "wide_resnet", "vgg", "alexnet", "densenet", "mobilenet_v2",
            "mobilenet_v3", "efficientnet", "convnext", "regnet", "mnasnet", "shufflenet",
            "googlenet", "inception_v3")


def known_architectures():
    return sorted(n for n in tv_models.list_models(module=tv_models) if n.startswith(PREFIXES))


# ----------------------------------------------------------------------------------- building


def parse_size(text):
    """'224' or '224x160' (height x width)."""
    parts = text.lower().split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError("--input-size must be N or HxW, got %r" % text)
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or min(values) < 1:
        raise argparse.ArgumentTypeError("--input-size must be N or HxW, got %r" % text)
    return tuple(values)


def read_classes(path):
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise ExportError("--classes: cannot read %s: %s" % (path, e.strerror))
    while lines and not lines[-1].strip():
        lines.pop()
    names = [line.strip() for line in lines]
    blank = [i + 1 for i, n in enumerate(names) if not n]
    if not names or blank:
        raise ExportError("--classes %s: needs one class name per line%s" % (
            path, "" if not names else ", but line %d is blank" % blank[0]))
    seen = set()
    for n in names:
        if n in seen:
            raise ExportError("--classes %s: class name %r appears twice" % (path, n))
        seen.add(n)
    return names


def is_torchscript(path):
    """TorchScript archives are zip files holding a constants.pkl; torch.save files hold none."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("constants.pkl") for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def load_state_dict(path):
    """A state_dict from a torch.save'd dict (also under 'state_dict'/'model'/'model_state_dict',
    and with DataParallel's 'module.' prefix), a pickled nn.Module or a TorchScript file."""
    if not os.path.isfile(path):
        raise ExportError("--weights: no such file: %s" % path)
    try:
        if is_torchscript(path):
            return dict(torch.jit.load(path, map_location="cpu").state_dict())
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001  (torch raises many kinds for a bad file)
        raise ExportError("--weights: cannot load %s: %s" % (path, one_line(e)))
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ExportError("--weights: %s holds no state_dict (a dict of parameter name -> tensor)"
                          % path)
    if obj and all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def construct(arch, num_classes, state):
    kwargs = {"weights": None}
    if num_classes is not None:
        kwargs["num_classes"] = num_classes
    if arch == "googlenet" or arch == "inception_v3":
        # Their weights=None defaults warn and build auxiliary heads that eval mode never runs;
        # keep them only when the weights have them.
        kwargs["init_weights"] = True
        kwargs["aux_logits"] = state is not None and any(k.startswith("aux") for k in state)
    return tv_models.get_model(arch, **kwargs)


def build(args, classes):
    """(eager model in eval mode, name, a sentence saying where it came from)."""
    state = load_state_dict(args.weights) if args.weights else None
    torch.manual_seed(args.seed)
    if args.module:
        if not os.path.isfile(args.module):
            raise ExportError("--module: no such file: %s" % args.module)
        if is_torchscript(args.module):
            raise ExportError(
                "--module %s is TorchScript, whose layers PyTorch cannot rewire to expose a "
                "feature map: give the architecture name and this file as --weights (a "
                "torchvision architecture), or save the eager module with torch.save(model, FILE)"
                % args.module)
        try:
            model = torch.load(args.module, map_location="cpu")
        except Exception as e:  # noqa: BLE001
            raise ExportError("--module: cannot load %s: %s (its classes must be importable: "
                              "set PYTHONPATH)" % (args.module, one_line(e)))
        if not isinstance(model, nn.Module):
            raise ExportError("--module %s holds a %s, not an nn.Module saved with "
                              "torch.save(model, FILE); for a state_dict give the architecture "
                              "name and --weights" % (args.module, type(model).__name__))
        name = os.path.splitext(os.path.basename(args.module))[0]
        source = "module %s (%s)" % (os.path.basename(args.module), type(model).__name__)
    else:
        known = known_architectures()
        if args.architecture not in known:
            raise ExportError("unknown architecture %r; known (torchvision %s): %s; or give "
                              "--module FILE" % (args.architecture, torchvision.__version__,
                                                 ", ".join(known)))
        num_classes = len(classes) if classes else None
        model = construct(args.architecture, num_classes, state)
        name = args.architecture
        source = "%s (torchvision %s)" % (args.architecture, torchvision.__version__)
    if state is not None:
        model = load_weights(args, model, state, classes)
        source += ", weights " + os.path.basename(args.weights)
    elif not args.module:
        source += ", random weights (seed %d)" % args.seed
    return model.eval(), name, source


def load_weights(args, model, state, classes):
    own = model.state_dict()
    if args.architecture and not classes:
        # The head's size comes from the weights (e.g. a fine-tuned 10-class model).
        resized = [k for k in own if k in state and own[k].dim() == 2
                   and state[k].dim() == 2 and own[k].shape[1] == state[k].shape[1]
                   and own[k].shape[0] != state[k].shape[0]]
        if len(resized) == 1:
            torch.manual_seed(args.seed)
            model = construct(args.architecture, state[resized[0]].shape[0], state)
            own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and own[k].shape != state[k].shape]
    if missing or unexpected or wrong:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected)):
            if keys:
                parts.append("%d %s (%s)" % (len(keys), label, ", ".join(keys[:5])
                                             + (", ..." if len(keys) > 5 else "")))
        for k in wrong[:3]:
            parts.append("%s is %s in the weights but %s in the model"
                         % (k, list(state[k].shape), list(own[k].shape)))
        raise ExportError("--weights %s does not fit the model: %s%s" % (
            args.weights, "; ".join(parts),
            "; --classes decides the number of logits" if wrong and classes else ""))
    model.load_state_dict(state)
    return model


# -------------------------------------------------------------------------------- the probe


class Probe:
    """One forward with hooks on every module: what each module returned and how often it ran,
    and which module produced the logits."""

    def __init__(self, model, x):
        self.calls = {}      # name -> number of calls
        self.outputs = {}    # name -> output shape of its (last) call, or None if not a tensor
        self.finished = []   # names in the order their calls returned
        self.types = {}
        produced = {}
        hooks = []

        def hook_for(name):
            def hook(module, inputs, output):
                self.calls[name] = self.calls.get(name, 0) + 1
                self.outputs[name] = tuple(output.shape) if torch.is_tensor(output) else None
                self.finished.append(name)
                if torch.is_tensor(output):
                    produced[name] = output
            return hook

        for name, module in model.named_modules():
            if name:
                self.types[name] = type(module).__name__
                hooks.append(module.register_forward_hook(hook_for(name)))
        try:
            with torch.no_grad():
                logits = model(x)
        finally:
            for h in hooks:
                h.remove()
        if not torch.is_tensor(logits) or logits.dim() != 2:
            raise ExportError("the model's forward returns %s, not the N x classes logits tensor "
                              "ConvLens needs" % describe_value(logits))
        self.num_classes = logits.shape[1]
        modules = dict(model.named_modules())
        self.logit_modules = [n for n, t in produced.items() if t is logits]
        self.linear_head = next((n for n in self.logit_modules
                                 if isinstance(modules[n], nn.Linear)), None)

    def maps(self):
        """Modules that ran once and returned an N x K x h x w tensor, in the order they
        returned."""
        return [n for n in self.finished if self.calls[n] == 1 and self.outputs[n] is not None
                and len(self.outputs[n]) == 4]


def describe_value(v):
    if torch.is_tensor(v):
        return "a tensor of shape %s" % list(v.shape)
    return "a %s" % type(v).__name__


def default_layer(model, probe):
    """The family's layer, else the last module (outermost among those returning the same map)
    that ran once and returned a 4-D map and is not a pooling layer: timm's layer4, bn2, ..."""
    family = FAMILIES.get(type(model).__name__)
    if family:
        return family[1](model)
    maps = [n for n in probe.maps() if "Pool" not in probe.types[n]]
    if not maps:
        raise ExportError("the model has no module that returns an N x K x h x w feature map")
    return maps[-1]


def check_layer(layer, probe, model):
    modules = dict(model.named_modules())
    # The stages a user would pick (at most one dot deep), not every convolution inside them.
    candidates = [n for n in probe.maps() if n.count(".") <= 1]
    shown = ", ".join(candidates[-30:]) + (" (the last 30 of %d)" % len(candidates)
                                           if len(candidates) > 30 else "")
    if layer not in modules:
        raise ExportError("--layer %r is not a module of the model; modules that return a "
                          "feature map once per forward: %s" % (layer, shown))
    if probe.calls.get(layer, 0) != 1:
        raise ExportError("--layer %r runs %d times per forward, so its output is not one feature "
                          "map; modules that run once: %s"
                          % (layer, probe.calls.get(layer, 0), shown))
    if probe.outputs[layer] is None or len(probe.outputs[layer]) != 4:
        raise ExportError("--layer %r returns %s, not an N x K x h x w feature map; candidates: %s"
                          % (layer, probe.outputs[layer], shown))


def choose_head(args, probe, model):
    """The module whose (flattened) input is the embedding: --head, else the linear layer that
    produced the logits."""
    modules = dict(model.named_modules())
    if args.head:
        if args.head not in modules or probe.calls.get(args.head, 0) != 1:
            raise ExportError("--head %r is not a module that runs once per forward; the logits "
                              "come from: %s"
                              % (args.head, ", ".join(probe.logit_modules) or "no module"))
        return args.head
    if probe.linear_head is None:
        raise ExportError("no nn.Linear produces the logits (they come from %s): give --head, "
                          "the module whose input is the embedding"
                          % (", ".join(probe.logit_modules) or "a functional op"))
    return probe.linear_head


# --------------------------------------------------------------------------------- exporting


def exportable(model, layer, head):
    """The same module with forward(x, delta) -> (logits, embedding, feature_map): a subclass
    instance sharing the model's submodules and attributes, so the traced module's parameter
    names are the model's own (conv1.weight, not model.conv1.weight; model-viz matches the
    sidecar's layer names to them). Hooks live only during a forward."""
    cls = type(model)
    modules = dict(model.named_modules())

    def forward(self, x, delta):
        captured = {}

        def add_delta(module, inputs, output):
            feature_map = output + delta
            captured["feature_map"] = feature_map
            # A clone continues the network: in-place ops after the layer (densenet's
            # F.relu(inplace=True)) must not change the feature map returned.
            return feature_map.clone()

        def take_embedding(module, inputs):
            captured["embedding"] = torch.flatten(inputs[0], 1)

        hooks = [modules[layer].register_forward_hook(add_delta),
                 modules[head].register_forward_pre_hook(take_embedding)]
        try:
            logits = cls.forward(self, x)
        finally:
            for h in hooks:
                h.remove()
        # A tuple: ConvLens reads the outputs by the indices given in the sidecar JSON.
        return logits, captured["embedding"], captured["feature_map"]

    wrapped_cls = type("ConvLens" + cls.__name__, (cls,), {"forward": forward})
    wrapped = wrapped_cls.__new__(wrapped_cls)
    wrapped.__dict__ = dict(model.__dict__)
    return wrapped


def hooked_gradients(model, layer, x, targets):
    """Eager autograd without delta: logits, the layer's activation and the gradients of the
    summed target logits w.r.t. x and that activation (taken with hooks)."""
    captured = {}

    def keep(module, inputs, output):
        activation = output.clone()
        activation.retain_grad()
        captured["a"] = activation
        return activation.clone()  # what follows may modify its input in place

    handle = dict(model.named_modules())[layer].register_forward_hook(keep)
    try:
        x = x.clone().requires_grad_(True)
        logits = model(x)
    finally:
        handle.remove()
    if targets is None:
        targets = logits.argmax(dim=1)
    logits[torch.arange(x.shape[0]), targets].sum().backward()
    a = captured["a"]
    return logits.detach(), targets, x.grad.detach(), a.detach(), a.grad.detach()


def relative(got, want):
    """max |got - want| / max |want| (absolute when want is all zeros)."""
    scale = want.abs().max().item()
    diff = (got - want).abs().max().item()
    return diff / scale if scale > 0 else diff


def verify(model, reloaded, layer, shape, channels, seed):
    """Reloaded TorchScript vs eager model at batch 3 (the trace used 2): outputs for a 1x1x1x1
    and a full-shape delta, then the gradient of delta vs the hooked activation gradient.
    Returns (max logit difference, gradient relative difference)."""
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(3, channels, shape[0], shape[1], generator=gen)
    with torch.no_grad():
        eager = model(x)
        logits, _, feature_map = reloaded(x, torch.zeros(1, 1, 1, 1))
        delta = torch.randn(feature_map.shape, generator=gen)
        shifted = reloaded(x, delta)[2]
    logit_diff = (logits - eager).abs().max().item()
    if relative(logits, eager) > 1e-4:
        raise ExportError("the exported module's logits differ from the eager model's by %.3g "
                          "(relative %.3g): the trace did not capture the model (data-dependent "
                          "control flow?)" % (logit_diff, relative(logits, eager)))
    if relative(shifted, feature_map + delta) > 1e-5:
        raise ExportError("the exported module does not add delta to the feature map")
    _, targets, input_grad, activation, layer_grad = hooked_gradients(model, layer, x, None)
    xg = x.clone().requires_grad_(True)
    delta = torch.zeros(feature_map.shape, requires_grad=True)
    out = reloaded(xg, delta)
    out[0][torch.arange(3), targets].sum().backward()
    grad_diff = max(relative(delta.grad, layer_grad), relative(xg.grad, input_grad),
                    relative(out[2].detach(), activation))
    if grad_diff > 1e-4:
        raise ExportError("the gradient of delta differs from the layer's gradient by %.3g "
                          "relative" % grad_diff)
    return logit_diff, grad_diff


def export_relu_backward(model, layer, shape, channels, num_classes, seed):
    """The relu-backward sibling (tools/relu_backward.py) for guided backprop, deconvnet and
    Grad-CAM's backprop modifiers, checked for every rule against full backward hooks (Captum's
    convention) on the eager model's graph with each ReLU call, functional ones too, made an
    nn.ReLU module, and its plain rule against the eager model's gradient. Returns (serialised
    module, ReLU calls, worst relative difference), or (None, 0, why) when torch.fx cannot trace the model; ConvLens then
    refuses those methods for it."""
    try:
        module, relus = relu_backward.segmented_module(model, layer)
    except Exception as e:  # noqa: BLE001  (fx raises many kinds on untraceable code)
        return None, 0, "torch.fx cannot trace it: %s" % one_line(e)
    if relus == 0:
        return None, 0, ("it calls no ReLU (its nonlinearities are others), so the modified "
                         "backward would be the plain gradient")
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    buffer.seek(0)
    module = torch.jit.load(buffer)
    gen = torch.Generator().manual_seed(seed + 3)
    x = torch.randn(3, channels, shape[0], shape[1], generator=gen)
    targets = torch.randint(0, num_classes, (3,), generator=gen)
    reference = relu_backward.traced(model, layer)
    if relu_backward.relu_modules(reference) != relus:
        raise ExportError("the reference and the relu-backward module see different ReLU calls")
    with torch.no_grad():
        fm_shape = reference(x, torch.zeros(1, 1, 1, 1))[1].shape
    delta = torch.zeros(fm_shape)
    worst = 0.0
    for rule in relu_backward.RULES:
        _, gx, gd, _ = relu_backward.run(module, x, delta, targets, rule, num_classes)
        want_x, want_d = relu_backward.hooked(reference, x, delta, targets, rule)
        diff = max(relative(gx, want_x), relative(gd, want_d))
        if diff > 1e-4:
            raise ExportError("the %s backward of the relu-backward module differs from backward "
                              "hooks on the eager model by %.3g relative" % (rule, diff))
        worst = max(worst, diff)
    # The plain rule is the ordinary gradient, which the eager model gives without torch.fx.
    _, gx, gd, _ = relu_backward.run(module, x, delta, targets, "plain", num_classes)
    _, _, want_x, _, want_d = hooked_gradients(model, layer, x, targets)
    diff = max(relative(gx, want_x), relative(gd, want_d))
    if diff > 1e-4:
        raise ExportError("the plain backward of the relu-backward module differs from the eager "
                          "model's gradient by %.3g relative" % diff)
    return buffer.getvalue(), relus, max(worst, diff)


def cam_validity(reloaded, head_module, channels, shape, seed):
    """Whether the network ends in global average pooling of the feature map and one linear
    layer, the only head for which CAM (sum_k w_ck A_k, Zhou et al. 2016) is defined and for which
    ConvLens's reading of w from the gradient (w_ck = h*w * mean_ij dy_c/dA_kij) is exact.
    Checked on the exported module for random inputs: the embedding (the head's input) must be
    the spatial mean of the feature map and the logits the head's affine map of it. A numerical
    test of the gradient alone (constant over space) would also pass a pooled MLP head
    (mobilenet_v3) or a normalised one (convnext). Returns (valid, why not)."""
    if not isinstance(head_module, nn.Linear):
        return False, "the head is a %s, not a linear layer" % type(head_module).__name__
    gen = torch.Generator().manual_seed(seed + 2)
    x = torch.rand(2, channels, shape[0], shape[1], generator=gen) * 2 - 1
    with torch.no_grad():
        logits, embedding, feature_map = reloaded(x, torch.zeros(1, 1, 1, 1))
        if (embedding.shape[1] != feature_map.shape[1]
                or relative(embedding, feature_map.mean(dim=(2, 3))) > 1e-5):
            return False, "the linear layer's input is not the global average of the feature map"
        if relative(logits, F.linear(embedding, head_module.weight, head_module.bias)) > 1e-5:
            return False, "the logits are not the linear layer's output"
    return True, None


def default_resize(height, width):
    """torchvision's ImageNet evaluation ratio: resize the shorter side to 256/224 of the crop."""
    return int(min(height, width) * 256 / 224)


def digest(model, *extra):
    """A short hash of the weights and the export settings, for the description's id (ConvLens
    caches models by id, so different weights must not share one)."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    h.update(json.dumps(extra).encode())
    return h.hexdigest()[:12]


def write_atomically(path, write):
    """Writes through a temporary file in the same folder, then renames it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=folder)
    umask = os.umask(0)
    os.umask(umask)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the model from other users
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def export(args):
    classes = read_classes(args.classes)
    height, width = args.input_size or (224, 224)
    channels = len(args.mean)
    if len(args.std) != channels or channels not in (1, 3):
        raise ExportError("--mean and --std need one value per input channel (1 or 3), got %d "
                          "and %d" % (len(args.mean), len(args.std)))
    if any(s <= 0 for s in args.std):
        raise ExportError("--std values must be > 0")
    resize = default_resize(height, width) if args.resize is None else args.resize
    if resize < 0:
        raise ExportError("--resize must be >= 0 (0 = straight to the input size, no crop)")
    started = time.time()
    model, name, source = build(args, classes)
    name = args.name or name
    x = torch.zeros(1, channels, height, width)
    try:
        probe = Probe(model, x)
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001
        raise ExportError("a forward of %s on a 1x%dx%dx%d input failed (--input-size or --mean "
                          "wrong for this model?): %s" % (name, channels, height, width,
                                                          one_line(e)))
    if classes is None:
        classes = ["class_%d" % i for i in range(probe.num_classes)]
    elif len(classes) != probe.num_classes:
        raise ExportError("--classes %s lists %d names but the model has %d logits"
                          % (args.classes, len(classes), probe.num_classes))
    layer = args.layer or default_layer(model, probe)
    check_layer(layer, probe, model)
    head = choose_head(args, probe, model)

    wrapped = exportable(model, layer, head)
    with warnings.catch_warnings():
        # verify() below runs the reloaded module at another batch size and both delta shapes,
        # which catches what the tracer's warnings are about.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        with torch.no_grad():
            traced = torch.jit.trace(wrapped, (torch.zeros(2, channels, height, width),
                                               torch.zeros(1, 1, 1, 1)), check_trace=False)
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    buffer.seek(0)
    reloaded = torch.jit.load(buffer)
    logit_diff, grad_diff = verify(model, reloaded, layer, (height, width), channels, args.seed)
    with torch.no_grad():
        _, embedding, feature_map = reloaded(x, torch.zeros(1, 1, 1, 1))
    feature_shape = list(feature_map.shape[1:])
    cam_ok, cam_why = cam_validity(reloaded, dict(model.named_modules())[head], channels,
                                   (height, width), args.seed)

    relu_module, relu_calls, relu_check = export_relu_backward(
        model, layer, (height, width), channels, len(classes), args.seed)
    relu_note = ("%s%s: guided backprop, deconvnet and Grad-CAM's backprop modifiers, %d ReLU "
                 "calls cut (tools/relu_backward.py)." % (name, relu_backward.SUFFIX, relu_calls)
                 if relu_module is not None else
                 "No relu-backward module (%s): ConvLens refuses guided backprop, deconvnet, "
                 "Guided Grad-CAM and Grad-CAM's backprop modifiers for this model." % relu_check)
    family = FAMILIES.get(type(model).__name__, ("other",))[0]
    cam_note = ("CAM is valid: the head after %s is global average pooling + one linear layer."
                % layer if cam_ok else
                "CAM is not valid: the head after %s is not global average pooling + one linear "
                "layer (%s); use gradcam, and leave cam out of analyze.methods." % (layer, cam_why))
    description = {
        "formatVersion": 1,
        "id": args.id or "%s-%s" % (name, digest(model, layer, head, [height, width], classes)),
        "engine": "torchscript",
        "architecture": "%s; family %s, feature map %s, embedding = input of %s"
                        % (source, family, layer, head),
        "artifact": name + ".pt",
        "epoch": 0,
        "input": {"channels": channels, "height": height, "width": width},
        "preprocessing": {"resize": resize, "mean": list(args.mean), "std": list(args.std)},
        "classNames": classes,
        "outputs": {"logits": 0, "embedding": 1, "featureMap": 2, "featureLayer": layer,
                    "featureMapDelta": True, "featureMapShape": feature_shape},
        "testAccuracy": None,
        "layers": leaf_layers(model, x),
        "notes": "Exported by tools/export_model.py (PyTorch %s, torchvision %s, seed %d) from %s. "
                 "forward(x, delta) -> (logits, embedding, feature_map). %s %s"
                 % (torch.__version__, torchvision.__version__, args.seed, source, cam_note,
                    relu_note),
    }

    os.makedirs(args.out, exist_ok=True)
    pt_path = os.path.join(args.out, name + ".pt")
    json_path = os.path.join(args.out, name + ".json")
    write_atomically(pt_path, lambda f: f.write(buffer.getvalue()))
    relu_path = os.path.join(args.out, name + relu_backward.SUFFIX)
    if relu_module is not None:
        write_atomically(relu_path, lambda f: f.write(relu_module))
    elif os.path.exists(relu_path):
        os.remove(relu_path)  # a stale sibling from an earlier export must not be used
    write_atomically(json_path, lambda f: f.write(
        (json.dumps(description, indent=2) + "\n").encode("utf-8")))
    # The file on disk must be the module checked above.
    with torch.no_grad():
        again = torch.jit.load(pt_path)(x, torch.zeros(1, 1, 1, 1))[0]
        if not torch.equal(again, reloaded(x, torch.zeros(1, 1, 1, 1))[0]):
            raise ExportError("%s does not reload to the module that was checked" % pt_path)
    if args.reference:
        reference(model, layer, head, description, args.reference,
                  os.path.join(args.out, name + ".reference.json"), cam_ok)
    print("export_model: %s -> %s (%.1f MiB) + %s: input %dx%dx%d, %d classes, feature map %s "
          "%s, embedding %d (input of %s), CAM %s; reloaded vs eager: logits within %.1e, "
          "delta gradient within %.1e relative; relu-backward %s; %.1f s"
          % (name, pt_path, len(buffer.getvalue()) / 2**20, os.path.basename(json_path), channels,
             height, width, len(classes), layer, "x".join(map(str, feature_shape)),
             embedding.shape[1], head, "valid" if cam_ok else "not valid", logit_diff, grad_diff,
             ("%d ReLU calls, hooks within %.1e relative" % (relu_calls, relu_check))
             if relu_module is not None else "none (" + relu_check + ")",
             time.time() - started))
    return description, cam_ok


# --------------------------------------------------------------------------------- reference


def preprocess(description):
    """torchvision's transforms for the sidecar's preprocessing; ConvLens's Preprocessor
    reproduces them to the bit."""
    size = (description["input"]["height"], description["input"]["width"])
    p = description["preprocessing"]
    steps = [transforms.Resize(size)] if p["resize"] == 0 else [
        transforms.Resize(p["resize"]), transforms.CenterCrop(size)]
    if description["input"]["channels"] == 1:
        steps.insert(0, transforms.Grayscale())
    return transforms.Compose(steps + [transforms.ToTensor(),
                                       transforms.Normalize(p["mean"], p["std"])])


def reference(model, layer, head, description, folder, out_path, cam_ok):
    """PyTorch's values for every image in `folder`, as ConvLens's analyze computes them, target
    = the predicted class: logits, embedding, saliency (max_c |d logit / d x_c|), the signed
    gradient, Grad-CAM (ReLU(sum_k alpha_k A_k), alpha_k = spatial mean of the gradient) and CAM
    (sum_k w_ck A_k with w the head's weight row, the paper's definition; null where not valid),
    both upsampled bilinearly (align_corners=False) to the input size; when the model calls ReLUs,
    guided_backprop, deconvnet (full backward hooks on every ReLU call) and guided_gradcam (guided
    x Grad-CAM), each as max_c |.| and _signed. Raw, not normalised."""
    from PIL import Image

    if not os.path.isdir(folder):
        raise ExportError("--reference: no such folder: %s" % folder)
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise ExportError("--reference: no images (%s) in %s"
                          % (", ".join(IMAGE_EXTENSIONS), folder))
    pre = preprocess(description)
    size = (description["input"]["height"], description["input"]["width"])
    modules = dict(model.named_modules())
    try:  # the modified-backprop methods' reference: hooks on every ReLU call (Captum's way)
        relu_graph = relu_backward.traced(model, layer)
        if relu_backward.relu_modules(relu_graph) == 0:
            relu_graph = None
    except Exception:  # noqa: BLE001  (no relu-backward module either: ConvLens refuses them)
        relu_graph = None
    images = []
    for first in range(0, len(files), REFERENCE_BATCH):
        batch = files[first:first + REFERENCE_BATCH]
        x = []
        for f in batch:
            with Image.open(os.path.join(folder, f)) as image:
                x.append(pre(image.convert("RGB")))
        embeddings = {}

        def take_embedding(module, inputs):
            embeddings["e"] = torch.flatten(inputs[0], 1).detach()  # returns None: input unchanged

        handle = modules[head].register_forward_pre_hook(take_embedding)
        try:
            logits, targets, input_grad, activation, layer_grad = hooked_gradients(
                model, layer, torch.stack(x), None)
        finally:
            handle.remove()
        alpha = layer_grad.mean(dim=(2, 3), keepdim=True)
        gradcam = F.interpolate(torch.relu((alpha * activation).sum(dim=1, keepdim=True)),
                                size=size, mode="bilinear", align_corners=False)[:, 0]
        cam = None
        if cam_ok:
            weight = modules[head].weight if isinstance(modules[head], nn.Linear) else None
            if weight is not None and weight.shape[1] == activation.shape[1]:
                w = weight.detach()[targets][:, :, None, None]
            else:  # the weights as ConvLens reads them: h*w times the mean gradient
                w = alpha * activation.shape[2] * activation.shape[3]
            cam = F.interpolate((w * activation).sum(dim=1, keepdim=True), size=size,
                                mode="bilinear", align_corners=False)[:, 0]
        modified = {}
        if relu_graph is not None:
            for rule, name in (("guided", "guided_backprop"), ("deconvnet", "deconvnet")):
                modified[name], _ = relu_backward.hooked(relu_graph, torch.stack(x),
                                                         torch.zeros(1, 1, 1, 1), targets, rule)
            modified["guided_gradcam"] = modified["guided_backprop"] * gradcam.unsqueeze(1)
        for i, f in enumerate(batch):
            maps = {}
            for name, values in modified.items():
                maps[name] = values[i].abs().max(dim=0).values.flatten().tolist()
                maps[name + "_signed"] = values[i].flatten().tolist()
            images.append(dict({
                "file": f,
                "logits": logits[i].tolist(),
                "target": int(targets[i]),
                "embedding": embeddings["e"][i].tolist(),
                "saliency": input_grad[i].abs().max(dim=0).values.flatten().tolist(),
                "saliency_signed": input_grad[i].flatten().tolist(),
                "gradcam": gradcam[i].flatten().tolist(),
                "cam": None if cam is None else cam[i].flatten().tolist(),
            }, **maps))
    result = {"model": description["id"], "torch": torch.__version__,
              "shape": [description["input"]["channels"], size[0], size[1]], "images": images}
    write_atomically(out_path, lambda f: f.write(json.dumps(result).encode("utf-8")))


# --------------------------------------------------------------------------------- self-test


def self_test(args):
    """Exports each architecture at 64x64 or --input-size (random weights, 10 classes) into a
    temporary folder (or --out) with the full verification, checks the CAM verdict of the
    default ones, and prints the time of each."""
    names = args.self_test or list(SELF_TEST)
    unknown = [n for n in names if n not in known_architectures()]
    if unknown:
        raise ExportError("--self-test: unknown architecture(s) %s; known: %s"
                          % (", ".join(unknown), ", ".join(known_architectures())))
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="convlens-export-") as tmp:
        classes = os.path.join(tmp, "classes.txt")
        with open(classes, "w") as f:
            f.write("".join("c%d\n" % i for i in range(10)))
        for arch in names:
            size = "%dx%d" % (args.input_size or (64, 64))
            argv = [arch, "--input-size", size, "--classes", classes, "--seed", str(args.seed),
                    "--out", args.out if args.out != "." else tmp]
            _, cam_ok = export(parser().parse_args(argv))
            if arch in SELF_TEST and cam_ok != SELF_TEST[arch]:
                raise ExportError("--self-test: CAM should be %s for %s"
                                  % ("valid" if SELF_TEST[arch] else "not valid", arch))
    print("export_model: self-test passed for %d architectures in %.1f s"
          % (len(names), time.time() - started))


def one_line(e):
    text = str(e).strip().splitlines()
    return text[-1] if text else type(e).__name__


def parser():
    p = argparse.ArgumentParser(
        prog="export_model.py",
        description="Export a PyTorch classifier for ConvLens: <out>/<name>.pt (TorchScript, "
                    "forward(x, delta) -> (logits, embedding, feature_map)) and <out>/<name>.json "
                    "(its model description).",
        epilog="Default feature-map layers: " + "; ".join(
            "%s: %s" % (family, layer) for family, _, layer in FAMILIES.values())
            + ". Other modules: the last module that returns a 4-D map and is not pooling.")
    p.add_argument("architecture", nargs="?",
                   help="a torchvision architecture (resnet50, vgg16, densenet121, "
                        "mobilenet_v3_large, efficientnet_b0, convnext_tiny, ...)")
    p.add_argument("--module", metavar="FILE",
                   help="instead of an architecture: an nn.Module saved with "
                        "torch.save(model, FILE)")
    p.add_argument("--weights", metavar="FILE",
                   help="state_dict to load (torch.save'd dict, checkpoint with 'state_dict', or "
                        "a TorchScript file of the same architecture); default: random weights")
    p.add_argument("--layer", metavar="NAME",
                   help="module whose output is the feature map (Grad-CAM/CAM); default per family")
    p.add_argument("--head", metavar="NAME",
                   help="module whose input is the embedding; default: the linear layer that "
                        "produces the logits")
    p.add_argument("--classes", metavar="FILE",
                   help="class names, one per line, in logit order; default class_0..class_N-1. "
                        "With an architecture and no --weights it sets the number of logits")
    p.add_argument("--input-size", type=parse_size, metavar="N|HxW",
                   help="model input size (default 224; 64 with --self-test)")
    p.add_argument("--resize", type=int, metavar="N",
                   help="resize the shorter side to N before the centre crop (0 = straight to "
                        "the input size); default: input side x 256/224 (256 for 224)")
    p.add_argument("--mean", type=float, nargs="+", default=IMAGENET_MEAN,
                   help="per-channel mean on the [0,1] scale (default ImageNet's)")
    p.add_argument("--std", type=float, nargs="+", default=IMAGENET_STD,
                   help="per-channel std on the [0,1] scale (default ImageNet's)")
    p.add_argument("--name", help="file name stem (default: the architecture or module file name)")
    p.add_argument("--id", help="model id in the description (default: name + a hash of the "
                                "weights and these settings)")
    p.add_argument("--out", default=".", metavar="DIR", help="output folder (default: .)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the random weights and the check inputs (default 0)")
    p.add_argument("--reference", metavar="DIR",
                   help="also write <name>.reference.json: PyTorch's logits, saliency, Grad-CAM "
                        "and CAM for the images in DIR, to compare with convlens analyze")
    p.add_argument("--self-test", nargs="*", metavar="ARCH",
                   help="export these architectures (default: %s) at 64x64 (or --input-size) "
                        "and verify each"
                        % ", ".join(SELF_TEST))
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    try:
        if args.self_test is not None:
            self_test(args)
            return 0
        if bool(args.architecture) == bool(args.module):
            p.error("give an architecture name or --module FILE (one of them)")
        export(args)
        return 0
    except ExportError as e:
        print("export_model: error: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
