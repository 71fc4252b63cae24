#!/usr/bin/env bash
# Interoperability of the dataset formats with the readers of their ecosystems: the
# test_format_interop_writer driver writes sample files of every format into a dataset folder,
# then NumPy and Python's zipfile (npz, npy: byte for byte what numpy.savez / numpy.save write),
# an independent TFRecord parser with its own CRC32C and protobuf decoding, Python's csv module
# and a reader of the indexed_binary companions check them (tests/interop/*.py).
set -euo pipefail

: "${MLPS_BUILD_DIR:?set by ctest}" "${MLPS_SOURCE_DIR:?set by ctest}"
WRITER="$MLPS_BUILD_DIR/test_format_interop_writer"
CHECKS="$MLPS_SOURCE_DIR/tests/interop"

# The Python that has NumPy (Debian's python3-numpy serves the system interpreter, which may not
# be the first python3 on PATH).
PYTHON=""
for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import numpy' 2>/dev/null; then
        PYTHON=$candidate
        break
    fi
done
if [[ -z "$PYTHON" ]]; then
    echo "test_formats_interop: no python3 with numpy (install python3-numpy: scripts/install-deps.sh)" >&2
    exit 1
fi

DIR=$(mktemp -d "${MLPS_BUILD_DIR}/formats-interop.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
"$WRITER" "$DIR"

checked=0
while read -r format path index d1 d2 samples element_type element_bytes compression companions; do
    file="$DIR/$path"
    read -r -a companion <<<"${companions:-}"
    case "$format" in
    npz) "$PYTHON" "$CHECKS/check_npz.py" "$file" "$d1" "$d2" "$samples" "$element_type" "$compression" ;;
    npy) "$PYTHON" "$CHECKS/check_npy.py" "$file" "$d1" "$d2" "$samples" "$element_type" ;;
    tfrecord)
        [[ "${companion[0]}" == index/*/"$(basename "$path")".idx ]] ||
            { echo "unexpected tfrecord index path ${companion[0]} for $path" >&2; exit 1; }
        "$PYTHON" "$CHECKS/check_tfrecord.py" "$file" "$DIR/${companion[0]}" "$d1" "$d2" "$samples" "$element_bytes" ;;
    csv) "$PYTHON" "$CHECKS/check_csv.py" "$file" "$d1" "$d2" "$samples" ;;
    indexed_binary)
        "$PYTHON" "$CHECKS/check_indexed_binary.py" "$file" "$DIR/${companion[0]}" "$DIR/${companion[1]}" \
            "$d1" "$d2" "$samples" "$element_bytes" ;;
    synthetic)
        [[ "$(cat "$file")" == "$index" ]] || { echo "$file does not hold '$index'" >&2; exit 1; }
        echo "ok synthetic $file" ;;
    *) echo "unknown format $format in the manifest" >&2; exit 1 ;;
    esac
    checked=$((checked + 1))
done <"$DIR/manifest.txt"

# Info-ZIP's unzip, when present, as a second opinion on the npz containers.
if command -v unzip >/dev/null 2>&1; then
    for npz in "$DIR"/train/*.npz; do
        unzip -tq "$npz" >/dev/null || { echo "unzip -t rejects $npz" >&2; exit 1; }
    done
    echo "ok unzip -t"
fi

[[ $checked -ge 10 ]] || { echo "only $checked files checked" >&2; exit 1; }
echo "test_formats_interop: $checked files checked"
