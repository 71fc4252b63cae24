"""Checks an npz file of the dataset writer with NumPy and Python's zipfile module.

Usage: check_npz.py FILE D1 D2 SAMPLES DTYPE COMPRESSION

x must load as shape (D1, D2, SAMPLES) of DTYPE and y as int64 zeros of shape (SAMPLES,),
every member's CRC-32 must verify, and an uncompressed file must be byte for byte what
numpy.savez writes for the same arrays.
"""
import io
import sys
import zipfile

import numpy as np


def main():
    path, d1, d2, samples, dtype, compression = sys.argv[1:7]
    d1, d2, samples = int(d1), int(d2), int(samples)
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
        assert bad is None, f"{path}: member {bad} fails its CRC-32"
        names = archive.namelist()
        assert names == ["x.npy", "y.npy"], f"{path}: members {names}"
        method = zipfile.ZIP_DEFLATED if compression == "zip" else zipfile.ZIP_STORED
        for info in archive.infolist():
            assert info.compress_type == method, f"{path}: {info.filename} method {info.compress_type}"
    with np.load(path) as data:
        x, y = data["x"], data["y"]
    assert x.shape == (d1, d2, samples), f"{path}: x shape {x.shape}"
    assert x.dtype == np.dtype(dtype), f"{path}: x dtype {x.dtype}"
    assert y.shape == (samples,) and y.dtype == np.int64, f"{path}: y {y.shape} {y.dtype}"
    assert not y.any(), f"{path}: y is not all zeros"
    if x.dtype == np.uint8 and x.size >= 64:
        assert len(np.unique(x)) > 16, f"{path}: x does not look random"
    if compression != "zip":
        expected = io.BytesIO()
        np.savez(expected, x=x, y=y)
        with open(path, "rb") as f:
            ours = f.read()
        assert ours == expected.getvalue(), f"{path}: differs from numpy.savez's bytes"
    print(f"ok npz {path}")


if __name__ == "__main__":
    main()
