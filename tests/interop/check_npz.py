"""Checks an npz file of the dataset writer with NumPy and Python's zipfile module.

Usage: check_npz.py FILE D1 D2 SAMPLES DTYPE COMPRESSION

x must load as shape (D1, D2, SAMPLES) of DTYPE and y as int64 zeros of shape (SAMPLES,),
every member's CRC-32 must verify (zipfile's testzip), and an uncompressed file must be byte
for byte what numpy.savez writes for the same arrays, except that x.npy's CRC-32 follows its
data: general-purpose flag bit 3 set in x's local header and directory entry, CRC-32 zero in
the local header (sizes kept), a zip64 data descriptor (signature, CRC-32, 8-byte sizes) after
x's data, and every later offset 24 bytes further on. An uncompressed file must also read
right through a walker of local headers that trusts their 32-bit sizes and stops at the first
other signature, as DLIO's O_DIRECT npz reader does.
"""
import io
import struct
import sys
import zipfile
import zlib

import numpy as np

LOCAL_SIGNATURE = b"PK\x03\x04"
CENTRAL_SIGNATURE = b"PK\x01\x02"
DESCRIPTOR_SIGNATURE = 0x08074B50
CRC_AFTER_DATA = 0x0008
DESCRIPTOR_BYTES = 24


def directory_entries(data):
    """(offset, length) of every central directory entry, and the end record's offset."""
    end = data.rindex(b"PK\x05\x06")
    count, size, offset = struct.unpack_from("<HII", data, end + 10)
    entries, at = [], offset
    for _ in range(count):
        assert data[at:at + 4] == CENTRAL_SIGNATURE
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
        length = 46 + name_len + extra_len + comment_len
        entries.append((at, length))
        at += length
    return entries, end


def with_x_crc_after_data(savez):
    """numpy.savez's bytes turned into the documented layout (x first, y second)."""
    with zipfile.ZipFile(io.BytesIO(savez)) as archive:
        x, y = archive.getinfo("x.npy"), archive.getinfo("y.npy")
    assert x.header_offset == 0 and y.header_offset > 0
    out = bytearray(savez[:y.header_offset])
    struct.pack_into("<H", out, 6, struct.unpack_from("<H", out, 6)[0] | CRC_AFTER_DATA)
    struct.pack_into("<I", out, 14, 0)
    out += struct.pack("<IIQQ", DESCRIPTOR_SIGNATURE, x.CRC, x.compress_size, x.file_size)
    entries, end = directory_entries(savez)
    out += savez[y.header_offset:entries[0][0]]
    for (at, length) in entries:
        entry = bytearray(savez[at:at + length])
        name_len = struct.unpack_from("<H", entry, 28)[0]
        if entry[46:46 + name_len] == b"x.npy":
            flags = struct.unpack_from("<H", entry, 8)[0]
            struct.pack_into("<H", entry, 8, flags | CRC_AFTER_DATA)
        else:
            offset = struct.unpack_from("<I", entry, 42)[0]
            struct.pack_into("<I", entry, 42, offset + DESCRIPTOR_BYTES)
        out += entry
    end_record = bytearray(savez[end:])
    directory_offset = struct.unpack_from("<I", end_record, 16)[0]
    struct.pack_into("<I", end_record, 16, directory_offset + DESCRIPTOR_BYTES)
    out += end_record
    return bytes(out)


def walk_local_headers(data):
    """Members found by trusting each local header's 32-bit sizes (DLIO's O_DIRECT reader)."""
    members, pos = {}, 0
    while data[pos:pos + 4] == LOCAL_SIGNATURE:
        compressed, size, name_len, extra_len = struct.unpack_from("<IIHH", data, pos + 18)
        name = data[pos + 30:pos + 30 + name_len].decode()
        pos += 30 + name_len + extra_len
        assert compressed == size, f"{name}: local sizes {compressed} and {size}"
        members[name] = data[pos:pos + compressed]
        pos += compressed
    return members


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
            assert info.compress_type == method, \
                f"{path}: {info.filename} method {info.compress_type}"
        x_info = archive.getinfo("x.npy")
        x_bytes = archive.read("x.npy")
    with np.load(path) as data:
        x, y = data["x"], data["y"]
    assert x.shape == (d1, d2, samples), f"{path}: x shape {x.shape}"
    assert x.dtype == np.dtype(dtype), f"{path}: x dtype {x.dtype}"
    assert y.shape == (samples,) and y.dtype == np.int64, f"{path}: y {y.shape} {y.dtype}"
    assert not y.any(), f"{path}: y is not all zeros"
    if x.dtype == np.uint8 and x.size >= 64:
        assert len(np.unique(x)) > 16, f"{path}: x does not look random"
    if compression != "zip":
        assert x_info.flag_bits & CRC_AFTER_DATA, f"{path}: x.npy lacks flag bit 3"
        assert x_info.CRC == zlib.crc32(x_bytes), f"{path}: x.npy directory CRC-32"
        savez = io.BytesIO()
        np.savez(savez, x=x, y=y)
        with open(path, "rb") as f:
            ours = f.read()
        expected = with_x_crc_after_data(savez.getvalue())
        assert ours == expected, \
            f"{path}: differs from numpy.savez's bytes with x's CRC-32 after its data"
        walked = walk_local_headers(ours)
        assert list(walked) == ["x.npy"], f"{path}: a local-header walker finds {list(walked)}"
        assert walked["x.npy"] == x_bytes, f"{path}: a local-header walker reads other x.npy bytes"
    print(f"ok npz {path}")


if __name__ == "__main__":
    main()
