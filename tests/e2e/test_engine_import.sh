#!/usr/bin/env bash
# `import`: batches created elsewhere (here: by another store) are tracked by a new job, polled
# and collected like our own; importing one twice is refused; without ids, every untracked
# batch on every page of the provider's list is imported; an error file that is gone (404)
# does not stop the output file from being collected.
source "$(dirname "$0")/engine_lib.bash"

start_sim --request-ms 2 --validate-ms 40 --finalize-ms 40 --fail-if-contains "fail me"
write_template "$WORK/t.md"
write_input "$WORK/in.csv" 6
for provider in openai anthropic; do
  note "import $provider"
  new_home
  job="$("$BIN" submit "$WORK/t.md" "$WORK/in.csv" --provider "$provider" --chunk-size 4 2>/dev/null)"
  ids="$("$BIN" status "$job" --json |
    python3 -c 'import json,sys; print(" ".join(b["remote_id"] for b in json.load(sys.stdin)["batches"]))')"
  [ -n "$ids" ] || fail "$provider: submit created no batches"
  new_home
  # shellcheck disable=SC2086
  imp="$("$BIN" import --provider "$provider" $ids --wait 2>"$WORK/err.txt")" ||
    { cat "$WORK/err.txt"; fail "$provider: import --wait failed"; }
  [ "$(status_field "$imp" 'd["counts"]["succeeded"]')" = 6 ] || fail "$provider: not 6 results"
  results_column "$imp" custom_id | sort >"$WORK/ids.txt"
  printf 'row-%s\n' 1 2 3 4 5 6 | sort | diff - "$WORK/ids.txt" || fail "$provider: custom_ids"
  set +e
  # shellcheck disable=SC2086
  "$BIN" import --provider "$provider" $ids >/dev/null 2>"$WORK/err.txt"
  code=$?
  set -e
  [ "$code" = 1 ] && grep -q "already tracked" "$WORK/err.txt" || fail "$provider: imported twice"
  # A --name another job has is refused before anything is asked of the provider.
  set +e
  "$BIN" import --provider "$provider" --name import >/dev/null 2>"$WORK/err.txt"
  code=$?
  set -e
  [ "$code" = 1 ] && grep -q "job $imp is already named 'import'" "$WORK/err.txt" ||
    fail "$provider: a duplicate import --name: exit $code: $(cat "$WORK/err.txt")"
  assert_no_canary "$WORK/err.txt"
  # Without ids: every untracked batch the provider lists, across pages (one batch a page here).
  new_home
  imp="$(BATCHTOP_LIST_LIMIT=1 "$BIN" import --provider "$provider" --wait 2>"$WORK/err.txt")" ||
    { cat "$WORK/err.txt"; fail "$provider: import without ids failed"; }
  [ "$(status_field "$imp" 'len(d["batches"])')" = 2 ] || fail "$provider: not both pages imported"
  [ "$(status_field "$imp" 'd["counts"]["succeeded"]')" = 6 ] || fail "$provider: paged import: not 6 results"
done

note "openai: a batch's error file deleted before the import (404): its output still lands"
write_input "$WORK/in5.csv" 6 5 # row 5 fails, so the batch has an error file
new_home
set +e
job="$("$BIN" submit "$WORK/t.md" "$WORK/in5.csv" --provider openai --wait 2>/dev/null)"
set -e
id="$(status_field "$job" 'd["batches"][0]["remote_id"]')"
api() { curl -sf -H "Authorization: Bearer $OPENAI_API_KEY" "$@"; }
efile="$(json_get "$(api "http://127.0.0.1:$PORT/v1/batches/$id")" 'd["error_file_id"] or ""')"
[ -n "$efile" ] || fail "the batch has no error file to delete"
api -X DELETE "http://127.0.0.1:$PORT/v1/files/$efile" >/dev/null
api "http://127.0.0.1:$PORT/v1/files/$efile/content" >/dev/null && fail "the error file is still there"
new_home
set +e
imp="$(timeout 60 "$BIN" import --provider openai "$id" --wait 2>"$WORK/err.txt")"
code=$?
set -e
[ "$code" != 124 ] || fail "import --wait never ended (a missing error file loops)"
[ "$(status_field "$imp" 'd["counts"]["succeeded"]')" = 5 ] ||
  { cat "$WORK/err.txt"; fail "the output file's 5 results did not land (exit $code)"; }
assert_no_canary "$WORK/err.txt"
note "ok"
