# Sourced by tests/e2e/test_sim_*.sh: start and stop a batchtop-sim on a free loopback port.
#
#   start_sim [FLAGS...]   sets SIM_PID, SIM_PORT, SIM_URL; the sim's stderr goes to $SIM_LOG
#   stop_sim               SIGTERM, and fail if it does not exit cleanly within 5 s
#   npm_install_sdks       the pinned SDKs and Prism into $BATCHTOP_BUILD_DIR/sdk-node (cached);
#                          a failed install fails the test (CI must not skip fidelity tests)
#
# The caller sets a trap that calls cleanup_sim (and removes its own temp files).

: "${BATCHTOP_SIM_BIN:?BATCHTOP_SIM_BIN is not set}"
SIM_PID=""

start_sim() {
  SIM_LOG="${SIM_LOG:-$(mktemp)}"
  local fifo
  fifo="$(mktemp -u)"
  mkfifo "$fifo"
  "$BATCHTOP_SIM_BIN" --port 0 "$@" >"$fifo" 2>>"$SIM_LOG" &
  SIM_PID=$!
  exec {SIM_FD}<"$fifo"
  rm -f "$fifo"
  if ! read -r -t 10 SIM_PORT <&"$SIM_FD"; then
    echo "batchtop-sim did not print its port; log:" >&2
    cat "$SIM_LOG" >&2
    return 1
  fi
  SIM_URL="http://127.0.0.1:$SIM_PORT"
}

stop_sim() {
  [ -n "$SIM_PID" ] || return 0
  kill -TERM "$SIM_PID"
  local rc=0
  for _ in $(seq 50); do
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SIM_PID" 2>/dev/null; then
    echo "batchtop-sim did not exit within 5 s of SIGTERM" >&2
    kill -KILL "$SIM_PID"
    rc=1
  fi
  wait "$SIM_PID" || rc=$?
  SIM_PID=""
  return $rc
}

cleanup_sim() {
  if [ -n "$SIM_PID" ]; then
    kill -KILL "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
}

npm_install_sdks() {
  local dir="$BATCHTOP_BUILD_DIR/sdk-node" src="$BATCHTOP_SOURCE_DIR/tests/sdk/package.json"
  SDK_NODE_MODULES="$dir/node_modules"
  command -v node >/dev/null || { echo "node is not installed (scripts/setup.sh installs it)" >&2; return 1; }
  echo "node $(node --version), npm $(npm --version)" >&2
  mkdir -p "$dir"
  # ctest runs the SDK and Prism tests side by side: one installs, the other waits for it.
  local lock
  exec {lock}>"$dir.lock"
  flock "$lock"
  _npm_install_locked "$dir" "$src"
  local rc=$?
  flock -u "$lock"
  exec {lock}>&-
  return $rc
}

_npm_install_locked() {
  local dir="$1" src="$2"
  # Cached when the installed versions are exactly the pinned ones.
  if cmp -s "$src" "$dir/package.json" && node -e '
      const want = require(process.argv[1]).dependencies;
      for (const [name, v] of Object.entries(want)) {
        const got = require(process.argv[2] + "/" + name + "/package.json").version;
        if (got !== v) process.exit(1);
      }' "$src" "$SDK_NODE_MODULES" 2>/dev/null; then
    return 0
  fi
  cp "$src" "$dir/package.json"
  if ! (cd "$dir" && npm install --no-package-lock --no-audit --no-fund --loglevel=error >&2); then
    echo "npm install of the pinned SDKs failed (network?): the fidelity test cannot run" >&2
    return 1
  fi
}
