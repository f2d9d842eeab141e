#!/usr/bin/env python3
"""Computes, with PyTorch on the committed tiny_cnn.pt, the raw map of every ConvLens attribution
method for three kinds of target, as the reference values of the Java method table
(AttributionTableTest).

Run from any directory (PyTorch >= 1.13):  /usr/bin/python3 make_method_table.py
Reads tiny_cnn.pt and the inputs of tiny_cnn_reference.json (both made by make_test_model.py);
writes method_table_reference.json next to this script. Nothing is random except SmoothGrad's
noise, which is drawn exactly as ConvLens draws it (see java_noise), so the file is the same on
every run with the same PyTorch build.

Each method follows its paper and the PyTorch/Captum convention for its raw map, on the score
= the target's logit, w.r.t. the normalised input x (what the model sees):
  saliency          max_c |d score / d x_c| per pixel (Simonyan et al. 2014; Captum Saliency)
  saliency_signed   d score / d x, all channels
  smoothgrad        mean over noisy copies of max_c |gradient| (Smilkov et al. 2017, averaged as
                    Captum's NoiseTunnel(Saliency), which takes abs first)
  gradcam           relu(sum_k alpha_k A_k), alpha_k = spatial mean of d score / d A_k, bilinear
                    (align_corners=False) to the input size (Selvaraju et al. 2017)
  cam               sum_k w_ck A_k with w the weights of the linear head, no ReLU (Zhou et al.
                    2016), upsampled the same way
  gradient_x_input  x * d score / d x (Shrikumar et al. 2016; Captum InputXGradient), summed over
                    channels as Captum's visualize_image_attr does
  gradcam_plus_plus relu(sum_k w_k A_k), w_k = sum_ij alpha_kij relu(g_kij), alpha = g^2 / (2 g^2 +
                    (sum_ab A_kab) g^3), 0 where that denominator is 0 (Chattopadhay et al. 2018,
                    eq. 19 without the factor exp(score), as jacobgil/pytorch-grad-cam but without
                    its eps), upsampled as gradcam
  layercam          relu(sum_k relu(g_k) * A_k) per position (Jiang et al. 2021), upsampled as gradcam
  integrated_gradients
                    (x - x') * sum_s step_s * d score / d x at x' + alpha_s (x - x'), Captum's
                    IntegratedGradients with its default "gausslegendre" rule (alpha, step from
                    numpy's leggauss mapped to [0, 1]), summed over channels; x' the image blurred
                    as ConvLens blurs it (ImageOps.blur); and its completeness error
                    integrated_gradients_delta = sum of attributions - (F(x) - F(x')), Captum's
                    compute_convergence_delta (Sundararajan et al. 2017)
  guided_backprop   max_c |guided backward signal| (Springenberg et al. 2015) and _signed, all channels
  deconvnet         the same with the deconvnet rule (Zeiler & Fergus 2014); both from full backward
                    hooks on the ReLU modules as Captum's GuidedBackprop / Deconvolution, on
                    tiny_cnn.pt's eager twin (its weights, each torch.relu call an nn.ReLU module)
  guided_gradcam    guided backprop x the bilinearly upsampled gradcam map (Selvaraju et al. 2017),
                    every channel (_signed) and max_c |.|
  occlusion         Captum's Occlusion windows with the black baseline: per position the target's
                    softmax probability, its drop against the unoccluded input, the arg-max class
"""
import json
import os
import sys

import numpy
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_test_model import CLASSES, SIZE, TinyCnn, grad_cam, occlusion  # noqa: E402  (the fixture's own helpers)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import relu_backward  # noqa: E402  (the repository's tools/)

# The settings the Java table runs every method with; it reads them from the output file.
SEED = 7
SMOOTHGRAD_SAMPLES = 4
SMOOTHGRAD_NOISE = 0.15
OCCLUSION = [(4, 3), (6, 4)]  # (window, stride); baseline black, as make_test_model.occlusion
IG_STEPS = 50                 # Captum's default n_steps
IG_QUADRATURE = "gausslegendre"
IG_BASELINE = "blurred"       # the baseline that needs the most code on both sides
IG_BLUR_SIGMA = 1.5           # input pixels
IDS = ["x0", "x1", "x2"]      # the image ids the Java table passes: they seed SmoothGrad's noise
# The targets: the prediction, a label per input, and one class named for every input.
LABELS = [1, 3, 0]
NAMED_CLASS = "triangle"

MASK64 = (1 << 64) - 1


