#!/usr/bin/python3
"""Writes the reference tensors for PreprocessorTest: what PyTorch would feed the model.

Run from this folder with Debian's Python (PIL 9.4, torch 1.13):  /usr/bin/python3 make_reference.py

The pipeline is torchvision's
    [Grayscale()] -> Resize(resize) -> CenterCrop((h, w)) -> ToTensor() -> Normalize(mean, std)
on PIL images. torchvision is not installed on these machines, so the functions below transcribe
torchvision 0.14's code (transforms/functional.py, functional_pil.py) and call the same PIL and
torch operations it calls: Image.resize(..., BILINEAR), ImageOps.expand-style zero padding,
Image.crop, uint8 -> float32 .div(255), .sub_(mean).div_(std). If torchvision is importable, the
script checks its transcription against the real thing.

Inputs are the committed in_*.png; outputs are reference.json (the cases) and one <case>.bin per
case: float32 little-endian, CHW.
"""
import json

import numpy as np
import torch
from PIL import Image

rng = np.random.default_rng(20240612)


def compute_resized_output_size(h, w, size):
    """torchvision 0.14 _compute_resized_output_size for an int size (the shorter edge)."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return new_h, new_w


def resize(img, size):
    """torchvision F.resize on a PIL image: int -> shorter edge; (h, w) -> exact size."""
    w, h = img.size
    out_h, out_w = compute_resized_output_size(h, w, size) if isinstance(size, int) else size
    return img.resize((out_w, out_h), Image.BILINEAR)


def center_crop(img, out_h, out_w):
    """torchvision 0.14 F.center_crop on a PIL image, including its zero padding."""
    w, h = img.size
    if out_w > w or out_h > h:
        left = (out_w - w) // 2 if out_w > w else 0
        top = (out_h - h) // 2 if out_h > h else 0
        right = (out_w - w + 1) // 2 if out_w > w else 0
        bottom = (out_h - h + 1) // 2 if out_h > h else 0
        padded = Image.new(img.mode, (w + left + right, h + top + bottom), 0)
        padded.paste(img, (left, top))
        img = padded
        w, h = img.size
        if out_w == w and out_h == h:
            return img
    top = int(round((h - out_h) / 2.0))
    left = int(round((w - out_w) / 2.0))
    return img.crop((left, top, left + out_w, top + out_h))


def to_tensor(img):
    """torchvision F.to_tensor for 8-bit PIL images."""
    t = torch.from_numpy(np.array(img, np.uint8, copy=True))
    t = t.view(img.size[1], img.size[0], len(img.getbands())).permute((2, 0, 1)).contiguous()
    return t.to(dtype=torch.get_default_dtype()).div(255)


def normalize(t, mean, std):
    """torchvision F.normalize."""
    mean = torch.as_tensor(mean, dtype=t.dtype).view(-1, 1, 1)
    std = torch.as_tensor(std, dtype=t.dtype).view(-1, 1, 1)
    return t.clone().sub_(mean).div_(std)


def pipeline(img, channels, height, width, resize_to, mean, std):
    if channels == 1:
        img = img.convert("L")
    img = resize(img, resize_to if resize_to > 0 else (height, width))
    img = center_crop(img, height, width)
    return normalize(to_tensor(img), mean, std)


def check_against_torchvision(img, case):
    try:
        from torchvision import transforms as T
    except ImportError:
        return
    steps = [T.Grayscale()] if case["channels"] == 1 else []
    size = case["resize"] if case["resize"] > 0 else (case["height"], case["width"])
    steps += [T.Resize(size), T.CenterCrop((case["height"], case["width"])), T.ToTensor(),
              T.Normalize(case["mean"], case["std"])]
    expected = T.Compose(steps)(img)
    mine = pipeline(img, case["channels"], case["height"], case["width"], case["resize"],
                    case["mean"], case["std"])
    assert torch.equal(expected, mine), case["name"]


def noise_png(name, w, h):
    """Noise with some structure (a gradient), so resampling has edges and ramps to get right."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1), (xx + yy) % 256], -1)
    arr = np.where(rng.random((h, w, 1)) < 0.5, base, rng.integers(0, 256, (h, w, 3)))
    Image.fromarray(arr.astype(np.uint8), "RGB").save(name)


IMAGENET = dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
CIFAR = dict(mean=[0.4914, 0.4822, 0.4465], std=[0.247, 0.243, 0.261])
GREY = dict(mean=[0.5], std=[0.25])

CASES = [
    # name, input, channels, height, width, resize, normalisation
    ("w37h53_r32_c32", "in_37x53.png", 3, 32, 32, 32, IMAGENET),
    ("w120h97_r32_c32", "in_120x97.png", 3, 32, 32, 32, IMAGENET),
    ("w32h32_r32_c32", "in_32x32.png", 3, 32, 32, 32, CIFAR),  # identity resize
    ("w37h53_r0_28x28", "in_37x53.png", 3, 28, 28, 0, IMAGENET),
    ("w120h97_r0_28x28", "in_120x97.png", 3, 28, 28, 0, IMAGENET),
    ("w32h32_r0_28x28", "in_32x32.png", 3, 28, 28, 0, CIFAR),
    ("w37h53_r40_c32", "in_37x53.png", 3, 32, 32, 40, IMAGENET),  # upscale, then crop
    ("w120h97_r40_c32", "in_120x97.png", 3, 32, 32, 40, IMAGENET),
    ("w32h32_r40_c32", "in_32x32.png", 3, 32, 32, 40, CIFAR),
    ("w120h97_r45_c30x31", "in_120x97.png", 3, 30, 31, 45, IMAGENET),  # odd crop offsets
    ("w37h53_r24_c32x28", "in_37x53.png", 3, 32, 28, 24, IMAGENET),  # crop larger: padding
    ("w120h97_r97_c40", "in_120x97.png", 3, 40, 40, 97, IMAGENET),  # no resampling, crop only
    ("w37h53_r0_53x20", "in_37x53.png", 3, 53, 20, 0, IMAGENET),  # horizontal pass only
    ("w37h53_r0_25x37", "in_37x53.png", 3, 25, 37, 0, IMAGENET),  # vertical pass only
    ("w120h97_grey_r28_c28", "in_120x97.png", 1, 28, 28, 28, GREY),
    ("w37h53_grey_r0_20x24", "in_37x53.png", 1, 20, 24, 0, GREY),
]


def main():
    noise_png("in_37x53.png", 37, 53)
    noise_png("in_120x97.png", 120, 97)
    noise_png("in_32x32.png", 32, 32)
    cases = []
    for name, source, channels, height, width, resize_to, norm in CASES:
        case = dict(name=name, input=source, channels=channels, height=height, width=width,
                    resize=resize_to, mean=norm["mean"], std=norm["std"], file=name + ".bin")
        img = Image.open(source).convert("RGB")
        t = pipeline(img, channels, height, width, resize_to, norm["mean"], norm["std"])
        assert tuple(t.shape) == (channels, height, width)
        t.numpy().astype("<f4").tofile(case["file"])
        check_against_torchvision(img, case)
        cases.append(case)
    with open("reference.json", "w") as f:
        json.dump({"pil": Image.__version__, "torch": torch.__version__, "cases": cases}, f,
                  indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
