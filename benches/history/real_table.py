"""The Markdown table of one repository's runs of real.sh (see README.md).

    python3 real_table.py OUT NAME RUNS TIMEOUT TOOLS

OUT holds, for each tool and run, TOOL.RUN.time (`/usr/bin/time -v`), TOOL.RUN.rc,
TOOL.RUN.err and TOOL.RUN.json (the tool's report), and objects.txt, repo.txt and
versions.txt written by real.sh. The table goes to standard output.
"""

import json
import os
import re
import statistics
import subprocess
import sys

TIMED_OUT = (124, 137)
PHASES_LINE = re.compile(r"^keysnare: phases: (.*)$", re.M)
PHASE = re.compile(r"^(.*) ([0-9.]+) s$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
GITLEAKS_COMMITS = re.compile(r"([0-9]+) commits scanned")


def parse_time(path):
    """Wall, user and system seconds and peak RSS (KiB) from `/usr/bin/time -v`."""
    t = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            value = line.rsplit(": ", 1)[-1]
            if line.startswith("Elapsed (wall clock) time"):
                parts = [float(p) for p in value.split(":")]
                t["wall"] = sum(p * 60**i for i, p in enumerate(reversed(parts)))
            elif line.startswith("User time (seconds)"):
                t["user"] = float(value)
            elif line.startswith("System time (seconds)"):
                t["sys"] = float(value)
            elif line.startswith("Maximum resident set size"):
                t["rss_kib"] = int(value)
    return t


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def findings_of(tool, doc):
    """How many findings a report holds, in the tool's own counting."""
    if doc is None:
        return None
    if tool == "keysnare":
        return f"{len(doc['findings'])} ({doc['summary']['locations']:,} locations)"
    items = doc.get("findings", []) if isinstance(doc, dict) else doc
    return str(len(items))


def read_by(tool, doc, base):
    """What the tool says it read: blobs for keysnare and Kingfisher, commits for gitleaks."""
    try:
        if tool == "keysnare":
            return f"{doc['summary']['blobs_scanned']:,} blobs"
        if tool == "kingfisher":
            repos = doc["audit"]["repositories"]
            return f"{sum(r['stats']['blobs_scanned'] for r in repos):,} blobs"
        if tool == "gitleaks":
            with open(base + ".err", errors="replace") as f:
                m = GITLEAKS_COMMITS.findall(f.read())
            return f"{int(m[-1]):,} commits" if m else None
    except (KeyError, TypeError):
        return None
    return None


def errors_of(tool, doc, base):
    """Whether the tool reported errors (a missing object, a failed repository): its run may
    have read less than the whole history."""
    try:
        with open(base + ".err", errors="replace") as f:
            err = ANSI.sub("", f.read())
    except OSError:
        err = ""
    if tool == "keysnare" and doc:
        return doc["summary"].get("errors", 0) > 0
    if tool == "kingfisher" and isinstance(doc, dict) and "audit" in doc:
        summary = doc["audit"].get("summary", {})
        return summary.get("scan_partial", 0) + summary.get("scan_failed", 0) > 0 or " ERROR " in err
    if tool == "gitleaks":
        return " ERR " in err
    return False


def keysnare_phases(run):
    """Phase name -> seconds: the JSON summary's, and `report` from the `-v` line."""
    phases = {}
    doc = load_json(run["base"] + ".json")
    if doc:
        for p in doc["summary"].get("phases", []):
            phases[p["phase"]] = p["elapsed_ms"] / 1000
    try:
        with open(run["base"] + ".err", errors="replace") as f:
            m = PHASES_LINE.search(f.read())
    except OSError:
        m = None
    if m:
        for part in m.group(1).split(", "):
            pm = PHASE.match(part)
            if pm and pm.group(1) not in phases:
                phases[pm.group(1)] = float(pm.group(2))
    return phases


def keyvalues(path):
    out = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            out[key] = value
    return out


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else ""


def main():
    out, name, runs, timeout, tools = sys.argv[1:6]
    runs = int(runs)
    tools = tools.split()
    objects = {}
    with open(os.path.join(out, "objects.txt")) as f:
        for line in f:
            kind, count, size = line.split()
            objects[kind] = (int(count), int(size))
    repo = keyvalues(os.path.join(out, "repo.txt"))
    with open(os.path.join(out, "versions.txt")) as f:
        versions = f.read().strip().splitlines()
    blob_bytes = objects.get("blob", (0, 0))[1]

    # Every run of every tool, and the medians over the runs that finished.
    stats = {}
    for tool in tools:
        done, all_runs = [], []
        for r in range(1, runs + 1):
            base = os.path.join(out, f"{tool}.{r}")
            # A run with no exit code has not ended (or the script was stopped during it).
            if not os.path.exists(base + ".rc"):
                continue
            t = parse_time(base + ".time")
            with open(base + ".rc") as f:
                t["rc"] = int(f.read())
            t["base"] = base
            doc = load_json(base + ".json")
            t["findings"] = findings_of(tool, doc)
            t["read"] = read_by(tool, doc, base)
            t["errors"] = errors_of(tool, doc, base)
            all_runs.append(t)
            if t["rc"] not in TIMED_OUT and "wall" in t:
                done.append(t)
        s = {"runs": all_runs, "done": done}
        if done:
            s["wall"] = statistics.median(t["wall"] for t in done)
            s["cpu"] = statistics.median(t["user"] + t["sys"] for t in done)
            s["rss"] = statistics.median(t["rss_kib"] for t in done) / 1024
        stats[tool] = s
    ks = stats.get("keysnare", {})

    lines = [f"# Full-history scan of {name}", ""]
    lines.append(f"Produced by `benches/history/real.sh` on {sh('date -u +%Y-%m-%dT%H:%MZ')}; see README.md for what is measured.")
    lines.append("")
    cpu_model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
    mem = sh("awk '/MemTotal/{printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    lines.append(f"- Machine: {sh('nproc')} CPUs ({cpu_model}), {mem} RAM, {sh('uname -sr')}; "
                 f"load average {repo.get('load_before', '?')} before the runs, {repo.get('load_after', '?')} after")
    lines.append("- Tools: " + "; ".join(versions))
    commits, trees, blobs = objects.get("commit", (0, 0)), objects.get("tree", (0, 0)), objects.get("blob", (0, 0))
    lines.append(f"- Repository: {repo['source']} (HEAD {repo['head'][:12]}, {int(repo['refs']):,} refs): "
                 f"{commits[0]:,} commits ({int(repo['commits_reachable']):,} reachable from the refs), "
                 f"{trees[0]:,} trees, {blobs[0]:,} blobs holding {blobs[1]:,} bytes ({blobs[1] / 2**30:.2f} GiB); "
                 f"packs {int(repo['pack_bytes']):,} bytes ({int(repo['pack_bytes']) / 2**30:.2f} GiB), {int(repo['loose']):,} loose objects")
    if int(repo.get("promisor", 0)):
        lines.append("- **A partial clone** (promisor packs): objects the clone never fetched are missing; the tools may stop at them or skip them")
    lines.append(f"- Runs per tool: {runs}, in rounds ({', '.join(tools)}); the figures are medians over the runs that finished within {timeout} s; "
                 "throughput = blob bytes / wall time; the last three columns are keysnare's figure divided by the tool's")
    lines.append("")
    lines.append("| tool | wall time (s) | each run (s) | user+sys CPU (s) | CPU / wall | peak RSS (MiB) | throughput (MB/s) | read | findings | keysnare / tool: wall | CPU | peak RSS | exit codes |")
    lines.append("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for tool in tools:
        s = stats[tool]
        each = " ".join(f"{t['wall']:.1f}" + ("†" if t["rc"] in TIMED_OUT else "") for t in s["runs"] if "wall" in t)
        rcs = " ".join(str(t["rc"]) for t in s["runs"])
        counts = sorted({t["findings"] for t in s["done"] if t["findings"] is not None})
        found = " / ".join(counts) if counts else ("n/a" if tool == "git-cat-file" else "no report")
        reads = sorted({t["read"] for t in s["done"] if t["read"]})
        read = " / ".join(reads) if reads else ("every object" if tool == "git-cat-file" else "")
        errs = [str(r) for r, t in enumerate(s["runs"], 1) if t["errors"]]
        if errs:
            read += f" (errors in run {', '.join(errs)}‡)"
        if "wall" not in s:
            lines.append(f"| {tool} | {'timed out' if s['runs'] else 'not run'} | {each} | | | | | | | | | | {rcs} |")
            continue
        lines.append(
            f"| {tool} | {s['wall']:.1f} | {each} | {s['cpu']:.1f} | {s['cpu'] / s['wall']:.2f} | {s['rss']:.0f} | "
            f"{blob_bytes / 1e6 / s['wall']:.0f} | {read} | {found} | {ratio(ks.get('wall'), s['wall'])} | "
            f"{ratio(ks.get('cpu'), s['cpu'])} | {ratio(ks.get('rss'), s['rss'])} | {rcs} |")
    lines.append("")
    if any(t["errors"] for s in stats.values() for t in s["runs"]):
        lines.append("‡ The tool reported errors (in `TOOL.RUN.err` and its report): it may have read less than the whole history, and its figures are not comparable.")
        lines.append("")
    lines.append("† timed out. Exit codes: keysnare and gitleaks exit 1 when they find something; Kingfisher 200 (findings) or 205 (validated findings); 124 or 137 is a timeout. "
                 "Findings are each tool's own count: keysnare counts one finding per secret and rule however many blobs and paths hold it (its locations in brackets); "
                 "Kingfisher merges repeated occurrences by its own rules (default deduplication); gitleaks reports every match in every commit's patch.")
    lines.append("")

    # keysnare's phases, run by run.
    if ks.get("runs"):
        per_run = [(t, keysnare_phases(t)) for t in ks["runs"]]
        names = []
        for _, phases in per_run:
            names.extend(n for n in phases if n not in names)
        if names:
            lines.append("keysnare's phases (s; `-v` and the JSON summary `phases`; outside the phases: start-up, loading and compiling the rules, exit):")
            lines.append("")
            lines.append("| run | " + " | ".join(names) + " | sum of phases | process wall | outside the phases |")
            lines.append("| --- |" + " ---: |" * (len(names) + 3))

            def row(label, values, wall):
                total = sum(values.get(n, 0) for n in names)
                cells = [f"{values[n]:.2f}" if n in values else "" for n in names]
                outside = f"{wall - total:.2f}" if wall is not None else ""
                walls = f"{wall:.2f}" if wall is not None else ""
                return f"| {label} | " + " | ".join(cells) + f" | {total:.2f} | {walls} | {outside} |"

            r = 0
            for t, phases in per_run:
                r += 1
                lines.append(row(str(r), phases, t.get("wall")))
            finished = [(t, p) for t, p in per_run if t in ks["done"] and p]
            if len(finished) > 1:
                med = {n: statistics.median(p[n] for _, p in finished if n in p) for n in names if any(n in p for _, p in finished)}
                lines.append(row("median", med, ks.get("wall")))
            lines.append("")

    lines.append("Commands (REPO is the repository, GITDIR its git directory):")
    lines.append("")
    lines.append("```")
    lines.append("git -C REPO cat-file --batch-all-objects --batch --unordered | wc -c")
    lines.append("keysnare scan REPO --no-worktree -v --format json --output OUT --progress never")
    lines.append("kingfisher scan GITDIR --git-history full --no-validate --no-update-check --rule-cache-dir CACHE --git-repo-timeout 0 --format json --output OUT")
    lines.append("gitleaks git REPO --no-banner --report-format json --report-path OUT")
    lines.append("```")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
