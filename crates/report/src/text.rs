//! The text report, for people: grouped by file, one block per finding, what to do at the end.
use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use bstr::ByteSlice;

use keysnare_types::{
    Finding, Location, Provenance, Severity, Skipped, escape_control, human_bytes,
};

use crate::{Options, Report, finish, redacted_line, shown_secret};

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => AnsiColor::Red.on_default().effects(Effects::BOLD),
        Severity::High => AnsiColor::Red.on_default(),
        Severity::Medium => AnsiColor::Yellow.on_default(),
        Severity::Low => AnsiColor::Cyan.on_default(),
    }
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

/// Writes the findings grouped by file, then what to do about each kind of secret found.
/// Writes nothing when there is no finding (the summary goes to stderr separately).
///
/// Text that comes from inputs or rule files (paths, lines, commit authors and messages,
/// rule names) is written through [`escape_control`], so no control character of a file
/// name or line reaches the terminal.
pub fn write_text(w: &mut dyn Write, report: &Report<'_>, opts: &Options) -> io::Result<()> {
    finish(write_text_inner(w, report, opts))
}

fn write_text_inner(w: &mut dyn Write, report: &Report<'_>, opts: &Options) -> io::Result<()> {
    let p = Painter { color: opts.color };
    // One block per finding, under the path of its first place (where the secret came in
    // first); its other places are counted, or listed with `-v`.
    let mut by_path: BTreeMap<String, Vec<(&Location, &Finding)>> = BTreeMap::new();
    for f in report.findings {
        if let Some(loc) = f.locations.first() {
            by_path
                .entry(loc.provenance.display_path().into_owned())
                .or_default()
                .push((loc, f));
        }
    }
    let bold = Style::new().effects(Effects::BOLD);
    let dim = Style::new().effects(Effects::DIMMED);
    for (path, mut items) in by_path {
        items.sort_by_key(|(l, f)| (l.start, &f.rule_id));
        writeln!(w, "{}", p.paint(bold, &escape_control(&path)))?;
        for (loc, f) in items {
            let rule = report.rule_of(f);
            let sev = rule.map_or(Severity::Low, |r| r.severity);
            let pos = format!("{}:{}", loc.start.line, loc.start.column);
            let sev_text = format!("{:<8}", sev.as_str().to_uppercase());
            writeln!(
                w,
                "  {pos:<9} {} {} ({})",
                p.paint(severity_style(sev), &sev_text),
                escape_control(rule.map_or(f.rule_id.as_str(), |r| r.name.as_str())),
                escape_control(&f.rule_id),
            )?;
            if let Some(enc) = &loc.encoding {
                writeln!(
                    w,
                    "            {} {}",
                    p.paint(dim, "found "),
                    escape_control(enc)
                )?;
            }
            match &loc.provenance {
                Provenance::Commit { commit, .. } => writeln!(
                    w,
                    "            {} {}",
                    p.paint(dim, "commit"),
                    commit_line(commit)
                )?,
                Provenance::Unreachable => writeln!(
                    w,
                    "            {} {} (no branch, tag or stash holds it: amended, rebased or dropped)",
                    p.paint(dim, "blob  "),
                    loc.blob,
                )?,
                Provenance::Staged { .. } => writeln!(
                    w,
                    "            {} staged, not committed yet",
                    p.paint(dim, "index ")
                )?,
                Provenance::File { .. } | Provenance::Stdin => {}
            }
            let checksum = match f.checksum {
                Some(keysnare_types::Checksum::Valid) => "   checksum valid",
                Some(keysnare_types::Checksum::Invalid) => "   checksum INVALID (low confidence)",
                None => "",
            };
            writeln!(
                w,
                "            {} {}   {} {}{checksum}",
                p.paint(dim, "secret"),
                shown_secret(&f.secret, opts).escape_debug(),
                p.paint(dim, "fingerprint"),
                f.fingerprint,
            )?;
            writeln!(
                w,
                "            {} {}",
                p.paint(dim, "line  "),
                escape_control(redacted_line(f, loc, opts).trim())
            )?;
            if let Some(score) = &f.score {
                writeln!(
                    w,
                    "            {} {:.1}: {}",
                    p.paint(dim, "why   "),
                    score.value,
                    escape_control(&score.explain())
                )?;
            }
            let others = &f.locations[1..];
            if opts.verbose {
                for other in others {
                    writeln!(w, "            {} {}", p.paint(dim, "also  "), place(other))?;
                }
            } else if !others.is_empty() {
                writeln!(
                    w,
                    "            {} in {} other place{} (-v lists them)",
                    p.paint(dim, "also  "),
                    others.len(),
                    if others.len() == 1 { "" } else { "s" }
                )?;
            }
        }
        writeln!(w)?;
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut fixes = Vec::new();
    for f in report.findings {
        if let Some(r) = report.rule_of(f)
            && seen.insert(r.id.as_str())
            && !r.remediation.is_empty()
        {
            fixes.push(r);
        }
    }
    fixes.sort_by_key(|r| (std::cmp::Reverse(r.severity), r.id.as_str()));
    if !fixes.is_empty() {
        writeln!(w, "{}", p.paint(bold, "What to do"))?;
        for r in fixes {
            writeln!(
                w,
                "  {} ({}, {}):",
                escape_control(&r.name),
                escape_control(&r.provider),
                escape_control(&r.id)
            )?;
            for line in r.remediation.lines() {
                writeln!(w, "    {}", escape_control(line.trim_end()))?;
            }
            if let Some(url) = r.references.first() {
                writeln!(w, "    See {}", escape_control(url))?;
            }
        }
        writeln!(
            w,
            "  Accept a finding that is not a secret with `keysnare:allow` on its line, or its fingerprint in .keysnareignore."
        )?;
    }
    w.flush()
}

/// The line `-v` prints on stderr for an input skipped or cut short, symbolic links
/// included: `keysnare: skipped PATH: REASON`, the path through [`escape_control`].
pub fn skipped_line(s: &Skipped) -> String {
    format!(
        "keysnare: skipped {}: {}",
        escape_control(&s.path),
        s.reason
    )
}

/// The memory plan and use, for `-v`: the budget, the peak resident size, how the budget
/// was split, and the mapped packs (page cache, outside the budget).
pub fn memory_line(m: &keysnare_types::MemoryUse) -> String {
    let p = &m.plan;
    let mut parts = vec![format!("rules {}", human_bytes(p.rules))];
    if p.index > 0 {
        parts.push(format!("history index {}", human_bytes(p.index)));
    }
    let asked = if p.threads_cut() {
        format!(" (of {} asked)", p.asked)
    } else {
        String::new()
    };
    parts.push(format!(
        "{} {}{asked} {}",
        p.threads,
        if p.threads == 1 { "worker" } else { "workers" },
        human_bytes(p.workers)
    ));
    if p.caches > 0 {
        parts.push(format!("delta caches {}", human_bytes(p.caches)));
    }
    parts.push(format!(
        "content in flight {} (peak {})",
        human_bytes(p.in_flight),
        human_bytes(m.peak_in_flight)
    ));
    let peak = m
        .peak_rss
        .map_or_else(|| "unknown".to_string(), human_bytes);
    // Mapped packs are page cache: the resident size counts them, the budget does not.
    let mapped = if p.mapped > 0 {
        format!(" + {} of mapped packs", human_bytes(p.mapped))
    } else {
        String::new()
    };
    format!(
        "keysnare: memory: peak resident {peak} of a {} budget{mapped} ({})",
        human_bytes(p.budget),
        parts.join(", ")
    )
}

/// A warning when the scan did not keep within its memory budget: the plan's reserves
/// alone were over it, or the peak resident size went past it and the mapped packs' pages.
/// `None` when it kept within.
pub fn memory_warning(m: &keysnare_types::MemoryUse) -> Option<String> {
    let p = &m.plan;
    if !p.fits() {
        return Some(format!(
            "the memory budget ({}) is less than this scan needs at least ({}: rules, history index, one worker, the least content in flight); it ran with those anyway. Raise --memory-budget",
            human_bytes(p.budget),
            human_bytes(p.planned())
        ));
    }
    match m.peak_rss {
        Some(r) if r > m.resident_limit() && p.mapped > 0 => Some(format!(
            "the peak resident size ({}) went over the memory budget ({}) and the mapped packs ({})",
            human_bytes(r),
            human_bytes(p.budget),
            human_bytes(p.mapped)
        )),
        Some(r) if r > m.resident_limit() => Some(format!(
            "the peak resident size ({}) went over the memory budget ({})",
            human_bytes(r),
            human_bytes(p.budget)
        )),
        _ => None,
    }
}

/// The one-line summary for stderr: what was scanned, in how long, what was found, and
/// what was skipped.
pub fn summary_line(report: &Report<'_>) -> String {
    let s = report.summary;
    let (count, unit) = if s.git {
        (
            s.blobs_scanned,
            if s.blobs_scanned == 1 {
                "blob"
            } else {
                "blobs"
            },
        )
    } else {
        (s.files, if s.files == 1 { "file" } else { "files" })
    };
    let mut line = format!(
        "keysnare: scanned {count} {unit} ({}) in {:.2}s: ",
        human_bytes(s.bytes),
        s.elapsed.as_secs_f64()
    );
    let n = report.findings.len();
    if n == 0 {
        line.push_str("no findings");
    } else {
        let counts: Vec<String> = report
            .severity_counts()
            .iter()
            .map(|(sev, c)| format!("{c} {sev}"))
            .collect();
        let places = report.location_count();
        line.push_str(&format!(
            "{n} {} ({}) in {places} {}",
            if n == 1 { "finding" } else { "findings" },
            counts.join(", "),
            if places == 1 { "place" } else { "places" },
        ));
    }
    if s.ignored_findings > 0 {
        line.push_str(&format!(
            "; {} ignored by .keysnareignore",
            s.ignored_findings
        ));
    }
    if s.already_committed > 0 {
        line.push_str(&format!(
            "; {} already committed in the changed {} (not added by this commit; a history scan reports {})",
            s.already_committed,
            if s.already_committed == 1 { "file" } else { "files" },
            if s.already_committed == 1 { "it" } else { "them" },
        ));
    }
    let skipped = s.reported_skips().count();
    if skipped > 0 {
        line.push_str(&format!("; {skipped} skipped (-v lists them)"));
    }
    if s.incomplete > 0 {
        line.push_str(&format!(
            "; incomplete: {} not scanned for want of memory (raise --memory-budget)",
            s.incomplete
        ));
    }
    if !s.errors.is_empty() {
        line.push_str(&format!(
            "; {} {}",
            s.errors.len(),
            if s.errors.len() == 1 {
                "error"
            } else {
                "errors"
            }
        ));
    }
    line
}

/// A commit on one line: short id, author, date and summary.
fn commit_line(commit: &keysnare_types::CommitInfo) -> String {
    format!(
        "{} {} <{}> {} {}{}",
        &commit.id[..commit.id.len().min(10)],
        escape_control(&commit.author_name.to_str_lossy()),
        escape_control(&commit.author_email.to_str_lossy()),
        &crate::format_date(commit.time, commit.offset)[..10],
        escape_control(&commit.summary.to_str_lossy()),
        if commit.reachable {
            ""
        } else {
            " (unreachable: no branch, tag or stash holds this commit; amended, rebased or dropped)"
        }
    )
}

/// Another place of a finding, on one line: path and position, and where it came from.
fn place(loc: &Location) -> String {
    let at = format!(
        "{}:{}:{}",
        escape_control(&loc.provenance.display_path()),
        loc.start.line,
        loc.start.column
    );
    match &loc.provenance {
        Provenance::Commit { commit, .. } => format!("{at}  commit {}", commit_line(commit)),
        Provenance::Unreachable => {
            format!("{at}  blob {} (no branch, tag or stash holds it)", loc.blob)
        }
        Provenance::Staged { .. } => format!("{at}  staged"),
        Provenance::File { .. } | Provenance::Stdin => at,
    }
}
