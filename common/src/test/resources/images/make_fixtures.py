#!/usr/bin/python3
"""Writes the image fixtures for ImageDecoderTest and what PIL makes of them.

Run from this folder with Debian's Python (PIL 9.4):  /usr/bin/python3 make_fixtures.py

Only what Java's ImageIO cannot write, or cannot write with a known answer, is committed: JPEG
(whose exact pixels only PIL's libjpeg can tell), palette PNG with tRNS, grey+alpha and 16-bit
PNG, 16-bit BMP, offset GIF frames, WebP. The test builds the rest itself.

For every fixture, expected.json holds PIL's answer: np.asarray(Image.open(f).convert("RGB")),
base64-encoded, row-major, 3 bytes a pixel. That is the contract ImageDecoder reproduces:
torchvision's default loader is exactly Image.open(f).convert("RGB").

Pixel data is seeded, so rerunning with the same PIL/libjpeg/zlib gives the same bytes.
"""
import base64
import io
import json
import struct
import zlib

import numpy as np
from PIL import Image

rng = np.random.default_rng(20240611)


def smooth(w, h):
    """A gradient picture (JPEG-friendly, so lossy formats still look like the source)."""
    yy, xx = np.mgrid[0:h, 0:w]
    planes = [(xx * 7) % 256, (yy * 11) % 256, ((xx + 2 * yy) * 5) % 256]
    return np.stack(planes, -1).astype(np.uint8)


def noise(shape):
    return rng.integers(0, 256, shape, dtype=np.uint8)


def png_bytes(width, height, bit_depth, colour_type, rows, plte=None, trns=None):
    """A minimal PNG writer for the bit depths PIL cannot save (16-bit RGB, grey+alpha, 2-bit)."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def pack_bits(values, bits):
    """Packs one row of sub-byte samples, most significant bits first (PNG order)."""
    out, acc, n = bytearray(), 0, 0
    for v in values:
        acc = (acc << bits) | int(v)
        n += bits
        if n == 8:
            out.append(acc)
            acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


def bmp_565(arr):
    """A 16-bit BI_BITFIELDS BMP (5-6-5), which PIL reads but cannot write."""
    h, w, _ = arr.shape
    stride = (w * 2 + 3) & ~3
    pixels = bytearray()
    for y in range(h - 1, -1, -1):  # bottom-up
        row = bytearray()
        for x in range(w):
            r, g, b = (int(c) for c in arr[y, x])
            row += struct.pack("<H", ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3))
        pixels += row + b"\x00" * (stride - len(row))
    header_size = 14 + 40 + 12
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 16, 3, len(pixels), 2835, 2835, 0, 0)
    masks = struct.pack("<III", 0xF800, 0x07E0, 0x001F)
    file_header = b"BM" + struct.pack("<IHHI", header_size + len(pixels), 0, 0, header_size)
    return file_header + info + masks + bytes(pixels)


def ycck_from_cmyk(cmyk):
    """Encodes a PIL-CMYK picture as YCCK samples, so that libjpeg's YCCK->CMYK gives it back."""
    c = cmyk.astype(np.float64)
    r, g, b = c[..., 0], c[..., 1], c[..., 2]  # libjpeg: CMYK = 255 - RGB' and PIL inverts again
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    k = 255 - c[..., 3]
    return np.clip(np.round(np.stack([y, cb, cr, k], -1)), 0, 255).astype(np.uint8)


def set_adobe_transform(jpeg, transform):
    """Rewrites the transform byte of the APP14 Adobe segment (libjpeg: 0 = CMYK, 2 = YCCK)."""
    i = jpeg.index(b"\xff\xee")
    assert jpeg[i + 4 : i + 9] == b"Adobe"
    return jpeg[: i + 4 + 11] + bytes([transform]) + jpeg[i + 4 + 12 :]


def gif_with_offset_frame():
    """A GIF whose only frame (9x6 at 5,3) is smaller than its logical screen (20x14)."""
    frame = Image.fromarray(noise((6, 9)), "L").convert("P", palette=Image.ADAPTIVE, colors=16)
    buf = io.BytesIO()
    frame.save(buf, "GIF", transparency=3)
    data = bytearray(buf.getvalue())
    data[6:10] = struct.pack("<HH", 20, 14)  # logical screen
    i = data.index(b"\x2c", 13 + 3 * 2 ** ((data[10] & 7) + 1))  # image separator after palette
    data[i + 1 : i + 5] = struct.pack("<HH", 5, 3)
    return bytes(data)


