"""Checks an npy file of the dataset writer with NumPy.

Usage: check_npy.py FILE D1 D2 SAMPLES DTYPE

The array must load as shape (D1, D2, SAMPLES) of DTYPE, and the file must be byte for byte
what numpy.save writes for it.
"""
import io
import sys

import numpy as np


def main():
    path, d1, d2, samples, dtype = sys.argv[1:6]
    shape = (int(d1), int(d2), int(samples))
    x = np.load(path)
    assert x.shape == shape, f"{path}: shape {x.shape}, expected {shape}"
    assert x.dtype == np.dtype(dtype), f"{path}: dtype {x.dtype}"
    expected = io.BytesIO()
    np.save(expected, x)
    with open(path, "rb") as f:
        assert f.read() == expected.getvalue(), f"{path}: differs from numpy.save's bytes"
    print(f"ok npy {path}")


if __name__ == "__main__":
    main()
