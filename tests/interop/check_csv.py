"""Checks a csv file of the dataset writer with Python's csv module.

Usage: check_csv.py FILE D1 D2 SAMPLES

The layout is pandas' DataFrame.to_csv: a header of "" and the column numbers 0..D1*D2-1, then
SAMPLES rows of the row number and D1*D2 integer values in 0..254, every row the same values.
Where pandas is installed, the file must also be byte for byte what DataFrame.to_csv writes for
those rows (as DLIO's generator calls it).
"""
import csv
import io
import sys


def main():
    path, d1, d2, samples = sys.argv[1:5]
    columns, samples = int(d1) * int(d2), int(samples)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [""] + [str(c) for c in range(columns)], f"{path}: header {rows[0][:5]}"
    body = rows[1:]
    assert len(body) == samples, f"{path}: {len(body)} rows, expected {samples}"
    for k, row in enumerate(body):
        assert len(row) == columns + 1, f"{path}: row {k} has {len(row)} fields"
        assert row[0] == str(k), f"{path}: row {k} index {row[0]}"
        values = [int(v) for v in row[1:]]
        assert all(0 <= v <= 254 for v in values), f"{path}: row {k} value out of range"
        assert row[1:] == body[0][1:], f"{path}: row {k} differs from row 0"
    same_as = ""
    try:
        import numpy as np
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None:
        record = np.array([int(v) for v in body[0][1:]], dtype=np.uint8)
        expected = io.StringIO()
        pd.DataFrame(data=[record] * samples).to_csv(expected)
        with open(path, "rb") as f:
            assert f.read() == expected.getvalue().encode(), f"{path}: differs from pandas to_csv"
        same_as = " (same bytes as pandas to_csv)"
    print(f"ok csv {path}{same_as}")


if __name__ == "__main__":
    main()
