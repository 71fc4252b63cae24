#!/usr/bin/env bash
# Reads our jpeg, png, hdf5 and parquet files with the ecosystem's own readers: Pillow (the
# reference's image library), h5py, and hyparquet (an independent Parquet reader in plain
# JavaScript, installed with npm into the build directory at a pinned version). The
# test_formats_b_interop driver writes the files and a manifest of what each should hold.
set -euo pipefail

: "${MLPS_BUILD_DIR:?set by ctest}" "${MLPS_SOURCE_DIR:?set by ctest}"
HYPARQUET_VERSION=1.33.0
WRITER="$MLPS_BUILD_DIR/test_formats_b_interop"
CHECKS="$MLPS_SOURCE_DIR/tests/interop"
NPM_PREFIX="$MLPS_BUILD_DIR/npm"
HYPARQUET="$NPM_PREFIX/node_modules/hyparquet"

DIR=$(mktemp -d "${MLPS_BUILD_DIR}/formats-b-interop.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
"$WRITER" "$DIR" > "$DIR/writer.log" 2>&1 || { cat "$DIR/writer.log" >&2; exit 1; }

# The Python that has Pillow, h5py and NumPy (Debian's python3-pil, python3-h5py and
# python3-numpy serve the system interpreter, which may not be the first python3 on PATH).
PYTHON=""
for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" > /dev/null 2>&1 &&
        "$candidate" -c 'import PIL, h5py, numpy' 2> /dev/null; then
        PYTHON=$candidate
        break
    fi
done
if [[ -z "$PYTHON" ]]; then
    echo "test_formats_b_interop: no python3 with PIL, h5py and numpy" \
        "(python3-pil python3-h5py python3-numpy: scripts/install-deps.sh)" >&2
    exit 1
fi
echo "== Pillow"
"$PYTHON" "$CHECKS/check_images.py" "$DIR"
echo "== h5py"
"$PYTHON" "$CHECKS/check_hdf5.py" "$DIR"

installed_version() {
    node -e 'console.log(require(process.argv[1]).version)' "$HYPARQUET/package.json" 2> /dev/null ||
        true
}

if ! command -v node > /dev/null 2>&1 || ! command -v npm > /dev/null 2>&1; then
    echo "test_formats_b_interop: node and npm are needed for the parquet reader check" >&2
    exit 1
fi
if [[ "$(installed_version)" != "$HYPARQUET_VERSION" ]]; then
    echo "== npm install hyparquet@$HYPARQUET_VERSION into $NPM_PREFIX"
    if ! npm install --prefix "$NPM_PREFIX" --no-audit --no-fund \
        "hyparquet@$HYPARQUET_VERSION" > "$DIR/npm.log" 2>&1; then
        if ! npm ping > /dev/null 2>&1; then
            echo "SKIPPED the parquet reader check: the npm registry is unreachable" \
                "(npm install hyparquet@$HYPARQUET_VERSION failed)"
            exit 0
        fi
        cat "$DIR/npm.log" >&2
        echo "test_formats_b_interop: npm install hyparquet@$HYPARQUET_VERSION failed" >&2
        exit 1
    fi
fi
echo "== hyparquet $(installed_version)"
node "$CHECKS/check_parquet.mjs" "$DIR" "$HYPARQUET"
echo "test_formats_b_interop: all reader checks passed"
