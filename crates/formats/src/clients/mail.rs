//! Mail clients' configuration files: esmtp's `.esmtprc`, msmtp's `.msmtprc`, Mutt's
//! `.muttrc`.

use std::ops::Range;

use crate::Found;

use super::{lines, quoted, report, trim};

/// The whitespace-separated words of `line` (starting at `start` in the input), a quoted
/// word's range without its quotes, `=` a word of its own, up to a `#` comment.
fn words(input: &[u8], start: usize, line: &[u8]) -> Vec<Range<usize>> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if b.is_ascii_whitespace() {
            i += 1;
        } else if b == b'#' {
            break;
        } else if b == b'=' {
            v.push(start + i..start + i + 1);
            i += 1;
        } else if b == b'"' || b == b'\'' {
            match quoted(input, start + i, true, false) {
                Some((r, e)) => {
                    i = e - start;
                    v.push(r);
                }
                None => break,
            }
        } else {
            let s = i;
            while i < line.len() && !line[i].is_ascii_whitespace() && line[i] != b'=' {
                i += 1;
            }
            v.push(start + s..start + i);
        }
    }
    v
}

/// `.esmtprc`: `password = "…"` (or `password "…"`), globally or in an `identity` section,
/// several statements possibly on one line
/// (<https://manpages.ubuntu.com/manpages/noble/man5/esmtprc.5.html>).
pub(super) fn esmtprc(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        let w = words(input, start, line);
        let mut i = 0;
        while i < w.len() {
            if &input[w[i].clone()] == b"password" {
                let mut v = i + 1;
                if w.get(v).is_some_and(|r| &input[r.clone()] == b"=") {
                    v += 1;
                }
                if let Some(r) = w.get(v) {
                    report(out, input, r.clone(), b"password", None);
                }
                i = v;
            }
            i += 1;
        }
    }
}

/// `.msmtprc`: `password <secret>` in an account (the rest of the line, possibly quoted);
/// `passwordeval` runs a command and is not a password
/// (<https://marlam.de/msmtp/msmtp.html#Authentication>).
pub(super) fn msmtprc(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        let ind = super::indent(line);
        let Some(rest) = line[ind..].strip_prefix(b"password") else {
            continue;
        };
        if !rest.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            continue;
        }
        let value = trim(input, start + line.len() - rest.len()..start + line.len());
        let value = match input.get(value.start) {
            Some(b'"') => match quoted(input, value.start, true, false) {
                Some((r, _)) => r,
                None => continue,
            },
            _ => value,
        };
        report(out, input, value, b"password", None);
    }
}

/// `.muttrc`: `set smtp_pass = "…"`, `imap_pass`, `pop_pass` (and user variables
/// `my_…pass…`), and the password of a URL setting (`set smtp_url =
/// "smtps://user:pass@host:465/"`, `folder`, `spoolfile`), also inside hooks. Backtick
/// command substitutions are not passwords
/// (<http://www.mutt.org/doc/manual/#smtp-pass>).
pub(super) fn muttrc(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        if line.trim_ascii_start().starts_with(b"#") {
            continue;
        }
        let mut i = 0;
        while i < line.len() {
            // A variable name, then `=`.
            if !(line[i].is_ascii_alphabetic() || line[i] == b'_')
                || (i > 0 && (line[i - 1].is_ascii_alphanumeric() || line[i - 1] == b'_'))
            {
                i += 1;
                continue;
            }
            let ns = i;
            while i < line.len() && (line[i].is_ascii_alphanumeric() || line[i] == b'_') {
                i += 1;
            }
            let name = &line[ns..i];
            let mut e = i;
            while e < line.len() && (line[e] == b' ' || line[e] == b'\t') {
                e += 1;
            }
            if line.get(e) != Some(&b'=') {
                continue;
            }
            e += 1;
            while e < line.len() && (line[e] == b' ' || line[e] == b'\t') {
                e += 1;
            }
            let Some((value, end)) = mutt_value(input, start, line, e) else {
                // An unclosed quote runs to the end of the line.
                break;
            };
            i = end;
            let pass_var = name.ends_with(b"_pass")
                || name.ends_with(b"_password")
                || (name.starts_with(b"my_") && name.windows(4).any(|w| w == b"pass"));
            if pass_var {
                if input.get(value.start) != Some(&b'`') {
                    report(out, input, value, name, None);
                }
            } else if (name.ends_with(b"_url") || name == b"folder" || name == b"spoolfile")
                && let Some(p) = url_password(input, value)
            {
                report(out, input, p, name, None);
            }
        }
    }
}

