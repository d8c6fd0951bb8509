#!/usr/bin/env bash
# What a user's fresh clone does with the tests that read ../shared: copies this tree's tracked
# files to a temporary folder with no ../shared beside it, builds there, and runs those tests
# (and the counting check) through ctest. Outside CI they must be skipped, naming why; with
# CI=true they must fail. A few minutes (a full build); tests/e2e/test_clean_clone.sh is the
# quick version that ctest runs.
#   scripts/clean-clone-check.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-2}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/bt-clone-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/batchtop"
(cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$TMP/batchtop")
[ ! -e "$TMP/shared" ] || { echo "FAIL: $TMP/shared exists" >&2; exit 1; }
cmake -S "$TMP/batchtop" -B "$TMP/batchtop/build" -DWERROR=ON >/dev/null
cmake --build "$TMP/batchtop/build" -j"$JOBS" --target batchtop batchtop-sim test_prices \
  test_provider_prices >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2; exit 1; }
cd "$TMP/batchtop/build"
tests='^(unit.test_prices|unit.test_provider_prices|e2e.test_sim_prism|e2e.test_clean_clone)$'
env -u CI ctest -V -R "$tests" >"$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; exit 1; }
for t in unit.test_prices unit.test_provider_prices e2e.test_sim_prism; do
  grep -q "$t .*Skipped" "$TMP/out.txt" || { cat "$TMP/out.txt"; echo "FAIL: $t not skipped" >&2; exit 1; }
done
grep -q "SKIP: .* is missing" "$TMP/out.txt" || { echo "FAIL: no reason printed" >&2; exit 1; }
if CI=true ctest -R '^(unit.test_prices|unit.test_provider_prices|e2e.test_sim_prism)$' >"$TMP/ci.txt" 2>&1; then
  cat "$TMP/ci.txt"; echo "FAIL: with CI=true the missing files did not fail" >&2; exit 1
fi
grep -q "0% tests passed, 3 tests failed out of 3" "$TMP/ci.txt" || { cat "$TMP/ci.txt"; exit 1; }
echo "PASS: without ../shared the three tests are skipped with the reason; with CI=true they fail"
