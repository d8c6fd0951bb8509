#!/usr/bin/env bash
# e2e: preview, render and estimate on examples/feedback.csv + examples/label.tmpl, and their
# failures (exit 1 with FILE:LINE:COL, nothing half-written).
set -euo pipefail
BIN="${BATCHTOP_BIN:?}"
SRC="${BATCHTOP_SOURCE_DIR:?}"
SHARED="${BATCHTOP_SHARED_DIR:-$SRC/../shared}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/empty.conf"
: >"$BATCHTOP_CONFIG"
TPL="$SRC/examples/label.tmpl"
CSV="$SRC/examples/feedback.csv"
fail() { echo "FAIL: $*" >&2; exit 1; }

# render: 200 valid JSON lines, one per row, in order
"$BIN" render "$TPL" "$CSV" >"$TMP/out.jsonl"
[ "$(wc -l <"$TMP/out.jsonl")" -eq 200 ] || fail "render: expected 200 lines"
python3 - "$TMP/out.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == ""
for i, line in enumerate(lines[:-1], 1):
    o = json.loads(line)
    assert o["custom_id"] == f"row-{i}", o["custom_id"]
    assert o["method"] == "POST" and o["url"] == "/v1/chat/completions"
    b = o["body"]
    assert b["model"] == "gpt-4o-mini" and b["max_tokens"] == 5 and b["temperature"] == 0
    assert b["messages"][0]["role"] == "system"
    assert b["messages"][1]["content"].startswith("Label this feedback")
assert "second paragraph" in json.loads(lines[22])["body"]["messages"][1]["content"]
PY

# render -o and --split, anthropic
"$BIN" render "$TPL" "$CSV" --provider anthropic --model claude-haiku-4-5 -o "$TMP/a.jsonl" 2>"$TMP/err"
grep -q '"params":{"model":"claude-haiku-4-5","max_tokens":5,"system":' "$TMP/a.jsonl" || fail "anthropic line shape"
"$BIN" render "$TPL" "$CSV" --split "$TMP/chunks" --chunk-size 64 2>"$TMP/err"
[ "$(ls "$TMP/chunks")" = "$(printf 'chunk-0001.jsonl\nchunk-0002.jsonl\nchunk-0003.jsonl\nchunk-0004.jsonl')" ] ||
  fail "split: $(ls "$TMP/chunks")"
[ "$(cat "$TMP"/chunks/chunk-*.jsonl | wc -l)" -eq 200 ] || fail "split: line count"
[ "$(wc -l <"$TMP/chunks/chunk-0004.jsonl")" -eq 8 ] || fail "split: last chunk"
grep -q "200 requests in 4 batches" "$TMP/err" || fail "split: summary"
"$BIN" render "$TPL" "$CSV" --split "$TMP/chunks" --chunk-size 100 2>"$TMP/err"
[ "$(ls "$TMP/chunks" | wc -l)" -eq 2 ] || fail "split again: stale chunks left: $(ls "$TMP/chunks")"

# a failure half-way writes nothing to -o (row 3 lacks the id)
printf 'id,channel,feedback\na,web,x\nb,web,y\n,web,z\n' >"$TMP/bad.csv"
rc=0
"$BIN" render "$TPL" "$TMP/bad.csv" --id-field id -o "$TMP/never.jsonl" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] || fail "bad render exit $rc"
grep -q "bad.csv:4:1: row 3 has no value in the id field 'id'" "$TMP/err" || fail "bad render message: $(cat "$TMP/err")"
[ ! -e "$TMP/never.jsonl" ] || fail "-o written despite the error"
[ -z "$(ls "$TMP" | grep never || true)" ] || fail "temporary file left behind"

# bad inputs: exit 1 with FILE:LINE:COL
printf 'id,channel,feedback\n1,web,"never closed\n' >"$TMP/q.csv"
rc=0; "$BIN" render "$TPL" "$TMP/q.csv" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "q.csv:2:7: unterminated quoted field" "$TMP/err" || fail "unterminated: $rc $(cat "$TMP/err")"
printf -- '---\nmodel: m\n---\nHi {{feedback|shout}}\n' >"$TMP/t.tmpl"
rc=0; "$BIN" render "$TMP/t.tmpl" "$CSV" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "t.tmpl:4:15: unknown filter 'shout'" "$TMP/err" || fail "filter: $rc $(cat "$TMP/err")"
printf -- 'no model here {{feedback}}\n' >"$TMP/nomodel.tmpl"
rc=0; "$BIN" render "$TMP/nomodel.tmpl" "$CSV" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "no model" "$TMP/err" || fail "no model: $rc"
rc=0; "$BIN" render "$TPL" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "missing INPUT accepted"

