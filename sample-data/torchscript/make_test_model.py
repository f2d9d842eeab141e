#!/usr/bin/env python3
"""Builds the tiny TorchScript classifier ConvLens uses in its tests, with its sidecar JSON and
reference outputs computed by PyTorch itself.

Run from any directory (PyTorch >= 1.13):  python3 make_test_model.py
Writes, next to this script:
  tiny_cnn.pt                traced module; forward(x) -> (logits, embedding, feature_map)
  tiny_cnn.json              ConvLens model description (the sidecar of tiny_cnn.pt)
  tiny_cnn_reference.json    seeded inputs and the logits/embeddings torch computes for them
Everything is seeded, so the weights and the reference numbers are the same on every run with
the same PyTorch build (the .pt bytes may differ between PyTorch versions).
"""
import json
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 16
CLASSES = ["circle", "square", "triangle", "star"]


class TinyCnn(nn.Module):
    """conv(3->8)-ReLU-conv(8->16)-ReLU, global average pooling -> 16-d embedding, linear -> 4."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.fc = nn.Linear(16, len(CLASSES))

    def forward(self, x):
        feature_map = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        embedding = feature_map.mean(dim=(2, 3))
        logits = self.fc(embedding)
        # A tuple: ConvLens reads the outputs by the indices given in the sidecar JSON.
        return logits, embedding, feature_map


def main():
    torch.manual_seed(20240601)
    model = TinyCnn().eval()  # trace in eval mode (dropout/batch-norm behaviour is baked in)

    example = torch.zeros(2, 3, SIZE, SIZE)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(os.path.join(HERE, "tiny_cnn.pt"))

    description = {
        "formatVersion": 1,
        "id": "tiny-torchscript-test",
        "engine": "torchscript",
        "architecture": "tiny CNN: conv3x3(3->8)-ReLU-conv3x3(8->16)-ReLU, GAP, linear(16->4)",
        "artifact": "tiny_cnn.pt",
        "epoch": 0,
        "input": {"channels": 3, "height": SIZE, "width": SIZE},
        "preprocessing": {"resize": SIZE, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
        "classNames": CLASSES,
        "outputs": {"logits": 0, "embedding": 1, "featureMap": 2, "featureLayer": "conv2"},
        "testAccuracy": None,
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
        logits, embedding, _ = traced(inputs)
        eager_logits, _, _ = model(inputs)
    assert torch.allclose(logits, eager_logits, atol=1e-6)
    reference = {
        "model": "tiny_cnn.pt",
        "torch": torch.__version__,
        "shape": [3, SIZE, SIZE],
        "inputs": [x.flatten().tolist() for x in inputs],
        "logits": logits.tolist(),
        "embeddings": embedding.tolist(),
    }
    with open(os.path.join(HERE, "tiny_cnn_reference.json"), "w") as f:
        json.dump(reference, f)
        f.write("\n")
    print("wrote tiny_cnn.pt (%d bytes), tiny_cnn.json, tiny_cnn_reference.json"
          % os.path.getsize(os.path.join(HERE, "tiny_cnn.pt")))


if __name__ == "__main__":
    main()
