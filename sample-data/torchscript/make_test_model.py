#!/usr/bin/env python3
"""Builds the tiny TorchScript classifier ConvLens uses in its tests, with its sidecar JSON and
reference outputs computed by PyTorch itself.

Run from any directory (PyTorch >= 1.13):  python3 make_test_model.py
(`make_test_model.py --relu-backward` writes only tiny_cnn.relu-backward.pt, from tiny_cnn.pt.)
Writes, next to this script:
  tiny_cnn.pt                traced module; forward(x, delta) -> (logits, embedding, feature_map)
  tiny_cnn.relu-backward.pt  its relu-backward sibling (tools/relu_backward.py): guided backprop,
                             deconvnet and Grad-CAM's backprop modifiers
  one_relu.pt, one_relu.json, one_relu.relu-backward.pt
                             a one-ReLU network with hand-chosen weights (the known answers of
                             the modified backward)
  tiny_cnn.json              ConvLens model description (the sidecar of tiny_cnn.pt)
  tiny_cnn_reference.json    seeded inputs and what torch computes for them: logits, embeddings,
                             input/feature-map gradients, Grad-CAM and occlusion maps
Everything is seeded, so the weights and the reference numbers are the same on every run with
the same PyTorch build (the .pt bytes may differ between PyTorch versions).
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from torch_layers import feature_map_shape, leaf_layers  # noqa: E402  (the repository's tools/)
import relu_backward  # noqa: E402  (the repository's tools/)
SIZE = 16
CLASSES = ["circle", "square", "triangle", "star"]
MEAN, STD = 0.5, 0.25       # the preprocessing of the sidecar, the same for all three channels
BLACK = (0.0 - MEAN) / STD  # the occlusion baseline "black" in normalised space: -2.0
OCCLUSION_WINDOWS = [(4, 3), (6, 4)]  # (window, stride), square, over all channels


class TinyCnn(nn.Module):
    """conv(3->8)-ReLU-conv(8->16)-ReLU, global average pooling -> 16-d embedding, linear -> 4."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.fc = nn.Linear(16, len(CLASSES))

    def forward(self, x, delta):
        # delta is added to the feature map and broadcast: a 1x1x1x1 zero for plain inference, a
        # zero tensor of the full feature-map shape requiring grad when the gradient of the feature
        # map is wanted (its grad is d output / d feature_map, from the same backward as d x).
        feature_map = torch.relu(self.conv2(torch.relu(self.conv1(x)))) + delta
        embedding = feature_map.mean(dim=(2, 3))
        logits = self.fc(embedding)
        # A tuple: ConvLens reads the outputs by the indices given in the sidecar JSON.
        return logits, embedding, feature_map