# U+2028 inside a value survives render as raw UTF-8, the line still splits on LF only
printf 'id,channel,feedback\n1,web,"a\xe2\x80\xa8b"\n' >"$TMP/ls.csv"
"$BIN" render "$TPL" "$TMP/ls.csv" >"$TMP/ls.jsonl"
[ "$(wc -l <"$TMP/ls.jsonl")" -eq 1 ] || fail "U+2028 line count"
grep -q $'a\xe2\x80\xa8b' "$TMP/ls.jsonl" || fail "U+2028 not kept raw"

# preview: rows, marks (not a TTY), summary
"$BIN" preview "$TPL" "$CSV" --row 2 --row 23 >"$TMP/p.txt"
grep -q "== row 2  (line 3, custom_id row-2) ==" "$TMP/p.txt" || fail "preview header"
grep -q "Channel: ⟦app store⟧" "$TMP/p.txt" || fail "preview marks"
grep -q "Also, second paragraph: thanks, team.⟧" "$TMP/p.txt" || fail "preview multi-line value"
grep -q "^200 rows, 2 shown; fields used: channel, feedback; fields unused: id, customer$" "$TMP/p.txt" ||
  fail "preview summary: $(tail -1 "$TMP/p.txt")"
[ "$(grep -c '^== row' "$TMP/p.txt")" -eq 2 ] || fail "preview row count"
printf 'id,channel,feedback\n1,web,"a\033[2Jb\rc"\n' >"$TMP/ctl.csv"
"$BIN" preview "$TPL" "$TMP/ctl.csv" >"$TMP/ctl.txt"
grep -q 'Feedback: ⟦a^\[\[2Jb^Mc⟧' "$TMP/ctl.txt" || fail "preview control characters: $(grep Feedback "$TMP/ctl.txt")"
rc=0; "$BIN" preview "$TPL" "$CSV" --row 999 >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "has only 200 rows" "$TMP/err" || fail "preview --row 999"
rc=0; "$BIN" preview "$TPL" "$CSV" --tui </dev/null >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "needs a terminal" "$TMP/err" || fail "preview --tui without a terminal"

# estimate: table, JSON, LiteLLM prices, unknown model
"$BIN" estimate "$TPL" "$CSV" >"$TMP/e.txt"
grep -Eq "^  rows +200$" "$TMP/e.txt" || fail "estimate rows"
grep -Eq "^  batches +1$" "$TMP/e.txt" || fail "estimate batches"
grep -q "standard" "$TMP/e.txt" && grep -q "(50%)" "$TMP/e.txt" || fail "estimate cost table"
"$BIN" estimate "$TPL" "$CSV" --json --chunk-size 50 >"$TMP/e.json"
python3 - "$TMP/e.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["rows"] == 200 and e["requests"] == 200 and e["batches"] == 4, e
assert e["output_tokens"]["worst"] == 1000 and e["output_tokens"]["expected"] == 600
c = e["cost_usd"]
assert abs(c["batch"]["expected"] * 2 - c["standard"]["expected"]) < 1e-9
assert abs(c["saving"]["percent"] - 50) < 1e-6
PY
if [ -f "$SHARED/data/litellm-model-prices-subset.json" ]; then
  "$BIN" estimate "$TPL" "$CSV" --prices "$SHARED/data/litellm-model-prices-subset.json" \
    --provider anthropic --model claude-sonnet-4-6 >"$TMP/e2.txt"
  grep -q "claude-sonnet-4-6: \$3 in / \$15 out" "$TMP/e2.txt" || fail "litellm prices: $(cat "$TMP/e2.txt")"
fi
"$BIN" estimate "$TPL" "$CSV" --model no-such-model >"$TMP/e3.txt"
grep -q "no price known for no-such-model" "$TMP/e3.txt" || fail "unknown model"
grep -Eq "^  input tokens +[0-9,]+" "$TMP/e3.txt" || fail "tokens still printed"
echo "ok"
