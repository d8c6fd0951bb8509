#!/usr/bin/env bash
# Local provider throughput: batchtop's `local` provider (one curl multi handle, 256 requests in
# flight, every result stored) against the official `openai` npm SDK with a concurrency limit of
# 256 doing the same requests (storing nothing), both against batchtop-sim's chat completions;
# plus the sim's own ceiling measured with wrk. Prints requests/second and the ratio.
#   bench/local/run.sh [N]      (N requests, default 20000; needs build/ and node + npm)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
N="${1:-20000}"
B="$ROOT/build"
W="$(mktemp -d "${TMPDIR:-/tmp}/bt-bench-local-XXXXXX")"
SIM_PID=""
trap '[ -n "$SIM_PID" ] && kill $SIM_PID 2>/dev/null; rm -rf "$W"' EXIT
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo;
  $sudo apt-get install -y -qq wrk >/dev/null; }
if [ ! -d "$B/bench-local/node_modules/openai" ]; then
  mkdir -p "$B/bench-local"
  (cd "$B/bench-local" && npm install --silent --no-package-lock --no-audit --no-fund openai >/dev/null)
fi
cp "$ROOT/bench/local/sdk.mjs" "$B/bench-local/sdk.mjs"

"$B/batchtop-sim" --port 0 --threads 4 >"$W/sim.out" 2>"$W/sim.err" &
SIM_PID=$!
until [ -s "$W/sim.out" ]; do sleep 0.05; done
PORT="$(head -1 "$W/sim.out")"
export BATCHTOP_HOME="$W/home" BATCHTOP_LOCAL_URL="http://127.0.0.1:$PORT/v1"
export BATCHTOP_LOCAL_API_KEY=sk-bench OPENAI_API_KEY=sk-bench
export OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1"
printf 'local_concurrency = 256\n' >"$W/config" && chmod 600 "$W/config"
export BATCHTOP_CONFIG="$W/config"
cat >"$W/t.md" <<'TPL'
---
model: gpt-4o-mini
max_tokens: 20
---
Label this feedback as bug, feature, praise or other. Feedback: {{feedback}}
TPL
{ echo "id,feedback"; for ((i = 1; i <= N; i++)); do echo "$i,item $i"; done; } >"$W/in.csv"
"$B/batchtop" render "$W/t.md" "$W/in.csv" --provider local >"$W/bodies.jsonl"

echo "sim ceiling (wrk, 256 connections, 10 s):" >&2
wrk -t2 -c256 -d10s -s "$ROOT/bench/local/post.lua" "http://127.0.0.1:$PORT/v1/chat/completions" \
  | tee "$W/wrk.txt" | grep -E "Requests/sec|Latency"
ceiling=$(awk '/Requests\/sec/ {print $2}' "$W/wrk.txt")

t0=$(date +%s.%N)
"$B/batchtop" submit "$W/t.md" "$W/in.csv" --provider local --wait >/dev/null 2>"$W/bt.err" ||
  { cat "$W/bt.err"; exit 1; }
t1=$(date +%s.%N)
bt=$(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN {printf "%.0f", n / (b - a)}')
echo "batchtop local provider: $N requests, $bt requests/s (render + store included)"

sdk=$(cd "$B/bench-local" && node sdk.mjs "$W/bodies.jsonl" 256)
echo "openai npm SDK (256 concurrent): $sdk"
sdk_rps=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["rps"]))' "$sdk")
awk -v a="$bt" -v b="$sdk_rps" -v c="$ceiling" 'BEGIN {
  printf "ratio batchtop/sdk: %.1fx (goal >= 2x); batchtop at %.0f%% of the sim ceiling %.0f req/s\n",
         a / b, 100 * a / c, c }'
