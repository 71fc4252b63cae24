#!/usr/bin/env python3
"""Checks the jpeg and png files listed in <dir>/manifest.json with Pillow, the reader the
reference uses: each opens as an 8-bit grayscale ("L") image of width d2 and height d1 and
decodes; png pixels equal the raw noise exactly; jpeg pixels stay close to it, and the file
equals what Pillow itself writes for the same pixels with its defaults (quality 75)."""
import io
import json
import sys

import numpy as np
from PIL import Image, features


def check_image(directory, entry):
    path = f"{directory}/{entry['path']}"
    rows, cols = entry["d1"], entry["d2"]
    raw = np.fromfile(f"{directory}/{entry['raw']}", dtype=np.uint8).reshape(rows, cols)
    with open(path, "rb") as handle:
        ours = handle.read()
    image = Image.open(io.BytesIO(ours))
    image.load()
    expected_format = "JPEG" if entry["format"] == "jpeg" else "PNG"
    assert image.format == expected_format, f"{path}: Pillow sees {image.format}"
    assert image.mode == "L", f"{path}: mode {image.mode}, expected L"
    assert image.size == (cols, rows), f"{path}: size {image.size}, expected {(cols, rows)}"
    pixels = np.asarray(image)
    reencoded = io.BytesIO()
    Image.fromarray(raw).save(reencoded, format=expected_format)
    pil = reencoded.getvalue()
    if entry["format"] == "png":
        assert np.array_equal(pixels, raw), f"{path}: decoded pixels differ from the noise"
        # Noise does not compress: both are the pixels plus framing (zlib block headers).
        slack = max(len(pil) // 100, 16)
        assert abs(len(ours) - len(pil)) <= slack, \
            f"{path}: {len(ours)} bytes, Pillow writes {len(pil)}"
    else:
        error = np.abs(pixels.astype(int) - raw.astype(int)).mean()
        assert error < 15, f"{path}: mean pixel error {error:.1f}"
        assert ours == pil, (f"{path}: {len(ours)} bytes differ from Pillow's {len(pil)}-byte "
                             f"encoding of the same pixels (libjpeg_turbo "
                             f"{features.version('libjpeg_turbo')})")
    print(f"ok {entry['path']}: {cols}x{rows} L, {len(ours)} bytes (Pillow: {len(pil)})")


def main():
    directory = sys.argv[1]
    with open(f"{directory}/manifest.json") as handle:
        manifest = json.load(handle)
    images = [e for e in manifest["files"] if e["format"] in ("jpeg", "png")]
    assert images, "no images in the manifest"
    for entry in images:
        check_image(directory, entry)


if __name__ == "__main__":
    main()
