//! Formats, exit codes, stdin, size cap, redaction, errors.
use predicates::prelude::*;

use crate::util::*;

fn tree_with_key(seed: u64) -> (Tree, String) {
    let t = Tree::new();
    let key = aws_key_id(seed);
    t.write(
        "app/settings.env",
        format!("# settings\nAWS_ACCESS_KEY_ID={key}\n"),
    );
    t.write("README.md", "nothing to see\n");
    (t, key)
}

#[test]
fn clean_tree_exits_zero_with_summary() {
    let t = Tree::new();
    t.write("a.txt", "hello\n");
    keysnare()
        .args(["scan"])
        .arg(t.path())
        .assert()
        .code(0)
        .stdout("")
        .stderr(
            predicate::str::contains("scanned 1 file").and(predicate::str::contains("no findings")),
        );
}

#[test]
fn findings_exit_one_and_exit_code_overrides() {
    let (t, _) = tree_with_key(1);
    keysnare().arg("scan").arg(t.path()).assert().code(1);
    keysnare()
        .args(["scan", "--exit-code", "7"])
        .arg(t.path())
        .assert()
        .code(7);
}

#[test]
fn text_report_is_grouped_by_file_and_redacted() {
    let (t, key) = tree_with_key(2);
    let out = keysnare()
        .current_dir(t.path())
        .args(["scan", "."])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stdout.starts_with("app/settings.env\n"), "{stdout}");
    assert!(stdout.contains("2:19"), "{stdout}");
    assert!(stdout.contains("aws.access-key-id"), "{stdout}");
    assert!(stdout.contains("What to do"), "{stdout}");
    assert!(
        !stdout.contains(&key) && !stderr.contains(&key),
        "secret printed"
    );
    assert!(stdout.contains(&format!("{}…", &key[..5])), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn json_report_has_every_documented_field() {
    let (t, key) = tree_with_key(3);
    let out = keysnare()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(doc["schema_version"], 1);
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "aws.access-key-id");
    assert_eq!(f["path"], "app/settings.env");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 19);
    assert_eq!(f["end_line"], 2);
    assert_eq!(f["end_column"], 39);
    assert_eq!(f["secret_redacted"], true);
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
    for field in [
        "rule_name",
        "provider",
        "severity",
        "confidence",
        "entropy",
        "line_text",
        "remediation",
    ] {
        assert!(!f[field].is_null(), "missing {field}");
    }
    assert_eq!(f["locations"].as_array().unwrap().len(), 1);
    assert_eq!(doc["summary"]["findings"], 1);
    assert!(!String::from_utf8_lossy(&out).contains(&key));
}

