#!/usr/bin/env bash
# Installs what is missing, builds Cairn and runs its demo on a generated dataset.
# Usage: scripts/demo.sh [DIR]   (default: a new temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
swift build -c release --product cairn
target="${1:-$(mktemp -d)/cairn-demo}"
.build/release/cairn demo "$target"
echo
echo "Repository left in $target; try: .build/release/cairn -C $target log"
echo "or browse and annotate it: .build/release/cairn -C $target app --open"
