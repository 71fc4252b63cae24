"""Checks an indexed_binary file and its offset and size companions.

Usage: check_indexed_binary.py FILE OFF_IDX SZ_IDX D1 D2 SAMPLES ELEMENT_BYTES

Each companion holds SAMPLES little-endian u64: sizes all D1*D2*ELEMENT_BYTES, offsets
consecutive from 0, and the last sample ending exactly at the data file's end.
"""
import os
import struct
import sys


def read_u64s(path):
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) % 8 == 0, f"{path}: {len(data)} bytes is not a whole number of u64"
    return list(struct.unpack(f"<{len(data) // 8}Q", data))


def main():
    path, off_path, sz_path, d1, d2, samples, element_bytes = sys.argv[1:8]
    sample = int(d1) * int(d2) * int(element_bytes)
    samples = int(samples)
    offsets, sizes = read_u64s(off_path), read_u64s(sz_path)
    assert len(offsets) == samples and len(sizes) == samples, f"{path}: index lengths"
    assert sizes == [sample] * samples, f"{sz_path}: {sizes}"
    assert offsets == [k * sample for k in range(samples)], f"{off_path}: {offsets}"
    size = os.path.getsize(path)
    assert offsets[-1] + sizes[-1] == size, f"{path}: {size} bytes, index ends elsewhere"
    print(f"ok indexed_binary {path}")


if __name__ == "__main__":
    main()
