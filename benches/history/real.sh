#!/usr/bin/env bash
# Full-history secret scanning on real repositories, on this machine, in one run: git's own
# inflate cost, keysnare, Kingfisher and gitleaks side by side.
#
#   bash benches/history/real.sh WORK SOURCE [SOURCE...]
#
# WORK is the bench work dir, outside this repository: the peers' venv, clones, raw runs.
# Each SOURCE is a git repository (a path: bare, or with a work tree; only read) or a clone
# URL, cloned once with `git clone --mirror` into WORK/repos/OWNER+NAME.git and reused after
# that (delete it to take a newer history). The reference pair is
# https://github.com/rails/rails and https://github.com/ansible/ansible.
#
# Every tool of BENCH_TOOLS (default "git-cat-file keysnare kingfisher gitleaks") runs
# BENCH_RUNS times (default 3) on each repository, in rounds (so keysnare's and Kingfisher's
# runs alternate), under /usr/bin/time -v and a BENCH_TIMEOUT per run (seconds, default
# 5400). The table (medians over the runs: wall time, user+sys CPU, peak RSS, findings,
# keysnare's phase times, and keysnare's figures as a multiple of each other tool's) is
# printed and written to WORK/real/NAME/results.md; the raw reports, timings and logs stay in
# WORK/real/NAME/. BENCH_NAME names the repository when there is one SOURCE (default: from
# the URL or the path).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=./tools.sh
. "$HERE/tools.sh"
[ $# -ge 2 ] || bench_die "usage: real.sh WORK SOURCE [SOURCE...]"
PROJECT=$(cd "$HERE/../.." && pwd)
mkdir -p "$1"
WORK=$(realpath -- "$1")
shift
case "$WORK/" in "$PROJECT"/*) bench_die "WORK must be outside the keysnare repository" ;; esac
RUNS="${BENCH_RUNS:-3}"
TIMEOUT="${BENCH_TIMEOUT:-5400}"
TOOLS="${BENCH_TOOLS:-git-cat-file keysnare kingfisher gitleaks}"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || bench_die "BENCH_RUNS must be a positive number"
for tool in $TOOLS; do
    case "$tool" in git-cat-file | keysnare | kingfisher | gitleaks) ;;
    *) bench_die "unknown tool in BENCH_TOOLS: $tool" ;;
    esac
done
[ -z "${BENCH_NAME:-}" ] || [ $# -eq 1 ] || bench_die "BENCH_NAME needs exactly one SOURCE"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 LC_ALL=C

# ---------------------------------------------------------------------------------------------
# Tools (tools.sh: GNU time, the peers in WORK/venv, keysnare in OUT).
OUT="$WORK/real"
bench_tools
bench_versions >"$OUT/versions.txt"

# is_url SOURCE: a clone URL (scheme://... or scp-like host:path) rather than a path.
is_url() {
    case "$1" in
    *://*) return 0 ;;
    /* | ./* | ../*) return 1 ;;
    *:*) [[ "${1%%:*}" != */* ]] ;;
    *) return 1 ;;
    esac
}