def main():
    torch.manual_seed(20240601)
    model = TinyCnn().eval()  # trace in eval mode (dropout/batch-norm behaviour is baked in)

    example = (torch.zeros(2, 3, SIZE, SIZE), torch.zeros(1, 1, 1, 1))
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    check_trace(model, traced)
    traced.save(os.path.join(HERE, "tiny_cnn.pt"))
    write_relu_backward()
    write_one_relu()

    description = {
        "formatVersion": 1,
        "id": "tiny-torchscript-test",
        "engine": "torchscript",
        "architecture": "tiny CNN: conv3x3(3->8)-ReLU-conv3x3(8->16)-ReLU, GAP, linear(16->4)",
        "artifact": "tiny_cnn.pt",
        "epoch": 0,
        "input": {"channels": 3, "height": SIZE, "width": SIZE},
        "preprocessing": {"resize": SIZE, "mean": [MEAN] * 3, "std": [STD] * 3},
        "classNames": CLASSES,
        "outputs": {"logits": 0, "embedding": 1, "featureMap": 2, "featureLayer": "conv2",
                    "featureMapDelta": True,
                    "featureMapShape": feature_map_shape(model, 2, torch.zeros(1, 3, SIZE, SIZE),
                                                         torch.zeros(1, 1, 1, 1))},
        "testAccuracy": None,
        "layers": leaf_layers(model, torch.zeros(1, 3, SIZE, SIZE), torch.zeros(1, 1, 1, 1)),
        "notes": "Untrained, randomly initialised (torch.manual_seed(20240601)) test fixture; "
                 "made by make_test_model.py with PyTorch " + torch.__version__ + ".",
    }
    with open(os.path.join(HERE, "tiny_cnn.json"), "w") as f:
        json.dump(description, f, indent=2)
        f.write("\n")

    # Reference outputs from the traced module, as the Java side will run it.
    gen = torch.Generator().manual_seed(7)
    inputs = torch.randn(3, 3, SIZE, SIZE, generator=gen)
    with torch.no_grad():
        logits, embedding, _ = traced(inputs, torch.zeros(1, 1, 1, 1))
        eager_logits, _, _ = model(inputs, torch.zeros(1, 1, 1, 1))
    assert torch.allclose(logits, eager_logits, atol=1e-6)
    targets = logits.argmax(dim=1)
    probs = torch.softmax(logits, dim=1)

    # One backward gives both gradients: d score / d x and d score / d feature_map (via delta).
    # The inputs are independent, so the gradient of the summed score at input i is that of
    # logits[i, target_i] alone.
    x = inputs.clone().requires_grad_(True)
    delta = torch.zeros(3, 16, SIZE, SIZE, requires_grad=True)
    g_logits, _, feature_map = traced(x, delta)
    assert torch.allclose(g_logits, logits, atol=1e-6)
    score = g_logits[torch.arange(3), targets].sum()
    score.backward()
    input_grad, feature_grad = x.grad.detach(), delta.grad.detach()
    feature_map = feature_map.detach()

    gradcam, cam_8, gradcam_8 = grad_cam(feature_map, feature_grad)

    reference = {
        "model": "tiny_cnn.pt",
        "torch": torch.__version__,
        "shape": [3, SIZE, SIZE],
        "inputs": [t.flatten().tolist() for t in inputs],
        "logits": logits.tolist(),
        "embeddings": embedding.tolist(),
        "targets": targets.tolist(),
        "target_prob": [float(probs[i, targets[i]]) for i in range(3)],
        "input_gradients": [t.flatten().tolist() for t in input_grad],
        "feature_maps": [t.flatten().tolist() for t in feature_map],
        "feature_gradients": [t.flatten().tolist() for t in feature_grad],
        "gradcam": [t.flatten().tolist() for t in gradcam],
        "cam_8": [t.flatten().tolist() for t in cam_8],
        "gradcam_8_upsampled": [t.flatten().tolist() for t in gradcam_8],
        "occlusion": [[occlusion(traced, inputs[i], int(targets[i]), window, stride)
                       for window, stride in OCCLUSION_WINDOWS] for i in range(3)],
    }
    with open(os.path.join(HERE, "tiny_cnn_reference.json"), "w") as f:
        json.dump(reference, f)
        f.write("\n")
    print("wrote tiny_cnn.pt (%d bytes), tiny_cnn.json, tiny_cnn_reference.json (%d bytes)"
          % (os.path.getsize(os.path.join(HERE, "tiny_cnn.pt")),
             os.path.getsize(os.path.join(HERE, "tiny_cnn_reference.json"))))


def write_relu_backward():
    """tiny_cnn.relu-backward.pt: the two ReLU calls of tiny_cnn.pt's eager twin (its weights
    loaded from the file) cut (tools/relu_backward.py). Its plain rule must give the traced
    module's own gradients."""
    traced = torch.jit.load(os.path.join(HERE, "tiny_cnn.pt"))
    model = TinyCnn().eval()
    model.load_state_dict(traced.state_dict())
    module, relus = relu_backward.segmented_module(model)
    assert relus == 2, relus
    path = os.path.join(HERE, "tiny_cnn" + relu_backward.SUFFIX)
    module.save(path)
    gen = torch.Generator().manual_seed(13)
    x = torch.randn(3, 3, SIZE, SIZE, generator=gen)
    delta = torch.zeros(3, 16, SIZE, SIZE)
    targets = torch.tensor([0, 2, 3])
    _, gx, gd, _ = relu_backward.run(torch.jit.load(path), x, delta, targets, "plain", len(CLASSES))
    xg, dg = x.clone().requires_grad_(True), delta.clone().requires_grad_(True)
    traced(xg, dg)[0][torch.arange(3), targets].sum().backward()
    assert torch.allclose(gx, xg.grad, rtol=1e-5, atol=1e-7), (gx - xg.grad).abs().max()
    assert torch.allclose(gd, dg.grad, rtol=1e-5, atol=1e-7), (gd - dg.grad).abs().max()


