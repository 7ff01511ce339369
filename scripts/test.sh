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
# The app's tests (a server and a browser in child processes) run on their own, after the
# others, so that no long-lived child of theirs inherits another test's pipes.
swift test --skip-build --skip CairnAppTests 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
swift test --skip-build --filter CairnAppTests 2>&1 | tee -a "$out"
app_status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 0 ]; then status=$app_status; fi
# One plain closing line with the Swift Testing counts of both runs.
total=0
while read -r count; do total=$((total + count)); done < <(
  grep -Eo 'Test run with [0-9]+ tests? in [0-9]+ suites? (passed|failed)' "$out" |
    grep -Eo '[0-9]+ tests?' | grep -Eo '[0-9]+')
failed="$(grep -Ec '^✘ Test [^ ]+\(.*\) failed after' "$out" || true)"
rm -f "$out"
if [ "$total" -gt 0 ]; then
  echo "tests: $((total - failed)) passed, $failed failed"
fi
exit "$status"
