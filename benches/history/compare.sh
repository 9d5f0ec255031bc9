#!/usr/bin/env bash
# Compare full-history secret scanning on one repository, on this machine, in one run:
# git's own inflate cost, keysnare, Kingfisher and gitleaks.
#
#   bash benches/history/compare.sh REPO
#
# REPO is a repository made by generate.sh (its manifest REPO.manifest.json lists the planted
# secrets). The peers are installed from PyPI into a venv in REPO's parent directory (the bench
# work dir); keysnare is built in release mode from this checkout. Every tool is measured with
# /usr/bin/time -v, BENCH_RUNS times (default 3; the best wall time is kept), each with a
# BENCH_TIMEOUT (seconds, default 5400). keysnare also runs once under each memory budget of
# BENCH_BUDGETS (default "256M 384M"); its peak RSS in every run is checked against the budget
# its report states plus the mapped packs (page cache, outside the heap budget), and the
# script fails when one is over. The table goes to
# benches/history/RESULTS.md and to standard output; the raw reports and timings stay in
# WORK/compare/.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=./tools.sh
. "$HERE/tools.sh"
[ $# -eq 1 ] || bench_die "usage: compare.sh REPO"
PROJECT=$(cd "$HERE/../.." && pwd)
REPO=$(realpath -- "$1")
MANIFEST="$REPO.manifest.json"
[ -d "$REPO/.git" ] || bench_die "$REPO is not a git repository with a work tree (run generate.sh first)"
[ -f "$MANIFEST" ] || bench_die "no manifest at $MANIFEST (run generate.sh first)"
case "$REPO/" in "$PROJECT"/*) bench_die "REPO must be outside the keysnare repository" ;; esac
WORK=$(dirname "$REPO")
OUT="$WORK/compare"
RUNS="${BENCH_RUNS:-3}"
TIMEOUT="${BENCH_TIMEOUT:-5400}"
RESULTS="$HERE/RESULTS.md"
BUDGETS="${BENCH_BUDGETS:-256M 384M}"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 LC_ALL=C

# ---------------------------------------------------------------------------------------------
# Tools (tools.sh: GNU time, the peers in WORK/venv, keysnare in OUT).
bench_tools

# ---------------------------------------------------------------------------------------------
# Repository totals (unique blobs: every blob object in the object database).
read -r BLOBS BLOB_BYTES < <(git -C "$REPO" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
    awk '$1=="blob"{n++; b+=$2} END{printf "%.0f %.0f\n", n, b}')
COMMITS=$(git -C "$REPO" rev-list --all --count)
PACK_BYTES=$(find "$REPO/.git/objects/pack" -name '*.pack' -printf '%s\n' | awk '{s+=$1} END{printf "%.0f\n", s}')
LOOSE=$(git -C "$REPO" count-objects -v | awk '$1=="count:"{print $2}')
TIP=$(git -C "$REPO" rev-parse HEAD)
echo "== $REPO: $BLOBS blobs, $BLOB_BYTES blob bytes, $COMMITS commits, pack $PACK_BYTES bytes, $LOOSE loose objects"

# ---------------------------------------------------------------------------------------------
# Runs (measure, in tools.sh).
rm -f "$OUT"/{git-cat-file,keysnare,kingfisher,gitleaks}.[0-9]* "$OUT"/keysnare-budget-*
for ((run = 1; run <= RUNS; run++)); do
    # First also warms the page cache with the whole object database.
    # shellcheck disable=SC2016 # $1 is the inner shell's
    measure git-cat-file "$run" bash -c 'git -C "$1" cat-file --batch-all-objects --batch --unordered | wc -c' _ "$REPO"
    measure keysnare "$run" "$KEYSNARE" scan "$REPO" --no-worktree --format json \
        --output "$OUT/keysnare.$run.json" --progress never --show-secrets
    # The .git directory: history only (like keysnare's --no-worktree), all refs, no time limit.
    measure kingfisher "$run" "$KINGFISHER" scan "$REPO/.git" --git-history full --no-validate \
        --no-update-check --rule-cache-dir "$KF_CACHE" --git-repo-timeout 0 --format json \
        --output "$OUT/kingfisher.$run.json"
    measure gitleaks "$run" "$GITLEAKS" git "$REPO" --no-banner --report-format json \
        --report-path "$OUT/gitleaks.$run.json"
done
for budget in $BUDGETS; do
    measure "keysnare-budget-$budget" 1 "$KEYSNARE" scan "$REPO" --no-worktree --format json \
        --output "$OUT/keysnare-budget-$budget.1.json" --progress never --show-secrets \
        --memory-budget "$budget"
done

# ---------------------------------------------------------------------------------------------
# The table.
bench_versions >"$OUT/versions.txt"

python3 - "$OUT" "$MANIFEST" "$RUNS" "$BLOBS" "$BLOB_BYTES" "$COMMITS" "$PACK_BYTES" "$LOOSE" "$TIP" \
    "$REPO" "$RESULTS" "$TIMEOUT" "$BUDGETS" <<'PY'
import json, os, re, subprocess, sys

out, manifest, runs, blobs, blob_bytes, commits, pack, loose, tip, repo, results, timeout, budgets = sys.argv[1:14]
budgets = budgets.split()
runs, blobs, blob_bytes, commits, pack, loose = map(int, (runs, blobs, blob_bytes, commits, pack, loose))
planted = json.load(open(manifest))["secrets"]

def needle(s):
    # A private key is matched by its first body line (reports may re-wrap or trim the block).
    return s["value"].splitlines()[1] if s["kind"] == "rsa-private-key" else s["value"]

def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)

def parse_time(path):
    t = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("Elapsed (wall clock) time"):
            parts = [float(p) for p in line.rsplit(": ", 1)[1].split(":")]
            t["wall"] = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
        elif line.startswith("User time (seconds)"):
            t["user"] = float(line.rsplit(": ", 1)[1])
        elif line.startswith("System time (seconds)"):
            t["sys"] = float(line.rsplit(": ", 1)[1])
        elif line.startswith("Maximum resident set size"):
            t["rss_kb"] = int(line.rsplit(": ", 1)[1])
    return t

tools = ["git-cat-file", "keysnare", "kingfisher", "gitleaks"]
best = {}
for tool in tools:
    cands = []
    for run in range(1, runs + 1):
        base = os.path.join(out, f"{tool}.{run}")
        if not os.path.exists(base + ".time"):
            continue
        t = parse_time(base + ".time")
        t["rc"] = int(open(base + ".rc").read())
        t["run"] = run
        t["report"] = base + ".json"
        cands.append(t)
    ok = [c for c in cands if c["rc"] not in (124, 137) and "wall" in c]
    best[tool] = min(ok, key=lambda c: c["wall"]) if ok else (cands[0] if cands else None)

found, missed, nfind = {}, {}, {}
for tool in ("keysnare", "kingfisher", "gitleaks"):
    b = best.get(tool)
    if not b or not os.path.exists(b["report"]):
        continue
    try:
        doc = json.load(open(b["report"]))
    except ValueError:
        continue
    text = "\n".join(strings(doc))
    found[tool] = [s for s in planted if needle(s) in text]
    missed[tool] = [s for s in planted if needle(s) not in text]
    nfind[tool] = len(doc["findings"]) if isinstance(doc, dict) else len(doc)

ks_wall = best["keysnare"]["wall"] if best.get("keysnare") and "wall" in best["keysnare"] else None
rows = []
for tool in tools:
    b = best.get(tool)
    if not b or "wall" not in b:
        rows.append(f"| {tool} | not run | | | | | | | |")
        continue
    timed_out = b["rc"] in (124, 137)
    wall = f"{b['wall']:.1f}" + (f" (timed out at {timeout} s)" if timed_out else "")
    cpu = f"{b['user'] + b['sys']:.1f}"
    rss = f"{b['rss_kb'] / 1024:.0f}"
    thr = f"{blob_bytes / 1e6 / b['wall']:.0f}"
    if tool in found:
        fnd = f"{len(found[tool])}/{len(planted)}"
        nf = str(nfind[tool])
    else:
        fnd, nf = ("n/a", "n/a") if tool == "git-cat-file" else ("no report", "")
    ratio = f"{b['wall'] / ks_wall:.2f}×" if ks_wall else ""
    rows.append(f"| {tool} | {wall} | {cpu} | {rss} | {thr} | {fnd} | {nf} | {ratio} | {b['rc']} |")

def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

cpu_model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
mem = sh("awk '/MemTotal/{printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
versions = open(os.path.join(out, "versions.txt")).read().strip().splitlines()

lines = []
lines.append("# Full-history scan benchmark: results")
lines.append("")
lines.append(f"Produced by `benches/history/compare.sh` on {sh('date -u +%Y-%m-%dT%H:%MZ')}; see README.md for what is measured.")
lines.append("")
lines.append(f"- Machine: {sh('nproc')} CPUs ({cpu_model}), {mem} RAM, {sh('uname -sr')}")
lines.append("- Tools: " + "; ".join(versions))
lines.append(f"- Repository: `{repo}` (main {tip[:12]}): {blobs:,} unique blobs, {blob_bytes:,} bytes of blob content ({blob_bytes / 1e9:.2f} GB), "
             f"{commits:,} commits, pack {pack:,} bytes ({pack / 1e9:.2f} GB), {loose:,} loose objects; {len(planted)} planted secrets")
lines.append(f"- Runs per tool: {runs} (best wall time kept); throughput = unique blob bytes / wall time")
lines.append("")
lines.append("| tool | wall time (s) | user+sys CPU (s) | peak RSS (MiB) | throughput (MB/s) | planted secrets found | findings reported | wall time vs keysnare | exit code |")
lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
lines.extend(rows)
lines.append("")
lines.append("Exit codes: keysnare and gitleaks exit 1 when they find something; Kingfisher exits 200 (findings) or 205 (validated findings); 124 is a timeout.")
lines.append("")
lines.append("Planted secrets missed:")
lines.append("")
for tool in ("keysnare", "kingfisher", "gitleaks"):
    if tool not in missed:
        lines.append(f"- {tool}: no readable report")
    elif not missed[tool]:
        lines.append(f"- {tool}: none")
    else:
        desc = ", ".join(f"{s['kind']} in {s['path']}" + (f" ({', '.join(s['notes'])})" if s["notes"] else "") for s in missed[tool])
        lines.append(f"- {tool}: {desc}")
lines.append("")
# The memory budget: keysnare's own plan and peak (from its JSON report) against the peak RSS
# /usr/bin/time measured, for the default budget (best run) and each BENCH_BUDGETS run.
def mib(n):
    return f"{n / 1048576:.0f}"

over = []
mem_rows = []
for label, b in [("default", best.get("keysnare"))] + [
    (bud, dict(parse_time(os.path.join(out, f"keysnare-budget-{bud}.1.time")),
               report=os.path.join(out, f"keysnare-budget-{bud}.1.json")))
    for bud in budgets if os.path.exists(os.path.join(out, f"keysnare-budget-{bud}.1.time"))
]:
    if not b or not os.path.exists(b.get("report", "")):
        continue
    m = json.load(open(b["report"]))["summary"].get("memory")
    if not m:
        continue
    p = m["plan"]
    rss = b["rss_kb"] * 1024
    # The budget is heap; the resident size also counts the mapped packs' pages.
    ok = rss <= m["budget"] + p["mapped_packs"]
    if not ok:
        over.append(label)
    doc = json.load(open(b["report"]))
    text = "\n".join(strings(doc))
    hits = sum(1 for s in planted if needle(s) in text)
    mem_rows.append(f"| {label} | {mib(m['budget'])} | {mib(p['rules'])} / {mib(p['history_index'])} / {mib(p['mapped_packs'])} / {mib(p['workers'])} / {mib(p['delta_caches'])} / {mib(p['in_flight'])} | {p['threads']} | {mib(m['peak_in_flight'])} | {mib(rss)} | {'yes' if ok else '**no**'} | {b['wall']:.1f} | {hits}/{len(planted)} |")
if mem_rows:
    lines.append("Memory budget (`--memory-budget`): the plan keysnare reports in its JSON summary, and the peak RSS `/usr/bin/time` measured (MiB):")
    lines.append("")
    lines.append("| budget | plan: rules / history index / mapped packs / workers / delta caches / content in flight | threads | peak content in flight | peak RSS | within budget | wall time (s) | planted found |")
    lines.append("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |")
    lines.extend(mem_rows)
    lines.append("")
lines.append("Commands (REPO is the repository above):")
lines.append("")
lines.append("```")
lines.append("git -C REPO cat-file --batch-all-objects --batch --unordered | wc -c")
lines.append("keysnare scan REPO --no-worktree --format json --output OUT --progress never --show-secrets")
lines.append("kingfisher scan REPO/.git --git-history full --no-validate --no-update-check --rule-cache-dir CACHE --git-repo-timeout 0 --format json --output OUT")
lines.append("gitleaks git REPO --no-banner --report-format json --report-path OUT")
lines.append("keysnare scan REPO --no-worktree --format json --output OUT --progress never --show-secrets --memory-budget BUDGET")
lines.append("```")
text = "\n".join(lines) + "\n"
open(results, "w").write(text)
print(text)
if over:
    sys.exit(f"compare.sh: peak RSS over the memory budget in: {', '.join(over)}")
PY
