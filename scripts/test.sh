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

out="$(mktemp)"
set +e
swift test --skip-build 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
# One plain closing line with the Swift Testing counts.
summary="$(grep -Eo 'Test run with [0-9]+ tests? in [0-9]+ suites? (passed|failed)' "$out" | tail -1)"
total="$(echo "$summary" | grep -Eo '[0-9]+' | head -1)"
failed="$(grep -Ec '^✘ Test [^ ]+\(.*\) failed after' "$out" || true)"
rm -f "$out"
if [ -n "$total" ]; then
  echo "tests: $((total - failed)) passed, $failed failed"
fi
exit "$status"
