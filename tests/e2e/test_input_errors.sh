#!/usr/bin/env bash
# e2e: input the readers must refuse clearly, through the real binary (issue 13, also found):
# a directory as INPUT, a FIFO nobody writes to (an error at once, never a wait), numbers out of
# range in the front matter (at their line and column, never clamped), --max-cost that is not a
# finite amount. Each is exit 1 with the file named. Under a second.
set -euo pipefail
BIN="${BATCHTOP_BIN:?}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/empty.conf"
: >"$BATCHTOP_CONFIG"
fail() { echo "FAIL: $*" >&2; exit 1; }
printf -- '---\nmodel: m\nmax_tokens: 5\n---\nLabel {{a}}\n' >"$TMP/t.md"
printf 'a\n1\n' >"$TMP/in.csv"

# expect_error WANT CMD...: exit 1 within 10 s, stderr contains WANT
expect_error() {
  local want="$1" rc=0
  shift
  timeout 10 "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
  [ "$rc" = 1 ] || fail "$*: exit $rc, wanted 1 (124 = it hung): $(cat "$TMP/err")"
  grep -qF -- "$want" "$TMP/err" || fail "$*: wanted '$want', got: $(cat "$TMP/err")"
}

mkdir "$TMP/docs"
for cmd in render preview estimate; do
  expect_error "$TMP/docs/: is a directory; INPUT must be a CSV, TSV or JSONL file" \
    "$BIN" $cmd "$TMP/t.md" "$TMP/docs/"
done
expect_error "$TMP/docs: is a directory" "$BIN" submit "$TMP/t.md" "$TMP/docs" --provider local

mkfifo "$TMP/fifo.csv"
expect_error "$TMP/fifo.csv:1:1: empty input: nothing was written to it" \
  "$BIN" render "$TMP/t.md" "$TMP/fifo.csv"
# ...and one whose writer is there reads as a file: <(command)
[ "$("$BIN" render "$TMP/t.md" <(printf 'a\nx\ny\n') | wc -l)" = 2 ] || fail "<(command) input"

printf -- '---\nmodel: m\nmax_tokens: 99999999999999999999999\n---\nLabel {{a}}\n' >"$TMP/big.md"
expect_error "$TMP/big.md:3:13: max_tokens: 99999999999999999999999 is too large" \
  "$BIN" render "$TMP/big.md" "$TMP/in.csv"
printf -- '---\nmodel: m\ntemperature: 1e999\n---\nLabel {{a}}\n' >"$TMP/inf.md"
expect_error "$TMP/inf.md:3:14: temperature: 1e999 is out of range" \
  "$BIN" render "$TMP/inf.md" "$TMP/in.csv"
expect_error "--max-tokens wants a whole number of at least 1" \
  "$BIN" render "$TMP/t.md" "$TMP/in.csv" --max-tokens 99999999999999999999999

for v in nan inf -inf 1e999; do
  expect_error "--max-cost" "$BIN" submit "$TMP/t.md" "$TMP/in.csv" --provider local --max-cost "$v"
  expect_error "--max-cost" "$BIN" retry nosuchjob --max-cost "$v"
  expect_error "--max-cost" "$BIN" run "$TMP/nosuch.yaml" --max-cost "$v"
done
[ ! -e "$BATCHTOP_HOME/batchtop.db" ] || [ "$("$BIN" jobs --json)" = "[]" ] ||
  fail "a refused submit made a job"
echo "ok"
