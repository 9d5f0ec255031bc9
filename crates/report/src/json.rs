//! JSON (one document) and JSON Lines (one finding per line).
use std::io::{self, Write};

use serde::Serialize;

use bstr::ByteSlice;

use keysnare_types::{Finding, Location, Provenance, SkipReason, Skipped};

use crate::{Options, Report, finish, shown_line, shown_secret};

/// Version of the JSON schema (`docs/JSON.md`); bumped on incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize, Clone)]
struct JsonCommit {
    id: String,
    author_name: String,
    author_email: String,
    date: String,
    summary: String,
    /// False for a commit no ref reaches (amended or rebased away, a dropped stash).
    reachable: bool,
}

#[derive(Serialize)]
struct JsonLocation {
    /// `file`, `stdin`, `commit`, `unreachable` or `staged`.
    source: &'static str,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    line_text: String,
    blob_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<JsonCommit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    fingerprint: String,
    rule_id: &'a str,
    rule_name: &'a str,
    provider: &'a str,
    severity: &'a str,
    confidence: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<JsonScore<'a>>,
    secret: String,
    secret_redacted: bool,
    entropy: f32,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    line_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<JsonCommit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<String>,
    locations: Vec<JsonLocation>,
    remediation: &'a str,
    references: &'a [String],
}

/// Why a scored rule's finding has its confidence: the score and each reason's weight.
#[derive(Serialize)]
struct JsonScore<'a> {
    value: f32,
    reasons: Vec<JsonReason<'a>>,
}

#[derive(Serialize)]
struct JsonReason<'a> {
    reason: &'a str,
    weight: f32,
}

/// A skipped input: the reason's stable `kind` and its numbers for tools, its text for
/// people. A number is present only for the kinds that have it.
#[derive(Serialize)]
struct JsonSkip<'a> {
    path: &'a str,
    kind: &'static str,
    reason: String,
    /// Bytes: the input's size (`too_large`, `memory_budget`).
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    /// Bytes: the cap the size went over (`too_large`, `memory_budget`).
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u64>,
    /// The time limit in seconds (`time_limit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds: Option<u64>,
    /// Matches found, and the first ones kept (`too_many_matches`).
    #[serde(skip_serializing_if = "Option::is_none")]
    found: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kept: Option<usize>,
}

impl<'a> JsonSkip<'a> {
    fn of(s: &'a Skipped) -> JsonSkip<'a> {
        let mut j = JsonSkip {
            path: &s.path,
            kind: s.reason.kind(),
            reason: s.reason.to_string(),
            size: None,
            limit: None,
            seconds: None,
            found: None,
            kept: None,
        };
        match s.reason {
            SkipReason::TooLarge { size, limit } | SkipReason::MemoryBudget { size, limit } => {
                j.size = Some(size);
                j.limit = Some(limit);
            }
            SkipReason::TimeLimit { seconds } => j.seconds = Some(seconds),
            SkipReason::TooManyMatches { found, kept } => {
                j.found = Some(found);
                j.kept = Some(kept);
            }
            SkipReason::Symlink | SkipReason::NotRegular => {}
        }
        j
    }
}

/// A skipped input as the JSON report's `skipped` array holds it; SARIF notifications carry
/// the same object in their properties.
pub(crate) fn skip_json(s: &Skipped) -> serde_json::Value {
    serde_json::json!(JsonSkip::of(s))
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    files: u64,
    bytes: u64,
    blobs_scanned: u64,
    findings: usize,
    locations: usize,
    ignored_findings: u64,
    #[serde(skip_serializing_if = "is_zero")]
    already_committed: u64,
    skipped: usize,
    incomplete: usize,
    errors: usize,
    elapsed_ms: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<serde_json::Value>,
    /// Repository scans: each phase's wall time, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    phases: Vec<JsonPhase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint_key: Option<String>,
}

#[derive(Serialize)]
struct JsonPhase {
    phase: &'static str,
    elapsed_ms: u128,
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonDocument<'a> {
    schema_version: u32,
    tool: JsonTool,
    findings: Vec<JsonFinding<'a>>,
    summary: JsonSummary,
    skipped: Vec<JsonSkip<'a>>,
    errors: Vec<JsonError<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [String],
}

fn path_of(loc: &Location) -> String {
    loc.provenance.display_path().into_owned()
}

fn location(f: &Finding, loc: &Location, opts: &Options) -> JsonLocation {
    JsonLocation {
        source: match &loc.provenance {
            Provenance::File { .. } => "file",
            Provenance::Stdin => "stdin",
            Provenance::Commit { .. } => "commit",
            Provenance::Unreachable => "unreachable",
            Provenance::Staged { .. } => "staged",
        },
        commit: loc.provenance.commit().map(|c| JsonCommit {
            id: c.id.clone(),
            author_name: c.author_name.to_str_lossy().into_owned(),
            author_email: c.author_email.to_str_lossy().into_owned(),
            date: crate::format_date(c.time, c.offset),
            summary: c.summary.to_str_lossy().into_owned(),
            reachable: c.reachable,
        }),
        encoding: loc.encoding.clone(),
        path: path_of(loc),
        line: loc.start.line,
        column: loc.start.column,
        end_line: loc.end.line,
        end_column: loc.end.column,
        line_text: shown_line(f, loc, opts),
        blob_id: loc.blob.to_string(),
    }
}

fn finding<'a>(report: &'a Report<'a>, f: &'a Finding, opts: &Options) -> JsonFinding<'a> {
    let rule = report.rule_of(f);
    let locations: Vec<JsonLocation> = f.locations.iter().map(|l| location(f, l, opts)).collect();
    let first = &locations[0];
    JsonFinding {
        fingerprint: f.fingerprint.to_string(),
        rule_id: &f.rule_id,
        rule_name: rule.map_or("", |r| r.name.as_str()),
        provider: rule.map_or("", |r| r.provider.as_str()),
        severity: rule.map_or("", |r| r.severity.as_str()),
        confidence: f.confidence.as_str(),
        checksum: f.checksum.map(|c| c.as_str()),
        score: f.score.as_ref().map(|s| JsonScore {
            value: (s.value * 100.0).round() / 100.0,
            reasons: s
                .reasons
                .iter()
                .map(|(reason, weight)| JsonReason {
                    reason,
                    weight: *weight,
                })
                .collect(),
        }),
        secret: shown_secret(&f.secret, opts),
        secret_redacted: !opts.show_secrets,
        entropy: (f.entropy * 1000.0).round() / 1000.0,
        path: first.path.clone(),
        line: first.line,
        column: first.column,
        end_line: first.end_line,
        end_column: first.end_column,
        line_text: first.line_text.clone(),
        commit: first.commit.clone(),
        encoding: first.encoding.clone(),
        remediation: rule.map_or("", |r| r.remediation.as_str()),
        references: rule.map_or(&[], |r| r.references.as_slice()),
        locations,
    }
}