class JavaSplittableRandom:
    """java.util.SplittableRandom(seed): SplitMix64 (Steele, Lea & Flood 2014) with the golden
    gamma; nextDouble = (nextLong >>> 11) * 2^-53 (Java 17's RandomSupport)."""

    GAMMA = 0x9E3779B97F4A7C15

    def __init__(self, seed):
        self.seed = seed & MASK64

    def next_long(self):
        self.seed = (self.seed + self.GAMMA) & MASK64
        z = self.seed
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next_double(self):
        return (self.next_long() >> 11) * 2.0 ** -53


def java_string_hash(s):
    """String.hashCode: s[0]*31^(n-1) + ... + s[n-1], as a signed 32-bit int."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def java_noise(seed, image_id, n):
    """The n standard normal draws ConvLens's SmoothGrad takes for one image, in order: its
    generator is seeded with seed ^ (long) id.hashCode() * 0x9E3779B97F4A7C15 (two's complement,
    64 bits) and each draw is Box-Muller on two nextDouble calls (util.Gaussian)."""
    import math
    r = JavaSplittableRandom(seed ^ ((java_string_hash(image_id) * 0x9E3779B97F4A7C15) & MASK64))
    out = []
    for _ in range(n):
        u = 1.0 - r.next_double()
        v = r.next_double()
        out.append(math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v))
    return out


def smoothgrad(traced, image, image_id, target):
    """Mean over SMOOTHGRAD_SAMPLES noisy copies of max_c |d logit_target / d x|. The noise is
    sigma * N(0, 1) with sigma = noise * (max - min) of the image (float32 range, double product),
    each noisy value rounded to float32, as ConvLens computes it."""
    flat = image.flatten()
    value_range = float(flat.max() - flat.min())  # a float32 subtraction, as in Java
    sigma = SMOOTHGRAD_NOISE * value_range
    draws = torch.tensor(java_noise(SEED, image_id, SMOOTHGRAD_SAMPLES * flat.numel()),
                         dtype=torch.float64).reshape(SMOOTHGRAD_SAMPLES, -1)
    noisy = (flat.double().unsqueeze(0) + sigma * draws).float().reshape(-1, *image.shape)
    noisy.requires_grad_(True)
    logits, _, _ = traced(noisy, torch.zeros(1, 1, 1, 1))
    logits[:, target].sum().backward()
    maps = noisy.grad.abs().amax(dim=1)  # samples x H x W
    total = torch.zeros(SIZE, SIZE)
    for s in range(SMOOTHGRAD_SAMPLES):   # summed in order, then divided, in float32 as ConvLens
        total += maps[s]
    return total / SMOOTHGRAD_SAMPLES


def java_blur(images, sigma):
    """ImageOps.blur(gaussianKernel(sigma)): a separable Gaussian of radius ceil(3 sigma), its
    float32 taps normalised by their double sum, rows then columns, edges clamped (the index
    clamped, not padded with zeros) -- on N x C x H x W float32 images."""
    import math
    r = math.ceil(3 * sigma)
    taps = [math.exp(-(i * i) / (2 * sigma * sigma)) for i in range(-r, r + 1)]
    kernel = torch.tensor(taps, dtype=torch.float32) / torch.tensor(sum(taps), dtype=torch.float32)
    offsets = torch.arange(-r, r + 1)
    cols = (torch.arange(images.shape[3]).unsqueeze(1) + offsets).clamp(0, images.shape[3] - 1)  # W x taps
    rows = (torch.arange(images.shape[2]).unsqueeze(1) + offsets).clamp(0, images.shape[2] - 1)  # H x taps
    across = (images[:, :, :, cols] * kernel).sum(dim=-1)                      # N x C x H x W
    return (across[:, :, rows, :] * kernel.view(-1, 1)).sum(dim=3)            # N x C x H x taps x W


def integrated_gradients(traced, inputs, targets):
    """Captum's IntegratedGradients.attribute(inputs, baselines, target, n_steps=IG_STEPS,
    method="gausslegendre", return_convergence_delta=True), written out (Captum is not a
    dependency): the path points of every step and input in one batch, step-major; the gradients
    weighted by the float32 step sizes and summed over steps; times (x - x')."""
    n = inputs.shape[0]
    nodes, weights = numpy.polynomial.legendre.leggauss(IG_STEPS)
    alphas = [float(a) for a in 0.5 * (1 + nodes)]       # [-1, 1] -> [0, 1]
    step_sizes = [float(w) for w in 0.5 * weights]       # a total of 2 -> 1
    baselines = java_blur(inputs, IG_BLUR_SIGMA)
    path = torch.cat([baselines + alpha * (inputs - baselines) for alpha in alphas], dim=0).requires_grad_()
    logits, _, _ = traced(path, torch.zeros(1, 1, 1, 1))
    logits[torch.arange(n * IG_STEPS), torch.tensor(list(targets) * IG_STEPS)].sum().backward()
    scaled = path.grad.contiguous().view(IG_STEPS, -1) * torch.tensor(step_sizes).view(IG_STEPS, 1)
    total = scaled.reshape(IG_STEPS, n, *inputs.shape[1:]).sum(dim=0)
    attributions = total * (inputs - baselines)
    with torch.no_grad():
        end, _, _ = traced(inputs, torch.zeros(1, 1, 1, 1))
        start, _, _ = traced(baselines, torch.zeros(1, 1, 1, 1))
    picked = torch.arange(n), torch.tensor(targets)
    delta = attributions.reshape(n, -1).sum(dim=1) - (end[picked] - start[picked])
    return attributions.sum(dim=1), delta


def upsample(maps):
    return F.interpolate(maps.unsqueeze(1), size=(SIZE, SIZE), mode="bilinear", align_corners=False)[:, 0]


def grad_cam_plus_plus(feature_map, feature_grad):
    """Grad-CAM++'s closed form on the layer's activation A and gradient g (N x K x h x w), in
    float64 so that g^3 cannot underflow, upsampled to the input size."""
    a, g = feature_map.double(), feature_grad.double()
    g2 = g * g
    denominator = 2 * g2 + a.sum(dim=(2, 3), keepdim=True) * g2 * g
    alpha = torch.where(denominator != 0, g2 / torch.where(denominator != 0, denominator, torch.ones_like(g)),
                        torch.zeros_like(g))
    weights = (alpha * torch.relu(g)).sum(dim=(2, 3), keepdim=True)
    return upsample(torch.relu((weights * a).sum(dim=1))).float()


def layer_cam(feature_map, feature_grad):
    """LayerCAM: the activation weighted per position by its rectified gradient, upsampled."""
    return upsample(torch.relu((torch.relu(feature_grad) * feature_map).sum(dim=1)))


def methods_for(traced, inputs, targets):
    """Every method's raw values for one choice of target per input."""
    n = inputs.shape[0]
    with torch.no_grad():
        plain_logits, _, _ = traced(inputs, torch.zeros(1, 1, 1, 1))
    probs = torch.softmax(plain_logits, dim=1)

    # One backward gives d score / d x and d score / d feature_map (through delta); the inputs
    # are independent, so input i's gradient is that of its own target logit.
    x = inputs.clone().requires_grad_(True)
    fm_shape = traced(inputs[:1], torch.zeros(1, 1, 1, 1))[2].shape[1:]
    delta = torch.zeros(n, *fm_shape, requires_grad=True)
    logits, _, feature_map = traced(x, delta)
    logits[torch.arange(n), torch.tensor(targets)].sum().backward()
    g, feature_grad, feature_map = x.grad.detach(), delta.grad.detach(), feature_map.detach()

    gradcam, _, _ = grad_cam(feature_map, feature_grad)
    head = traced.fc.weight.detach()  # classes x K
    cam = upsample(torch.einsum("nk,nkhw->nhw", head[torch.tensor(targets)], feature_map))
    # ConvLens reads w_ck from the gradient (h*w * alpha_k): the same map for a GAP + linear head.
    h, w = feature_map.shape[2:]
    cam_from_gradient = upsample(h * w * (feature_grad.mean(dim=(2, 3), keepdim=True) * feature_map).sum(dim=1))
    assert torch.allclose(cam, cam_from_gradient, rtol=1e-4, atol=1e-6), (cam - cam_from_gradient).abs().max()

    twin = TinyCnn().eval()
    twin.load_state_dict(traced.state_dict())
    twin = relu_backward.traced(twin)
    assert relu_backward.relu_modules(twin) == 2
    t = torch.tensor(targets)
    guided, _ = relu_backward.hooked(twin, inputs, torch.zeros(1, 1, 1, 1), t, "guided")
    deconvnet, _ = relu_backward.hooked(twin, inputs, torch.zeros(1, 1, 1, 1), t, "deconvnet")
    guided_gradcam = guided * gradcam.unsqueeze(1)

    maps = {
        "saliency": g.abs().amax(dim=1),
        "saliency_signed": g,
        "smoothgrad": torch.stack([smoothgrad(traced, inputs[i], IDS[i], targets[i]) for i in range(n)]),
        "gradcam": gradcam,
        "cam": cam,
        "gradient_x_input": (inputs * g).sum(dim=1),
        "gradcam_plus_plus": grad_cam_plus_plus(feature_map, feature_grad),
        "layercam": layer_cam(feature_map, feature_grad),
        "guided_backprop": guided.abs().amax(dim=1),
        "guided_backprop_signed": guided,
        "deconvnet": deconvnet.abs().amax(dim=1),
        "deconvnet_signed": deconvnet,
        "guided_gradcam": guided_gradcam.abs().amax(dim=1),
        "guided_gradcam_signed": guided_gradcam,
    }
    ig_map, ig_delta = integrated_gradients(traced, inputs, targets)
    maps["integrated_gradients"] = ig_map.detach()
    # Columns that are one number per image, by column name.
    scalars = {"integrated_gradients_delta": [float32(v) for v in ig_delta.tolist()]}
    grids = []
    for i in range(n):
        p0 = float(probs[i, targets[i]])
        image_grids = []
        for window, stride in OCCLUSION:
            o = occlusion(traced, inputs[i], targets[i], window, stride)
            prob = [p for row in o["target_prob"] for p in row]
            image_grids.append({"window": window, "stride": stride, "rows": o["rows"], "cols": o["cols"],
                                "target_prob": prob, "drop": [p0 - p for p in prob],
                                "argmax": [a for row in o["argmax"] for a in row]})
        grids.append(image_grids)
    return {
        "targets": list(targets),
        "maps": {name: [[float32(v) for v in t.flatten().tolist()] for t in values]
                 for name, values in maps.items()},
        "values": scalars,
        "occlusion": [[dict(grid, target_prob=[float32(v) for v in grid["target_prob"]],
                            drop=[float32(v) for v in grid["drop"]]) for grid in image] for image in grids],
    }


def float32(v):
    """A float32 value with the 9 significant digits that round-trip it (a shorter file)."""
    return float("%.9g" % v)


def main():
    traced = torch.jit.load(os.path.join(HERE, "tiny_cnn.pt")).eval()
    with open(os.path.join(HERE, "tiny_cnn_reference.json")) as f:
        fixture = json.load(f)
    inputs = torch.tensor(fixture["inputs"], dtype=torch.float32).reshape(-1, 3, SIZE, SIZE)
    assert inputs.shape[0] == len(IDS) == len(LABELS)
    with torch.no_grad():
        logits, _, _ = traced(inputs, torch.zeros(1, 1, 1, 1))
    predicted = logits.argmax(dim=1).tolist()
    assert predicted == fixture["targets"], (predicted, fixture["targets"])
    targets = {
        "predicted": predicted,
        "label": LABELS,
        "class": [CLASSES.index(NAMED_CLASS)] * len(IDS),
    }
    reference = {
        "model": "tiny_cnn.pt",
        "inputs": "the inputs of tiny_cnn_reference.json",
        "torch": torch.__version__,
        "ids": IDS,
        "labels": LABELS,
        "named_class": NAMED_CLASS,
        "settings": {"seed": SEED, "smoothgrad_samples": SMOOTHGRAD_SAMPLES, "smoothgrad_noise": SMOOTHGRAD_NOISE,
                     "occlusion_windows": [w for w, _ in OCCLUSION], "occlusion_strides": [s for _, s in OCCLUSION],
                     "occlusion_baseline": "black",
                     "integrated_gradients_steps": IG_STEPS, "integrated_gradients_quadrature": IG_QUADRATURE,
                     "integrated_gradients_baseline": IG_BASELINE, "integrated_gradients_blur_sigma": IG_BLUR_SIGMA},
        "targets": {kind: methods_for(traced, inputs, t) for kind, t in targets.items()},
    }
    # The predicted target's gradient must be the one make_test_model.py recorded.
    got = torch.tensor(reference["targets"]["predicted"]["maps"]["saliency_signed"])
    want = torch.tensor(fixture["input_gradients"])
    assert torch.allclose(got, want, rtol=1e-5, atol=1e-7), (got - want).abs().max()
    out = os.path.join(HERE, "method_table_reference.json")
    with open(out, "w") as f:
        json.dump(reference, f, separators=(",", ":"))
        f.write("\n")
    print("wrote method_table_reference.json (%d bytes)" % os.path.getsize(out))


if __name__ == "__main__":
    main()