# name_of SOURCE: OWNER+NAME for a URL, the directory's name for a path (without .git).
name_of() {
    local s=${1%/}
    s=${s%.git}
    s=${s%/}
    if is_url "$1"; then
        local name=${s##*/} rest=${s%/*}
        rest=${rest##*[/:]}
        echo "$rest+$name"
    else
        s=$(realpath -- "$s")
        echo "${s##*/}"
    fi
}

# bench_repo SOURCE: measure every tool on one repository.
bench_repo() {
    local source=$1 name repo gitdir
    is_url "$source" || [ -d "$source" ] || bench_die "no such repository: $source"
    name=${BENCH_NAME:-$(name_of "$source")}
    [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || bench_die "cannot name $source (set BENCH_NAME)"
    if is_url "$source"; then
        repo="$WORK/repos/$name.git"
        if [ ! -d "$repo" ]; then
            echo "== cloning $source into $repo (a mirror: every ref, on GitHub pull requests' too)"
            mkdir -p "$WORK/repos"
            rm -rf "$repo.partial"
            git clone --mirror --quiet "$source" "$repo.partial"
            mv "$repo.partial" "$repo"
        fi
    else
        repo=$(realpath -- "$source")
        case "$repo/" in "$PROJECT"/*) bench_die "$source must be outside the keysnare repository" ;; esac
    fi
    gitdir=$(git -C "$repo" rev-parse --absolute-git-dir) || bench_die "$source is not a git repository"
    [ "$(git -C "$repo" rev-parse --is-shallow-repository)" = false ] ||
        bench_die "$source is a shallow clone: its history is cut"

    local out="$WORK/real/$name"
    # measure (tools.sh) writes into OUT.
    local OUT=$out
    mkdir -p "$out"
    rm -f "$out"/{git-cat-file,keysnare,kingfisher,gitleaks}.[0-9]*

    # Totals: every object in the object database, and what the refs reach.
    echo "== $name: counting objects in $gitdir"
    git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
        awk '{n[$1]++; b[$1]+=$2} END{for (t in n) printf "%s %.0f %.0f\n", t, n[t], b[t]}' >"$out/objects.txt"
    {
        echo "source $source"
        echo "gitdir $gitdir"
        echo "head $(git -C "$repo" rev-parse --verify -q HEAD || echo none)"
        echo "refs $(git -C "$repo" for-each-ref | wc -l)"
        echo "commits_reachable $(git -C "$repo" rev-list --all --count)"
        echo "pack_bytes $(find "$gitdir/objects" -name '*.pack' -printf '%s\n' | awk '{s+=$1} END{printf "%.0f\n", s}')"
        echo "loose $(git -C "$repo" count-objects -v | awk '$1=="count:"{print $2}')"
        echo "promisor $(find "$gitdir/objects" -name '*.promisor' | wc -l)"
        echo "load_before $(cut -d' ' -f1-3 /proc/loadavg)"
    } >"$out/repo.txt"
    cat "$out/objects.txt" "$out/repo.txt" | sed 's/^/   /'
    grep -q '^promisor 0$' "$out/repo.txt" ||
        echo "${0##*/}: warning: $source is a partial clone: objects it never fetched are missing" >&2
    # Into the page cache before the first timed run, so every run reads the same way.
    find "$gitdir/objects" -type f -exec cat {} + >/dev/null

    local run tool
    for ((run = 1; run <= RUNS; run++)); do
        for tool in $TOOLS; do
            case "$tool" in
            git-cat-file)
                # shellcheck disable=SC2016 # $1 is the inner shell's
                measure git-cat-file "$run" bash -c \
                    'git -C "$1" cat-file --batch-all-objects --batch --unordered | wc -c' _ "$repo"
                ;;
            keysnare)
                measure keysnare "$run" "$KEYSNARE" scan "$repo" --no-worktree -v \
                    --format json --output "$out/keysnare.$run.json" --progress never
                ;;
            kingfisher)
                # The git directory: history only (like keysnare's --no-worktree), every ref,
                # no time limit, no network.
                measure kingfisher "$run" "$KINGFISHER" scan "$gitdir" --git-history full \
                    --no-validate --no-update-check --rule-cache-dir "$KF_CACHE" \
                    --git-repo-timeout 0 --format json --output "$out/kingfisher.$run.json"
                ;;
            gitleaks)
                measure gitleaks "$run" "$GITLEAKS" git "$repo" --no-banner \
                    --report-format json --report-path "$out/gitleaks.$run.json"
                ;;
            esac
        done
    done
    echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/repo.txt"
    cp "$WORK/real/versions.txt" "$out/versions.txt"
    python3 "$HERE/real_table.py" "$out" "$name" "$RUNS" "$TIMEOUT" "$TOOLS" >"$out/results.md"
    cat "$out/results.md"
}

for source in "$@"; do
    bench_repo "$source"
done
