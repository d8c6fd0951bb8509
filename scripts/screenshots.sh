#!/usr/bin/env bash
# Screenshots of every dashboard view, from the real binary in tmux (120x40 and 80x24):
# capture-pane with colours -> scripts/ansi2svg.py -> rsvg-convert -> screenshots/*.png.
#
#   scripts/screenshots.sh             a live run: batchtop-sim with a demo job submitted through
#                                      the normal path (needs the engine: `batchtop submit`)
#   scripts/screenshots.sh --fixture   the fixed store of the golden tests (tests/render/
#                                      fixture.sql), for before the engine exists; the pictures
#                                      say "fixture" in their title. Also the fixture's
#                                      pipeline: pipeline-*.png and lineage-*.png
# Needs tmux, python3, rsvg-convert (Debian librsvg2-bin) and a monospace font
# (fonts-dejavu-core); missing packages are installed when apt-get can.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
OUT="$ROOT/screenshots"
MODE=live
[ "${1:-}" = "--fixture" ] && MODE=fixture

need=()
command -v rsvg-convert >/dev/null || need+=(librsvg2-bin)
fc-list 2>/dev/null | grep -q "DejaVu Sans Mono" || need+=(fonts-dejavu-core)
command -v tmux >/dev/null || need+=(tmux)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cmake --build "$BUILD" -j2 >/dev/null
TMP="$(mktemp -d)"
SOCK="bt-shots-$$-0"
SIM_PID=""
cleanup() {
  for s in 0 120x40 80x24; do tmux -L "bt-shots-$$-$s" kill-server 2>/dev/null || true; done
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export BATCHTOP_HOME="$TMP/home" BATCHTOP_CONFIG="$TMP/config"
mkdir -p "$BATCHTOP_HOME"
: >"$BATCHTOP_CONFIG"
ENV="TERM=xterm-256color BATCHTOP_HOME=$BATCHTOP_HOME BATCHTOP_CONFIG=$BATCHTOP_CONFIG BATCHTOP_POLL_MS=200"

if [ "$MODE" = fixture ]; then
  bench="$("$ROOT/bench/tui/build.sh" "$BUILD")"
  "$bench" fixture "$BATCHTOP_HOME/batchtop.db" "$ROOT/tests/render/fixture.sql"
  LABEL="fixture store (tests/render/fixture.sql)"
  DASH_FLAGS="--read-only" # nothing to drive: the fixture's jobs are not on any server
else
  # The sim with a demo job that has failures to show; the dashboard drives it.
  coproc SIMPROC { exec "$BUILD/batchtop-sim" --port 0 --demo 2>"$TMP/sim.log"; }
  SIM_PID=$SIMPROC_PID
  read -r -t 10 PORT <&"${SIMPROC[0]}" || { echo "the sim did not start" >&2; exit 1; }
  ENV="$ENV OPENAI_BASE_URL=http://127.0.0.1:$PORT/v1 OPENAI_API_KEY=sk-demo-synthetic"
  env $ENV "$BUILD/batchtop" submit "$ROOT/examples/label.tmpl" "$ROOT/examples/feedback.csv" \
    --provider openai --name feedback-demo --chunk-size 50 >/dev/null
  LABEL="live run against batchtop-sim (synthetic answers)"
  DASH_FLAGS=""
fi

pane_has() { tmux -L "$SOCK" capture-pane -p -t s | grep -qF -- "$1"; }
wait_for() {
  local deadline=$((SECONDS + ${2:-20}))
  until pane_has "$1"; do
    ((SECONDS < deadline)) || { echo "screenshots: '$1' did not appear" >&2; exit 1; }
    sleep 0.1
  done
}
keys() { tmux -L "$SOCK" send-keys -t s "$@"; }
shot() { # NAME COLS ROWS
  local ans="$TMP/$1.ans" svg="$TMP/$1.svg"
  sleep 0.3 # let the last redraw reach tmux
  tmux -L "$SOCK" capture-pane -e -p -N -t s >"$ans"
  python3 "$ROOT/scripts/ansi2svg.py" "$ans" "$svg" --cols "$2" --rows "$3" \
    --title "batchtop $1 — $LABEL"
  rsvg-convert "$svg" -o "$OUT/$1.png"
  echo "screenshots/$1.png"
}

mkdir -p "$OUT"
for size in 120x40 80x24; do
  cols=${size%x*} rows=${size#*x}
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  SOCK="bt-shots-$$-$size" # a fresh server per size: a killed one can linger
  tmux -L "$SOCK" -f /dev/null new-session -d -s s -x "$cols" -y "$rows" \
    "cd '$ROOT' && env $ENV '$BUILD/batchtop' $DASH_FLAGS; sleep 30"
  wait_for "feedback-"
  if [ "$MODE" = live ] && [ "$size" = 120x40 ]; then
    # Let the demo job move first, so the picture shows progress rather than 0%.
    deadline=$((SECONDS + 120))
    while pane_has " 0/200" && ((SECONDS < deadline)); do sleep 0.2; done
    sleep 2
  fi
  shot "jobs-$size" "$cols" "$rows"
  # The job with failures: feedback-label (fixture, second row) or feedback-demo (live, first).
  [ "$MODE" = fixture ] && keys j
  keys Enter
  wait_for "Errors"
  # Live: wait until the first failures have come back, so the error group shows.
  [ "$MODE" = live ] && wait_for "TASKS SAMPLE MESSAGE" 180
  shot "job-$size" "$cols" "$rows"
  keys r
  wait_for "Estimated cost"
  shot "retry-$size" "$cols" "$rows"
  keys n Enter
  wait_for " tasks"
  shot "tasks-$size" "$cols" "$rows"
  keys Enter
  wait_for "Input row"
  shot "inspector-$size" "$cols" "$rows"
  keys Escape Escape Escape '?'
  wait_for "Keys"
  shot "help-$size" "$cols" "$rows"
  keys Escape n
  wait_for "template file"
  keys "examples/lab" Tab Enter "examples/fe" Tab Enter
  wait_for "substituted values marked"
  shot "preview-$size" "$cols" "$rows"
  # The fixture's pipeline (third row): its stages, then a failed row's lineage.
  if [ "$MODE" = fixture ]; then
    keys Escape g j j Enter
    wait_for "Stages 3"
    shot "pipeline-$size" "$cols" "$rows"
    keys Enter Enter Enter # label, its error group, row 12
    wait_for "Input row"
    [ "$rows" -lt 40 ] && keys PgDn # 80x24: the lineage is on the second page
    wait_for "through pipeline"
    shot "lineage-$size" "$cols" "$rows"
  fi
done
