#!/usr/bin/env bash
# Installs the Debian packages the product needs, only those that are missing.
#   WeasyPrint (PDF documents): Pango, HarfBuzz subsetting, a font.
#   Python venv support, for Debian's own python3.11 (ensurepip lives in python3.X-venv).
#   npm (with Node.js), unless one is on the PATH: installs the browser assets (package-lock.json).
# Usage: scripts/install-system-deps.sh [--browser]   (--browser adds Chromium for e2e tests)
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [[ "${1:-}" == "--browser" ]]; then
  packages+=(chromium fonts-wqy-microhei)  # a CJK font: the pages also ship in Simplified Chinese
fi

if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

python_bin="${PYTHON:-python3.11}"
if command -v "$python_bin" >/dev/null 2>&1 && ! "$python_bin" -c "import ensurepip" >/dev/null 2>&1; then
  packages+=("$(basename "$python_bin")-venv")
fi

if ! command -v dpkg >/dev/null 2>&1; then
  echo "install-system-deps: not a Debian-like system; install these yourself: ${packages[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-system-deps: missing ${missing[*]} and not root (no sudo); install them and retry" >&2
    exit 1
  fi
fi
echo "install-system-deps: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
