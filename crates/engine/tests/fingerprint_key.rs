//! The fingerprint key is a value of each scan's configuration: one process scans several
//! projects, each under its own key, at the same time.
use std::path::PathBuf;
use std::sync::Arc;

use keysnare_engine::{ScanConfig, ScanOutput, scan_paths, scan_reader};
use keysnare_rules::{RuleSet, Source};
use keysnare_types::{Fingerprint, FingerprintKey};

const RULE: &str = r#"
[[rules]]
id = "demo.token"
name = "Demo token"
provider = "Demo"
pattern = '''\b(?P<secret>dmo_[a-z0-9]{16})\b'''
severity = "high"
confidence = "high"
"#;

/// A synthetic token, assembled at run time.
fn token() -> String {
    format!("{}{}", "dmo_", "q7x2m9k4w8p3z6v1")
}

fn config(rules: &Arc<RuleSet>, key: Option<&FingerprintKey>) -> ScanConfig {
    ScanConfig {
        threads: 2,
        fingerprint_key: key.cloned(),
        ..ScanConfig::new(Arc::clone(rules))
    }
}

fn only_fingerprint(out: &ScanOutput) -> Fingerprint {
    assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
    out.findings[0].fingerprint
}

#[test]
fn two_scans_with_two_keys_in_one_process() {
    let rules = Arc::new(RuleSet::load(&[Source::text("demo.toml", RULE)]).unwrap());
    let a = FingerprintKey::new(b"project a's key".to_vec());
    let b = FingerprintKey::new(b"project b's key".to_vec());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.env"), format!("TOKEN={}\n", token())).unwrap();
    let roots = [PathBuf::from(dir.path())];

    // Both scans run at once, on threads of one process.
    let (fa, fb) = std::thread::scope(|s| {
        let ta =
            s.spawn(|| only_fingerprint(&scan_paths(&config(&rules, Some(&a)), &roots).unwrap()));
        let tb =
            s.spawn(|| only_fingerprint(&scan_paths(&config(&rules, Some(&b)), &roots).unwrap()));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    assert_ne!(fa, fb, "two keys, two fingerprints of the same secret");
    assert_eq!(fa, a.fingerprint("demo.token", token().as_bytes()));
    assert_eq!(fb, b.fingerprint("demo.token", token().as_bytes()));

    // The same key gives the same fingerprint, from any source and after the other key
    // was used; no key gives the unkeyed fingerprint.
    let again = scan_paths(&config(&rules, Some(&a)), &roots).unwrap();
    assert_eq!(only_fingerprint(&again), fa);
    let stdin = format!("export TOKEN={}\n", token());
    let piped = scan_reader(&config(&rules, Some(&a)), stdin.as_bytes()).unwrap();
    assert_eq!(only_fingerprint(&piped), fa);
    let unkeyed = scan_paths(&config(&rules, None), &roots).unwrap();
    assert_eq!(
        only_fingerprint(&unkeyed),
        Fingerprint::unkeyed("demo.token", token().as_bytes())
    );

    // An ignore entry made under key a accepts the finding under a only; an unkeyed entry
    // under every key.
    std::fs::write(dir.path().join(".keysnareignore"), format!("{fa}\n")).unwrap();
    let under_a = scan_paths(&config(&rules, Some(&a)), &roots).unwrap();
    assert!(under_a.findings.is_empty());
    assert_eq!(under_a.stats.ignored_findings, 1);
    let under_b = scan_paths(&config(&rules, Some(&b)), &roots).unwrap();
    assert_eq!(only_fingerprint(&under_b), fb);
    let legacy = Fingerprint::unkeyed("demo.token", token().as_bytes());
    std::fs::write(dir.path().join(".keysnareignore"), format!("{legacy}\n")).unwrap();
    for key in [&a, &b] {
        let out = scan_paths(&config(&rules, Some(key)), &roots).unwrap();
        assert!(out.findings.is_empty(), "{key:?}");
    }
}
