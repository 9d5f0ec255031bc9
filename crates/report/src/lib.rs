//! keysnare report sinks: text for people, JSON and JSON Lines for tools, SARIF 2.1.0 for
//! GitHub code scanning, JUnit XML for CI systems that show test results.
//!
//! Reporters are given the finished [`Report`] (findings, the rules that found them, and the
//! scan's counters) and write it to any `io::Write`. They never print a secret whole unless
//! [`Options::show_secrets`] is set: by default a secret shows as a short prefix and `…`,
//! in the secret field and inside the matched line alike.
//!
//! The JSON schema is documented in `docs/JSON.md`.
#![deny(missing_docs)]

mod json;
mod junit;
mod sarif;
#[cfg(test)]
mod skipped_tests;
mod text;

use std::io;
use std::time::Duration;

use bstr::ByteSlice;
use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;
use jiff::tz::Offset;

use keysnare_rules::{Rule, RuleSet};
use keysnare_types::{Finding, Location, Severity, Skipped};

pub use json::{write_json, write_jsonl};
pub use junit::write_junit;
pub use sarif::{
    FINGERPRINT_KEY, MAX_GZIPPED_BYTES, MAX_RESULTS, SarifContext, path_to_uri, write_sarif,
};
pub use text::{memory_line, memory_warning, skipped_line, summary_line, write_text};

/// What a reporter needs to know about the scan besides its findings.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Inputs read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Unique blobs scanned.
    pub blobs_scanned: u64,
    /// Whether the scan read git objects (then blobs, not files, are counted).
    pub git: bool,
    /// Inputs skipped or cut short, with why: every one the scan met. Reports list those
    /// [`Summary::reported_skips`] gives; `-v` lists them all ([`skipped_line`]).
    pub skipped: Vec<Skipped>,
    /// How many of the skipped inputs were left unscanned for want of memory: when any
    /// were, the scan is incomplete.
    pub incomplete: usize,
    /// Inputs that could not be read: `(path, message)`.
    pub errors: Vec<(String, String)>,
    /// What the reader should know about the results (a range read across a shallow clone's
    /// boundary, a memory budget that ran fewer threads than asked or left inputs unscanned).
    pub warnings: Vec<String>,
    /// Findings dropped because the ignore file lists them.
    pub ignored_findings: u64,
    /// Secrets of staged files left out because `HEAD`'s version already holds them.
    pub already_committed: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// The memory plan and what the scan used.
    pub memory: Option<keysnare_types::MemoryUse>,
    /// How long the phases of a repository scan took, in order (empty for other scans).
    pub phases: Vec<keysnare_types::Phase>,
    /// Where the fingerprint key came from: `environment`, `project`, or `none` (unkeyed).
    pub fingerprint_key: Option<String>,
}

impl Summary {
    /// The skipped inputs reports list and count: all but those skipped for a reason
    /// [`SkipReason::is_reported`](keysnare_types::SkipReason::is_reported) leaves out
    /// (symbolic links, which the walk never follows by design).
    pub fn reported_skips(&self) -> impl Iterator<Item = &Skipped> {
        self.skipped.iter().filter(|s| s.reason.is_reported())
    }
}

/// A finished scan, ready to write.
pub struct Report<'a> {
    /// The rules the scan ran with (findings name them by id).
    pub rules: &'a RuleSet,
    /// The findings.
    pub findings: &'a [Finding],
    /// Counters and problems.
    pub summary: &'a Summary,
}

impl<'a> Report<'a> {
    /// The rule that made `finding`.
    pub fn rule_of(&self, finding: &Finding) -> Option<&'a Rule> {
        self.rules
            .position(&finding.rule_id)
            .map(|i| self.rules.rule(i))
    }

    /// Total number of locations.
    pub fn location_count(&self) -> usize {
        self.findings.iter().map(|f| f.locations.len()).sum()
    }

    /// Finding counts per severity, most severe first, leaving out zeros.
    pub fn severity_counts(&self) -> Vec<(Severity, usize)> {
        let mut counts = [0usize; 4];
        for f in self.findings {
            if let Some(r) = self.rule_of(f) {
                counts[r.severity as usize] += 1;
            }
        }
        [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ]
        .into_iter()
        .map(|s| (s, counts[s as usize]))
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

/// How to write a report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Print secrets whole instead of redacted.
    pub show_secrets: bool,
    /// Use ANSI colours (text only).
    pub color: bool,
    /// List every place of a finding (text only; otherwise the first and a count).
    pub verbose: bool,
}

