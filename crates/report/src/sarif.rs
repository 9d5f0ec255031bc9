//! SARIF 2.1.0 for GitHub code scanning.
//!
//! One result per finding (one rule, one secret): its first location is where it was
//! introduced (history) or found (files); further locations are `relatedLocations`. The
//! result's `partialFingerprints` hold the finding's fingerprint (rule and secret), so an
//! alert survives moved lines, rebases and re-runs. Messages and snippets never hold a
//! secret unless `--show-secrets`.
//!
//! GitHub's upload limits are kept: at most [`MAX_RESULTS`] results and about
//! [`MAX_GZIPPED_BYTES`] gzipped. Results are written most severe first, so a cut drops the
//! least severe; what was left out is said in `invocations[0].toolExecutionNotifications`.
//! Results are serialised one at a time as they are selected (their size counts against the
//! limit); the document around them is written once the rules they use are known, with the
//! results in it as raw JSON.
use std::collections::BTreeMap;
use std::io::{self, Write};

use bstr::ByteSlice;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use serde_sarif::sarif;

use keysnare_rules::Rule;
use keysnare_types::{Confidence, Finding, Location, Provenance, Severity};

use crate::{Options, Report, finish, format_date, redact, shown_line};

/// GitHub's limit on results per run.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub's limit on an upload is 10 MB gzipped; this leaves room for the rest of the log.
pub const MAX_GZIPPED_BYTES: u64 = 9_500_000;
/// Related locations kept per result.
const MAX_RELATED: usize = 100;
/// The key of keysnare's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "keysnare/secret/v2";

/// Where the scanned code lives, for `versionControlProvenance` and `originalUriBaseIds`.
#[derive(Clone, Debug, Default)]
pub struct SarifContext {
    /// Absolute path of the scanned root (a work tree or directory), as a `file://` base.
    pub root: Option<std::path::PathBuf>,
    /// The repository's remote URL (`https://…`), without credentials.
    pub repository_uri: Option<String>,
    /// The scanned revision (commit id).
    pub revision: Option<String>,
    /// The checked-out branch.
    pub branch: Option<String>,
    /// Prefixes to take off file paths so URIs are relative to the root (the root as given
    /// on the command line, and as resolved).
    pub strip_prefixes: Vec<std::path::PathBuf>,
}

impl SarifContext {
    fn relative<'p>(&self, path: &'p [u8]) -> &'p [u8] {
        for prefix in &self.strip_prefixes {
            let p = prefix.as_os_str().as_encoded_bytes();
            if !p.is_empty()
                && let Some(rest) = path.strip_prefix(p)
                && (p.ends_with(b"/") || rest.starts_with(b"/"))
            {
                return rest.trim_start_with(|c| c == '/');
            }
        }
        path
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// The `security-severity` GitHub reads (0.0–10.0; ≥ 9 critical, ≥ 7 high, ≥ 4 medium).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "very-high",
        Confidence::Medium => "high",
        Confidence::Low => "medium",
    }
}

