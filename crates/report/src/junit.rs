//! JUnit XML: one failed test case per finding, for CI systems that show test results.
use std::io::{self, Write};

use bstr::ByteSlice;

use keysnare_types::Provenance;

use crate::{Options, Report, finish, format_date, shown_line, shown_secret};

/// Escapes text for XML 1.0 content and attributes; characters XML cannot hold are replaced.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes one `<testsuite>`: a failed `<testcase>` per finding (named by rule and first
/// location), or one passing case when nothing was found; when the scan is incomplete
/// (inputs left unscanned for want of memory), a case in error saying so; then a skipped
/// `<testcase>` per input skipped or cut short, its class `skipped.KIND` (the reason's
/// [`kind`](keysnare_types::SkipReason::kind)), its name the path, and the reason's text in
/// `<skipped message>`.
pub fn write_junit(w: &mut dyn Write, report: &Report<'_>, opts: &Options) -> io::Result<()> {
    finish((|| {
        let n = report.findings.len();
        let incomplete = report.summary.incomplete;
        let errors = usize::from(incomplete > 0);
        let clean = usize::from(n == 0 && incomplete == 0);
        let skipped = report.summary.reported_skips().count();
        let tests = n + clean + errors + skipped;
        let secs = report.summary.elapsed.as_secs_f64();
        writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            w,
            r#"<testsuites name="keysnare" tests="{tests}" failures="{n}" errors="{errors}" time="{secs:.3}">"#,
        )?;
        writeln!(
            w,
            r#"  <testsuite name="keysnare secret scan" tests="{tests}" failures="{n}" errors="{errors}" skipped="{skipped}" time="{secs:.3}">"#,
        )?;
        if clean == 1 {
            writeln!(
                w,
                r#"    <testcase classname="keysnare" name="no secrets found" time="0"/>"#
            )?;
        }
        if incomplete > 0 {
            let text = format!(
                "incomplete scan: {incomplete} {} larger than the memory budget lets one take {} not scanned; raise --memory-budget (keysnare scan -v lists {})",
                if incomplete == 1 {
                    "file or blob"
                } else {
                    "files or blobs"
                },
                if incomplete == 1 { "was" } else { "were" },
                if incomplete == 1 { "it" } else { "them" },
            );
            writeln!(
                w,
                r#"    <testcase classname="keysnare" name="every input scanned" time="0">"#
            )?;
            writeln!(
                w,
                r#"      <error message="{}" type="incomplete">{}</error>"#,
                xml(&text),
                xml(&text)
            )?;
            writeln!(w, "    </testcase>")?;
        }
        for f in report.findings {
            let rule = report.rule_of(f);
            let loc = &f.locations[0];
            let path = loc.provenance.display_path();
            let name = format!("{path}:{}:{}", loc.start.line, loc.start.column);
            let title = rule.map_or(f.rule_id.clone(), |r| {
                format!("{} ({})", r.name, r.provider)
            });
            writeln!(
                w,
                r#"    <testcase classname="{}" name="{}" file="{}" line="{}" time="0">"#,
                xml(&f.rule_id),
                xml(&name),
                xml(&path),
                loc.start.line
            )?;
            let mut body = format!(
                "{title}\nseverity: {}\nsecret: {}\nfingerprint: {}\n",
                rule.map_or("", |r| r.severity.as_str()),
                shown_secret(&f.secret, opts),
                f.fingerprint
            );
            for l in &f.locations {
                body.push_str(&format!(
                    "at {}:{}:{}",
                    l.provenance.display_path(),
                    l.start.line,
                    l.start.column
                ));
                if let Provenance::Commit { commit, .. } = &l.provenance {
                    body.push_str(&format!(
                        " (commit {} by {} on {})",
                        &commit.id[..commit.id.len().min(12)],
                        commit.author_name.to_str_lossy(),
                        &format_date(commit.time, commit.offset)[..10]
                    ));
                }
                body.push_str(&format!("\n    {}\n", shown_line(f, l, opts).trim()));
            }
            if let Some(r) = rule {
                body.push_str(&format!("what to do: {}\n", r.remediation));
            }
            writeln!(
                w,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                xml(&format!("{title} in {name}")),
                xml(&f.rule_id),
                xml(&body)
            )?;
            writeln!(w, "    </testcase>")?;
        }
        for s in report.summary.reported_skips() {
            writeln!(
                w,
                r#"    <testcase classname="skipped.{}" name="{}" time="0">"#,
                s.reason.kind(),
                xml(&s.path)
            )?;
            writeln!(
                w,
                r#"      <skipped message="{}"/>"#,
                xml(&s.reason.to_string())
            )?;
            writeln!(w, "    </testcase>")?;
        }
        writeln!(w, "  </testsuite>")?;
        writeln!(w, "</testsuites>")?;
        w.flush()
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml("x\u{1}y"), "x\u{fffd}y");
    }
}
