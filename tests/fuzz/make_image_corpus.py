#!/usr/bin/python3
"""Writes the image-header seed corpus (tests/data/fuzz/image_header/): an 80x48
picture in every format core/image_limits.cpp parses, written by OpenCV
(Debian's python3-opencv), plus the 74-byte PNG header bomb (100000 x 100000), also written to
tests/data/images/ for the tests of the readers.

Run: /usr/bin/python3 tests/fuzz/make_image_corpus.py
tests/core/test_image_limits.cpp reads these files and expects 80 x 48 for every
`sample_80x48.*`.
"""
import os
import struct
import zlib

import cv2
import numpy as np

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests", "data", "fuzz", "image_header")
os.makedirs(out, exist_ok=True)

img = np.zeros((48, 80, 3), np.uint8)
img[:, :, 1] = 200
img[1, 2] = (10, 20, 30)
for ext in ["png", "jpg", "bmp", "webp", "tiff", "ppm", "pgm", "pbm", "pam", "sr", "jp2"]:
    data = img if ext not in ("pgm", "pbm") else img[:, :, 1]
    ok, buf = cv2.imencode("." + ext, data)
    assert ok, ext
    open(os.path.join(out, "sample_80x48." + ext), "wb").write(buf.tobytes())
f32 = img.astype(np.float32) / 255
for ext in ["hdr", "pfm"]:
    ok, buf = cv2.imencode("." + ext, f32)
    assert ok, ext
    open(os.path.join(out, "sample_80x48." + ext), "wb").write(buf.tobytes())


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# The header bomb of issue 14: a valid PNG header declaring 100000 x 100000
# RGB pixels, with a few bytes of image data; 74 bytes in all.
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\1\2\3\4\5" + b"\0" * 64)) + chunk(b"IEND", b"")
for folder in (out, os.path.join(root, "tests", "data", "images")):
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "bomb_100000x100000.png"), "wb").write(bomb)
print(len(bomb), "byte bomb")