/// A Mutt value at `line[at..]`: quoted (`"…"`, `'…'`) or a bare word; its range in the
/// input and the line offset past it.
fn mutt_value(input: &[u8], start: usize, line: &[u8], at: usize) -> Option<(Range<usize>, usize)> {
    match line.get(at)? {
        b'"' | b'\'' => {
            let q = line[at];
            quoted(input, start + at, q == b'"', false).map(|(r, e)| (r, e - start))
        }
        _ => {
            let mut e = at;
            while e < line.len()
                && !line[e].is_ascii_whitespace()
                && !matches!(line[e], b';' | b'"' | b'\'')
            {
                e += 1;
            }
            (e > at).then_some((start + at..start + e, e))
        }
    }
}

/// The password of `scheme://user:password@host…` in `input[span]`.
fn url_password(input: &[u8], span: Range<usize>) -> Option<Range<usize>> {
    let v = &input[span.clone()];
    let s = memchr::memmem::find(v, b"://")? + 3;
    let auth_end = v[s..]
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .map_or(v.len(), |n| s + n);
    let at = memchr::memrchr(b'@', &v[s..auth_end])? + s;
    let colon = memchr::memchr(b':', &v[s..at])? + s;
    Some(span.start + colon + 1..span.start + at)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pairs, run};
    use super::*;

    const ESMTPRC: &str = "# esmtp configuration
hostname = smtp.synthetic.test:587
username = \"alerts@synthetic.test\"
password = \"Esm-Synthetic-3r\"
starttls = required

identity backup@synthetic.test
	hostname smtp2.synthetic.test:25
	username backup
	password Esm-Synthetic-9w
";

    #[test]
    fn esmtprc_passwords() {
        assert_eq!(
            run(esmtprc, ESMTPRC),
            pairs(&[
                ("password", "Esm-Synthetic-3r"),
                ("password", "Esm-Synthetic-9w")
            ])
        );
        let clean = ESMTPRC
            .replace("\"Esm-Synthetic-3r\"", "\"\"")
            .replace("password Esm-Synthetic-9w", "# password set at runtime");
        assert!(run(esmtprc, &clean).is_empty());
    }

    const MSMTPRC: &str = "defaults
auth on
tls on
tls_trust_file /etc/ssl/certs/ca-certificates.crt

account work
host smtp.synthetic.test
port 587
from dev@synthetic.test
user dev@synthetic.test
password Msm-Synthetic 7q

account personal
host mail.synthetic.test
user me
password \"Msm-\\\"Synthetic-2\"

account default : work
";

    #[test]
    fn msmtprc_passwords() {
        assert_eq!(
            run(msmtprc, MSMTPRC),
            pairs(&[
                ("password", "Msm-Synthetic 7q"),
                ("password", "Msm-\\\"Synthetic-2")
            ])
        );
        let clean = "account work\nhost smtp.synthetic.test\npasswordeval \"gpg -q --decrypt ~/.msmtp-work.gpg\"\n\naccount other\npassword \"\"\n";
        assert!(run(msmtprc, clean).is_empty());
    }

    const MUTTRC: &str = "set realname = \"Dev Synthetic\"
set from = dev@synthetic.test
set imap_user = dev@synthetic.test
set imap_pass = \"Mutt-Synthetic-1a\"
set smtp_url = \"smtps://dev@synthetic.test:Mutt-Synthetic-2b@smtp.synthetic.test:465/\"
set folder = imaps://dev:Mutt-Synthetic-3c@imap.synthetic.test/
account-hook imaps://other@imap.synthetic.test 'set imap_pass=Mutt-Synthetic-4d'
set smtp_pass=`pass show mail/smtp`
";

    #[test]
    fn muttrc_passwords() {
        assert_eq!(
            run(muttrc, MUTTRC),
            pairs(&[
                ("imap_pass", "Mutt-Synthetic-1a"),
                ("smtp_url", "Mutt-Synthetic-2b"),
                ("folder", "Mutt-Synthetic-3c"),
                ("imap_pass", "Mutt-Synthetic-4d"),
            ])
        );
        let clean = "set imap_user = dev@synthetic.test
set imap_pass = \"\"
set smtp_url = \"smtps://dev@smtp.synthetic.test:465/\"
set folder = imaps://imap.synthetic.test/
set smtp_pass = `pass show mail/smtp`
# set imap_pass = Old-Synthetic-0
";
        assert!(run(muttrc, clean).is_empty());
    }
}