#[test]
fn jsonl_is_one_finding_per_line_and_show_secrets_prints_them() {
    let t = Tree::new();
    let k1 = aws_key_id(4);
    let k2 = aws_key_id(5);
    t.write("a.yml", format!("id: {k1}\n"));
    t.write("b.py", format!("ID = '{k2}'\n"));
    let out = keysnare()
        .args(["scan", "--format", "jsonl", "--show-secrets"])
        .arg(t.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let secrets: Vec<&str> = lines
        .iter()
        .map(|l| l["secret"].as_str().unwrap())
        .collect();
    assert!(secrets.contains(&k1.as_str()) && secrets.contains(&k2.as_str()));
    assert!(lines.iter().all(|l| l["secret_redacted"] == false));
}

#[test]
fn same_content_in_two_files_is_one_finding_with_two_locations() {
    let t = Tree::new();
    let key = aws_key_id(6);
    t.write("one/.env", format!("K={key}\n"));
    t.write("two/.env", format!("K={key}\n"));
    let out = keysnare()
        .args(["scan", "-f", "json"])
        .arg(t.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["locations"].as_array().unwrap().len(), 2);
    assert_eq!(doc["summary"]["files"], 2);
    assert_eq!(doc["summary"]["blobs_scanned"], 1);
}

#[test]
fn stdin_is_scanned_with_dash() {
    let key = aws_key_id(7);
    let out = keysnare()
        .args(["scan", "-", "-f", "json"])
        .write_stdin(format!("export AWS_ACCESS_KEY_ID={key}\n"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(doc["findings"][0]["path"], "<stdin>");
    assert_eq!(doc["findings"][0]["column"], 26);
    keysnare()
        .args(["scan", "-"])
        .write_stdin("nothing here\n")
        .assert()
        .code(0);
}

#[test]
fn max_file_size_skips_and_counts() {
    let t = Tree::new();
    let key = aws_key_id(8);
    t.write("big.txt", format!("{}\nK={key}\n", "x".repeat(2000)));
    t.write("small.txt", "ok\n");
    keysnare()
        .args(["scan", "--max-file-size", "1K"])
        .arg(t.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 skipped"));
    keysnare()
        .args(["scan", "-v", "--max-file-size", "1K"])
        .arg(t.path())
        .assert()
        .code(0)
        .stderr(
            predicate::str::contains("big.txt")
                .and(predicate::str::contains("larger than --max-file-size")),
        );
    keysnare().arg("scan").arg(t.path()).assert().code(1);
    keysnare()
        .args(["scan", "--max-file-size", "lots"])
        .arg(t.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a size"));
}

/// A file over `--max-file-size` is listed in JSON with a kind and its numbers, so tools
/// need not read the text; the text stays for people.
#[test]
fn a_too_large_file_shows_its_kind_and_size_in_json() {
    let t = Tree::new();
    t.write(
        "big.txt",
        format!("K={}\n{}", aws_key_id(11), "x".repeat(3050)),
    );
    t.write("small.txt", "ok\n");
    let out = keysnare()
        .args(["scan", "--no-git", "-f", "json", "--max-file-size", "2K"])
        .arg(t.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{doc}");
    let entry = &skipped[0];
    assert!(
        entry["path"].as_str().unwrap().ends_with("big.txt"),
        "{doc}"
    );
    assert_eq!(entry["kind"], "too_large", "{doc}");
    assert_eq!(entry["size"], 3073, "{doc}");
    assert_eq!(entry["limit"], 2048, "{doc}");
    assert_eq!(
        entry["reason"], "larger than --max-file-size (3.0 KiB > 2.0 KiB)",
        "{doc}"
    );
    assert_eq!(doc["summary"]["skipped"], 1);
}

#[test]
fn missing_path_is_an_error_but_other_paths_are_scanned() {
    let (t, _) = tree_with_key(9);
    keysnare()
        .arg("scan")
        .arg(t.path().join("nope"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope").and(predicate::str::contains("error")));
    // Findings win over errors in the exit code; the error is still reported.
    keysnare()
        .arg("scan")
        .arg(t.path().join("nope"))
        .arg(t.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nope"));
}

#[test]
fn unreadable_file_is_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let (t, _) = tree_with_key(10);
    let p = t.write("locked.txt", "secret stuff\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions do not stop reads, nothing to test here.
        return;
    }
    keysnare()
        .arg("scan")
        .arg(t.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("locked.txt"));
}

#[test]
fn bad_rule_file_names_file_line_and_rule() {
    let t = Tree::new();
    let rules = t.write(
        "bad.toml",
        "[[rules]]\nid = \"my.rule\"\nname = \"n\"\nprovider = \"p\"\npattern = '(x+)'\nseverity = \"high\"\n",
    );
    keysnare()
        .args(["scan", "--rules"])
        .arg(&rules)
        .arg(t.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.toml:1")
                .and(predicate::str::contains("my.rule"))
                .and(predicate::str::contains("bounded")),
        );
    let unknown = t.write(
        "unknown.toml",
        "[[rules]]\nid = \"my.rule\"\nname = \"n\"\nprovider = \"p\"\npattern = '(x)'\nseverity = \"high\"\ncolour = 1\n",
    );
    keysnare()
        .args(["rules", "check"])
        .arg(&unknown)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("unknown.toml:7").and(predicate::str::contains("colour")));
}

#[test]
fn custom_rules_are_used_and_checked() {
    let t = Tree::new();
    let token = format!("zzt_{}", fake(ALNUM, 20, 11));
    let rules = t.write(
        "mine.toml",
        format!(
            r#"[[rules]]
id = "acme.token"
name = "Acme token"
provider = "Acme"
description = "An Acme API token."
pattern = '''\b(?P<secret>zzt_[A-Za-z0-9]{{20}})\b'''
min_entropy = 3.0
severity = "high"
references = ["https://acme.test/docs"]
remediation = "Revoke it in the Acme console."
examples = ["ACME={token}", "acme: {token}"]
negative_examples = ["zzt_short"]
"#
        ),
    );
    keysnare()
        .args(["rules", "check"])
        .arg(&rules)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok: 1 rules"));
    t.write("src/main.py", format!("ACME = \"{token}\"\n"));
    keysnare()
        .args(["scan", "--no-default-rules", "--rules"])
        .arg(&rules)
        .arg(t.path().join("src"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("acme.token"));
    // A failing example is reported precisely.
    let broken = std::fs::read_to_string(&rules)
        .unwrap()
        .replace("zzt_short", &token);
    let broken_path = t.write("broken.toml", broken);
    keysnare()
        .args(["rules", "check"])
        .arg(&broken_path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "broken.toml:1: rule acme.token: negative example 1 matches",
        ));
}

#[test]
fn inline_allow_and_ignore_file() {
    let t = Tree::new();
    let k1 = aws_key_id(12);
    let k2 = aws_key_id(13);
    t.write("a.env", format!("A={k1} # keysnare:allow\n"));
    t.write("fixtures/b.env", format!("B={k2}\n"));
    keysnare().arg("scan").arg(t.path()).assert().code(1);
    t.write(".keysnareignore", "# test data\nfixtures/\n");
    keysnare().arg("scan").arg(t.path()).assert().code(0);
    keysnare()
        .args(["scan", "--no-ignore-file"])
        .arg(t.path())
        .assert()
        .code(1);
    // A fingerprint entry hides exactly that finding.
    t.write(".keysnareignore", "");
    let out = keysnare()
        .args(["scan", "-f", "json"])
        .arg(t.path())
        .output()
        .unwrap();
    let fp = json(&out.stdout)["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    t.write(".keysnareignore", format!("{fp}  # accepted: test key\n"));
    keysnare()
        .arg("scan")
        .arg(t.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 ignored"));
    keysnare()
        .args(["scan", "--exclude", "*.env", "--no-ignore-file"])
        .arg(t.path())
        .assert()
        .code(0);
}

#[test]
fn rules_list_formats() {
    keysnare().args(["rules", "list"]).assert().code(0).stdout(
        predicate::str::contains("aws.access-key-id").and(predicate::str::starts_with("ID ")),
    );
    let out = keysnare()
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    let arr = v.as_array().unwrap();
    let (rules, _) = rule_files();
    assert_eq!(arr.len(), rules, "the rules of rules/*.toml");
    assert!(
        arr.iter()
            .all(|r| !r["remediation"].as_str().unwrap().is_empty())
    );
}

/// The default pack as its source holds it: `[[rules]]` tables in `rules/*.toml`, and
/// those files.
fn rule_files() -> (usize, usize) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let (mut rules, mut files) = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            rules += text.lines().filter(|l| l.trim() == "[[rules]]").count();
        }
    }
    (rules, files)
}

#[test]
fn builtin_pack_passes_its_own_check() {
    let (rules, files) = rule_files();
    keysnare()
        .args(["rules", "check"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "rules check: ok: {rules} rules in {files} files;"
        )));
}

#[test]
fn bad_arguments_exit_two() {
    keysnare()
        .args(["scan", "--format", "xml"])
        .assert()
        .code(2);
    keysnare().args(["frobnicate"]).assert().code(2);
    keysnare().args(["scan", "-", "."]).assert().code(2);
    keysnare()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn dogfood_scan_of_this_repository_is_clean() {
    // The README's command on this repository: its `.keysnareignore` leaves out the rule
    // pack and build output; everything else (tests included) must hold no secret.
    keysnare()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scan", "."])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("no findings"));
}

#[test]
fn output_file_and_colour_choice() {
    let (t, _) = tree_with_key(14);
    let report = t.path().join("out/report.json");
    std::fs::create_dir_all(report.parent().unwrap()).unwrap();
    keysnare()
        .args(["scan", "-f", "json", "-o"])
        .arg(&report)
        .arg(t.path().join("app"))
        .assert()
        .code(1)
        .stdout("");
    let doc = json(&std::fs::read(&report).unwrap());
    assert_eq!(doc["summary"]["findings"], 1);
    keysnare()
        .args(["scan", "--color", "always"])
        .arg(t.path().join("app"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\u{1b}["));
    keysnare()
        .args(["scan", "-o"])
        .arg(t.path().join("no/such/dir/report.txt"))
        .arg(t.path().join("app"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot create"));
}

#[test]
fn baseline_hides_the_findings_it_lists() {
    let t = Tree::new();
    let k1 = aws_key_id(15);
    let k2 = aws_key_id(16);
    t.write("src/a.env", format!("A={k1}\nB={k2}\n"));
    let out = keysnare()
        .args(["scan", "-f", "json"])
        .arg(t.path().join("src"))
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let fps: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fps.len(), 2);
    let baseline = t.write(
        "baseline.txt",
        format!("# accepted\n{} aws.access-key-id src/a.env\n", fps[0]),
    );
    let out = keysnare()
        .args(["scan", "-f", "json", "--baseline"])
        .arg(&baseline)
        .arg(t.path().join("src"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["fingerprint"], fps[1].as_str());
    let bad = t.write("bad.txt", "not a fingerprint\n");
    keysnare()
        .args(["scan", "--baseline"])
        .arg(&bad)
        .arg(t.path().join("src"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.txt:1"));
}

#[test]
fn gitleaksignore_entries_are_honoured_by_place() {
    let t = Tree::new();
    t.write("src/a.env", format!("A=1\nKEY={}\n", aws_key_id(17)));
    t.write("src/b.env", format!("KEY={}\n", aws_key_id(18)));
    t.write(
        ".gitleaksignore",
        "src/a.env:aws-access-token:2\nsrc/b.env:aws-access-token:9\n",
    );
    let out = keysnare()
        .args(["scan", "-f", "json"])
        .arg(t.path())
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().all(|p| p.ends_with("src/b.env")), "{paths:?}");
    assert_eq!(doc["summary"]["ignored_findings"], 1);
}

/// Standard base64, for building encoded fixtures at run time.
fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn secrets_inside_base64_are_found_and_noted() {
    let t = Tree::new();
    let key = aws_key_id(19);
    let env = b64(format!("REGION=eu-west-1\nAWS_ACCESS_KEY_ID={key}\n").as_bytes());
    t.write(
        "k8s/secret.yaml",
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  app.env: {env}\n"),
    );
    let out = keysnare()
        .args(["scan", "-f", "json", "--show-secrets"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "aws.access-key-id");
    assert_eq!(f["secret"], key.as_str());
    assert_eq!(f["encoding"], "base64");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(6), Some(12))
    );
    // Redacted reports hide the encoded text too.
    let out = keysnare().arg("scan").arg(t.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("found  base64"), "{text}");
    assert!(!text.contains(&env) && !text.contains(&key), "{text}");
}

/// GitHub tokens carry a CRC32 checksum: a token that fails it is not reported by default,
/// and is low confidence with `--confidence low`; a valid one says so.
#[test]
fn checksums_are_verified_offline() {
    let t = Tree::new();
    let good = github_token(900);
    let mut bad = github_token(901).into_bytes();
    let last = bad.len() - 1;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    t.write("ci.env", format!("GOOD={good}\nBAD={bad}\n"));
    let out = keysnare()
        .args(["scan", "--no-git", "-f", "json", "--show-secrets"])
        .arg(t.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc}");
    assert_eq!(findings[0]["secret"], good.as_str());
    assert_eq!(findings[0]["checksum"], "valid");
    assert_eq!(findings[0]["confidence"], "high");

    let out = keysnare()
        .args([
            "scan",
            "--no-git",
            "-f",
            "json",
            "--show-secrets",
            "--confidence",
            "low",
        ])
        .arg(t.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    let by_secret = |s: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["secret"] == s)
            .cloned()
            .unwrap_or_else(|| panic!("{s} not reported: {doc}"))
    };
    let f = by_secret(&bad);
    assert_eq!(
        (f["checksum"].as_str(), f["confidence"].as_str()),
        (Some("invalid"), Some("low"))
    );
    assert_eq!(by_secret(&good)["checksum"], "valid");

    keysnare()
        .args([
            "scan",
            "--no-git",
            "--confidence",
            "low",
            "--color",
            "never",
        ])
        .arg(t.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "checksum INVALID (low confidence)",
        ))
        .stdout(predicate::str::contains("checksum valid"));
}

/// Secrets inside hex and percent-encoded text are reported with the encoding.
#[test]
fn hex_and_percent_encoded_secrets_are_found() {
    let t = Tree::new();
    let key = aws_key_id(910);
    let hex: String = format!("AWS_ACCESS_KEY_ID={key}\n")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    t.write("dump.txt", format!("payload = {hex}\n"));
    let out = keysnare()
        .args(["scan", "--no-git", "-f", "json", "--show-secrets"])
        .arg(t.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(doc["findings"][0]["secret"], key.as_str(), "{doc}");
    assert_eq!(doc["findings"][0]["encoding"], "hex");
    assert_eq!(doc["findings"][0]["line"], 1);
}

/// A file of countless matches keeps the first `--max-findings` and says so.
#[test]
fn max_findings_caps_the_matches_of_one_file() {
    let t = Tree::new();
    let body: String = (0..50u64)
        .map(|i| format!("K{i}={}\n", aws_key_id(1000 + i)))
        .collect();
    t.write("many.env", body);
    let out = keysnare()
        .args(["scan", "--no-git", "-f", "json", "--max-findings", "20"])
        .arg(t.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 20);
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{doc}");
    assert!(
        skipped[0]["path"].as_str().unwrap().ends_with("many.env"),
        "{doc}"
    );
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("50 matches; only the first 20"),
        "{doc}"
    );
    assert_eq!(skipped[0]["kind"], "too_many_matches", "{doc}");
    assert_eq!(skipped[0]["found"], 50, "{doc}");
    assert_eq!(skipped[0]["kept"], 20, "{doc}");
    assert_eq!(doc["summary"]["skipped"], 1);
    // The default keeps all 50.
    let out = keysnare()
        .args(["scan", "--no-git", "-f", "json"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["findings"].as_array().unwrap().len(), 50);
}

/// A file that takes longer than `--max-scan-time` keeps what was found until then and is
/// listed as cut short (0 s: the limit hits at the first check, after 1,024 keyword hits).
#[test]
fn max_scan_time_cuts_a_slow_file_short() {
    let t = Tree::new();
    let body: String = (0..3000u64)
        .map(|i| format!("K{i}={}\n", aws_key_id(3000 + i)))
        .collect();
    t.write("slow.env", body);
    let out = keysnare()
        .args(["scan", "--no-git", "-f", "json", "--max-findings", "100000"])
        .args(["--max-scan-time", "0"])
        .arg(t.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    let found = doc["findings"].as_array().unwrap().len();
    assert!(found > 0 && found < 3000, "{found} findings");
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{doc}");
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("slow.env"));
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("longer than --max-scan-time"),
        "{doc}"
    );
    assert_eq!(skipped[0]["kind"], "time_limit", "{doc}");
    assert_eq!(skipped[0]["seconds"], 0, "{doc}");
    // Without the limit every key is found.
    let out = keysnare()
        .args(["scan", "--no-git", "-f", "json", "--max-findings", "100000"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(
        json(&out.stdout)["findings"].as_array().unwrap().len(),
        3000
    );
}
