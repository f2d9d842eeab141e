#!/usr/bin/env python3
"""The PyTorch reference rows of `convlens bench`: the same TorchScript file, timed in PyTorch on
the same machine, threads and batch as ConvLens's own rows, so that the bench prints ratios
rather than absolute figures that mean little from one machine to the next.

Run by the bench (`--python`, else $CONVLENS_PYTHON, else python3; it needs PyTorch >= 1.13):
  python3 tools/torch_bench.py --model M.pt --threads T --batch B --images N
                               --windows 16 --strides 8 --per-eval P --occlusion-images K
Prints one JSON object on stdout:
  torch              PyTorch's version
  threads            torch.get_num_threads() while timing
  forward            images/s of eager inference (torch.inference_mode), batch B
  forward_backward   images/s of a forward and one backward (autograd) giving the input gradient
                     and, when the sidecar says the model takes a feature-map delta, that
                     layer's gradient too: what ConvLens's forward+backward row computes
  occlusion          seconds per image of a plain occlusion loop: every window position of every
                     window, the window set to the grey baseline ((0.5 - mean) / std, ConvLens's
                     default), P occluded copies per forward, softmax probability of the target
                     (the unoccluded arg-max) per copy: what ConvLens's occlusion row computes
Inputs are standard-normal tensors of the model's input size, like the bench's raw rows. Every
figure follows one untimed warm-up of the same work.
"""
import argparse
import json
import os
import sys
import time

import torch


def positions(length, window, stride):
    """Window positions along a side: Captum's ceil((L - w) / s) + 1, as ConvLens counts them."""
    return (length - window + stride - 1) // stride + 1


class Model:
    """The TorchScript module and what its sidecar JSON says about calling it."""

    def __init__(self, path):
        sidecar = os.path.splitext(path)[0] + ".json"
        with open(sidecar) as f:
            self.description = json.load(f)
        self.module = torch.jit.load(path, map_location="cpu").eval()
        shape = self.description["input"]
        self.c, self.h, self.w = shape["channels"], shape["height"], shape["width"]
        outputs = self.description.get("outputs", {})
        self.logits = outputs.get("logits", 0)
        self.delta = bool(outputs.get("featureMapDelta", False))
        self.delta_shape = outputs.get("featureMapShape")
        pre = self.description.get("preprocessing", {})
        mean = pre.get("mean", [0.0] * self.c)
        std = pre.get("std", [1.0] * self.c)
        self.grey = torch.tensor([(0.5 - m) / s for m, s in zip(mean, std)]).view(self.c, 1, 1)

    def __call__(self, x, delta=None):
        if self.delta:
            out = self.module(x, torch.zeros(1, 1, 1, 1) if delta is None else delta)
        else:
            out = self.module(x)
        return out[self.logits] if isinstance(out, (tuple, list)) else out


def timed(work, repeat):
    work()  # warm-up: the first calls of a TorchScript module optimise its graph
    start = time.perf_counter()
    for _ in range(repeat):
        work()
    return time.perf_counter() - start


def forward_rate(model, batch, images):
    x = torch.randn(batch, model.c, model.h, model.w, generator=torch.Generator().manual_seed(0))
    repeat = max(1, images // batch)

    def work():
        with torch.inference_mode():
            model(x)

    return repeat * batch / timed(work, repeat)


def forward_backward_rate(model, batch, images):
    x0 = torch.randn(batch, model.c, model.h, model.w, generator=torch.Generator().manual_seed(1))
    repeat = max(1, images // batch)

    def work():
        x = x0.clone().requires_grad_(True)
        delta = None
        if model.delta and model.delta_shape:
            # featureMapShape is one image's C×H×W (a leading batch dimension, if given, is replaced)
            shape = list(model.delta_shape)[-3:]
            delta = torch.zeros([batch] + shape, requires_grad=True)
        logits = model(x, delta)
        target = logits.argmax(dim=1)
        logits.gather(1, target.view(-1, 1)).sum().backward()

    return repeat * batch / timed(work, repeat)


def occlusion_seconds(model, windows, strides, per_eval, images):
    gen = torch.Generator().manual_seed(2)
    xs = [torch.randn(model.c, model.h, model.w, generator=gen) for _ in range(images)]

    def one(x):
        with torch.inference_mode():
            p0 = torch.softmax(model(x.unsqueeze(0)), dim=1)[0]
            target = int(p0.argmax())
            copies = []
            for window, stride in zip(windows, strides):
                for r in range(positions(model.h, window, stride)):
                    for c in range(positions(model.w, window, stride)):
                        y = x.clone()
                        y[:, r * stride:r * stride + window, c * stride:c * stride + window] = model.grey
                        copies.append(y)
            probs = []
            for start in range(0, len(copies), per_eval):
                batch = torch.stack(copies[start:start + per_eval])
                probs.append(torch.softmax(model(batch), dim=1)[:, target])
            return p0[target] - torch.cat(probs)

    one(xs[0])
    start = time.perf_counter()
    for x in xs:
        one(x)
    return (time.perf_counter() - start) / len(xs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--images", type=int, required=True)
    p.add_argument("--windows", required=True, help="comma-separated window sides")
    p.add_argument("--strides", required=True, help="comma-separated strides, one per window")
    p.add_argument("--per-eval", type=int, required=True)
    p.add_argument("--occlusion-images", type=int, required=True)
    a = p.parse_args()
    windows = [int(v) for v in a.windows.split(",")]
    strides = [int(v) for v in a.strides.split(",")]
    if len(windows) != len(strides):
        sys.exit("torch_bench.py: --windows and --strides need one value each per window")
    torch.set_num_threads(a.threads)
    model = Model(a.model)
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "forward": forward_rate(model, a.batch, a.images),
        "forward_backward": forward_backward_rate(model, a.batch, a.images),
        "occlusion": occlusion_seconds(model, windows, strides, a.per_eval, a.occlusion_images),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
