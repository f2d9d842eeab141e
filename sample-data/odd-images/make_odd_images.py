"""Writes sample-data/odd-images/: inputs that are unusual but valid, and inputs that are broken,
so the demo shows both being handled. Deterministic. Run with Debian's Python + PIL:
    /usr/bin/python3 sample-data/odd-images/make_odd_images.py
"""
import io
import os
import struct
import zlib

from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))


def ring(mode="RGB", size=64):
    img = Image.new("RGB", (size, size), (40, 90, 160))
    d = ImageDraw.Draw(img)
    d.ellipse((12, 12, size - 12, size - 12), outline=(250, 220, 40), width=6)
    return img.convert(mode) if mode != "RGB" else img


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def encoded(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# Unusual but valid: each must come out with status ok.
write("valid_grayscale.png", encoded(ring("L"), "PNG"))
write("valid_palette.png", encoded(ring().convert("P", palette=Image.ADAPTIVE, colors=16), "PNG"))
write("valid_rgba.png", encoded(ring("RGBA"), "PNG"))
write("valid_cmyk.jpg", encoded(ring("CMYK"), "JPEG", quality=90))
write("valid_progressive.jpg", encoded(ring(), "JPEG", quality=90, progressive=True))
write("valid_tiny.bmp", encoded(ring(size=20), "BMP"))

# Broken: each must come out as an error row of the kind in its name.
write("empty.png", b"")
full = encoded(ring(size=96), "JPEG", quality=90)
write("truncated.jpg", full[: len(full) // 2])
write("unsupported_format.png", b"This is a text file with an image name.\n")
bomb_header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
write("too_many_pixels.png",
      b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bomb_header)
      + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))
