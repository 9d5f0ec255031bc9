#!/usr/bin/env bash
# Generate a large, deterministic git history for the full-history benchmark.
#
#   bash benches/history/generate.sh OUTDIR
#
# OUTDIR becomes a git repository (branch main) whose history replays many published versions
# of popular crates (one commit per version, interleaved across crates, a few merged feature
# branches), with fake credentials planted at known commits. OUTDIR.manifest.json (next to it)
# lists every planted secret. The crate list and commit order are fixed below, author names and
# dates are fixed, and the fake secrets are derived from a seed, so two runs give the same commit
# ids. Sources come from crates.io through cargo (a private CARGO_HOME next to OUTDIR, so the
# user's cache is left alone). Re-running skips everything already done: fetched crates are kept,
# and a finished OUTDIR whose main matches its stamp is left as it is.
#
# Environment: BENCH_CARGO_HOME (another cargo home to fetch into; default OUTDIR/../cargo-home),
# BENCH_FETCH_JOBS (cargo fetch processes at a time, default 4).
set -euo pipefail
umask 022

die() { echo "generate.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: generate.sh OUTDIR"
command -v git >/dev/null || die "git is required"
command -v cargo >/dev/null || die "cargo is required"
command -v python3 >/dev/null || die "python3 is required"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
OUT=$(realpath -m -- "$1")
case "$OUT/" in "$PROJECT"/*) die "OUTDIR must be outside the keysnare repository ($PROJECT)" ;; esac
WORK=$(dirname "$OUT")
MANIFEST="$OUT.manifest.json"
STAMP="$OUT.generated"
PARTIAL="$OUT.partial"
export CARGO_HOME="${BENCH_CARGO_HOME:-$WORK/cargo-home}"
FETCH_DIR="$WORK/cargo-fetch"
SEED="keysnare-history-bench-v1"
FETCH_JOBS="${BENCH_FETCH_JOBS:-4}"
# main's commit id from a reference run; a different one is reported (not fatal).
EXPECTED_TIP="b36d7f866bbe0105b7ed6106e1bf7e3c1288254e"

# Same repository on every machine: no user or system git configuration, fixed identities,
# dates and time zone.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
export GIT_EDITOR=true GIT_MERGE_AUTOEDIT=no TZ=UTC LC_ALL=C
export GIT_COMMITTER_NAME="Release Engineering" GIT_COMMITTER_EMAIL="releng@bench.example"

# The crates and versions replayed, in this order within each crate (oldest first). Large ones
# (windows, windows-sys, web-sys, aws-sdk-*) bring the bulk of the bytes and blobs.
crate_list() {
    cat <<'CRATES'
windows: 0.44.0 0.46.0 0.48.0 0.51.1 0.52.0 0.54.0 0.56.0 0.57.0 0.58.0
windows-sys: 0.36.1 0.42.0 0.45.0 0.48.0 0.52.0 0.59.0 0.60.2 0.61.2
web-sys: 0.3.20 0.3.21 0.3.22 0.3.23 0.3.24 0.3.25 0.3.26 0.3.27 0.3.28 0.3.29 0.3.30 0.3.31
    0.3.32 0.3.33 0.3.34 0.3.35 0.3.36 0.3.37 0.3.38 0.3.39 0.3.40 0.3.41 0.3.42 0.3.43 0.3.44
    0.3.45 0.3.46 0.3.47 0.3.48 0.3.49 0.3.50 0.3.51 0.3.52 0.3.53 0.3.54 0.3.55 0.3.56 0.3.57
    0.3.58 0.3.59 0.3.60 0.3.61 0.3.62 0.3.63 0.3.64 0.3.65 0.3.66 0.3.67 0.3.68 0.3.69 0.3.70
    0.3.72 0.3.73 0.3.74 0.3.75 0.3.76 0.3.77 0.3.78 0.3.79 0.3.80
aws-sdk-ec2: 0.21.0 0.22.0 0.23.0 0.24.0 0.25.0 0.25.1 0.26.0 0.27.0 0.28.0 0.29.0 0.30.0 0.31.0
    0.31.1 0.31.2 0.32.0 0.33.0 0.33.1 0.34.0 0.35.0 0.36.0 0.36.1 0.37.0 0.38.0 0.39.0 0.39.1
    1.1.0 1.2.0 1.3.0 1.4.0 1.5.0 1.6.0 1.8.0 1.9.0 1.10.0 1.11.0 1.12.0 1.13.0 1.14.0 1.15.0
    1.16.0 1.17.0 1.18.0 1.19.0 1.20.0 1.21.0 1.22.0 1.22.1 1.23.0 1.23.1 1.24.0 1.25.0 1.26.0
    1.27.0 1.28.0 1.29.0 1.30.0 1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0 1.38.0 1.39.0
    1.40.0 1.41.0 1.42.0 1.43.0 1.44.0 1.45.0 1.46.0 1.47.0 1.48.0 1.49.0 1.50.0 1.51.0 1.51.1
    1.52.0 1.53.0 1.54.0 1.55.0 1.56.0 1.57.0 1.58.0 1.59.0 1.60.0 1.61.0 1.62.0 1.63.0 1.64.0
    1.65.0 1.66.0 1.67.0 1.68.0 1.69.0 1.70.0 1.71.0 1.72.0 1.73.0 1.74.0 1.74.1 1.75.0 1.76.0
    1.77.0 1.78.0 1.79.0 1.80.0
aws-sdk-sagemaker: 0.21.0 0.22.0 0.23.0 0.24.0 0.25.0 0.25.1 0.26.0 0.27.0 0.28.0 0.29.0 0.30.0
    0.31.0 0.31.1 0.32.0 0.33.0 0.33.1 0.34.0 0.35.0 0.35.1 0.36.0 0.37.0 0.38.0 0.39.0 0.39.1
    1.1.0 1.2.0 1.3.0 1.4.0 1.5.0 1.6.0 1.8.0 1.9.0 1.10.0 1.11.0 1.12.0 1.13.0 1.14.0 1.15.0
    1.16.0 1.17.0 1.18.0 1.19.0 1.20.0 1.21.0 1.22.0 1.23.0 1.24.0 1.25.0 1.26.0 1.27.0 1.28.0
    1.29.0 1.30.0 1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0 1.38.0 1.39.0 1.40.0
aws-sdk-glue: 1.1.0 1.2.0 1.3.0 1.4.0 1.5.0 1.7.0 1.8.0 1.9.0 1.10.0 1.11.0 1.12.0 1.13.0 1.14.0
    1.15.0 1.16.0 1.17.0 1.18.0 1.19.0 1.20.0 1.21.0 1.22.0 1.23.0 1.24.0 1.25.0 1.26.0 1.27.0
    1.28.0 1.29.0 1.30.0 1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0 1.38.0 1.39.0 1.40.0
aws-sdk-ssm: 1.1.0 1.2.0 1.3.0 1.4.0 1.6.0 1.7.0 1.8.0 1.9.0 1.10.0 1.11.0 1.12.0 1.13.0 1.14.0
    1.15.0 1.16.0 1.17.0 1.17.1 1.18.0 1.19.0 1.20.0 1.21.0 1.22.0 1.23.0 1.24.0 1.25.0 1.26.0
    1.27.0 1.28.0 1.29.0 1.30.0 1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0 1.38.0 1.39.0
    1.40.0
aws-sdk-s3: 0.21.0 0.22.0 0.23.0 0.24.0 0.25.0 0.25.1 0.26.0 0.27.0 0.28.0 0.29.0 0.30.0 0.31.0
    0.31.1 0.31.2 0.32.0 0.33.0 0.34.0 0.35.0 0.36.0 0.37.0 0.38.0 0.39.0 0.39.1 1.1.0 1.2.0
    1.3.0 1.4.0 1.5.0 1.7.0 1.8.0 1.9.0 1.10.0 1.11.0 1.12.0 1.13.0 1.14.0 1.15.0 1.16.0 1.17.0
    1.18.0 1.19.0 1.19.1 1.20.0 1.21.0 1.22.0 1.23.0 1.24.0 1.25.0 1.26.0 1.27.0 1.28.0 1.29.0
    1.30.0 1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0 1.38.0 1.39.0 1.40.0 1.41.0 1.42.0
    1.43.0 1.44.0 1.45.0 1.46.0 1.47.0 1.48.0 1.49.0 1.50.0 1.51.0 1.52.0 1.53.0 1.54.0 1.55.0
    1.56.0 1.57.0 1.58.0 1.59.0 1.60.0
aws-sdk-iam: 1.1.0 1.2.0 1.3.0 1.4.0 1.6.0 1.7.0 1.8.0 1.9.0 1.9.1 1.10.0 1.11.0 1.12.0 1.13.0
    1.14.0 1.15.0 1.16.0 1.17.0 1.18.0 1.19.0 1.20.0 1.21.0 1.22.0 1.23.0 1.24.0 1.25.0 1.26.0
    1.27.0 1.28.0 1.29.0 1.30.0 1.31.0 1.32.0 1.33.0 1.34.0 1.35.0 1.36.0 1.37.0 1.38.0 1.39.0
    1.40.0
libc: 0.2.131 0.2.132 0.2.133 0.2.134 0.2.135 0.2.136 0.2.137 0.2.138 0.2.139 0.2.140 0.2.141
    0.2.142 0.2.143 0.2.144 0.2.146 0.2.147 0.2.148 0.2.149 0.2.150 0.2.151 0.2.152 0.2.153
    0.2.155 0.2.156 0.2.157 0.2.158 0.2.159 0.2.160 0.2.161 0.2.162 0.2.163 0.2.164 0.2.166
    0.2.167 0.2.168 0.2.169 0.2.170 0.2.171
syn: 2.0.0 2.0.1 2.0.2 2.0.3 2.0.4 2.0.5 2.0.6 2.0.7 2.0.8 2.0.9 2.0.10 2.0.11 2.0.12 2.0.13
    2.0.14 2.0.15 2.0.16 2.0.17 2.0.18 2.0.20 2.0.21 2.0.22 2.0.23 2.0.24 2.0.25 2.0.26 2.0.27
    2.0.28 2.0.29 2.0.30 2.0.31 2.0.32 2.0.33 2.0.34 2.0.35 2.0.36 2.0.37 2.0.38 2.0.39 2.0.40
    2.0.41 2.0.42 2.0.43 2.0.44 2.0.45 2.0.46 2.0.47 2.0.48 2.0.49 2.0.50 2.0.51 2.0.52 2.0.53
    2.0.54 2.0.55 2.0.56 2.0.57 2.0.58 2.0.59 2.0.60 2.0.61 2.0.62 2.0.63 2.0.64 2.0.65 2.0.66
    2.0.67 2.0.68 2.0.69 2.0.70 2.0.71 2.0.72 2.0.73 2.0.74 2.0.75 2.0.76 2.0.77 2.0.78 2.0.79
    2.0.80 2.0.81 2.0.82 2.0.83 2.0.84 2.0.85 2.0.86 2.0.87 2.0.88 2.0.89 2.0.90 2.0.91 2.0.92
    2.0.93 2.0.94 2.0.95 2.0.96 2.0.97 2.0.98 2.0.99 2.0.100
tokio: 1.20.0 1.20.1 1.20.2 1.20.3 1.20.4 1.20.5 1.20.6 1.21.0 1.21.1 1.21.2 1.22.0 1.23.0
    1.23.1 1.24.0 1.24.1 1.24.2 1.25.0 1.25.1 1.25.2 1.25.3 1.26.0 1.27.0 1.28.0 1.28.1 1.28.2
    1.29.0 1.29.1 1.30.0 1.31.0 1.32.0 1.32.1 1.33.0 1.34.0 1.35.0 1.35.1 1.36.0 1.37.0 1.38.0
    1.38.1 1.38.2 1.39.1 1.39.2 1.39.3 1.40.0 1.41.0 1.41.1 1.42.0 1.42.1 1.43.0 1.43.1 1.43.2
    1.43.3 1.43.4 1.44.0 1.44.1 1.44.2 1.45.0 1.45.1 1.46.0 1.46.1 1.47.0 1.47.1 1.47.2 1.47.3
    1.47.4 1.47.5 1.48.0
regex: 1.5.0 1.5.1 1.5.2 1.5.3 1.5.4 1.5.5 1.5.6 1.6.0 1.7.0 1.7.1 1.7.2 1.7.3 1.8.0 1.8.1 1.8.2
    1.8.3 1.8.4 1.9.0 1.9.1 1.9.2 1.9.3 1.9.4 1.9.5 1.9.6 1.10.0 1.10.1 1.10.2 1.10.3 1.10.4
    1.10.5 1.10.6 1.11.0 1.11.1 1.11.2 1.11.3 1.12.1 1.12.2 1.12.3 1.12.4 1.13.0 1.13.1 1.13.2
serde_json: 1.0.80 1.0.81 1.0.82 1.0.83 1.0.84 1.0.85 1.0.86 1.0.87 1.0.88 1.0.89 1.0.90 1.0.91
    1.0.92 1.0.93 1.0.94 1.0.95 1.0.96 1.0.97 1.0.98 1.0.99 1.0.100 1.0.101 1.0.102 1.0.103
    1.0.104 1.0.105 1.0.106 1.0.107 1.0.108 1.0.109 1.0.110 1.0.111 1.0.112 1.0.113 1.0.114
    1.0.115 1.0.116 1.0.117 1.0.118 1.0.119 1.0.120 1.0.121 1.0.122 1.0.123 1.0.124 1.0.125
    1.0.126 1.0.127 1.0.128 1.0.129 1.0.130 1.0.131 1.0.132 1.0.133 1.0.134 1.0.135 1.0.136
    1.0.137 1.0.138 1.0.139 1.0.140
clap: 4.0.0 4.0.1 4.0.2 4.0.3 4.0.4 4.0.5 4.0.6 4.0.7 4.0.8 4.0.9 4.0.10 4.0.11 4.0.12 4.0.13
    4.0.14 4.0.15 4.0.16 4.0.17 4.0.18 4.0.19 4.0.20 4.0.21 4.0.22 4.0.23 4.0.24 4.0.25 4.0.26
    4.0.27 4.0.28 4.0.29 4.0.30 4.0.31 4.0.32 4.1.0 4.1.1 4.1.2 4.1.3 4.1.4 4.1.5 4.1.6 4.1.7
    4.1.8 4.1.9 4.1.10 4.1.11 4.1.12 4.1.13 4.1.14 4.2.0 4.2.1 4.2.2 4.2.3 4.2.4 4.2.5 4.2.6
    4.2.7 4.3.0 4.3.1 4.3.2 4.3.3 4.3.4 4.3.5 4.3.6 4.3.7 4.3.8 4.3.9 4.3.10 4.3.11 4.3.12
    4.3.13 4.3.14 4.3.15 4.3.16 4.3.17 4.3.18 4.3.19 4.3.20 4.3.21 4.3.22 4.3.23 4.3.24 4.4.0
    4.4.1 4.4.2 4.4.3 4.4.4 4.4.5 4.4.6 4.4.7 4.4.8 4.4.9 4.4.10 4.4.11 4.4.12 4.4.13 4.4.14
    4.4.15 4.4.16 4.4.17 4.4.18 4.5.0 4.5.1 4.5.2 4.5.3 4.5.4 4.5.5 4.5.6 4.5.7 4.5.8 4.5.9
    4.5.10 4.5.11 4.5.12 4.5.13 4.5.14 4.5.15 4.5.16 4.5.17 4.5.18 4.5.19 4.5.20 4.5.21 4.5.22
    4.5.23 4.5.24 4.5.25 4.5.26 4.5.27 4.5.28 4.5.29 4.5.30 4.5.31 4.5.32 4.5.33 4.5.34 4.5.35
    4.5.36 4.5.37 4.5.38 4.5.39 4.5.40
hyper: 0.14.10 0.14.11 0.14.12 0.14.13 0.14.14 0.14.15 0.14.16 0.14.17 0.14.18 0.14.19 0.14.20
    0.14.21 0.14.22 0.14.23 0.14.24 0.14.25 0.14.26 0.14.27 0.14.28 0.14.29 0.14.30 0.14.31
    0.14.32 1.0.0 1.0.1 1.1.0 1.2.0 1.3.0 1.3.1 1.4.0 1.4.1 1.5.0 1.5.1 1.5.2 1.6.0 1.7.0 1.8.0
    1.8.1 1.9.0 1.10.0 1.10.1 1.11.0 1.11.1 1.12.0
rustls: 0.20.0 0.20.1 0.20.2 0.20.3 0.20.4 0.20.6 0.20.7 0.20.8 0.20.9 0.21.0 0.21.1 0.21.2
    0.21.3 0.21.5 0.21.6 0.21.7 0.21.8 0.21.9 0.21.10 0.21.11 0.21.12 0.22.0 0.22.1 0.22.2
    0.22.3 0.22.4 0.23.0 0.23.1 0.23.2 0.23.3 0.23.4 0.23.5 0.23.6 0.23.7 0.23.8 0.23.9 0.23.10
    0.23.11 0.23.12 0.23.13 0.23.14 0.23.15 0.23.16 0.23.17 0.23.18 0.23.19 0.23.20 0.23.21
    0.23.22 0.23.23 0.23.24 0.23.25 0.23.26 0.23.27 0.23.28 0.23.29 0.23.31 0.23.32 0.23.33
    0.23.34 0.23.35 0.23.36 0.23.37 0.23.38 0.23.39 0.23.40 0.23.41 0.23.42 0.23.43 0.23.44
    0.23.45 0.23.46
ring: 0.16.20 0.17.0 0.17.2 0.17.3 0.17.4 0.17.5 0.17.6 0.17.7 0.17.8 0.17.9 0.17.10 0.17.11
    0.17.12 0.17.13 0.17.14
serde: 1.0.150 1.0.151 1.0.152 1.0.153 1.0.154 1.0.155 1.0.156 1.0.157 1.0.158 1.0.159 1.0.160
    1.0.161 1.0.162 1.0.163 1.0.164 1.0.165 1.0.166 1.0.167 1.0.168 1.0.169 1.0.170 1.0.171
    1.0.172 1.0.173 1.0.174 1.0.175 1.0.176 1.0.177 1.0.178 1.0.179 1.0.180 1.0.181 1.0.182
    1.0.183 1.0.184 1.0.185 1.0.186 1.0.187 1.0.188 1.0.189 1.0.190 1.0.191 1.0.192 1.0.193
    1.0.194 1.0.195 1.0.196 1.0.197 1.0.198 1.0.199 1.0.200 1.0.201 1.0.202 1.0.203 1.0.204
    1.0.205 1.0.206 1.0.207 1.0.208 1.0.209 1.0.210 1.0.211 1.0.212 1.0.213 1.0.214 1.0.215
    1.0.216 1.0.217 1.0.218 1.0.219
nix: 0.24.0 0.24.1 0.24.2 0.24.3 0.25.0 0.25.1 0.26.0 0.26.1 0.26.2 0.26.4 0.27.0 0.27.1 0.28.0
    0.29.0 0.30.0 0.30.1
reqwest: 0.11.10 0.11.11 0.11.12 0.11.13 0.11.14 0.11.15 0.11.16 0.11.17 0.11.18 0.11.19 0.11.20
    0.11.21 0.11.22 0.11.23 0.11.24 0.11.25 0.11.26 0.11.27 0.12.0 0.12.1 0.12.2 0.12.3 0.12.4
    0.12.5 0.12.6 0.12.7 0.12.8 0.12.9 0.12.10 0.12.11 0.12.12 0.12.13 0.12.14 0.12.15 0.12.16
    0.12.17 0.12.18 0.12.19 0.12.20 0.12.21 0.12.22 0.12.23 0.12.24 0.12.25 0.12.26 0.12.27
    0.12.28
CRATES
}

print_totals() {
    local repo=$1
    git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
        awk '$1=="blob"{n++; b+=$2} END{printf "blobs: %.0f\nblob bytes: %.0f (%.2f GB)\n", n, b, b/1e9}'
    echo "commits: $(git -C "$repo" rev-list --all --count)"
    local pack
    pack=$(find "$repo/.git/objects/pack" -name '*.pack' -printf '%s\n' | awk '{s+=$1} END{printf "%.0f\n", s}')
    awk -v p="$pack" 'BEGIN{printf "pack size: %.0f (%.2f GB)\n", p, p/1e9}'
    git -C "$repo" count-objects -v | awk '$1=="count:"{print "loose objects: " $2}'
}

# ---------------------------------------------------------------------------------------------
# 0. Nothing to do when OUTDIR is already the finished repository.
if [ -e "$OUT" ]; then
    if [ -f "$STAMP" ] && [ -f "$MANIFEST" ] &&
        [ "$(git -C "$OUT" rev-parse -q --verify refs/heads/main 2>/dev/null)" = "$(head -n1 "$STAMP")" ]; then
        echo "$OUT is already generated (main $(head -n1 "$STAMP")); nothing to do."
        blobs=$(git -C "$OUT" cat-file --batch-all-objects --batch-check='%(objecttype)' | grep -c '^blob$' || true)
        if [ -n "$(sed -n 2p "$STAMP")" ] && [ "$blobs" != "$(sed -n 2p "$STAMP")" ]; then
            echo "warning: $OUT now holds $blobs blobs, $(sed -n 2p "$STAMP") when generated: something" \
                "wrote to it since; remove it and re-run for the reference repository" >&2
        fi
        print_totals "$OUT"
        exit 0
    fi
    die "$OUT exists but is not a finished benchmark repository; remove it first"
fi
START=$(date +%s)
mkdir -p "$WORK" "$FETCH_DIR"

# The (crate, version) sequence: round robin over the crates, so the history interleaves them.
NAMES=() VERSIONS=()
while read -r name vers; do
    NAMES+=("$name") VERSIONS+=("$vers")
done < <(crate_list | awk '/^[^ ]/{ if (line != "") print line; sub(":", "", $1); line = $0; next }
                           { line = line " " $0 } END { print line }' | tr -s ' ')
SEQ=()
for ((round = 0; ; round++)); do
    added=0
    for ((c = 0; c < ${#NAMES[@]}; c++)); do
        read -r -a vs <<<"${VERSIONS[c]}"
        if ((round < ${#vs[@]})); then
            SEQ+=("${NAMES[c]} ${vs[round]}")
            added=1
        fi
    done
    ((added)) || break
done
TOTAL=${#SEQ[@]}
echo "== ${#NAMES[@]} crates, $TOTAL versions"

# ---------------------------------------------------------------------------------------------
# 1. Fetch every .crate with cargo: one throw-away project per (crate, version), because cargo
#    cannot hold two semver-compatible versions of a crate in one lockfile.
crate_file() { compgen -G "$CARGO_HOME/registry/cache/*/$1-$2.crate" | head -n1; }
fetch_one() {
    local name=$1 version=$2 dir="$FETCH_DIR/$1-$2"
    [ -n "$(crate_file "$name" "$version")" ] && return 0
    mkdir -p "$dir/src"
    : >"$dir/src/lib.rs"
    printf '[package]\nname = "fetch-%s"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n%s = "=%s"\n' \
        "$name" "$name" "$version" >"$dir/Cargo.toml"
    (cd "$dir" && cargo fetch --quiet) || { echo "cargo fetch failed for $name $version" >&2; return 1; }
    [ -n "$(crate_file "$name" "$version")" ] || { echo "no .crate for $name $version after fetch" >&2; return 1; }
}
export -f fetch_one crate_file
export FETCH_DIR
missing=()
for item in "${SEQ[@]}"; do
    [ -n "$(crate_file ${item% *} ${item#* })" ] || missing+=("$item")
done
if ((${#missing[@]})); then
    echo "== fetching ${#missing[@]} crate versions with cargo ($FETCH_JOBS at a time)"
    printf '%s\n' "${missing[@]}" | xargs -P "$FETCH_JOBS" -n 2 bash -c 'fetch_one "$0" "$1"' ||
        die "some crates could not be fetched"
fi
# cargo fetch also unpacks every package (about 16 GB here) and only the .crate files are used:
# drop the unpacked sources, but only from the private cargo home.
[ -n "${BENCH_CARGO_HOME:-}" ] || rm -rf "$CARGO_HOME/registry/src"

# ---------------------------------------------------------------------------------------------
# 2. The fake secrets (assembled at run time from the seed; nothing credential-shaped is
#    written in this script).
SECRETS="$WORK/$(basename "$OUT").secrets"
rm -rf "$SECRETS"
mkdir -p "$SECRETS"
python3 - "$SEED" "$SECRETS" <<'PY'
# Deterministic fake credentials for the history benchmark, derived from a seed.
import base64, hashlib, os, sys, zlib

seed, outdir = sys.argv[1], sys.argv[2]

def stream(label):
    counter = 0
    while True:
        yield from hashlib.sha256(f"{seed}/{label}/{counter}".encode()).digest()
        counter += 1

def pick(label, alphabet, n):
    out, src = [], stream(label)
    limit = 256 - 256 % len(alphabet)
    while len(out) < n:
        b = next(src)
        if b < limit:
            out.append(alphabet[b % len(alphabet)])
    return "".join(out)

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
B62 = "0123456789" + UPPER + UPPER.lower()
B32 = UPPER + "234567"

def write(name, value):
    with open(os.path.join(outdir, name), "w") as f:
        f.write(value)

for i in (1, 2, 3):
    write(f"aws{i}", "AK" + "IA" + pick(f"aws-id-{i}", B32, 16))
    write(f"awssecret{i}", pick(f"aws-secret-{i}", B62 + "+/", 40))
    body = pick(f"github-{i}", B62, 30)
    crc = zlib.crc32(body.encode())
    check = ""
    while crc:
        crc, r = divmod(crc, 62)
        check = B62[r] + check
    write(f"github{i}", "gh" + "p_" + body + check.rjust(6, "0"))
for i in (1, 2):
    write(f"pgpass{i}", pick(f"postgres-{i}", B62, 20))

# A real (structurally valid) 2048-bit RSA key, deterministic so commit ids are stable.
def randint(src, bits):
    n = 0
    for _ in range(bits // 8):
        n = (n << 8) | next(src)
    return n | (1 << (bits - 1)) | (1 << (bits - 2)) | 1

SMALL = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p ** 0.5) + 1))]

def probable_prime(n, src):
    if any(n % p == 0 for p in SMALL):
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(40):
        a = 2 + randint(src, 64) % (n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True

src = stream("rsa")
e = 65537
def prime():
    while True:
        c = randint(src, 1024)
        if (c - 1) % e and probable_prime(c, src):
            return c
p, q = prime(), prime()
if p < q:
    p, q = q, p
n, phi = p * q, (p - 1) * (q - 1)
d = pow(e, -1, phi)

def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b

def der_int(v):
    b = v.to_bytes(v.bit_length() // 8 + 1, "big")
    return b"\x02" + der_len(len(b)) + b

fields = [0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)]
body = b"".join(der_int(v) for v in fields)
der = b"\x30" + der_len(len(body)) + body
b64 = base64.b64encode(der).decode()
label = "RSA " + "PRIVATE KEY"
pem = f"-----BEGIN {label}-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + f"\n-----END {label}-----\n"
write("rsa.pem", pem)
PY
s() { cat "$SECRETS/$1"; }

# ---------------------------------------------------------------------------------------------
# 3. The history, built in OUTDIR.partial and moved into place when complete.
rm -rf "$PARTIAL"
git init -q -b main "$PARTIAL"
REPO=$PARTIAL
g() {
    git -C "$REPO" -c gc.auto=0 -c core.autocrlf=false -c core.safecrlf=false -c core.fsmonitor=false \
        -c commit.gpgsign=false -c tag.gpgsign=false -c merge.conflictStyle=merge -c advice.detachedHead=false "$@"
}
AUTHORS=("Ada Lindqvist:ada@bench.example" "Bruno Okafor:bruno@bench.example"
    "Chen Wei:chen@bench.example" "Dana Kowalski:dana@bench.example" "Emeka Hale:emeka@bench.example")
T0=1577836800 # 2020-01-01T00:00:00Z
NCOMMIT=0
author() { GIT_AUTHOR_NAME=${AUTHORS[$1 % ${#AUTHORS[@]}]%%:*}; GIT_AUTHOR_EMAIL=${AUTHORS[$1 % ${#AUTHORS[@]}]#*:}; export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL; }
tick() {
    NCOMMIT=$((NCOMMIT + 1))
    export GIT_AUTHOR_DATE="@$((T0 + NCOMMIT * 4271)) +0000" GIT_COMMITTER_DATE="@$((T0 + NCOMMIT * 4271)) +0000"
}
commit() { tick; g commit -q --no-verify --allow-empty -m "$1"; }
put() {
    mkdir -p "$(dirname "$REPO/$1")"
    cat >"$REPO/$1"
    g rm -q --cached --ignore-unmatch -- "$1"
    g add -f -- "$1"
}

crate_index() { local c; for ((c = 0; c < ${#NAMES[@]}; c++)); do [ "${NAMES[c]}" = "$1" ] && echo "$c"; done; }
# One commit per crate version: the crate's directory is replaced by that version's sources.
crate_commit() {
    local name=$1 version=$2 dir="$REPO/vendor/$1" msg
    if [ -d "$dir" ]; then msg="Update $name to $version"; else msg="Add $name $version"; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xzf "$(crate_file "$name" "$version")" -C "$dir" --strip-components=1 --no-same-owner
    # Drop the crate from the index first so that every file is hashed again: cargo gives all
    # files one fixed mtime, and a same-size change could otherwise look stat-clean to git.
    g rm -r -q --cached --ignore-unmatch -- "vendor/$name"
    g add -A -f -- "vendor/$name"
    author "$(crate_index "$name")"
    commit "$msg"
}

: >"$SECRETS/manifest.tsv"
# plant KIND VALUE_FILE PATH NOTES: record the commit just made as introducing a secret.
plant() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(g log -1 --format=%s)" "$(g rev-parse HEAD)" "$4" \
        >>"$SECRETS/manifest.tsv"
}

SETTINGS_V1='[server]
listen = "0.0.0.0:8080"
workers = 4

[database]
pool_size = 10
statement_timeout_ms = 5000
'
author 0
put README.md <<'EOF'
# vendor-mirror

Vendored sources of the crates our services build against, one commit per upstream release.
Configuration for the services lives under config/ and services/.
EOF
printf '%s' "$SETTINGS_V1" | put config/settings.toml
printf 'target/\n*.log\n' | put .gitignore
commit "Initial commit"

# Events, in order, each at a fixed share of the crate sequence (percent); an event fires before
# the first crate version at or past its position.
EVENTS=(3:aws 7:merge1 10:github 17:rsa 22:postgres 26:deleted-aws 30:deleted-aws-rm
    34:deleted-github 39:deleted-github-rm 45:conflict 52:merge2 60:branch-only 68:tag-only 75:merge3)
TAIL=3 # the last versions are committed after the repack, as loose objects

# A feature branch with three crate updates, two more on main meanwhile, merged with --no-ff.
merge_block() {
    local at=$1 branch=$2 k bc=() mc=()
    for k in 0 1 2; do bc+=("${SEQ[at + k]% *}"); done
    for k in 3 4; do mc+=("${SEQ[at + k]% *}"); done
    for k in "${mc[@]}"; do
        [[ " ${bc[*]} " == *" $k "* ]] && die "merge block at $at touches $k on both sides"
    done
    g checkout -q -b "$branch"
    for k in 0 1 2; do crate_commit ${SEQ[at + k]}; done
    g checkout -q main
    for k in 3 4; do crate_commit ${SEQ[at + k]}; done
    author 1
    tick
    g merge -q --no-ff -m "Merge branch '$branch'" "$branch"
}

i=0 ev=0
while ((i < TOTAL - TAIL)); do
    if ((ev == ${#EVENTS[@]})) || ((TOTAL * ${EVENTS[ev]%%:*} / 100 > i)); then
        crate_commit ${SEQ[i]}
        i=$((i + 1))
        continue
    fi
    event=${EVENTS[ev]#*:}
    ev=$((ev + 1))
    case $event in
    merge1) merge_block "$i" feature/bump-async-stack; i=$((i + 5)) ;;
    merge2) merge_block "$i" feature/sdk-refresh; i=$((i + 5)) ;;
    merge3) merge_block "$i" feature/parser-upgrade; i=$((i + 5)) ;;
    aws)
        author 2
        put services/billing/.env <<EOF
# billing service, eu-west-1
AWS_REGION=eu-west-1
AWS_ACCESS_KEY_ID=$(s aws1)
AWS_SECRET_ACCESS_KEY=$(s awssecret1)
BILLING_QUEUE=billing-events
EOF
        commit "Add billing service environment"
        plant aws-key-id aws1 services/billing/.env ""
        ;;
    github)
        author 3
        put .github/workflows/release.yml <<EOF
name: release
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    env:
      GH_TOKEN: $(s github1)
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/publish.sh
EOF
        commit "Add release workflow"
        plant github-pat github1 .github/workflows/release.yml ""
        ;;
    rsa)
        author 4
        put deploy/keys/staging_deploy_rsa <"$SECRETS/rsa.pem"
        commit "Add deploy key for the staging hosts"
        plant rsa-private-key rsa.pem deploy/keys/staging_deploy_rsa ""
        ;;
    postgres)
        author 0
        put config/production.env <<EOF
RUST_LOG=info
DATABASE_URL=postgres://app:$(s pgpass1)@db.internal:5432/app
DATABASE_POOL_SIZE=20
EOF
        commit "Add production database configuration"
        plant postgres-url pgpass1 config/production.env ""
        ;;
    deleted-aws)
        author 1
        put .env <<EOF
AWS_PROFILE=dev
AWS_ACCESS_KEY_ID=$(s aws2)
AWS_SECRET_ACCESS_KEY=$(s awssecret2)
EOF
        commit "Add local environment file"
        plant aws-key-id aws2 .env "deleted"
        ;;
    deleted-aws-rm)
        author 1
        g rm -q -- .env
        printf 'target/\n*.log\n.env\n' | put .gitignore
        commit "Remove .env from the repository"
        ;;
    deleted-github)
        author 2
        put tools/upload.py <<EOF
import urllib.request

TOKEN = "$(s github2)"


def upload(path, url):
    with open(path, "rb") as f:
        req = urllib.request.Request(url, data=f.read(), method="POST")
    req.add_header("Authorization", "token " + TOKEN)
    return urllib.request.urlopen(req).status
EOF
        commit "Add release upload helper"
        plant github-pat github2 tools/upload.py "deleted"
        ;;
    deleted-github-rm)
        author 2
        put tools/upload.py <<'EOF'
import os
import urllib.request


def upload(path, url):
    with open(path, "rb") as f:
        req = urllib.request.Request(url, data=f.read(), method="POST")
    req.add_header("Authorization", "token " + os.environ["GITHUB_TOKEN"])
    return urllib.request.urlopen(req).status
EOF
        commit "Read the upload token from the environment"
        ;;
    conflict)
        # Both sides change the same line; the resolution brings in a URL neither side had.
        g checkout -q -b feature/db-settings
        author 3
        printf '%s' "${SETTINGS_V1/pool_size = 10/pool_size = 32}" | put config/settings.toml
        commit "Raise the database pool size"
        g checkout -q main
        author 4
        printf '%s' "${SETTINGS_V1/pool_size = 10/pool_size = 6}" | put config/settings.toml
        commit "Lower the database pool size for the small instances"
        author 3
        tick
        if g merge -q --no-ff -m "Merge branch 'feature/db-settings'" feature/db-settings >/dev/null 2>&1; then
            die "expected a merge conflict on config/settings.toml"
        fi
        put config/settings.toml <<EOF
[server]
listen = "0.0.0.0:8080"
workers = 4

[database]
url = "postgres://app:$(s pgpass2)@db.internal:5432/app"
pool_size = 16
statement_timeout_ms = 5000
EOF
        g commit -q --no-verify -m "Merge branch 'feature/db-settings'"
        plant postgres-url pgpass2 config/settings.toml "merge-only"
        ;;
    branch-only)
        # A work-in-progress branch that is never merged.
        g checkout -q -b experiment/mirror-sync
        author 0
        put scripts/mirror-sync.sh <<EOF
