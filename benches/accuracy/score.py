#!/usr/bin/env python3
"""Score secret scanners against the labeled corpus made by generate.py.

    python3 benches/accuracy/score.py OUTDIR [--keysnare BIN] [--gitleaks BIN]
        [--betterleaks BIN] [--kingfisher BIN] [--tools keysnare,gitleaks,...]
        [--report TOOL=FILE] [--markdown FILE] [--json FILE] [--details TOOL]

OUTDIR holds corpus/ and labels.json (from generate.py). Each selected tool is run over
OUTDIR/corpus (its working directory, target "."), its report is kept in OUTDIR/reports/, and
its findings are reduced to (file, line) pairs. A tool whose binary is not given or not found
is skipped, and the output says so. `--report TOOL=FILE` scores a report that already exists
instead of running the tool (the integration test does this for keysnare).

Matching: a finding matches a positive label when the file is the label's and its line is
within the label's lines (one line, or the lines of a PEM block). A label matched by at least
one finding is a true positive (TP), a label matched by none is a false negative (FN). Every
distinct (file, line) with findings but no positive label is one false positive (FP), however
many findings or rules it holds; its category is that of the hard-negative label on the line,
or "context" for other lines. Precision = TP / (TP + FP), recall = TP / (TP + FN),
F1 = their harmonic mean.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict

TOOLS = ["keysnare", "gitleaks", "betterleaks", "kingfisher"]


def command(tool: str, binary: str, out: str) -> list[str]:
    """The exact command each tool runs with, in the corpus directory, on target "."."""
    if tool == "keysnare":
        return [binary, "scan", ".", "--no-git", "-f", "json", "--show-secrets", "--progress", "never", "-o", out]
    if tool == "gitleaks":
        return [binary, "dir", ".", "-f", "json", "-r", out, "--no-banner", "--exit-code", "0", "--log-level", "error"]
    if tool == "betterleaks":
        return [binary, "filesystem", ".", "-o", out, "--no-banner", "--silent", "--exit-code", "0", "--log-level", "error"]
    if tool == "kingfisher":
        return [binary, "scan", ".", "--no-validate", "--no-dedup", "--git-history", "none", "-f", "json", "-o", out]
    raise ValueError(tool)


def version(tool: str, binary: str) -> str:
    args = {"keysnare": ["--version"], "gitleaks": ["version"], "betterleaks": ["version"], "kingfisher": ["--version"]}[tool]
    try:
        p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=60)
    except OSError:
        return "?"
    text = (p.stdout or p.stderr).strip().splitlines()
    return text[0] if text else "?"


def norm(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    marker = "/corpus/"
    if marker in path:
        path = path.split(marker, 1)[1]
    return path


# ---------------------------------------------------------------------------------------
# Report parsers: each yields (file, line, rule).


def parse_keysnare(doc) -> list[tuple[str, int, str]]:
    out = []
    for f in doc.get("findings", []):
        locs = f.get("locations") or [f]
        for loc in locs:
            out.append((norm(loc["path"]), int(loc["line"]), f.get("rule_id", "?")))
    return out


def parse_gitleaks(doc) -> list[tuple[str, int, str]]:
    # gitleaks writes a JSON array of findings with File and StartLine.
    out = []
    for f in doc or []:
        out.append((norm(f.get("File") or f.get("file")), int(f.get("StartLine") or f.get("startLine") or f.get("line")), f.get("RuleID") or f.get("ruleId") or "?"))
    return out


def parse_betterleaks(doc) -> list[tuple[str, int, str]]:
    # Betterleaks writes {"findings": [{"rule_id", "location": {"path", "start_line"}}]}.
    out = []
    for f in (doc or {}).get("findings", []) if isinstance(doc, dict) else doc:
        loc = f.get("location") or {}
        out.append((norm(loc["path"]), int(loc["start_line"]), f.get("rule_id", "?")))
    return out


def _walk_kingfisher(node, out: list) -> None:
    # Kingfisher's JSON envelope nests findings; each finding object has "path" and "line"
    # (or a "location" with "start_line"/"line"). Walk it generically.
    if isinstance(node, list):
        for x in node:
            _walk_kingfisher(x, out)
        return
    if not isinstance(node, dict):
        return
    rule = node.get("rule")
    finding = node.get("finding")
    if isinstance(finding, dict) and ("path" in finding or "line" in finding):
        rid = rule.get("id", "?") if isinstance(rule, dict) else str(rule or "?")
        path = finding.get("path")
        line = finding.get("line")
        if path is not None and line is not None:
            out.append((norm(path), int(line), rid))
            return
    for v in node.values():
        if isinstance(v, (dict, list)):
            _walk_kingfisher(v, out)


def parse_kingfisher(doc) -> list[tuple[str, int, str]]:
    out: list = []
    _walk_kingfisher(doc, out)
    return out


PARSERS = {"keysnare": parse_keysnare, "gitleaks": parse_gitleaks, "betterleaks": parse_betterleaks, "kingfisher": parse_kingfisher}


def load_report(tool: str, path: str):
    with open(path, encoding="utf-8") as fh:
        text = fh.read().strip()
    if not text:
        return PARSERS[tool]([] if tool != "keysnare" else {})
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = [json.loads(line) for line in text.splitlines() if line.strip()]
    return PARSERS[tool](doc)


# ---------------------------------------------------------------------------------------
# Scoring.


def score(labels: dict, findings: list[tuple[str, int, str]]) -> dict:
    by_file = defaultdict(list)
    for i, p in enumerate(labels["positives"]):
        by_file[p["file"]].append(i)
    neg_cat = {(n["file"], n["line"]): n["category"] for n in labels["negatives"]}
    hit = set()
    fp_lines: dict[tuple[str, int], list[str]] = {}
    for file, line, rule in findings:
        matched = False
        for i in by_file.get(file, ()):
            p = labels["positives"][i]
            if p["line"] <= line <= p["end_line"]:
                hit.add(i)
                matched = True
        if not matched:
            fp_lines.setdefault((file, line), []).append(rule)
    cats = defaultdict(lambda: {"tp": 0, "fn": 0, "fp": 0})
    fns = []
    for i, p in enumerate(labels["positives"]):
        if i in hit:
            cats[p["category"]]["tp"] += 1
        else:
            cats[p["category"]]["fn"] += 1
            fns.append(p)
    fps = []
    for (file, line), rules in sorted(fp_lines.items()):
        cat = neg_cat.get((file, line), "context")
        cats["neg:" + cat]["fp"] += 1
        fps.append({"file": file, "line": line, "category": cat, "rules": sorted(set(rules))})
    tp = len(hit)
    fn = len(labels["positives"]) - tp
    fp = len(fp_lines)
    return {"tp": tp, "fp": fp, "fn": fn, "categories": dict(cats), "false_negatives": fns, "false_positives": fps}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def markdown(labels: dict, results: dict, meta: dict) -> str:
    tools = list(results)
    out = []
    npos, nneg = len(labels["positives"]), len(labels["negatives"])
    out.append(f"Corpus: scale {labels['scale']}, {labels['files']} files, {npos} labeled positives, {nneg} hard-negative lines.\n")
    out.append("| tool | version | TP | FP | FN | precision | recall | F1 | time |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in tools:
        r = results[t]
        p, rc, f = prf(r["tp"], r["fp"], r["fn"])
        out.append(f"| {t} | {meta[t]['version']} | {r['tp']} | {r['fp']} | {r['fn']} | {p:.3f} | {rc:.3f} | {f:.3f} | {meta[t]['seconds']:.2f} s |")
    out.append("")
    pos_cats = sorted({p["category"] for p in labels["positives"]})
    out.append("Recall per positive category (TP / labels):\n")
    out.append("| category | labels | " + " | ".join(tools) + " |")
    out.append("| --- | ---: | " + " | ".join("---:" for _ in tools) + " |")
    for c in pos_cats:
        n = sum(1 for p in labels["positives"] if p["category"] == c)
        cells = []
        for t in tools:
            tp = results[t]["categories"].get(c, {}).get("tp", 0)
            cells.append(f"{tp} ({tp / n:.0%})")
        out.append(f"| {c} | {n} | " + " | ".join(cells) + " |")
    out.append("")
    neg_cats = sorted({n["category"] for n in labels["negatives"]} | {"context"})
    out.append("False positives per line category (hard-negative lines; `context`: unlabeled lines of the files):\n")
    out.append("| category | lines | " + " | ".join(tools) + " |")
    out.append("| --- | ---: | " + " | ".join("---:" for _ in tools) + " |")
    for c in neg_cats:
        n = sum(1 for x in labels["negatives"] if x["category"] == c)
        cells = [str(results[t]["categories"].get("neg:" + c, {}).get("fp", 0)) for t in tools]
        out.append(f"| {c} | {n if c != 'context' else '-'} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Commands (run in the corpus directory):\n")
    for t in tools:
        out.append(f"- {t}: `{meta[t]['command']}`")
    out.append("")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", help="directory holding corpus/ and labels.json")
    for t in TOOLS:
        ap.add_argument(f"--{t}", metavar="BIN", help=f"path of the {t} binary")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated tools to score (default: all)")
    ap.add_argument("--report", action="append", default=[], metavar="TOOL=FILE", help="score an existing report instead of running TOOL")
    ap.add_argument("--markdown", metavar="FILE", help="write the Markdown tables here")
    ap.add_argument("--json", metavar="FILE", help="write counts and every FP/FN here ('-' for stdout)")
    ap.add_argument("--details", metavar="TOOL", help="print TOOL's false negatives and false positives")
    a = ap.parse_args()

    outdir = os.path.abspath(a.outdir)
    corpus = os.path.join(outdir, "corpus")
    with open(os.path.join(outdir, "labels.json"), encoding="utf-8") as fh:
        labels = json.load(fh)
    reports = dict(r.split("=", 1) for r in a.report)
    selected = [t.strip() for t in a.tools.split(",") if t.strip()]
    for t in selected:
        if t not in TOOLS:
            ap.error(f"unknown tool {t!r} (known: {', '.join(TOOLS)})")
    os.makedirs(os.path.join(outdir, "reports"), exist_ok=True)

    results, meta = {}, {}
    for t in selected:
        binary = getattr(a, t)
        if t in reports:
            findings = load_report(t, reports[t])
            meta[t] = {"version": version(t, binary) if binary else "?", "seconds": 0.0, "command": f"(report {os.path.basename(reports[t])})"}
        else:
            resolved = shutil.which(binary) if binary else None
            if not resolved:
                print(f"score.py: skipping {t}: no binary ({'--' + t} not given)" if not binary else f"score.py: skipping {t}: {binary} not found", file=sys.stderr)
                continue
            out = os.path.join(outdir, "reports", f"{t}.json")
            if os.path.exists(out):
                os.remove(out)
            cmd = command(t, resolved, out)
            start = time.monotonic()
            p = subprocess.run(cmd, cwd=corpus, capture_output=True, text=True)
            secs = time.monotonic() - start
            if not os.path.exists(out):
                print(f"score.py: {t} wrote no report (exit {p.returncode}): {p.stderr.strip()[-2000:]}", file=sys.stderr)
                return 2
            findings = load_report(t, out)
            shown = [os.path.basename(cmd[0])] + [("OUT.json" if x == out else x) for x in cmd[1:]]
            meta[t] = {"version": version(t, resolved), "seconds": secs, "command": " ".join(shown)}
        results[t] = score(labels, findings)

    for t, r in results.items():
        p, rc, f = prf(r["tp"], r["fp"], r["fn"])
        print(f"{t}: TP={r['tp']} FP={r['fp']} FN={r['fn']} precision={p:.3f} recall={rc:.3f} F1={f:.3f}")
    if a.markdown and results:
        with open(a.markdown, "w", encoding="utf-8") as fh:
            fh.write(markdown(labels, results, meta))
    if a.json:
        doc = {t: {**r, "meta": meta[t]} for t, r in results.items()}
        if a.json == "-":
            json.dump(doc, sys.stdout, indent=1)
            print()
        else:
            with open(a.json, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1)
    if a.details and a.details in results:
        r = results[a.details]
        lines = {}
        for path in {x["file"] for x in r["false_negatives"] + r["false_positives"]}:
            with open(os.path.join(corpus, path), encoding="utf-8", errors="replace") as fh:
                lines[path] = fh.read().split("\n")
        print(f"\n== {a.details}: false negatives")
        for x in r["false_negatives"]:
            print(f"FN [{x['category']}/{x['provider']}] {x['file']}:{x['line']}: {lines[x['file']][x['line'] - 1][:220]}")
        print(f"\n== {a.details}: false positives")
        for x in r["false_positives"]:
            print(f"FP [{x['category']}] {','.join(x['rules'])} {x['file']}:{x['line']}: {lines[x['file']][x['line'] - 1][:220]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
