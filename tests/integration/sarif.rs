//! SARIF (validated with Microsoft's SARIF validator under GitHub's ingestion rules and
//! with the SARIF 2.1.0 JSON schema), JUnit, and fingerprint stability.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as Std;
use std::sync::OnceLock;

use crate::util::*;

/// Microsoft's SARIF multitool, installed with npm into the test scratch directory on
/// first use (`.ci/run` installs it beforehand).
fn multitool() -> &'static Path {
    static TOOL: OnceLock<PathBuf> = OnceLock::new();
    TOOL.get_or_init(|| {
        let prefix = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ci-tools");
        let tool = prefix.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
        if !tool.exists() {
            install_tool(
                "Microsoft's SARIF validator (npm package @microsoft/sarif-multitool-linux@5.7.0)",
                Std::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&prefix)
                    .arg("@microsoft/sarif-multitool-linux@5.7.0"),
                &format!(
                    "npm install --no-audit --no-fund --prefix {} @microsoft/sarif-multitool-linux@5.7.0",
                    prefix.display()
                ),
            );
        }
        // npm does not run the package's install script that marks it executable.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        tool
    })
}

/// The validator's findings (errors and warnings) for `sarif`, under GitHub's rules.
fn validate_with_multitool(sarif: &Path) -> Vec<String> {
    let log = sarif.with_extension("validation.sarif");
    let out = Std::new(multitool())
        .arg("validate")
        .arg(sarif)
        .args(["--rule-kind", "Gh;Sarif", "-o"])
        .arg(&log)
        .args(["--log", "ForceOverwrite"])
        .output()
        .unwrap();
    assert!(
        log.exists(),
        "validator wrote no log: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let doc = json(&std::fs::read(&log).unwrap());
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] != "note" && r["level"] != "none")
        .map(|r| format!("{} {} {}", r["ruleId"], r["level"], r["message"]))
        .collect()
}

fn validate_with_schema(doc: &serde_json::Value) -> Vec<String> {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    // The published schema's pattern for `language` has a stray `]` that strict regex
    // engines reject; keysnare never writes `language`, so the pattern is corrected here.
    let text = std::fs::read_to_string(schema_path).unwrap().replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// A repository with the fixture tree (20 rule kinds) committed, a non-ASCII path, a secret
/// that a later commit deleted, and an untracked file.
fn repository() -> (Tree, PathBuf) {
    let built = crate::tree::build(true);
    let dir = built.tree.path().to_path_buf();
    std::fs::create_dir_all(dir.join("données")).unwrap();
    std::fs::write(
        dir.join("données/clé.env"),
        format!("KEY={}\n", aws_key_id(400)),
    )
    .unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "fixtures"]);
    std::fs::write(dir.join("old.env"), format!("GH={}\n", github_token(401))).unwrap();
    git(&dir, &["add", "old.env"]);
    git(&dir, &["commit", "-q", "-m", "add old token"]);
    git(&dir, &["rm", "-q", "old.env"]);
    git(&dir, &["commit", "-q", "-m", "remove old token"]);
    let remote = format!("https://ci:{}@git.example.test/team/app.git", "hunter22");
    git(&dir, &["remote", "add", "origin", &remote]);
    (built.tree, dir)
}

fn scan_sarif(dir: &Path, extra: &[&str]) -> (PathBuf, serde_json::Value) {
    let out_path = dir.parent().unwrap().join(format!(
        "report-{}.sarif",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let status = keysnare()
        .arg("scan")
        .arg(dir)
        .args(["--format", "sarif", "--output"])
        .arg(&out_path)
        .args(extra)
        .output()
        .unwrap()
        .status;
    assert!(status.code() == Some(1) || status.code() == Some(0));
    let doc = json(&std::fs::read(&out_path).unwrap());
    (out_path, doc)
}

#[test]
fn sarif_passes_github_validation_and_the_schema() {
    let (_t, dir) = repository();
    let (path, doc) = scan_sarif(&dir, &[]);
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let used: BTreeSet<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(used.len() >= 10, "only {} rules: {used:?}", used.len());
    // One descriptor per rule used, and ruleIndex points at it.
    assert_eq!(rules.len(), used.len());
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["endLine"].as_u64() >= region["startLine"].as_u64());
    }
    for rule in rules {
        let sev: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.contains(&"security".into()) && tags.contains(&"secret".into()));
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("What to do")
        );
    }
    // History findings carry their commit; the non-ASCII path is percent-encoded.
    let old = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "old.env")
        .expect("the deleted token is reported");
    assert_eq!(
        old["locations"][0]["properties"]["commitSummary"],
        "add old token"
    );
    assert!(results.iter().any(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "donn%C3%A9es/cl%C3%A9.env"
    ));
    // The remote's credentials never reach the log.
    assert_eq!(
        run["versionControlProvenance"][0]["repositoryUri"],
        "https://git.example.test/team/app.git"
    );
    assert!(!std::fs::read_to_string(&path).unwrap().contains("hunter22"));

    assert_eq!(validate_with_schema(&doc), Vec::<String>::new());
    assert_eq!(validate_with_multitool(&path), Vec::<String>::new());
}

