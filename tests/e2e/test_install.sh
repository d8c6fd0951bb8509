#!/usr/bin/env bash
# `cmake --install` into a DESTDIR puts the program, the man page and the bash and zsh
# completion (generated from the command table) where shells look; the bash completion
# offers every command `batchtop --help` lists and a command's flags. About 1 s.
set -euo pipefail
BUILD="${BATCHTOP_BUILD_DIR:?}"
BIN="${BATCHTOP_BIN:?}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bt-install-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR="$WORK/root" cmake --install "$BUILD" --prefix /usr/local >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log" >&2; fail "cmake --install"; }
P="$WORK/root/usr/local"
for f in bin/batchtop share/man/man1/batchtop.1 share/bash-completion/completions/batchtop \
  share/zsh/site-functions/_batchtop; do
  [ -s "$P/$f" ] || fail "not installed: $f ($(cat "$WORK/install.log"))"
done
head -1 "$P/share/zsh/site-functions/_batchtop" | grep -q '^#compdef batchtop' || fail "zsh file has no #compdef"
# The installed completion is what the program says now (no stale copy).
"$BIN" --completion bash | cmp -s - "$P/share/bash-completion/completions/batchtop" ||
  fail "installed bash completion differs from batchtop --completion bash"

# complete WORDS...: what the bash completion offers for the last word.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _batchtop; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$P/share/bash-completion/completions/batchtop" "$@"
}
commands="$("$BIN" --help | sed -n '/^commands:/,/^$/p' | awk 'NF >= 2 && /^  / {print $1}')"
[ "$(echo "$commands" | wc -l)" -ge 10 ] || fail "could not read the commands from --help"
offered="$(complete_words batchtop '')"
for c in $commands help; do
  grep -qx "$c" <<<"$offered" || fail "completion does not offer '$c'"
done
[ "$(complete_words batchtop sub)" = submit ] || fail "batchtop sub<TAB>: $(complete_words batchtop sub)"
[ "$(complete_words batchtop submit --chu)" = --chunk-size ] || fail "submit --chu<TAB>"
# (each captured first: grep -q stops reading early, and pipefail would see the writer's SIGPIPE)
got="$(complete_words batchtop status --j)"
grep -qx -- --json <<<"$got" || fail "status --j<TAB>: $got"
got="$(complete_words batchtop help re)"
grep -qx results <<<"$got" || fail "help re<TAB>: $got"
# Every flag submit's help names is offered.
got="$(complete_words batchtop submit --)"
for flag in $("$BIN" help submit | grep -o -- '--[a-z][a-z-]*' | sort -u); do
  grep -qx -- "$flag" <<<"$got" || fail "submit $flag is not completed"
done
echo PASS