/// Writes the whole report as one JSON document.
pub fn write_json(w: &mut dyn Write, report: &Report<'_>, opts: &Options) -> io::Result<()> {
    let s = report.summary;
    let doc = JsonDocument {
        schema_version: SCHEMA_VERSION,
        tool: JsonTool {
            name: "keysnare",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report
            .findings
            .iter()
            .map(|f| finding(report, f, opts))
            .collect(),
        summary: JsonSummary {
            files: s.files,
            bytes: s.bytes,
            blobs_scanned: s.blobs_scanned,
            findings: report.findings.len(),
            locations: report.location_count(),
            ignored_findings: s.ignored_findings,
            already_committed: s.already_committed,
            skipped: s.reported_skips().count(),
            incomplete: s.incomplete,
            errors: s.errors.len(),
            elapsed_ms: s.elapsed.as_millis(),
            memory: s.memory.as_ref().map(memory_json),
            phases: s
                .phases
                .iter()
                .map(|p| JsonPhase {
                    phase: p.name,
                    elapsed_ms: p.elapsed.as_millis(),
                })
                .collect(),
            fingerprint_key: s.fingerprint_key.clone(),
        },
        skipped: s.reported_skips().map(JsonSkip::of).collect(),
        errors: s
            .errors
            .iter()
            .map(|(path, message)| JsonError { path, message })
            .collect(),
        warnings: &s.warnings,
    };
    finish((|| {
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        writeln!(w)?;
        w.flush()
    })())
}

/// Writes one finding per line; `w` is flushed once, at the end.
pub fn write_jsonl(w: &mut dyn Write, report: &Report<'_>, opts: &Options) -> io::Result<()> {
    finish((|| {
        for f in report.findings {
            serde_json::to_writer(&mut *w, &finding(report, f, opts))?;
            writeln!(w)?;
        }
        w.flush()
    })())
}

/// The memory plan and use as JSON: every size in bytes.
pub(crate) fn memory_json(m: &keysnare_types::MemoryUse) -> serde_json::Value {
    let p = &m.plan;
    serde_json::json!({
        "budget": p.budget,
        "peak_rss": m.peak_rss,
        "peak_in_flight": m.peak_in_flight,
        "within_budget": !m.over_budget(),
        "plan": {
            "rules": p.rules,
            "history_index": p.index,
            "mapped_packs": p.mapped,
            "workers": p.workers,
            "threads": p.threads,
            "threads_asked": p.asked,
            "delta_caches": p.caches,
            "in_flight": p.in_flight,
        },
    })
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
