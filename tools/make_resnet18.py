#!/usr/bin/env python3
"""Builds a ResNet-18 TorchScript model with random weights for ConvLens benchmarks, with its
sidecar JSON, without torchvision (the layers are laid out as torchvision's resnet18).

Run (PyTorch >= 1.13):  python3 tools/make_resnet18.py [OUT]
OUT defaults to bench-models/ in the repository root (ignored by git). Writes:
  OUT/resnet18.pt     traced module; forward(x, delta) -> (logits, embedding, feature_map)
  OUT/resnet18.json   ConvLens model description (the sidecar of resnet18.pt)
  OUT/resnet18.relu-backward.pt   the modified ReLU backward (tools/relu_backward.py)
Seeded (torch.manual_seed(0)), so the weights are the same on every run with the same PyTorch
build. The weights are untrained: the model is for timing, its predictions mean nothing.
"""
import json
import os
import sys

import torch
from torch import nn

import relu_backward  # noqa: E402  (next to this script)
from torch_layers import feature_map_shape, leaf_layers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = 224
CLASSES = 1000


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the identity (or a 1x1 conv + BN downsample), ReLU."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """torchvision's resnet18 layout: conv7x7/2(64)-BN-ReLU-maxpool3x3/2, four stages of two
    BasicBlocks (64/128/256/512 channels, strides 1/2/2/2), adaptive average pooling, fc 512->1000.
    forward(x, delta): delta is added to the layer4 output (broadcast; a 1x1x1x1 zero for plain
    inference, a full-shape zero requiring grad for the feature map's gradient)."""

    def __init__(self, num_classes=CLASSES):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 2)
        self.layer2 = self._make_layer(128, 2, stride=2)
        self.layer3 = self._make_layer(256, 2, stride=2)
        self.layer4 = self._make_layer(512, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * BasicBlock.expansion, num_classes)

        # torchvision's initialisation
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * BasicBlock.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * BasicBlock.expansion, kernel_size=1,
                          stride=stride, bias=False),
                nn.BatchNorm2d(planes * BasicBlock.expansion),
            )
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * BasicBlock.expansion
        for _ in range(1, blocks):
            layers.append(BasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x, delta):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        feature_map = self.layer4(x) + delta
        embedding = torch.flatten(self.avgpool(feature_map), 1)
        logits = self.fc(embedding)
        # A tuple: ConvLens reads the outputs by the indices given in the sidecar JSON.
        return logits, embedding, feature_map


def check_trace(model, traced):
    """The traced module must match eager for a broadcast 1x1x1x1 delta and a full-shape delta,
    at another batch size than the trace's, so no shape was baked in."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, SIZE, SIZE, generator=gen)
    for delta in (torch.zeros(1, 1, 1, 1), torch.randn(2, 512, 7, 7, generator=gen)):
        with torch.no_grad():
            got, want = traced(x, delta), model(x, delta)
        for g, w in zip(got, want):
            assert g.shape == w.shape, (g.shape, w.shape)
            assert torch.allclose(g, w, rtol=1e-4, atol=1e-4), (g - w).abs().max()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "bench-models")
    os.makedirs(out, exist_ok=True)

    torch.manual_seed(0)
    model = ResNet18().eval()  # trace in eval mode (batch-norm uses its running statistics)

    example = (torch.zeros(1, 3, SIZE, SIZE), torch.zeros(1, 1, 1, 1))
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    check_trace(model, traced)
    artifact = os.path.join(out, "resnet18.pt")
    traced.save(artifact)
    # The modified-backprop methods' sibling (guided backprop, deconvnet, Guided Grad-CAM), as
    # tools/export_model.py writes it: forward(x, delta) already adds delta at layer4.
    segmented, relus = relu_backward.segmented_module(model)
    segmented.save(os.path.join(out, "resnet18" + relu_backward.SUFFIX))

    description = {
        "formatVersion": 1,
        "id": "resnet18-random",
        "engine": "torchscript",
        "architecture": "resnet18 (torchvision layout), random weights, seed 0",
        "artifact": "resnet18.pt",
        "epoch": 0,
        "input": {"channels": 3, "height": SIZE, "width": SIZE},
        "preprocessing": {"resize": 256, "mean": [0.485, 0.456, 0.406],
                          "std": [0.229, 0.224, 0.225]},
        "classNames": ["class_%03d" % i for i in range(CLASSES)],
        "outputs": {"logits": 0, "embedding": 1, "featureMap": 2, "featureLayer": "layer4",
                    "featureMapDelta": True,
                    "featureMapShape": feature_map_shape(model, 2, torch.zeros(1, 3, SIZE, SIZE),
                                                         torch.zeros(1, 1, 1, 1))},
        "testAccuracy": None,
        "layers": leaf_layers(model, torch.zeros(1, 3, SIZE, SIZE), torch.zeros(1, 1, 1, 1)),
        "notes": "Benchmark model: ResNet-18 architecture with untrained, randomly initialised "
                 "weights (torch.manual_seed(0)); its predictions mean nothing. Made by "
                 "tools/make_resnet18.py with PyTorch " + torch.__version__ + ".",
    }
    with open(os.path.join(out, "resnet18.json"), "w") as f:
        json.dump(description, f, indent=2)
        f.write("\n")
    print("wrote %s (%d bytes, %.1f MiB), resnet18.json"
          % (artifact, os.path.getsize(artifact), os.path.getsize(artifact) / 2**20))


if __name__ == "__main__":
    main()
