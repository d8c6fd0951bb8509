#!/usr/bin/env bash
# batchtop-sim as a program: --help and the banner say the answers are synthetic, bad flags and
# bad config files fail with FILE:LINE:COL, --port 0 prints the port alone on stdout's first
# line, it listens on loopback only, --config and --demo apply, SIGTERM and SIGINT exit cleanly.
set -euo pipefail
source "$BATCHTOP_SOURCE_DIR/tests/sdk/sim_lib.sh"
TMP="$(mktemp -d)"
trap 'cleanup_sim; rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# --help / --version
"$BATCHTOP_SIM_BIN" --help >"$TMP/help"
grep -q "synthetic" "$TMP/help" || fail "--help does not say the answers are synthetic"
for flag in --port --demo --config --fail-if-contains --fail-first --hang-if-contains --fix \
            --burst-429 --token-limit --request-ms --window-ms --time-scale --slow-body-ms; do
  grep -q -- "$flag" "$TMP/help" || fail "--help does not list $flag"
done
"$BATCHTOP_SIM_BIN" --version | grep -q synthetic || fail "--version"

# bad input: exit 1 and a message that says where
if "$BATCHTOP_SIM_BIN" --no-such-flag 2>"$TMP/err"; then fail "unknown flag accepted"; fi
if "$BATCHTOP_SIM_BIN" --request-ms soon 2>"$TMP/err"; then fail "--request-ms soon accepted"; fi
grep -q "request-ms" "$TMP/err" || fail "bad value message: $(cat "$TMP/err")"
printf 'request_ms = 5\nwindow_ms = later\n' >"$TMP/bad.conf"
if "$BATCHTOP_SIM_BIN" --config "$TMP/bad.conf" 2>"$TMP/err"; then fail "bad config accepted"; fi
grep -q "bad.conf:2:13:" "$TMP/err" || fail "config error without FILE:LINE:COL: $(cat "$TMP/err")"

# --port 0, banner, loopback only, config file applied
printf '# test config\nburst_429 = 1\nretry_after_ms = 1500\n' >"$TMP/good.conf"
SIM_LOG="$TMP/sim.log"
start_sim --config "$TMP/good.conf"
[[ "$SIM_PORT" =~ ^[0-9]+$ ]] || fail "first stdout line is not a port: '$SIM_PORT'"
grep -q "synthetic" "$SIM_LOG" || fail "the banner does not say synthetic"
curl -fsS "$SIM_URL/" | grep -q synthetic || fail "GET / does not say synthetic"
code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer k' "$SIM_URL/v1/batches")"
[ "$code" = 429 ] || fail "config burst_429 = 1 not applied (got $code)"
hdrs="$(curl -s -D - -o /dev/null -H 'Authorization: Bearer k' "$SIM_URL/v1/batches")"
grep -qi "^x-ratelimit-remaining-requests: 9999" <<<"$hdrs" || fail "rate-limit headers: $hdrs"
for ip in $(hostname -I 2>/dev/null || true); do
  [[ "$ip" == 127.* || "$ip" == *:* ]] && continue
  if curl -s -m 2 -o /dev/null "http://$ip:$SIM_PORT/"; then fail "reachable on $ip"; fi
done
stop_sim || fail "SIGTERM did not stop the sim cleanly"
grep -q "SIGTERM" "$SIM_LOG" || fail "no clean-stop message"

# --demo: the preset, and its double-charged rule on the example data (time sped up 50x)
start_sim --demo
cfg="$(curl -fsS "$SIM_URL/admin/config")"
[ "$(json 'd["fail_if_contains"], d["fail_first"]' <<<"$cfg")" = "('double-charged', 1)" ] ||
  fail "demo rule: $cfg"
# a batch of 50 takes 20-60 s and one of 200 too: validate + n * request + finalize
python3 - "$cfg" <<'PY' || fail "demo timing"
import json, sys
c = json.loads(sys.argv[1])
for n in (50, 200):
    s = (c["validate_ms"] + n * c["request_ms"] + c["finalize_ms"]) / 1000
    assert 15 <= s <= 65, (n, s)
PY
kill -INT "$SIM_PID"
wait "$SIM_PID" || fail "SIGINT exit status"
SIM_PID=""

start_sim --demo --time-scale 0.02
python3 - "$SIM_URL" "$BATCHTOP_SOURCE_DIR/examples/feedback.csv" <<'PY' || fail "demo retry flow"
import csv, json, sys, time, urllib.request, uuid
url, path = sys.argv[1], sys.argv[2]
H = {"authorization": "Bearer sk-demo"}
def req(p, body=None, raw=None, ctype="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    r = urllib.request.Request(url + p, data=data, headers={"content-type": ctype, **H})
    return json.loads(urllib.request.urlopen(r, timeout=20).read())
def run(rows):
    lines = "".join(json.dumps({"custom_id": r["id"], "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "max_tokens": 5, "messages": [{"role": "user",
        "content": "Label this feedback as bug, feature, praise or other.\n" + r["feedback"]}]}}) + "\n"
        for r in rows).encode()
    b = uuid.uuid4().hex
    form = (f"--{b}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--{b}\r\n"
            f"Content-Disposition: form-data; name=\"file\"; filename=\"f.jsonl\"\r\n\r\n").encode() + lines + f"\r\n--{b}--\r\n".encode()
    fid = req("/v1/files", raw=form, ctype=f"multipart/form-data; boundary={b}")["id"]
    bid = req("/v1/batches", {"input_file_id": fid, "endpoint": "/v1/chat/completions", "completion_window": "24h"})["id"]
    end = time.time() + 30
    while (bt := req(f"/v1/batches/{bid}"))["status"] != "completed":
        assert time.time() < end, bt
        time.sleep(0.05)
    return bt
rows = list(csv.DictReader(open(path)))[:50]
charged = [r for r in rows if "double-charged" in r["feedback"].lower()]
assert charged, "the example data has no double-charged rows"
first = run(rows)
assert first["request_counts"]["failed"] == len(charged), first["request_counts"]
retry = run(charged)
assert retry["request_counts"] == {"total": len(charged), "completed": len(charged), "failed": 0}, retry
stats = req("/admin/stats")
assert all(stats["executions"][r["id"]] == 2 for r in charged)
print(f"demo: {len(charged)} double-charged rows failed once and passed on retry")
PY
stop_sim || fail "stop"
echo "ok"
