//! `keysnare import gitleaks` on gitleaks' and Betterleaks' own default configurations
//! (`tests/data`, MIT licensed, with their licences): a handful of warnings, each pinned;
//! the output passes `rules check`; and the converted rules find the examples gitleaks'
//! own rules carry (`tests/data/gitleaks/examples.json`, extracted from gitleaks' rule
//! generators by `extract_examples.py` beside it, stored reversed).
use std::collections::BTreeMap;
use std::path::Path;

use crate::util::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// The import's warnings (stderr lines but the closing count).
fn import(config: &Path, out: &Path) -> Vec<String> {
    let run = keysnare()
        .args(["import", "gitleaks"])
        .arg(config)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let stderr = String::from_utf8(run.stderr).unwrap();
    stderr
        .lines()
        .filter(|l| !l.contains(" rules written to "))
        .map(str::to_string)
        .collect()
}

/// `rules check`, which must pass.
fn rules_check(file: &Path) -> String {
    let run = keysnare()
        .args(["rules", "check"])
        .arg(file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    stdout
}

fn has(warnings: &[String], needles: &[&str]) -> bool {
    warnings
        .iter()
        .any(|w| needles.iter().all(|n| w.contains(n)))
}

#[test]
fn gitleaks_default_config_imports_with_nine_true_warnings_and_finds_its_examples() {
    let t = Tree::new();
    let config = Path::new(DATA).join("gitleaks/gitleaks.toml");
    let out = t.path().join(".keysnare.toml");
    let warnings = import(&config, &out);
    let all = warnings.join("\n");
    // Each is a real difference (docs/IMPORT.md).
    for needles in [
        &[
            "global allowlist [allowlist]",
            "paths",
            "not converted",
            "dist-info",
        ][..],
        &[
            "4 rules (freemius-secret-key, hashicorp-tf-password, kubernetes-secret-yaml, nuget-config-password)",
            "`path` not converted",
        ],
        &["generic-api-key", "regexTarget = \"line\""],
        &["generic-api-key", "condition = \"AND\""],
        &["pkcs12-file", "path-only"],
        &[
            "global allowlist [allowlist]",
            "added to the allowlist of every imported rule",
        ],
        &["17 rules (", "bounded to at most 1024"],
        &[
            "4 rules (airtable-personnal-access-token, sidekiq-sensitive-url, slack-config-access-token, slack-webhook-url)",
            "keywords from the regex",
        ],
        &[
            "2 rules (facebook-access-token, sourcegraph-access-token)",
            "no keywords",
        ],
    ] {
        assert!(has(&warnings, needles), "{needles:?} in\n{all}");
    }
    assert_eq!(warnings.len(), 9, "{all}");

    // The same conversion through the library, for the ids.
    let text = std::fs::read_to_string(&config).unwrap();
    let imported = keysnare_import::gitleaks(&config.display().to_string(), &text).unwrap();
    let by_gitleaks_id: BTreeMap<&str, &str> = imported
        .converted
        .iter()
        .map(|(g, k)| (g.as_str(), k.as_str()))
        .collect();
    assert_eq!(imported.rules, 219);

    // gitleaks' examples, each given to the converted rule of its gitleaks id.
    // Stored reversed, so that the file holds no credential-shaped text.
    let stored: BTreeMap<String, Vec<String>> = serde_json::from_str(
        &std::fs::read_to_string(Path::new(DATA).join("gitleaks/examples.json")).unwrap(),
    )
    .unwrap();
    let examples: BTreeMap<String, Vec<String>> = stored
        .into_iter()
        .map(|(id, list)| (id, list.iter().map(|e| e.chars().rev().collect()).collect()))
        .collect();
    let keysnare_ids: BTreeMap<&str, &str> = by_gitleaks_id.iter().map(|(g, k)| (*k, *g)).collect();
    let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&out).unwrap().parse().unwrap();
    let mut given = 0;
    let custom = doc["rules"]["custom"].as_array_of_tables_mut().unwrap();
    for rule in custom.iter_mut() {
        let id = rule["id"].as_str().unwrap().to_string();
        let gitleaks_id = keysnare_ids[id.as_str()];
        if let Some(list) = examples.get(gitleaks_id) {
            let array: toml_edit::Array = list.iter().map(String::as_str).collect();
            rule["examples"] = toml_edit::value(array);
            given += list.len();
        }
    }
    // Every example of a converted rule was given; the rules left out are those warned of.
    // (gitleaks' generators also hold rules its configuration no longer lists.)
    let config_doc: toml_edit::DocumentMut = text.parse().unwrap();
    let listed: Vec<&str> = config_doc["rules"]
        .as_array_of_tables()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let left_out: Vec<&str> = examples
        .keys()
        .map(String::as_str)
        .filter(|id| listed.contains(id) && !by_gitleaks_id.contains_key(id))
        .collect();
    assert_eq!(
        left_out,
        ["facebook-access-token", "sourcegraph-access-token"],
        "gitleaks rules with examples that were not converted"
    );
    let total: usize = examples
        .iter()
        .filter(|(id, _)| by_gitleaks_id.contains_key(id.as_str()))
        .map(|(_, v)| v.len())
        .sum();
    assert_eq!(given, total);
    assert!(given > 5_000, "{given} examples");
    let with_examples = t.path().join("with-examples.toml");
    std::fs::write(&with_examples, doc.to_string()).unwrap();
    let run = keysnare()
        .args(["rules", "check"])
        .arg(&with_examples)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&run.stdout).into_owned();
    // Examples not found by their own rule, by (rule, reason): each a real difference.
    let mut missed: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in report.lines().filter(|l| l.contains(" is not found: ")) {
        let rule = line
            .split(": rule ")
            .nth(1)
            .unwrap()
            .split(':')
            .next()
            .unwrap();
        let reason = line.split(" is not found: ").nth(1).unwrap();
        *missed
            .entry((rule.to_string(), reason.to_string()))
            .or_default() += 1;
    }
    let wins = |rule: &str| {
        format!(
            "rule {rule} reports the same secret and wins (higher confidence or severity): give an example only this rule finds"
        )
    };
    let expected: BTreeMap<(String, String), usize> = [
        // gitleaks, too, drops a generic rule's finding when another rule reports the same
        // secret on the line; its generator tests the generic rule alone.
        (
            "gitleaks.generic-api-key",
            wins("gitleaks.clojars-api-token"),
            26,
        ),
        // Each pair has the same regex: keysnare reports a secret once.
        (
            "gitleaks.bittrex-secret-key",
            wins("gitleaks.bittrex-access-key"),
            26,
        ),
        (
            "gitleaks.artifactory-api-key",
            wins("gitleaks.jfrog-api-key"),
            1,
        ),
        (
            "gitleaks.artifactory-reference-token",
            wins("gitleaks.jfrog-identity-token"),
            1,
        ),
        // Its Bearer token is 344 bytes long, all of them in `[\w=~@.+/-]` for Go and Rust
        // alike; the rule's `+` and `{8,}` are bounded to 256 repetitions (the warning
        // above: at 1024 the pattern is too large), so the token is longer than the bound.
        (
            "gitleaks.curl-auth-header",
            "the pattern does not match it".to_string(),
            1,
        ),
        // keysnare's placeholder filter: the example holds `EXAMPLE`.
        (
            "gitleaks.aws-amazon-bedrock-api-key-long-lived",
            "the secret looks like a placeholder (example, xxxxx, dummy, ...)".to_string(),
            1,
        ),
    ]
    .into_iter()
    .map(|(r, why, n)| ((r.to_string(), why), n))
    .collect();
    assert_eq!(missed, expected, "{report}");
    let found = given - expected.values().sum::<usize>();
    assert_eq!(
        report.lines().filter(|l| l.contains(": rule ")).count(),
        expected.values().sum::<usize>(),
        "only the examples above fail: {report}"
    );
    assert!(found > 5_800, "{found} of {given} examples found");
}

