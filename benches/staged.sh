#!/usr/bin/env bash
# The pre-commit path: `keysnare scan --staged` on a change of 10 files in a large
# repository (the history benchmark's, from benches/history/generate.sh).
# Usage: benches/staged.sh REPO [RUNS]
# Prints the wall time of each run and the median; the target is 20 ms or less.
set -euo pipefail
repo=$(cd "$1" && pwd)
runs=${2:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/keysnare"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A clone that borrows the repository's objects (alternates) and writes its own: the
# benchmark repository is never touched.
git clone --quiet --shared "$repo" "$work/tree"
cd "$work/tree"
files=$(git ls-files | grep -E '\.(rs|toml|md|txt|py|js|json|ya?ml)$' | sed -n '1,10p')
[ "$(printf '%s\n' "$files" | wc -l)" -eq 10 ] || { echo "need 10 text files" >&2; exit 1; }
i=0
for f in $files; do
  i=$((i + 1))
  printf '\n// staged change %s\nconst STAGED_%s: u32 = %s;\n' "$i" "$i" "$i" >> "$f"
done
git add $files
echo "repository: $repo ($(git ls-files | wc -l) tracked files), 10 files staged"

times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$bin" scan --staged --progress never --quiet . >/dev/null || [ $? -eq 1 ]  # 1: findings
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(printf '%s\n' "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
min=$(printf '%s\n' "$sorted" | head -n 1)
max=$(printf '%s\n' "$sorted" | tail -n 1)
printf 'keysnare scan --staged: median %d.%03d ms (min %d.%03d, max %d.%03d) over %d runs\n' \
  $((median / 1000)) $((median % 1000)) $((min / 1000)) $((min % 1000)) $((max / 1000)) $((max % 1000)) "$runs"
