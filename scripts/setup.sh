#!/usr/bin/env bash
# batchtop's one setup script: installs the Debian packages that are missing, configures and
# builds, then does what was asked. Both README commands and .ci/run go through it.
#
#   scripts/setup.sh            install what is missing and build (build/batchtop, build/batchtop-sim)
#   scripts/setup.sh demo       ... then run the dashboard on a live demo against batchtop-sim
#   scripts/setup.sh test       ... then run the whole test suite (what CI runs)
#   scripts/setup.sh deps       only install what is missing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

# Debian 12 packages: compiler and tools, the libraries of style.md, and what the tests drive
# (tmux for the dashboard's end-to-end test, Node.js for the official SDKs' fidelity tests).
PACKAGES=(build-essential cmake pkg-config clang libclang-rt-14-dev
          libncurses-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev libyaml-dev
          libmicrohttpd-dev libcmocka-dev tmux python3 curl ca-certificates time sqlite3)

log() { printf '== %s\n' "$*" >&2; }

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  # Node.js and npm: the machine may already carry a newer Node; only install Debian's when absent.
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# configure_build DIR [cmake options...]
configure_build() {
  local dir="$1"; shift
  cmake -S "$ROOT" -B "$ROOT/$dir" -DWERROR=ON "$@" >"$ROOT/$dir.configure.log" 2>&1 ||
    { cat "$ROOT/$dir.configure.log" >&2; return 1; }
  cmake --build "$ROOT/$dir" -j"$JOBS" >"$ROOT/$dir.build.log" 2>&1 ||
    { grep -E "error|Error" -A3 "$ROOT/$dir.build.log" | head -80 >&2; return 1; }
}

build() {
  mkdir -p "$ROOT/build"
  log "building build/ (warnings are errors)"
  configure_build build
}

PASSED=0
FAILED=0
SKIPPED=0
SKIPPED_NAMES=()
# count_ctest FILE RC: adds one ctest run's output (and exit code) to the totals. ctest counts
# a skipped test (SKIP_RETURN_CODE, e.g. data from ../shared that a clean clone lacks) among
# the passed ones and lists it under "The following tests did not run"; here it is neither
# passed nor failed, and named.
count_ctest() {
  local out="$1" rc="$2" line p f s name
  line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$out" | tail -1 || true)"
  if [ -n "$line" ]; then
    f="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")"
    p="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")"
    s=0
    while read -r name; do
      [ -n "$name" ] || continue
      SKIPPED_NAMES+=("$name")
      s=$((s + 1))
    done < <(sed -nE 's/^[[:space:]]*[0-9]+ - ([^ ]+) \(Skipped\)$/\1/p' "$out")
    PASSED=$((PASSED + p - f - s))
    FAILED=$((FAILED + f))
    SKIPPED=$((SKIPPED + s))
  elif [ "$rc" -ne 0 ]; then
    FAILED=$((FAILED + 1))
  fi
}

# run_ctest DIR [ctest options...]: runs ctest, adds its counts to the totals.
run_ctest() {
  local dir="$1"; shift
  local out rc=0
  out="$(mktemp)"
  (cd "$ROOT/$dir" && ctest --output-on-failure -j"$JOBS" "$@") 2>&1 | tee "$out" || rc=$?
  count_ctest "$out" "$rc"
  rm -f "$out"
  return 0
}

# The last line of a test run: skipped tests are counted and named, never folded into passed.
print_totals() {
  echo "suite: $PASSED passed, $FAILED failed, $SKIPPED skipped"
  if ((SKIPPED)); then
    echo "skipped (each printed why above; CI=true makes them run or fail): ${SKIPPED_NAMES[*]}"
  fi
}

run_tests() {
  build
  log "tests: everything, on build/"
  run_ctest build
  log "tests: unit and render tests under AddressSanitizer + UndefinedBehaviorSanitizer"
  mkdir -p "$ROOT/build-asan"
  if configure_build build-asan -DASAN=ON -DUBSAN=ON -DCMAKE_BUILD_TYPE=Debug; then
    run_ctest build-asan -L 'unit|render'
  else
    FAILED=$((FAILED + 1))
  fi
  if [ -x "$ROOT/scripts/test-extra.sh" ]; then
    # ThreadSanitizer and fuzzing runs, added as their subjects exist.
    if ! source "$ROOT/scripts/test-extra.sh"; then FAILED=$((FAILED + 1)); fi
  fi
  print_totals
  [ "$FAILED" -eq 0 ]
}

# BT_SETUP_LIB=1: only define the functions (tests/e2e/test_clean_clone.sh checks the counting).
[ "${BT_SETUP_LIB:-}" = 1 ] && return 0

cmd="${1:-build}"
case "$cmd" in
  deps) install_deps ;;
  build) install_deps; build ;;
  test) install_deps; run_tests ;;
  demo) install_deps; build; exec bash "$ROOT/scripts/demo.sh" ;;
  *) echo "usage: scripts/setup.sh [build|demo|test|deps]" >&2; exit 1 ;;
esac
