//! The accuracy benchmark's scorer, pinned: the corpus generator at scale 1, keysnare over it,
//! and the scorer in keysnare-only mode must give exactly the counts below. A rule change that
//! moves them must update them here (and rerun `benches/accuracy/run.sh` for
//! `benches/RESULTS.md`), so the figures never drift silently.
use std::path::Path;
use std::process::Command as Process;

use crate::util::*;

/// Expected counts at `--scale 1`: labeled positives found, findings on lines without a
/// positive label, labeled positives missed.
const TRUE_POSITIVES: u64 = 143;
const FALSE_POSITIVES: u64 = 0;
const FALSE_NEGATIVES: u64 = 0;
const LABELED_POSITIVES: u64 = 143;

fn script(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/accuracy")
        .join(name)
}

fn python(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let out = Process::new("python3")
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn accuracy_scores_at_scale_one_are_pinned() {
    let t = Tree::new();
    let generate = script("generate.py");
    python(&[
        generate.as_os_str(),
        t.path().as_os_str(),
        "--scale".as_ref(),
        "1".as_ref(),
    ]);
    let corpus = t.path().join("corpus");
    let report = t.path().join("keysnare-report.json");
    keysnare()
        .current_dir(&corpus)
        .args(["scan", ".", "--no-git", "-f", "json", "--show-secrets"])
        .args(["--progress", "never", "-o"])
        .arg(&report)
        .assert()
        .code(1);

    let score = script("score.py");
    let mut report_arg = std::ffi::OsString::from("keysnare=");
    report_arg.push(&report);
    let out = python(&[
        score.as_os_str(),
        t.path().as_os_str(),
        "--tools".as_ref(),
        "keysnare".as_ref(),
        "--report".as_ref(),
        report_arg.as_os_str(),
        "--json".as_ref(),
        "-".as_ref(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout[stdout.find('{').expect("JSON on stdout")..])
            .expect("scorer JSON");
    let k = &doc["keysnare"];
    let counts = (
        k["tp"].as_u64().unwrap(),
        k["fp"].as_u64().unwrap(),
        k["fn"].as_u64().unwrap(),
    );
    let fps: Vec<String> = k["false_positives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| format!("{}:{} {}", x["file"], x["line"], x["rules"]))
        .collect();
    let fns: Vec<String> = k["false_negatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| format!("{}:{} {}", x["file"], x["line"], x["provider"]))
        .collect();
    assert_eq!(
        counts.0 + counts.2,
        LABELED_POSITIVES,
        "every label is a TP or an FN"
    );
    assert_eq!(
        counts,
        (TRUE_POSITIVES, FALSE_POSITIVES, FALSE_NEGATIVES),
        "(TP, FP, FN) moved; false positives: {fps:#?}\nfalse negatives: {fns:#?}"
    );
}