#[test]
fn sarif_holds_no_secret_unless_asked() {
    let (_t, dir) = repository();
    let out = keysnare()
        .arg("scan")
        .arg(&dir)
        .args(["--format", "json", "--show-secrets"])
        .output()
        .unwrap();
    let secrets: Vec<String> = json(&out.stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect();
    assert!(secrets.len() >= 20);
    let (path, _) = scan_sarif(&dir, &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "secret in SARIF: {}…", &s[..4]);
    }
    let (path, _) = scan_sarif(&dir, &["--show-secrets"]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        secrets
            .iter()
            .all(|s| text.contains(&s.replace('\n', "\\n")))
    );
}

fn fingerprints(dir: &Path) -> BTreeSet<String> {
    let (_, doc) = scan_sarif(dir, &[]);
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["keysnare/secret/v2"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn partial_fingerprints_survive_moves_and_rewrites() {
    let key = aws_key_id(500);
    let t = Tree::new();
    let a = t.path().join("a");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::write(a.join("one.env"), format!("K={key}\n")).unwrap();
    git(&a, &["init", "-q", "-b", "main"]);
    git(&a, &["add", "-A"]);
    git(&a, &["commit", "-q", "-m", "first"]);
    // The same secret on another line of another file, in a different history.
    let b = t.path().join("b");
    std::fs::create_dir_all(b.join("deep")).unwrap();
    std::fs::write(
        b.join("deep/two.yml"),
        format!("a: 1\nb: 2\n\nkey: {key}\n"),
    )
    .unwrap();
    git(&b, &["init", "-q", "-b", "main"]);
    git(&b, &["add", "-A"]);
    git(&b, &["commit", "-q", "-m", "rewritten"]);
    let fa = fingerprints(&a);
    assert_eq!(fa.len(), 1);
    assert_eq!(fa, fingerprints(&b));
    // Two different secrets on one line have different fingerprints.
    let c = t.path().join("c");
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(c.join("x.env"), format!("K={key} J={}\n", aws_key_id(501))).unwrap();
    let fc = fingerprints(&c);
    assert_eq!(fc.len(), 2);
    assert!(fc.contains(fa.iter().next().unwrap()));
}

#[test]
fn sarif_keeps_within_github_limits_most_severe_first() {
    let t = Tree::new();
    let mut text = String::with_capacity(30 * 25_100);
    for i in 0..25_050u64 {
        text.push_str(&format!("K={}\n", aws_key_id(10_000 + i)));
    }
    // One critical finding after all the high ones.
    text.push_str(&format!(
        "sk = \"{}{}\"\n",
        ["sk_li", "ve_"].concat(),
        fake(ALNUM, 24, 9)
    ));
    t.write("many.env", text);
    let out = keysnare()
        .arg("scan")
        .arg(t.path())
        .args(["--format", "sarif", "--max-findings", "30000"])
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), keysnare_report_limits::MAX_RESULTS);
    assert_eq!(results[0]["ruleId"], "stripe.secret-key.live");
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["message"]["text"].as_str().unwrap().contains("left out"))
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("left out"));
}

mod keysnare_report_limits {
    pub const MAX_RESULTS: usize = 25_000;
}

#[test]
fn junit_is_well_formed_with_one_case_per_finding() {
    let (_t, dir) = repository();
    let out = keysnare()
        .arg("scan")
        .arg(&dir)
        .args(["--format", "junit"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert!(cases.len() >= 20);
    assert_eq!(cases.len(), failures);
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite
            .attribute("failures")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        failures
    );
    // Nothing found: one passing case.
    let clean = Tree::new();
    clean.write("a.txt", "nothing\n");
    let out = keysnare()
        .arg("scan")
        .arg(clean.path())
        .args(["--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        1
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        0
    );
}

/// A limit that cut a file short (`--max-findings`) is said in the SARIF run's
/// notifications, with the path and the numbers.
#[test]
fn sarif_says_what_a_limit_cut_short() {
    let t = Tree::new();
    let body: String = (0..30u64)
        .map(|i| format!("K{i}={}\n", aws_key_id(2000 + i)))
        .collect();
    t.write("many.env", body);
    let out = keysnare()
        .arg("scan")
        .arg(t.path())
        .args(["--format", "sarif", "--max-findings", "10"])
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let note = notes
        .iter()
        .find(|n| {
            let text = n["message"]["text"].as_str().unwrap_or("");
            text.contains("many.env") && text.contains("30 matches; only the first 10")
        })
        .unwrap_or_else(|| panic!("{notes:#?}"));
    // The numbers for tools, as the JSON report's `skipped` has them.
    assert_eq!(note["properties"]["kind"], "too_many_matches", "{note:#}");
    assert_eq!(note["properties"]["found"], 30, "{note:#}");
    assert_eq!(note["properties"]["kept"], 10, "{note:#}");
    assert_eq!(validate_with_schema(&doc), Vec::<String>::new());
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 10);
}