/// The redacted form of a secret: a short prefix (at most 6 characters, at most a quarter
/// of the secret, never a line break), then `…`.
pub fn redact(secret: &[u8]) -> String {
    if is_binary(secret) {
        return format!("<{} bytes of binary data>", secret.len());
    }
    let text = secret.to_str_lossy();
    let chars = text.chars().count();
    let keep = (chars / 4).min(6);
    let prefix: String = text
        .chars()
        .take(keep)
        .take_while(|c| *c != '\n' && *c != '\r')
        .collect();
    format!("{prefix}…")
}

/// Whether a secret is binary data (a keystore file): not UTF-8, or holding a NUL byte.
/// Reports show its length when redacted and its base64 form when shown.
pub fn is_binary(secret: &[u8]) -> bool {
    secret.contains(&0) || std::str::from_utf8(secret).is_err()
}

/// The secret as a report shows it under `opts`: binary data in base64 after `base64:`.
pub fn shown_secret(secret: &[u8], opts: &Options) -> String {
    if opts.show_secrets && is_binary(secret) {
        use base64::Engine as _;
        format!(
            "base64:{}",
            base64::engine::general_purpose::STANDARD.encode(secret)
        )
    } else if opts.show_secrets {
        secret.to_str_lossy().into_owned()
    } else {
        redact(secret)
    }
}

