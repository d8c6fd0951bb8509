#!/usr/bin/env bash
# Fidelity: the official `openai` and `@anthropic-ai/sdk` npm packages (pinned in
# tests/sdk/package.json, installed from the npm registry into the build dir) run the full batch
# flows against batchtop-sim. Any shape they reject is a sim bug. No network = a failure.
set -euo pipefail
source "$BATCHTOP_SOURCE_DIR/tests/sdk/sim_lib.sh"
trap cleanup_sim EXIT

npm_install_sdks
SIM_LOG="$(mktemp)"
start_sim --request-ms 150 --validate-ms 200 --finalize-ms 200 --cancel-ms 200 \
  --fail-if-contains sdk-fail --openai-key sk-sdk-test --anthropic-key sk-ant-sdk-test
export SIM_URL
export NODE_PATH="$SDK_NODE_MODULES"
rc=0
# One file at a time (older Node has no --test-concurrency).
for t in openai anthropic; do
  node --test "$BATCHTOP_SOURCE_DIR/tests/sdk/$t.test.js" || rc=$?
done
stop_sim || rc=1
if [ "$rc" -ne 0 ]; then
  echo "--- sim log" >&2
  tail -50 "$SIM_LOG" >&2
fi
rm -f "$SIM_LOG"
exit "$rc"