class OneRelu(nn.Module):
    """The known-answer network of the modified backward: a 1x1 convolution of the one input
    channel to two channels with weights +1 and -1 (no bias), one ReLU, global average pooling,
    and a linear layer [[1, -2], [-1, 3]] (no bias). Input 1x1x2, two classes. The guided,
    deconvnet and plain backward signals of each class are worked out by hand in
    ReluBackwardTest."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=1, bias=False)
        self.fc = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([1.0, -1.0]).reshape(2, 1, 1, 1))
            self.fc.weight.copy_(torch.tensor([[1.0, -2.0], [-1.0, 3.0]]))

    def forward(self, x, delta):
        feature_map = torch.relu(self.conv(x)) + delta
        embedding = feature_map.mean(dim=(2, 3))
        return self.fc(embedding), embedding, feature_map


def write_one_relu():
    """one_relu.pt, its sidecar one_relu.json and one_relu.relu-backward.pt."""
    model = OneRelu().eval()
    example = (torch.zeros(2, 1, 1, 2), torch.zeros(1, 1, 1, 1))
    with torch.no_grad():
        torch.jit.trace(model, example).save(os.path.join(HERE, "one_relu.pt"))
    module, relus = relu_backward.segmented_module(model)
    assert relus == 1, relus
    module.save(os.path.join(HERE, "one_relu" + relu_backward.SUFFIX))
    description = {
        "formatVersion": 1,
        "id": "one-relu-test",
        "engine": "torchscript",
        "architecture": "conv1x1(1->2, weights +1 and -1)-ReLU, GAP, linear [[1, -2], [-1, 3]]",
        "artifact": "one_relu.pt",
        "epoch": 0,
        "input": {"channels": 1, "height": 1, "width": 2},
        "preprocessing": {"resize": 0, "mean": [0.0], "std": [1.0]},
        "classNames": ["a", "b"],
        "outputs": {"logits": 0, "embedding": 1, "featureMap": 2, "featureLayer": "conv",
                    "featureMapDelta": True, "featureMapShape": [2, 1, 2]},
        "testAccuracy": None,
        "notes": "The hand-computed test network of the modified ReLU backward; made by "
                 "make_test_model.py with PyTorch " + torch.__version__ + ".",
    }
    with open(os.path.join(HERE, "one_relu.json"), "w") as f:
        json.dump(description, f, indent=2)
        f.write("\n")


def check_trace(model, traced):
    """The traced module must match eager for a broadcast 1x1x1x1 delta and a full-shape delta,
    at another batch size than the trace's, so no shape was baked in."""
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(3, 3, SIZE, SIZE, generator=gen)
    for delta in (torch.zeros(1, 1, 1, 1), torch.randn(3, 16, SIZE, SIZE, generator=gen)):
        with torch.no_grad():
            got, want = traced(x, delta), model(x, delta)
        for g, w in zip(got, want):
            assert g.shape == w.shape, (g.shape, w.shape)
            assert torch.allclose(g, w, atol=1e-6), (g - w).abs().max()


def grad_cam(feature_map, feature_grad):
    """Grad-CAM (Selvaraju et al.): alpha_k = mean_hw dS/dA_k, cam = relu(sum_k alpha_k A_k),
    bilinearly upsampled (align_corners=False) to the input size. Raw, not normalised.
    Also the same cam average-pooled to 8x8 and upsampled 8x8 -> 16x16, to pin the upsampling.
    Returns (N x 16 x 16, N x 8 x 8, N x 16 x 16)."""
    alpha = feature_grad.mean(dim=(2, 3), keepdim=True)               # N x K x 1 x 1
    cam = torch.relu((alpha * feature_map).sum(dim=1, keepdim=True))  # N x 1 x h x w
    up = F.interpolate(cam, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    cam_8 = F.avg_pool2d(cam, kernel_size=2)
    up_8 = F.interpolate(cam_8, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    return up[:, 0], cam_8[:, 0], up_8[:, 0]


def occlusion(traced, image, target, window, stride):
    """Captum-style occlusion of one C x H x W image: per dimension ceil((L - window) / stride) + 1
    positions; position (r, c) sets rows [r*stride, min(r*stride + window, L)) and the columns
    likewise, all channels, to the black baseline. One perturbed image per forward."""
    rows = math.ceil((SIZE - window) / stride) + 1
    cols = math.ceil((SIZE - window) / stride) + 1
    target_prob, argmax = [], []
    with torch.no_grad():
        for r in range(rows):
            prob_row, argmax_row = [], []
            for c in range(cols):
                occluded = image.clone()
                occluded[:, r * stride:min(r * stride + window, SIZE),
                         c * stride:min(c * stride + window, SIZE)] = BLACK
                out, _, _ = traced(occluded.unsqueeze(0), torch.zeros(1, 1, 1, 1))
                prob_row.append(float(torch.softmax(out[0], dim=0)[target]))
                argmax_row.append(int(out[0].argmax()))
            target_prob.append(prob_row)
            argmax.append(argmax_row)
    return {"window": window, "stride": stride, "rows": rows, "cols": cols, "baseline": "black",
            "target_prob": target_prob, "argmax": argmax}


if __name__ == "__main__":
    if sys.argv[1:] == ["--relu-backward"]:
        write_relu_backward()  # only the siblings, from the committed tiny_cnn.pt
        write_one_relu()
    else:
        main()
