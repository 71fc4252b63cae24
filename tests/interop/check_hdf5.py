#!/usr/bin/env python3
"""Checks the hdf5 files listed in <dir>/manifest.json with h5py: records_<k> of shape
(samples, d1, d2) and the configured type, chunking and compression, labels of int64 zeros,
and that the sample extents our locator reported hold the samples: a contiguous sample's
bytes in the file equal what h5py reads, every chunk lies inside the extents of the samples
it holds (and inflates to them when gzip is on)."""
import json
import sys
import zlib

import h5py
import numpy as np


def check_contiguous(path, raw, dataset, extents):
    offset = dataset.id.get_offset()
    assert offset == extents[0][0], f"{path}: data at {offset}, extent says {extents[0][0]}"
    for s, (start, length) in enumerate(extents):
        stored = dataset[s].tobytes()
        assert raw[start:start + len(stored)] == stored, f"{path}: sample {s} not at its extent"


def check_chunks(path, raw, dataset, extents, gzip):
    chunk_rows = dataset.chunks[0]
    for index in range(dataset.id.get_num_chunks()):
        info = dataset.id.get_chunk_info(index)
        first = info.chunk_offset[0]
        for s in range(first, min(first + chunk_rows, dataset.shape[0])):
            start, length = extents[s]
            assert start <= info.byte_offset and \
                info.byte_offset + info.size <= start + length, \
                f"{path}: chunk {info.chunk_offset} outside sample {s}'s extent"
        stored = raw[info.byte_offset:info.byte_offset + info.size]
        data = zlib.decompress(stored) if gzip else stored
        region = tuple(slice(o, o + c) for o, c in zip(info.chunk_offset, dataset.chunks))
        expected = dataset[region]
        pad = np.zeros(dataset.chunks, dtype=dataset.dtype)
        pad[tuple(slice(0, n) for n in expected.shape)] = expected
        assert data == pad.tobytes(), f"{path}: chunk {info.chunk_offset} bytes differ"


def check_file(directory, entry):
    path = f"{directory}/{entry['path']}"
    with open(path, "rb") as handle:
        raw = handle.read()
    samples, extents = entry["samples"], entry["extents"]
    with h5py.File(path, "r") as hdf5:
        expected = {f"records_{k}" for k in range(entry["datasets"])} | {"labels"}
        assert set(hdf5.keys()) == expected, f"{path}: datasets {sorted(hdf5.keys())}"
        labels = hdf5["labels"]
        assert labels.shape == (samples,) and labels.dtype == np.int64, \
            f"{path}: labels {labels.shape} {labels.dtype}"
        assert not labels[:].any(), f"{path}: labels are not all zero"
        gzip = entry["compression"] == "gzip"
        for k in range(entry["datasets"]):
            dataset = hdf5[f"records_{k}"]
            assert dataset.shape == (samples, entry["d1"], entry["d2"]), \
                f"{path}: records_{k} shape {dataset.shape}"
            assert dataset.dtype == np.dtype(entry["element_type"]), \
                f"{path}: records_{k} dtype {dataset.dtype}"
            assert dataset.compression == ("gzip" if gzip else None), \
                f"{path}: records_{k} compression {dataset.compression}"
            if dataset.chunks is None:
                assert not entry["chunking"] and not gzip, f"{path}: records_{k} not chunked"
                if entry["datasets"] == 1:
                    check_contiguous(path, raw, dataset, extents)
            else:
                side = int(np.ceil(np.sqrt(entry["chunk_size"]))) if entry["chunking"] else None
                want = (1, min(side, entry["d1"]), min(side, entry["d2"])) if side else \
                    (1, entry["d1"], entry["d2"])
                assert dataset.chunks == want, f"{path}: chunks {dataset.chunks}, want {want}"
                check_chunks(path, raw, dataset, extents, gzip)
    print(f"ok {entry['path']}: {entry['datasets']} x ({samples}, {entry['d1']}, {entry['d2']}) "
          f"{entry['element_type']}, {len(raw)} bytes")


def main():
    directory = sys.argv[1]
    with open(f"{directory}/manifest.json") as handle:
        manifest = json.load(handle)
    files = [e for e in manifest["files"] if e["format"] == "hdf5"]
    assert files, "no hdf5 files in the manifest"
    for entry in files:
        check_file(directory, entry)


if __name__ == "__main__":
    main()
