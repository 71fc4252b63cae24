#!/usr/bin/env bash
# Installs every Debian package that building and testing mlps needs.
# Idempotent: asks apt only for what is missing. Works as root or through sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libfyaml-dev libjansson-dev liburing-dev zlib1g-dev libzstd-dev
  libcurl4-openssl-dev libxml2-dev libssl-dev libxlsxwriter-dev
  libopenmpi-dev openmpi-bin
  libhdf5-dev libjpeg-dev libpng-dev
  libcmocka-dev zstd fio python3 python3-numpy python3-h5py python3-pil
  python3-openpyxl python3-yaml
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

# Node.js and npm (for the test suite's independent Parquet reader and S3 server) may come from
# another distribution of Node.js that bundles npm; only install Debian's when the commands are absent.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and neither root nor sudo to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