/// The location's line as a report shows it: every secret on it redacted unless asked
/// (this finding's and any other found on the same line), control characters other than
/// tab replaced.
pub fn shown_line(finding: &Finding, loc: &Location, opts: &Options) -> String {
    redacted_line(finding, loc, opts)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// The location's line with its secrets redacted unless asked, control characters kept.
/// A binary secret (a keystore file) has no line to show.
pub(crate) fn redacted_line(finding: &Finding, loc: &Location, opts: &Options) -> String {
    let line = loc.line_text.as_slice();
    if is_binary(&finding.secret) {
        return format!("<binary data, {} bytes on this line>", line.len());
    }
    let mut raw = String::with_capacity(line.len());
    let mut at = 0;
    if !opts.show_secrets {
        for s in &loc.line_secrets {
            if s.start < at || s.end > line.len() || s.start > s.end {
                continue;
            }
            raw.push_str(&line[at..s.start].to_str_lossy());
            raw.push_str(&redact(&line[s.start..s.end]));
            at = s.end;
        }
    }
    raw.push_str(&line[at..].to_str_lossy());
    raw
}

/// An RFC 3339 date (`2024-05-01T12:30:00+02:00`) from seconds since the epoch and an
/// offset from UTC in seconds, as a commit records them.
///
/// As `git log` does, a date that cannot be shown is shown as the epoch in UTC: one before
/// the year 0000 (RFC 3339 has four digits), or after 9999-12-30T22:00:00Z (where `jiff`'s
/// timestamps end). An offset beyond ±25:59 (a damaged commit) is shown as UTC, and one
/// with seconds (which git cannot write) loses them. The instant shown is always the one
/// given, except for the epoch.
pub fn format_date(seconds: i64, offset: i32) -> String {
    // RFC 3339 offsets have no seconds: drop them before the local time is computed.
    let offset = Offset::from_seconds(offset - offset % 60).unwrap_or(Offset::UTC);
    let (when, offset) = match Timestamp::from_second(seconds) {
        Ok(t) if (0..=9999).contains(&offset.to_datetime(t).year()) => (t, offset),
        _ => (Timestamp::UNIX_EPOCH, Offset::UTC),
    };
    DateTimePrinter::new().timestamp_with_offset_to_string(&when, offset)
}

/// Writes to `w`, treating a closed pipe as the normal end of output.
pub(crate) fn finish(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_date(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            format_date(1_700_000_000, 3600),
            "2023-11-14T23:13:20+01:00"
        );
        assert_eq!(
            format_date(951_782_400, -19_800),
            "2000-02-28T18:30:00-05:30"
        );
    }

    #[test]
    fn dates_at_the_edges() {
        // A negative offset that moves the day, the month and the year back.
        assert_eq!(format_date(0, -3600), "1969-12-31T23:00:00-01:00");
        assert_eq!(
            format_date(1_704_067_200, -28_800),
            "2023-12-31T16:00:00-08:00"
        );
        // A positive one that moves them forward.
        assert_eq!(
            format_date(1_704_063_600, 5 * 3600 + 45 * 60),
            "2024-01-01T04:45:00+05:45"
        );
        // Leap days: a leap year, a century that is not one, one that is.
        assert_eq!(format_date(1_709_164_800, 0), "2024-02-29T00:00:00+00:00");
        assert_eq!(format_date(1_709_251_199, 0), "2024-02-29T23:59:59+00:00");
        assert_eq!(format_date(4_107_542_399, 0), "2100-02-28T23:59:59+00:00");
        assert_eq!(format_date(4_107_542_400, 0), "2100-03-01T00:00:00+00:00");
        assert_eq!(format_date(951_782_400, 0), "2000-02-29T00:00:00+00:00");
        // Before 1970, with and without an offset.
        assert_eq!(format_date(-1, 0), "1969-12-31T23:59:59+00:00");
        assert_eq!(format_date(-2_208_988_800, 0), "1900-01-01T00:00:00+00:00");
        assert_eq!(
            format_date(-2_208_988_800, -18_000),
            "1899-12-31T19:00:00-05:00"
        );
        assert_eq!(format_date(-68_256_000, 0), "1967-11-03T00:00:00+00:00");
        // The first second RFC 3339 can write, and the last one `jiff` holds.
        assert_eq!(format_date(-62_167_219_200, 0), "0000-01-01T00:00:00+00:00");
        assert_eq!(format_date(253_402_207_200, 0), "9999-12-30T22:00:00+00:00");
        assert_eq!(
            format_date(253_402_207_200, 25 * 3600 + 59 * 60),
            "9999-12-31T23:59:00+25:59"
        );
    }

    #[test]
    fn dates_a_damaged_commit_holds() {
        // Out of range: the epoch, as git shows it.
        assert_eq!(format_date(253_402_207_201, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_date(253_402_300_800, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_date(-62_167_219_201, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_date(i64::MAX, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_date(i64::MIN, i32::MIN), "1970-01-01T00:00:00+00:00");
        // A negative offset moves the first second of year 0000 back before it.
        assert_eq!(
            format_date(-62_167_219_200, -60),
            "1970-01-01T00:00:00+00:00"
        );
        // An offset no clock has (git writes `+9959`): the instant, in UTC.
        assert_eq!(
            format_date(1_700_000_000, 99 * 3600 + 59 * 60),
            "2023-11-14T22:13:20+00:00"
        );
        // Seconds in an offset: dropped, the instant kept.
        assert_eq!(
            format_date(1_700_000_000, 3601),
            "2023-11-14T23:13:20+01:00"
        );
        assert_eq!(
            format_date(1_700_000_000, -3599),
            "2023-11-14T21:14:20-00:59"
        );
    }

    #[test]
    fn redaction_keeps_a_short_prefix() {
        // Token-shaped inputs are assembled here so this file does not look like a leak.
        let twenty = "QZ3VLM7TPRZ2WK4HDXYW";
        assert_eq!(redact(twenty.as_bytes()), "QZ3VL…");
        assert_eq!(redact(b"hunter2!"), "hu…");
        assert_eq!(redact(b"abc"), "…");
        let long = "x".repeat(4) + &"0123456789".repeat(4);
        assert_eq!(redact(long.as_bytes()), "xxxx01…");
        assert_eq!(redact(b"ab\ncdefghijkl"), "ab…");
    }
}
