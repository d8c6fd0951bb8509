# Sourced by scripts/setup.sh (run_tests): the ThreadSanitizer run and the bounded fuzz runs.
# Uses configure_build and run_ctest from setup.sh; adds to its PASSED/FAILED totals.

# ThreadSanitizer: every C test that marks itself with BT_TEST_TSAN (ctest label "tsan").
if grep -lq BT_TEST_TSAN "$ROOT"/tests/unit/test_*.c 2>/dev/null; then
  log "tests: threaded tests under ThreadSanitizer"
  mkdir -p "$ROOT/build-tsan"
  if configure_build build-tsan -DTSAN=ON -DCMAKE_BUILD_TYPE=Debug; then
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_ctest build-tsan -L tsan
  else
    FAILED=$((FAILED + 1))
  fi
fi

# libFuzzer: each target in tests/fuzz runs for FUZZ_SECONDS (default 20) from its seeds.
if ls "$ROOT"/tests/fuzz/fuzz_*.c >/dev/null 2>&1; then
  log "tests: fuzz targets, ${FUZZ_SECONDS:-20}s each"
  mkdir -p "$ROOT/build-fuzz"
  if cmake -S "$ROOT" -B "$ROOT/build-fuzz" -DCMAKE_C_COMPILER=clang -DFUZZ=ON \
       -DFUZZ_SECONDS="${FUZZ_SECONDS:-20}" -DCMAKE_BUILD_TYPE=Debug \
       >"$ROOT/build-fuzz.configure.log" 2>&1 &&
     targets="$(cd "$ROOT/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')" &&
     cmake --build "$ROOT/build-fuzz" -j"$JOBS" --target $targets \
       >"$ROOT/build-fuzz.build.log" 2>&1; then
    run_ctest build-fuzz -L fuzz
  else
    tail -40 "$ROOT/build-fuzz.build.log" >&2 || true
    FAILED=$((FAILED + 1))
  fi
fi
