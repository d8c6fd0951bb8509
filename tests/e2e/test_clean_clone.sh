#!/usr/bin/env bash
# A clean clone has no ../shared beside it: the tests that read ../shared/data (test_prices,
# test_provider_prices, test_sim_prism) are skipped there with a line saying why (ctest's skip
# code 77), and fail in CI (CI=true), where every test must run. scripts/setup.sh counts a
# skipped test as neither passed nor failed and names it. Runs the built test programs against
# an empty shared folder, and setup.sh's counting against a three-test ctest project. About 2 s.
# (scripts/clean-clone-check.sh does the full thing: a copy of the tree, built and tested.)
set -euo pipefail
SRC="${BATCHTOP_SOURCE_DIR:?}"
BUILD="${BATCHTOP_BUILD_DIR:?}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bt-clean-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir "$WORK/noshared"

# expect NAME WANT_CODE WANT_LINE CMD...: CMD's exit code and a line of its stderr.
expect() {
  local name="$1" want="$2" line="$3" code=0
  shift 3
  "$@" >"$WORK/out" 2>"$WORK/err" || code=$?
  [ "$code" = "$want" ] || { cat "$WORK/err" >&2; fail "$name: exit $code, want $want"; }
  grep -q "$line" "$WORK/err" || fail "$name: no '$line' on stderr: $(cat "$WORK/err")"
}

for t in test_prices test_provider_prices; do
  expect "$t outside CI" 77 "^SKIP: $WORK/noshared/data/litellm-model-prices-subset.json is missing" \
    env -u CI BATCHTOP_SHARED_DIR="$WORK/noshared" "$BUILD/$t"
  expect "$t in CI" 1 "^FAIL: .* is missing; with CI=true a missing shared file is a failure" \
    env CI=true BATCHTOP_SHARED_DIR="$WORK/noshared" "$BUILD/$t"
done
# test_prices still runs its tests that need no shared file, and they can fail the program.
expect "test_prices' own tests" 77 "PASSED.*2 test" \
  env -u CI BATCHTOP_SHARED_DIR="$WORK/noshared" "$BUILD/test_prices"
expect "test_sim_prism outside CI" 77 "^SKIP: .*openai-openapi.yaml is missing" \
  env -u CI BATCHTOP_SHARED_DIR="$WORK/noshared" bash "$SRC/tests/e2e/test_sim_prism.sh"
expect "test_sim_prism in CI" 1 "^FAIL: .*openai-openapi.yaml is missing; with CI=true" \
  env CI=true BATCHTOP_SHARED_DIR="$WORK/noshared" bash "$SRC/tests/e2e/test_sim_prism.sh"

# ctest itself: the property makes 77 a skip.
grep -q "SKIP_RETURN_CODE" "$BUILD/tests/CTestTestfile.cmake" || fail "tests carry no SKIP_RETURN_CODE"
grep -q 'e2e.test_sim_prism.*SKIP_RETURN_CODE "77"\|SKIP_RETURN_CODE "77"' "$BUILD/tests/CTestTestfile.cmake" ||
  fail "SKIP_RETURN_CODE is not 77"

# setup.sh's totals over a real ctest run: one passed, one failed, one skipped.
mkdir "$WORK/proj"
cat >"$WORK/proj/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.13)
project(counting NONE)
enable_testing()
add_test(NAME passes COMMAND true)
add_test(NAME fails COMMAND false)
add_test(NAME skips COMMAND sh -c "echo 'SKIP: no data' >&2; exit 77")
set_tests_properties(skips PROPERTIES SKIP_RETURN_CODE 77)
C
cmake -S "$WORK/proj" -B "$WORK/proj/build" >/dev/null
(
  BT_SETUP_LIB=1
  source "$SRC/scripts/setup.sh"
  ROOT="$WORK/proj"
  JOBS=1
  run_ctest build >/dev/null
  [ "$PASSED/$FAILED/$SKIPPED" = 1/1/1 ] || fail "setup.sh counted $PASSED passed, $FAILED failed, $SKIPPED skipped; want 1/1/1"
  print_totals >"$WORK/totals"
) || exit 1
grep -q "^suite: 1 passed, 1 failed, 1 skipped$" "$WORK/totals" || fail "totals: $(cat "$WORK/totals")"
grep -q "^skipped .*: skips$" "$WORK/totals" || fail "the skipped test is not named: $(cat "$WORK/totals")"
echo PASS
