#!/usr/bin/env bash
# Installs the system packages Cairn builds against, when they are missing (Debian/Ubuntu).
set -euo pipefail

needed=()
# chromium and chromium-driver: headless browser tests of the web app (`cairn app`).
for package in libgit2-dev pkg-config zlib1g-dev libdeflate-dev libpng-dev libturbojpeg0-dev git chromium \
  chromium-driver; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    needed+=("$package")
  fi
done

if ((${#needed[@]})); then
  echo "setup: installing ${needed[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
  echo "setup: Swift 6.3 is required (swift not found on PATH)" >&2
  exit 1
fi

# The evaluation tests compare with pycocotools, the reference COCO evaluator.
if command -v python3 >/dev/null && ! python3 -c 'import pycocotools' 2>/dev/null; then
  echo "setup: installing pycocotools" >&2
  python3 -m pip install --quiet pycocotools
fi

# The curation tests and benchmark compare with NumPy and scikit-learn.
if command -v python3 >/dev/null && ! python3 -c 'import numpy, sklearn' 2>/dev/null; then
  echo "setup: installing numpy and scikit-learn" >&2
  python3 -m pip install --quiet numpy scikit-learn
fi
