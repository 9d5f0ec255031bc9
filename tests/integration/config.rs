//! `.keysnare.toml`: custom rules, disabled rules, severity overrides, excludes, defaults,
//! and errors that name the file and line.
use predicates::prelude::*;

use crate::util::*;

fn custom_rule(pattern: &str) -> String {
    format!(
        r#"[[rules.custom]]
id = "acme.token"
name = "Acme token"
provider = "Acme"
pattern = '''{pattern}'''
severity = "high"
"#
    )
}

#[test]
fn config_extends_disables_and_overrides() {
    let t = Tree::new();
    let token = format!("acm_{}", fake(ALNUM, 24, 600));
    t.write(
        "app/a.env",
        format!("ACME={token}\nAWS={}\n", aws_key_id(601)),
    );
    t.write("vendor/b.env", format!("AWS={}\n", aws_key_id(602)));
    t.write(
        ".keysnare.toml",
        format!(
            "[scan]\nformat = \"json\"\nexclude = [\"vendor/\"]\n\n[rules]\nseverity = {{ \"aws.access-key-id\" = \"low\" }}\n\n{}",
            custom_rule(r"\b(?P<secret>acm_[A-Za-z0-9]{24})\b")
        ),
    );
    let out = keysnare().arg("scan").arg(t.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    // The configured default format is JSON.
    let doc = json(&out.stdout);
    let rules: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![("acme.token", "high"), ("aws.access-key-id", "low")]
    );
    // A flag beats the configuration.
    keysnare()
        .arg("scan")
        .arg(t.path())
        .args(["--format", "text"])
        .assert()
        .stdout(predicate::str::contains("acme.token"));
    // Disabling rules.
    let cfg = t.write(
        "other.toml",
        "[rules]\ndisable = [\"aws.access-key-id\"]\n[scan]\nexclude = [\"vendor/\"]\n",
    );
    keysnare()
        .arg("scan")
        .arg(t.path())
        .arg("--config")
        .arg(&cfg)
        .assert()
        .code(0);
}

#[test]
fn config_errors_name_file_and_line() {
    let t = Tree::new();
    t.write("a.txt", "x\n");
    let cases = [
        ("[scan]\nmax_size = 1\n", ":2", "unknown field"),
        (
            "[rules]\nseverity = { \"jwt.token\" = \"urgent\" }\n",
            ":2",
            "critical",
        ),
        ("[rules]\ndisable = [\"no.such-rule\"]\n", ":2", "no rule"),
        (&custom_rule(r"(?P<secret>acm_[a-z")[..], ":1", "acme.token"),
    ];
    for (text, line, what) in cases {
        t.write(".keysnare.toml", text);
        keysnare()
            .arg("scan")
            .arg(t.path())
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains(format!(".keysnare.toml{line}"))
                    .and(predicate::str::contains(what)),
            );
    }
}

#[test]
fn low_confidence_rules_are_reported_only_when_asked() {
    let t = Tree::new();
    let token = format!("lct_{}", fake(ALNUM, 20, 610));
    t.write("src/a.py", format!("X = '{token}'\n"));
    let rules = t.write(
        "low.toml",
        r#"[[rules]]
id = "demo.low"
name = "Demo heuristic"
provider = "Demo"
pattern = '''\b(?P<secret>lct_[A-Za-z0-9]{20})\b'''
severity = "medium"
confidence = "low"
"#,
    );
    let scan = |extra: &[&str]| {
        keysnare()
            .args(["scan", "--no-default-rules", "--rules"])
            .arg(&rules)
            .arg(t.path().join("src"))
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(scan(&[]), Some(0), "low confidence is hidden by default");
    assert_eq!(scan(&["--confidence", "low"]), Some(1));
    t.write("src/.keysnare.toml", "[scan]\nconfidence = \"low\"\n");
    assert_eq!(scan(&[]), Some(1), "the configuration can lower the bar");
    assert_eq!(scan(&["--confidence", "high"]), Some(0));
}

#[test]
fn gitleaks_configuration_is_imported_and_used() {
    let t = Tree::new();
    let gitleaks = t.write(
        "gitleaks.toml",
        r#"title = "team rules"

[[rules]]
id = "internal-service-token"
description = "Internal service token"
regex = '''isvc_[a-z0-9]{24}'''
keywords = ["isvc_"]

[[rules]]
id = "lookahead-rule"
description = "Uses look-ahead"
regex = '''tok(?=en)[a-z]+'''

[allowlist]
paths = ['''(^|/)vendor/''']
"#,
    );
    let token = format!("isvc_{}", fake(LOWER_ALNUM, 24, 620));
    t.write("src/app.py", format!("TOKEN = '{token}'\n"));
    t.write("vendor/lib.py", format!("TOKEN = '{token}x'\n"));
    keysnare()
        .current_dir(t.path())
        .args(["import", "gitleaks"])
        .arg(&gitleaks)
        .args(["--output", ".keysnare.toml"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("lookahead-rule"));
    // The file is not replaced without --force.
    keysnare()
        .current_dir(t.path())
        .args(["import", "gitleaks"])
        .arg(&gitleaks)
        .args(["--output", ".keysnare.toml"])
        .assert()
        .code(2);
    let out = keysnare()
        .arg("scan")
        .arg(t.path())
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    let found: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule_id"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "gitleaks.internal-service-token");
    assert!(found[0].1.ends_with("src/app.py"));
}