#!/bin/sh
set -eu
export GITHUB_TOKEN=$(s github3)
git push --mirror "https://github.com/example/vendor-mirror.git"
EOF
        commit "Add mirror sync script (WIP)"
        plant github-pat github3 scripts/mirror-sync.sh "branch-only"
        g checkout -q main
        ;;
    tag-only)
        # A commit that only a tag reaches.
        g checkout -q --detach main
        author 1
        put config/staging-snapshot.env <<EOF
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=$(s aws3)
AWS_SECRET_ACCESS_KEY=$(s awssecret3)
EOF
        commit "Staging snapshot configuration"
        plant aws-key-id aws3 config/staging-snapshot.env "tag-only"
        tick
        g tag -a staging-snapshot -m "Staging snapshot"
        g checkout -q main
        ;;
    esac
done
((ev == ${#EVENTS[@]})) || die "the crate list is too short for all events"

echo "== repacking ($(g count-objects -v | awk '$1=="count:"{print $2}') loose objects)"
g repack -a -d -q
while ((i < TOTAL)); do crate_commit ${SEQ[i]}; i=$((i + 1)); done

PLANTED=$(wc -l <"$SECRETS/manifest.tsv")
[ "$PLANTED" -eq 9 ] || die "planted $PLANTED secrets instead of 9: event positions overlap"

# ---------------------------------------------------------------------------------------------
# 4. The manifest, next to the repository.
python3 - "$SECRETS/manifest.tsv" "$SECRETS" "$PARTIAL.manifest.json" <<'PY'
import json, os, sys
tsv, secrets, out = sys.argv[1:4]
items = []
for line in open(tsv):
    kind, value_file, path, message, commit, notes = line.rstrip("\n").split("\t")
    entry = {
        "kind": kind,
        "value": open(os.path.join(secrets, value_file)).read(),
        "path": path,
        "commit_message": message,
        "commit": commit,
        "notes": [n for n in notes.split(",") if n],
    }
    if kind == "aws-key-id":
        entry["companion_secret_access_key"] = open(os.path.join(secrets, value_file.replace("aws", "awssecret"))).read()
    items.append(entry)
json.dump({"seed": "keysnare-history-bench-v1", "secrets": items}, open(out, "w"), indent=2)
open(out, "a").write("\n")
PY
rm -rf "$SECRETS"
mv "$PARTIAL" "$OUT"
mv "$PARTIAL.manifest.json" "$MANIFEST"
TIP=$(git -C "$OUT" rev-parse refs/heads/main)
# The stamp: main's commit id, then the number of blobs.
printf '%s\n%s\n' "$TIP" "$(git -C "$OUT" cat-file --batch-all-objects --batch-check='%(objecttype)' | grep -c '^blob$')" >"$STAMP"
if [ -n "${EXPECTED_TIP:-}" ] && [ "$TIP" != "$EXPECTED_TIP" ]; then
    echo "warning: main is $TIP, expected $EXPECTED_TIP (different git version or crate list?)" >&2
fi
echo "== generated $OUT in $(($(date +%s) - START)) s (main $TIP)"
print_totals "$OUT"
echo "manifest: $MANIFEST ($(grep -c '"kind"' "$MANIFEST") planted secrets)"