def save(im, name, **kw):
    buf = io.BytesIO()
    im.save(buf, **kw)
    return name, buf.getvalue()


def fixtures():
    rgb = smooth(37, 23)
    yield save(Image.fromarray(rgb), "jpeg_baseline.jpg", format="JPEG", quality=90)  # 4:2:0
    yield save(Image.fromarray(rgb), "jpeg_progressive.jpg", format="JPEG", quality=90,
               progressive=True)
    yield save(Image.fromarray(rgb).convert("L"), "jpeg_gray.jpg", format="JPEG", quality=90)
    black = (np.arange(37)[None, :] * 6 + np.arange(23)[:, None] * 3) % 256
    cmyk = np.concatenate([smooth(37, 23), black.astype(np.uint8)[..., None]], -1)
    yield save(Image.fromarray(cmyk, "CMYK"), "jpeg_cmyk.jpg", format="JPEG", quality=92)
    # PIL writes CMYK inverted (Adobe convention), so pass 255 - YCCK to store YCCK itself.
    ycck_samples = Image.fromarray(255 - ycck_from_cmyk(cmyk), "CMYK")
    _, ycck = save(ycck_samples, "", format="JPEG", quality=92)
    yield "jpeg_ycck.jpg", set_adobe_transform(ycck, 2)
    yield save(Image.fromarray(rgb), "jpeg_422.jpg", format="JPEG", quality=90, subsampling=1)
    yield save(Image.fromarray(rgb), "jpeg_444.jpg", format="JPEG", quality=90, subsampling=0)

    yield "png_gray_alpha.png", png_bytes(13, 9, 8, 4, [bytes(r) for r in noise((9, 13 * 2))])
    yield "png_gray_alpha16.png", png_bytes(13, 9, 16, 4, [bytes(r) for r in noise((9, 13 * 4))])
    yield "png_rgb16.png", png_bytes(13, 9, 16, 2, [bytes(r) for r in noise((9, 13 * 6))])
    yield "png_rgba16.png", png_bytes(13, 9, 16, 6, [bytes(r) for r in noise((9, 13 * 8))])
    # A ramp across 255 (where PIL clips) and then full-range values.
    gray16 = np.concatenate([np.arange(0, 300, 5), noise((57,)).astype(np.int64) * 257])
    gray16 = gray16.astype(">u2").reshape(9, 13)
    yield "png_gray16.png", png_bytes(13, 9, 16, 0, [row.tobytes() for row in gray16])
    gray2 = rng.integers(0, 4, (9, 13))
    yield "png_gray2.png", png_bytes(13, 9, 2, 0, [pack_bits(r, 2) for r in gray2])
    palette = noise((16 * 3,)).tobytes()
    yield "png_palette4_trns.png", png_bytes(
        13, 9, 4, 3, [pack_bits(r, 4) for r in rng.integers(0, 16, (9, 13))], plte=palette,
        trns=bytes([0, 128, 255, 7]))
    pal_im = Image.fromarray(noise((9, 13, 3))).convert("P", palette=Image.ADAPTIVE, colors=40)
    yield save(pal_im, "png_palette_trns.png", format="PNG", transparency=5)

    yield "bmp_565.bmp", bmp_565(smooth(13, 9))
    yield save(Image.fromarray(noise((9, 13, 4)), "RGBA"), "bmp_32.bmp", format="BMP")
    yield save(pal_im, "bmp_palette.bmp", format="BMP")

    frames = [Image.fromarray(noise((9, 13)), "L").convert("P", palette=Image.ADAPTIVE, colors=32)
              for _ in range(2)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    yield "gif_animated.gif", buf.getvalue()
    yield "gif_offset_frame.gif", gif_with_offset_frame()

    yield save(Image.fromarray(rgb), "unsupported.webp", format="WEBP", quality=80)


def main():
    expected = {}
    for name, data in fixtures():
        with open(name, "wb") as f:
            f.write(data)
        if name.endswith(".webp"):
            continue
        im = Image.open(io.BytesIO(data))
        arr = np.asarray(im.convert("RGB"))
        expected[name] = {
            "width": arr.shape[1],
            "height": arr.shape[0],
            "pilMode": im.mode,
            "rgb": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    with open("expected.json", "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