#[test]
fn betterleaks_default_config_imports_with_ten_true_warnings() {
    let t = Tree::new();
    let config = Path::new(DATA).join("betterleaks/betterleaks.toml");
    let out = t.path().join(".keysnare.toml");
    let warnings = import(&config, &out);
    let all = warnings.join("\n");
    for needles in [
        &[
            "top-level `filter`, top-level `prefilter`",
            "`filter` and `prefilter` not converted",
        ][..],
        &["`validate` not converted"],
        &["30 rules (", "skipReport = true"],
        &["`required` (composite rule) not converted"],
        &["`path` not converted"],
        &["generic-api-key", "`specificity` not converted"],
        &["pkcs12-file", "path-only"],
        &["bounded to at most 1024"],
        &["keywords from the regex"],
        &["5 rules (", "no keywords"],
    ] {
        assert!(has(&warnings, needles), "{needles:?} in\n{all}");
    }
    // `filter` and `validate` are each reported once, for all the rules that have them.
    assert_eq!(
        warnings.iter().filter(|w| w.contains("`validate`")).count(),
        1
    );
    assert_eq!(
        warnings.iter().filter(|w| w.contains("`filter`")).count(),
        1
    );
    assert_eq!(warnings.len(), 10, "{all}");
    let report = rules_check(&out);
    assert!(report.contains("rules check: ok: 376 rules"), "{report}");
}
