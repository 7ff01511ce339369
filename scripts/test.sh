#!/usr/bin/env bash
# Installs what is missing, builds Cairn with its tests, checks formatting and runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

log="$(mktemp)"
swift build --build-tests 2>&1 | tee "$log"
# No warnings in our own code (dependencies are not ours to fix).
if grep -E "^/.*/(Sources|Tests|Benchmarks)/.*: warning:" "$log" | grep -v "/.build/" ; then
  echo "test: the build has warnings" >&2
  exit 1
fi
rm -f "$log"

swift format lint --strict --recursive --configuration .swift-format Package.swift Sources Tests Benchmarks

swift test --skip-build
