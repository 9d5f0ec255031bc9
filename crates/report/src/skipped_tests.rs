//! Reporters given typed skip reasons: every format renders each kind from the value.
use keysnare_rules::RuleSet;
use keysnare_types::{SkipReason, Skipped};

use crate::{Options, Report, SarifContext, Summary};

/// One input per reason, a symbolic link among them (listed by `-v` only).
fn summary() -> Summary {
    let skipped = [
        (
            "big.bin",
            SkipReason::TooLarge {
                size: 80 << 20,
                limit: 64 << 20,
            },
        ),
        (
            "blob 0123456789abcdef0123456789abcdef01234567",
            SkipReason::MemoryBudget {
                size: 3 << 30,
                limit: 1536,
            },
        ),
        ("slow.env", SkipReason::TimeLimit { seconds: 7 }),
        (
            "many.env",
            SkipReason::TooManyMatches {
                found: 1500,
                kept: 1000,
            },
        ),
        ("pipe", SkipReason::NotRegular),
        ("link", SkipReason::Symlink),
    ];
    Summary {
        skipped: skipped
            .into_iter()
            .map(|(path, reason)| Skipped {
                path: path.to_string(),
                reason,
            })
            .collect(),
        ..Summary::default()
    }
}

fn rendered(
    write: impl Fn(&mut Vec<u8>, &Report<'_>, &Options) -> std::io::Result<()>,
    summary: &Summary,
) -> String {
    let rules = RuleSet::from_rules(Vec::new()).expect("an empty rule set");
    let report = Report {
        rules: &rules,
        findings: &[],
        summary,
    };
    let mut out = Vec::new();
    write(&mut out, &report, &Options::default()).expect("written");
    String::from_utf8(out).expect("UTF-8")
}

fn json_of(summary: &Summary) -> serde_json::Value {
    let text = rendered(|w, r, o| crate::write_json(w, r, o), summary);
    serde_json::from_str(&text).expect("a JSON document")
}

#[test]
fn json_gives_each_kind_with_its_numbers_and_text() {
    let doc = json_of(&summary());
    let expected = serde_json::json!([
        {
            "path": "big.bin",
            "kind": "too_large",
            "reason": "larger than --max-file-size (80.0 MiB > 64.0 MiB)",
            "size": 83_886_080u64,
            "limit": 67_108_864u64,
        },
        {
            "path": "blob 0123456789abcdef0123456789abcdef01234567",
            "kind": "memory_budget",
            "reason": "larger than the memory budget lets one file or blob take (3.0 GiB > 1.5 KiB; raise --memory-budget)",
            "size": 3_221_225_472u64,
            "limit": 1536,
        },
        {
            "path": "slow.env",
            "kind": "time_limit",
            "reason": "scanning took longer than --max-scan-time (7 s); what was found until then is reported",
            "seconds": 7,
        },
        {
            "path": "many.env",
            "kind": "too_many_matches",
            "reason": "1500 matches; only the first 1000 are reported (--max-findings)",
            "found": 1500,
            "kept": 1000,
        },
        {
            "path": "pipe",
            "kind": "not_regular",
            "reason": "not a regular file (FIFO, socket or device)",
        },
    ]);
    assert_eq!(doc["skipped"], expected, "{doc:#}");
    // The symbolic link is neither listed nor counted.
    assert_eq!(doc["summary"]["skipped"], 5);
}

#[test]
fn json_lines_hold_findings_only() {
    let text = rendered(|w, r, o| crate::write_jsonl(w, r, o), &summary());
    assert_eq!(text, "");
}

#[test]
fn text_lists_every_skip_for_v_and_counts_the_reported_ones() {
    let s = summary();
    let lines: Vec<String> = s.skipped.iter().map(crate::skipped_line).collect();
    assert_eq!(
        lines,
        [
            "keysnare: skipped big.bin: larger than --max-file-size (80.0 MiB > 64.0 MiB)",
            "keysnare: skipped blob 0123456789abcdef0123456789abcdef01234567: larger than the memory budget lets one file or blob take (3.0 GiB > 1.5 KiB; raise --memory-budget)",
            "keysnare: skipped slow.env: scanning took longer than --max-scan-time (7 s); what was found until then is reported",
            "keysnare: skipped many.env: 1500 matches; only the first 1000 are reported (--max-findings)",
            "keysnare: skipped pipe: not a regular file (FIFO, socket or device)",
            "keysnare: skipped link: symbolic link (not followed)",
        ]
    );
    let rules = RuleSet::from_rules(Vec::new()).expect("an empty rule set");
    let report = Report {
        rules: &rules,
        findings: &[],
        summary: &s,
    };
    let line = crate::summary_line(&report);
    assert!(
        line.ends_with("no findings; 5 skipped (-v lists them)"),
        "{line}"
    );
}

#[test]
fn text_escapes_control_characters_in_a_skipped_path() {
    let s = Skipped {
        path: "a\u{1b}[2Jb".to_string(),
        reason: SkipReason::NotRegular,
    };
    assert_eq!(
        crate::skipped_line(&s),
        "keysnare: skipped a\\x1b[2Jb: not a regular file (FIFO, socket or device)"
    );
}

#[test]
fn sarif_notes_carry_each_kind_and_its_numbers() {
    let text = rendered(
        |w, r, o| crate::write_sarif(w, r, o, &SarifContext::default()),
        &summary(),
    );
    let doc: serde_json::Value = serde_json::from_str(&text).expect("a SARIF document");
    let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    let skips: Vec<_> = notes
        .iter()
        .filter(|n| n["properties"]["kind"].is_string())
        .collect();
    assert_eq!(skips.len(), 5, "{notes:#?}");
    let json = json_of(&summary());
    for (note, entry) in skips
        .iter()
        .zip(json["skipped"].as_array().expect("skipped"))
    {
        assert_eq!(note["properties"], *entry);
        assert_eq!(note["level"], "note");
        assert_eq!(
            note["message"]["text"],
            format!(
                "Skipped or cut short: {}: {}.",
                entry["path"].as_str().expect("path"),
                entry["reason"].as_str().expect("reason")
            )
        );
    }
}

#[test]
fn junit_has_a_skipped_case_per_input_named_by_kind() {
    let text = rendered(|w, r, o| crate::write_junit(w, r, o), &summary());
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a suite");
    assert_eq!(suite.attribute("tests"), Some("6"));
    assert_eq!(suite.attribute("skipped"), Some("5"));
    assert_eq!(suite.attribute("failures"), Some("0"));
    let cases: Vec<(String, String, Option<String>)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|c| {
            (
                c.attribute("classname").unwrap_or_default().to_string(),
                c.attribute("name").unwrap_or_default().to_string(),
                c.children()
                    .find(|n| n.has_tag_name("skipped"))
                    .and_then(|s| s.attribute("message"))
                    .map(str::to_string),
            )
        })
        .collect();
    let json = json_of(&summary());
    let mut expected = vec![("keysnare".to_string(), "no secrets found".to_string(), None)];
    for entry in json["skipped"].as_array().expect("skipped") {
        expected.push((
            format!("skipped.{}", entry["kind"].as_str().expect("kind")),
            entry["path"].as_str().expect("path").to_string(),
            Some(entry["reason"].as_str().expect("reason").to_string()),
        ));
    }
    assert_eq!(cases, expected);
}

#[test]
fn nothing_skipped_renders_no_skip() {
    let none = Summary::default();
    let doc = json_of(&none);
    assert_eq!(doc["skipped"], serde_json::json!([]));
    assert_eq!(doc["summary"]["skipped"], 0);
    let junit = rendered(|w, r, o| crate::write_junit(w, r, o), &none);
    assert!(junit.contains(r#"tests="1" failures="0" errors="0" skipped="0""#));
    assert!(!junit.contains("<skipped"));
}