/// Percent-encodes a relative path for a URI reference (RFC 3986: unreserved characters
/// and `/` stay, every other byte is `%XX`).
pub fn path_to_uri(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn with_period(s: &str) -> String {
    let t = s.trim();
    if t.ends_with('.') {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn descriptor(rule: &Rule) -> sarif::ReportingDescriptor {
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    for t in &rule.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".into(),
        json!(security_severity(rule.severity)),
    );
    props.insert("precision".into(), json!(precision(rule.confidence)));
    props.insert("problem.severity".into(), json!(level(rule.severity)));
    let refs_md: String = rule
        .references
        .iter()
        .map(|r| format!("- <{r}>\n"))
        .collect();
    let refs_text: String = rule.references.iter().map(|r| format!("- {r}\n")).collect();
    let short = format!("{} ({})", rule.name, rule.provider);
    let full = if rule.description.trim().is_empty() {
        with_period(&format!("A leaked {} credential", rule.provider))
    } else {
        with_period(
            &rule
                .description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    let help_text = format!(
        "{full}\n\nWhat to do:\n{}\n\nIf it is not a secret, add `keysnare:allow` to its line or its fingerprint to .keysnareignore.\n\nReferences:\n{refs_text}",
        rule.remediation
    );
    let help_md = format!(
        "**{}** ({})\n\n{full}\n\n### What to do\n\n{}\n\nIf it is not a secret, add `keysnare:allow` to its line or its fingerprint to `.keysnareignore`.\n\n### References\n\n{refs_md}",
        rule.name, rule.provider, rule.remediation
    );
    let mut d = sarif::ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(pascal_case(&rule.id))
        .short_description(text_only(with_period(&short)))
        .full_description(text_only(full))
        .help(
            sarif::MultiformatMessageString::builder()
                .text(help_text)
                .markdown(help_md)
                .build(),
        )
        .default_configuration(sarif::ReportingConfiguration {
            level: Some(json!(level(rule.severity))),
            ..Default::default()
        })
        .properties(sarif::PropertyBag {
            tags: Some(tags),
            additional_properties: props,
        })
        .build();
    d.help_uri = rule.references.first().cloned();
    d
}

fn text_only(text: String) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(text)
        .build()
}

/// `aws.access-key-id` → `AwsAccessKeyId`, the conventional form of a SARIF rule name.
fn pascal_case(id: &str) -> String {
    id.split(['.', '-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn location(
    f: &Finding,
    loc: &Location,
    opts: &Options,
    ctx: &SarifContext,
) -> Option<sarif::Location> {
    let uri = match &loc.provenance {
        Provenance::File { path } => path_to_uri(ctx.relative(path).trim_start_with(|c| c == '/')),
        Provenance::Commit { path, .. } | Provenance::Staged { path } => {
            path_to_uri(path.trim_start_with(|c| c == '/'))
        }
        Provenance::Stdin => "stdin".to_string(),
        Provenance::Unreachable => return None,
    };
    let end_line = loc.end.line.max(loc.start.line);
    let mut end_column = loc.end.column;
    if end_line == loc.start.line && end_column <= loc.start.column {
        end_column = loc.start.column + 1;
    }
    let mut props = BTreeMap::new();
    if let Some(c) = loc.provenance.commit() {
        props.insert("commit".into(), json!(c.id));
        props.insert("author".into(), json!(c.author_name.to_str_lossy()));
        props.insert("authorEmail".into(), json!(c.author_email.to_str_lossy()));
        props.insert("date".into(), json!(format_date(c.time, c.offset)));
        props.insert("commitSummary".into(), json!(c.summary.to_str_lossy()));
        if !c.reachable {
            props.insert("commitReachable".into(), json!(false));
        }
    }
    props.insert("source".into(), json!(source_name(&loc.provenance)));
    if let Some(enc) = &loc.encoding {
        props.insert("encoding".into(), json!(enc));
    }
    props.insert("blobId".into(), json!(loc.blob.to_string()));
    Some(sarif::Location {
        physical_location: Some(sarif::PhysicalLocation {
            artifact_location: Some(sarif::ArtifactLocation {
                uri: Some(uri),
                uri_base_id: Some("%SRCROOT%".into()),
                ..Default::default()
            }),
            region: Some(sarif::Region {
                start_line: Some(loc.start.line as i64),
                start_column: Some(loc.start.column as i64),
                end_line: Some(end_line as i64),
                end_column: Some(end_column as i64),
                snippet: Some(sarif::ArtifactContent {
                    text: Some(shown_line(f, loc, opts)),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        properties: Some(sarif::PropertyBag {
            tags: None,
            additional_properties: props,
        }),
        ..Default::default()
    })
}

fn source_name(p: &Provenance) -> &'static str {
    match p {
        Provenance::File { .. } => "file",
        Provenance::Stdin => "stdin",
        Provenance::Commit { .. } => "commit",
        Provenance::Unreachable => "unreachable",
        Provenance::Staged { .. } => "staged",
    }
}

/// The result's message: the provider and kind of secret, where it came from, what to do;
/// never the secret (unless `--show-secrets`, and then only its redacted-form neighbour is
/// replaced by the secret itself in `properties`).
fn message(rule: &Rule, primary: &Location) -> String {
    let origin = match &primary.provenance {
        Provenance::Commit { commit, .. } => format!(
            " It was introduced by commit {} ({}, {}){}.",
            &commit.id[..commit.id.len().min(12)],
            commit.author_name.to_str_lossy(),
            &format_date(commit.time, commit.offset)[..10],
            if commit.reachable {
                ""
            } else {
                ", which no branch or tag holds any more"
            }
        ),
        Provenance::Staged { .. } => " It is staged for the next commit.".to_string(),
        _ => String::new(),
    };
    format!(
        "{} ({}) leaked.{origin} Revoke and rotate it; the rule help says how.",
        rule.name, rule.provider
    )
}

/// Writes the report as one SARIF 2.1.0 log.
pub fn write_sarif(
    w: &mut dyn Write,
    report: &Report<'_>,
    opts: &Options,
    ctx: &SarifContext,
) -> io::Result<()> {
    // Most severe first, so the limits cut the least severe.
    let mut order: Vec<&Finding> = report.findings.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse(report.rule_of(f).map(|r| (r.severity, r.confidence))));

    let mut rules: Vec<&Rule> = Vec::new();
    let mut results: Vec<Box<RawValue>> = Vec::new();
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    let mut unreachable = 0usize;
    let mut over_limit = 0usize;
    for f in order {
        let Some(rule) = report.rule_of(f) else {
            continue;
        };
        let mut locs = f
            .locations
            .iter()
            .filter_map(|l| location(f, l, opts, ctx).map(|sl| (l, sl)));
        let Some((primary, first)) = locs.next() else {
            unreachable += 1;
            continue;
        };
        if results.len() >= MAX_RESULTS || gz.get_ref().len() as u64 >= MAX_GZIPPED_BYTES {
            over_limit += 1;
            continue;
        }
        let related: Vec<sarif::Location> = locs
            .take(MAX_RELATED)
            .enumerate()
            .map(|(i, (_, mut l))| {
                l.id = Some(i as i64 + 1);
                l
            })
            .collect();
        let rule_index = match rules.iter().position(|r| r.id == rule.id) {
            Some(i) => i,
            None => {
                rules.push(rule);
                rules.len() - 1
            }
        };
        let mut props = BTreeMap::new();
        props.insert("fingerprint".into(), json!(f.fingerprint.to_string()));
        props.insert("provider".into(), json!(rule.provider));
        props.insert("severity".into(), json!(rule.severity.as_str()));
        props.insert("confidence".into(), json!(f.confidence.as_str()));
        if let Some(c) = f.checksum {
            props.insert("checksum".into(), json!(c.as_str()));
        }
        if let Some(s) = &f.score {
            props.insert("score".into(), json!((s.value * 100.0).round() / 100.0));
            props.insert("scoreReasons".into(), json!(s.explain()));
        }
        props.insert("locationCount".into(), json!(f.locations.len()));
        props.insert(
            "secret".into(),
            json!(if opts.show_secrets {
                f.secret.to_str_lossy().into_owned()
            } else {
                redact(&f.secret)
            }),
        );
        let mut result = sarif::Result::builder()
            .message(sarif::Message {
                text: Some(message(rule, primary)),
                ..Default::default()
            })
            .rule_id(rule.id.clone())
            .rule_index(rule_index as i64)
            .level(match rule.severity {
                Severity::Critical | Severity::High => sarif::ResultLevel::Error,
                Severity::Medium => sarif::ResultLevel::Warning,
                Severity::Low => sarif::ResultLevel::Note,
            })
            .locations(vec![first])
            .partial_fingerprints(BTreeMap::from([(
                FINGERPRINT_KEY.to_string(),
                f.fingerprint.to_string(),
            )]))
            .properties(sarif::PropertyBag {
                tags: None,
                additional_properties: props,
            })
            .build();
        result.related_locations = (!related.is_empty()).then_some(related);
        let raw = serde_json::value::to_raw_value(&result).map_err(io::Error::other)?;
        gz.write_all(raw.get().as_bytes())?;
        gz.flush()?;
        results.push(raw);
    }

    let mut notifications = Vec::new();
    if over_limit > 0 {
        let text = format!(
            "{over_limit} less severe findings were left out to keep within GitHub's SARIF upload limits ({MAX_RESULTS} results, 10 MB gzipped); the JSON report has them all."
        );
        eprintln!("keysnare: {text}");
        notifications.push(json!({"level": "warning", "message": {"text": text}}));
    }
    if unreachable > 0 {
        let text = if unreachable == 1 {
            "1 finding is only in unreachable git objects, which have no file to show an alert on; the JSON and text reports list it.".to_string()
        } else {
            format!(
                "{unreachable} findings are only in unreachable git objects, which have no file to show an alert on; the JSON and text reports list them."
            )
        };
        notifications.push(json!({"level": "note", "message": {"text": text}}));
    }
    for text in &report.summary.warnings {
        notifications.push(json!({"level": "warning", "message": {"text": with_period(text)}}));
    }
    for (path, message) in &report.summary.errors {
        notifications.push(json!({
            "level": "error",
            "message": {"text": with_period(&format!("Not scanned: {path}: {message}"))}
        }));
    }
    // Each input a limit skipped or cut short (size cap, --max-findings), the first 100,
    // with the reason's kind and numbers in the properties (as JSON's `skipped` has them).
    const LISTED: usize = 100;
    for s in report.summary.reported_skips().take(LISTED) {
        notifications.push(json!({
            "level": "note",
            "message": {"text": with_period(&format!("Skipped or cut short: {}: {}", s.path, s.reason))},
            "properties": crate::json::skip_json(s),
        }));
    }
    let skipped = report.summary.reported_skips().count();
    if skipped > LISTED {
        notifications.push(json!({
            "level": "note",
            "message": {"text": format!("{skipped} inputs in all were skipped or cut short by a limit; `keysnare scan -v` lists them.")}
        }));
    }

    if let Some(text) = report
        .summary
        .memory
        .as_ref()
        .and_then(crate::memory_warning)
    {
        notifications.push(json!({"level": "warning", "message": {"text": with_period(&text)}}));
    }
    let mut invocation = json!({
        "executionSuccessful": true,
        "toolExecutionNotifications": notifications,
    });
    if let Some(m) = &report.summary.memory {
        invocation["properties"]["memory"] = crate::json::memory_json(m);
    }
    if let Some(k) = &report.summary.fingerprint_key {
        invocation["properties"]["fingerprintKey"] = json!(k);
    }

    let driver = sarif::ToolComponent::builder()
        .name("keysnare")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(rules.iter().map(|r| descriptor(r)).collect::<Vec<_>>())
        .build();
    let mut run = Run {
        column_kind: "unicodeCodePoints",
        invocations: [invocation],
        original_uri_base_ids: None,
        results: &results,
        tool: json!({"driver": serde_json::to_value(&driver).map_err(io::Error::other)?}),
        version_control_provenance: None,
    };
    if let Some(root) = &ctx.root
        && let Some(s) = root.to_str()
    {
        let mut uri = format!("file://{}", path_to_uri(s.as_bytes()));
        if !uri.ends_with('/') {
            uri.push('/');
        }
        run.original_uri_base_ids = Some(json!({"%SRCROOT%": {"uri": uri}}));
    }
    if let Some(repo) = &ctx.repository_uri {
        let mut vcs = json!({"repositoryUri": repo, "mappedTo": {"uriBaseId": "%SRCROOT%"}});
        if let Some(rev) = &ctx.revision {
            vcs["revisionId"] = json!(rev);
        }
        if let Some(branch) = &ctx.branch {
            vcs["branch"] = json!(branch);
        }
        run.version_control_provenance = Some(json!([vcs]));
    }
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [run],
        version: "2.1.0",
    };
    finish((|| {
        serde_json::to_writer(&mut *w, &log).map_err(io::Error::from)?;
        w.write_all(b"\n")?;
        w.flush()
    })())
}

/// The SARIF log around the results, which are already serialised. Keys are in the order
/// `serde_json` maps keep them (sorted), as in the rest of the document.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    column_kind: &'static str,
    invocations: [Value; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<Value>,
    results: &'a [Box<RawValue>],
    tool: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_control_provenance: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(path_to_uri(b"src/a b.rs"), "src/a%20b.rs");
        assert_eq!(
            path_to_uri("données/é.env".as_bytes()),
            "donn%C3%A9es/%C3%A9.env"
        );
        assert_eq!(path_to_uri(b"caf\xe9.env"), "caf%E9.env");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("aws.access-key-id"), "AwsAccessKeyId");
    }
}
