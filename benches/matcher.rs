//! Matcher throughput with the whole default rule pack over real source code.
//!
//! The corpus is the Rust sources of the crates in cargo's registry cache (the project's own
//! dependencies, present after any build), concatenated up to `KEYSNARE_BENCH_MB` MiB
//! (default 100) and repeated if there is less. Two runs, one core each:
//!
//! - clean: the corpus as is; reports MB/s and the number of matches (real source code
//!   holds a few things that look like credentials, such as test vectors);
//! - planted: every rule's first example inserted at evenly spaced points; the run fails
//!   unless each planted example is found by its rule at the place it was planted.
//!
//! Run with `cargo bench --bench matcher`. `KEYSNARE_BENCH_DIR` points at another source tree.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use keysnare_matcher::Matcher;
use keysnare_rules::RuleSet;

fn collect_sources(dir: &Path, out: &mut Vec<u8>, limit: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if out.len() >= limit {
            return;
        }
        if p.is_dir() {
            collect_sources(&p, out, limit);
        } else if p.extension().is_some_and(|e| e == "rs")
            && let Ok(data) = std::fs::read(&p)
        {
            out.extend_from_slice(&data);
            out.push(b'\n');
        }
    }
}

fn corpus(limit: usize) -> Vec<u8> {
    let dir = std::env::var_os("KEYSNARE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo")
                });
            home.join("registry/src")
        });
    let mut out = Vec::with_capacity(limit);
    collect_sources(&dir, &mut out, limit);
    assert!(!out.is_empty(), "no .rs sources under {}", dir.display());
    let original = out.len();
    while out.len() < limit {
        let take = original.min(limit - out.len());
        out.extend_from_within(..take);
    }
    out.truncate(limit);
    out
}

fn run(matcher: &mut Matcher, data: &[u8], rounds: usize) -> (f64, Vec<keysnare_types::Match>) {
    let mut best = f64::MAX;
    let mut found = Vec::new();
    for _ in 0..rounds {
        found.clear();
        let t = Instant::now();
        matcher.scan(data, &mut found);
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, found)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once with a tiny corpus.
    let quick = !std::env::args().any(|a| a == "--bench");
    let mb: usize = std::env::var("KEYSNARE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 2 } else { 100 });
    // The rules a default scan runs with (medium confidence and up), as the CLI compiles them.
    let all = RuleSet::load_rules(&keysnare_rules::Source::default_pack()).expect("default pack");
    let low_total = all.len();
    let rules = Arc::new(
        RuleSet::from_rules(
            all.into_iter()
                .filter(|r| r.max_confidence() >= keysnare_types::Confidence::Medium)
                .collect(),
        )
        .expect("default pack"),
    );
    println!(
        "rules: {} of {} (low-confidence rules run only with --confidence low)",
        rules.len(),
        low_total
    );
    let mut matcher = Matcher::new(Arc::clone(&rules));
    let clean = corpus(mb << 20);
    let rounds = if quick { 1 } else { 3 };

    let (secs, found) = run(&mut matcher, &clean, rounds);
    let mbs = clean.len() as f64 / 1e6 / secs;
    println!(
        "clean:   {:.1} MB in {:.3} s = {:.0} MB/s on one core ({} rules, {} matches)",
        clean.len() as f64 / 1e6,
        secs,
        mbs,
        rules.len(),
        found.len()
    );

    // Plant every rule's first example at evenly spaced line starts.
    let mut planted = Vec::with_capacity(clean.len() + 64 * 1024);
    let mut expect = Vec::new();
    let step = clean.len() / (rules.len() + 1);
    let mut from = 0;
    // File rules read whole files by path: there is nothing to plant in a corpus.
    for (ri, rule) in rules.rules().iter().enumerate() {
        // Binary keystores are told by the first bytes of an input, not planted inside one.
        if rule.is_file_rule() || rule.parser.is_some_and(|p| p.is_sniffed()) {
            continue;
        }
        let at = (step * (ri + 1)).max(from);
        let at = clean[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(clean.len(), |i| at + i + 1);
        planted.extend_from_slice(&clean[from..at]);
        let start = planted.len();
        planted.extend_from_slice(rule.examples[0].as_bytes());
        planted.push(b'\n');
        expect.push((ri, start, planted.len()));
        from = at;
    }
    planted.extend_from_slice(&clean[from..]);
    let (secs, mut found) = run(&mut matcher, &planted, rounds);
    let missing: Vec<&str> = expect
        .iter()
        .filter(|(ri, s, e)| {
            !found
                .iter()
                .any(|m| m.rule == *ri && m.span.start >= *s && m.span.end <= *e)
        })
        .map(|(ri, _, _)| rules.rule(*ri).id.as_str())
        .collect();
    println!(
        "planted: {:.1} MB in {:.3} s = {:.0} MB/s on one core ({} planted, {} found, {} matches in all)",
        planted.len() as f64 / 1e6,
        secs,
        planted.len() as f64 / 1e6 / secs,
        expect.len(),
        expect.len() - missing.len(),
        found.len()
    );
    assert!(
        missing.is_empty(),
        "planted examples not found: {missing:?}"
    );

    // The quick path (taken before the full automaton is built: the pre-commit hook's
    // whole run), on the clean corpus in files of 64 KiB.
    let mut quick = Matcher::new(Arc::clone(&rules));
    quick.set_keyword_path(keysnare_matcher::KeywordPath::Quick);
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..rounds {
        found.clear();
        let t = Instant::now();
        for chunk in clean.chunks(64 << 10) {
            quick.scan(chunk, &mut found);
        }
        best = best.min(t.elapsed().as_secs_f64());
        n = found.len();
    }
    println!(
        "quick:   {:.1} MB in {:.3} s = {:.0} MB/s on one core (quick path, 64 KiB inputs, {} matches)",
        clean.len() as f64 / 1e6,
        best,
        clean.len() as f64 / 1e6 / best,
        n
    );
}
