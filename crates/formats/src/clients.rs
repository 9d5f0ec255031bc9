//! Saved sessions and settings of desktop and editor clients (FileZilla, DBeaver, WinSCP,
//! JetBrains IDEs, editor SFTP plugins, Robo 3T, mail clients, Firefox), PuTTY keys, the
//! configuration files of web frameworks and servers (WordPress, Django, Rails,
//! docker-compose, `.htpasswd`, `/etc/shadow`) and SQL dumps.
//!
//! The small lexers here are tolerant and span-preserving: they never fail, read what they
//! can of a malformed input, report byte ranges into it, and run in time linear in it without
//! recursion.

use std::ops::Range;

use crate::Found;
use crate::util::{lines, report, trim};

mod compose;
mod jsoncfg;
mod mail;
mod putty;
mod sql;
mod unix;
mod web;
mod winscp;
mod xmlcfg;

/// A parser's function.
type Run = fn(&[u8], &mut Vec<Found>);

/// The parsers of this module, by name.
pub(crate) const PARSERS: &[(&str, Run)] = &[
    ("putty", putty::unencrypted),
    ("putty-encrypted", putty::encrypted),
    ("filezilla", xmlcfg::filezilla),
    ("dbeaver", xmlcfg::dbeaver),
    ("jetbrains", xmlcfg::jetbrains),
    ("docker-compose", compose::docker_compose),
    ("sql-dump", sql::sql_dump),
    ("wp-config", web::wp_config),
    ("django-settings", web::django_settings),
    ("rails-database", web::rails_database),
    ("rails-secrets", web::rails_secrets),
    ("htpasswd", unix::htpasswd),
    ("shadow", unix::shadow),
    ("sftp-config", jsoncfg::sftp_config),
    ("robomongo", jsoncfg::robomongo),
    ("firefox-logins", jsoncfg::firefox_logins),
    ("esmtprc", mail::esmtprc),
    ("msmtprc", mail::msmtprc),
    ("muttrc", mail::muttrc),
    ("winscp", winscp::winscp),
];

/// The number of leading spaces and tabs of `line`.
fn indent(line: &[u8]) -> usize {
    line.iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// A quoted string starting at `input[at]` (`"` or `'`), ending on the same line: the range
/// of its content and the offset just past the closing quote. A backslash escapes the next
/// byte when `backslash` is set; a doubled quote is one quote when `doubled` is set.
fn quoted(
    input: &[u8],
    at: usize,
    backslash: bool,
    doubled: bool,
) -> Option<(Range<usize>, usize)> {
    let q = *input.get(at)?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let mut i = at + 1;
    while let Some(&b) = input.get(i) {
        match b {
            b'\n' => return None,
            b'\\' if backslash => i += 2,
            _ if b == q => {
                if doubled && input.get(i + 1) == Some(&q) {
                    i += 2;
                } else {
                    return Some((at + 1..i, i + 1));
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Calls `f(key, value)` for every JSON object member whose value is a string: the key's raw
/// bytes and the value's range (the raw text between the quotes). Comments (`//`, `/* */`)
/// are skipped (JSONC); anything malformed is read past.
fn json_strings(input: &[u8], mut f: impl FnMut(&[u8], Range<usize>)) {
    let mut i = 0;
    let mut last: Option<Range<usize>> = None;
    let mut key: Option<Range<usize>> = None;
    while let Some(&b) = input.get(i) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if input.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &input[i..]).map_or(input.len(), |n| i + n);
            }
            b'/' if input.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&input[i + 2..], b"*/").map_or(input.len(), |n| i + n + 4);
            }
            b'"' => {
                let mut j = i + 1;
                while let Some(&c) = input.get(j) {
                    match c {
                        b'\\' => j += 2,
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                if j >= input.len() {
                    return;
                }
                let s = i + 1..j;
                match key.take() {
                    Some(k) => f(&input[k], s),
                    None => last = Some(s),
                }
                i = j + 1;
            }
            b':' => {
                key = last.take();
                i += 1;
            }
            _ => {
                key = None;
                last = None;
                i += 1;
            }
        }
    }
}

/// An XML start tag: its name, attributes (name, value range without the quotes) and, for
/// an element holding only text, that text's range.
struct Tag<'a> {
    name: &'a [u8],
    attrs: Vec<(&'a [u8], Range<usize>)>,
    text: Option<Range<usize>>,
}

impl Tag<'_> {
    /// The range of attribute `name`'s value (ASCII case-insensitive name).
    fn attr(&self, name: &[u8]) -> Option<Range<usize>> {
        self.attrs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, r)| r.clone())
    }
}

/// Calls `f` for every XML start tag of `input`. Comments, processing instructions and
/// declarations are skipped; entities are left as they are (ranges cover the raw text).
fn xml_tags(input: &[u8], mut f: impl FnMut(&[u8], &Tag<'_>)) {
    let mut i = 0;
    while let Some(n) = memchr::memchr(b'<', &input[i.min(input.len())..]) {
        let lt = i + n;
        let rest = &input[lt..];
        if rest.starts_with(b"<!--") {
            i = memchr::memmem::find(&input[lt + 4..], b"-->")
                .map_or(input.len(), |m| lt + 4 + m + 3);
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            i = memchr::memmem::find(&input[lt + 9..], b"]]>")
                .map_or(input.len(), |m| lt + 9 + m + 3);
            continue;
        }
        if rest.starts_with(b"<?") || rest.starts_with(b"<!") || rest.starts_with(b"</") {
            i = memchr::memchr(b'>', rest).map_or(input.len(), |m| lt + m + 1);
            continue;
        }
        // The name.
        let mut j = lt + 1;
        while input
            .get(j)
            .is_some_and(|&b| !b.is_ascii_whitespace() && b != b'>' && b != b'/' && b != b'<')
        {
            j += 1;
        }
        let name = &input[lt + 1..j];
        if name.is_empty() {
            i = lt + 1;
            continue;
        }
        let mut tag = Tag {
            name,
            attrs: Vec::new(),
            text: None,
        };
        // The attributes, to `>` or `/>`.
        let mut closed = None;
        loop {
            while input.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            match input.get(j) {
                None | Some(b'<') => break,
                Some(b'>') => {
                    closed = Some(false);
                    j += 1;
                    break;
                }
                Some(b'/') if input.get(j + 1) == Some(&b'>') => {
                    closed = Some(true);
                    j += 2;
                    break;
                }
                _ => {}
            }
            let ns = j;
            while input.get(j).is_some_and(|&b| {
                !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'<' | b'/')
            }) {
                j += 1;
            }
            if j == ns {
                j += 1;
                continue;
            }
            let an = &input[ns..j];
            while input.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            if input.get(j) != Some(&b'=') {
                continue;
            }
            j += 1;
            while input.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            if let Some(&q @ (b'"' | b'\'')) = input.get(j) {
                let Some(e) = memchr::memchr(q, &input[j + 1..]) else {
                    j = input.len();
                    break;
                };
                tag.attrs.push((an, j + 1..j + 1 + e));
                j = j + 1 + e + 1;
            }
        }
        if closed == Some(false) {
            // Text up to the next tag, when that tag closes this element.
            let end = memchr::memchr(b'<', &input[j..]).map_or(input.len(), |m| j + m);
            let close = &input[end..];
            if close.starts_with(b"</")
                && close.get(2..2 + name.len()) == Some(name)
                && close
                    .get(2 + name.len())
                    .is_some_and(|&b| b == b'>' || b.is_ascii_whitespace())
            {
                tag.text = Some(j..end);
            }
        }
        f(input, &tag);
        i = j.max(lt + 1);
    }
}

/// Whether `a` contains `b`, ASCII case-insensitive.
fn contains_ci(a: &[u8], b: &[u8]) -> bool {
    b.is_empty() || a.windows(b.len()).any(|w| w.eq_ignore_ascii_case(b))
}

/// One `key: value` line of a YAML document (block style only): its indentation, whether it
/// is a list item (`- key: value`), the key, and the value's range (quotes removed; `None`
/// when the line opens a block: nothing after the colon, or an anchor alone).
struct YamlLine<'a> {
    indent: usize,
    key: &'a [u8],
    value: Option<Range<usize>>,
}

/// Reads `line` (which starts at `start` in the input) as a YAML `key: value` line.
fn yaml_line<'a>(input: &'a [u8], start: usize, line: &'a [u8]) -> Option<YamlLine<'a>> {
    let ind = indent(line);
    let mut k = ind;
    if line.get(k) == Some(&b'-') && line.get(k + 1).is_none_or(|&b| b == b' ' || b == b'\t') {
        k += 1;
        k += indent(&line[k.min(line.len())..]);
    }
    let body = line.get(k..)?;
    if body.is_empty() || body[0] == b'#' {
        return None;
    }
    // The key: quoted, or up to `: ` / a final `:`.
    let (key, after) = if let Some((r, e)) = quoted(input, start + k, true, true) {
        (&input[r], e - start)
    } else {
        let mut c = None;
        for (n, &b) in body.iter().enumerate() {
            if b == b':' && body.get(n + 1).is_none_or(|&x| x == b' ' || x == b'\t') {
                c = Some(n);
                break;
            }
            if b == b'#' && n > 0 && body[n - 1] == b' ' {
                break;
            }
        }
        let c = c?;
        (body[..c].trim_ascii(), k + c)
    };
    if line.get(after) != Some(&b':') {
        return None;
    }
    let value = yaml_scalar(input, start + after + 1, start + line.len());
    Some(YamlLine {
        indent: ind,
        key,
        value,
    })
}

/// The scalar value in `input[from..to]` (the rest of a line after `key:`), quotes removed,
/// a trailing comment left out; `None` for nothing, a block scalar, an anchor or alias, or
/// a flow collection.
fn yaml_scalar(input: &[u8], from: usize, to: usize) -> Option<Range<usize>> {
    let mut s = from;
    while s < to && (input[s] == b' ' || input[s] == b'\t') {
        s += 1;
    }
    if s >= to {
        return None;
    }
    match input[s] {
        b'"' => quoted(input, s, true, false).map(|(r, _)| r),
        b'\'' => quoted(input, s, false, true).map(|(r, _)| r),
        b'#' | b'|' | b'>' | b'&' | b'*' | b'{' | b'[' | b'!' => None,
        _ => {
            let mut e = s;
            while e < to && !(input[e] == b'#' && matches!(input[e - 1], b' ' | b'\t')) {
                e += 1;
            }
            Some(trim(input, s..e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values (as text) and fields `f` finds in `input`.
    pub(super) fn run(f: fn(&[u8], &mut Vec<Found>), input: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        f(input.as_bytes(), &mut out);
        out.iter()
            .map(|x| (x.field.clone(), input[x.span.clone()].to_string()))
            .collect()
    }

    /// The decoded values `f` finds in `input`.
    pub(super) fn decoded(f: fn(&[u8], &mut Vec<Found>), input: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        f(input.as_bytes(), &mut out);
        out.iter()
            .map(|x| {
                x.decoded
                    .as_ref()
                    .map(|d| String::from_utf8_lossy(d).into_owned())
            })
            .collect()
    }

    /// `pairs` as owned (field, value) pairs.
    pub(super) fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn json_members_with_comments() {
        let j = "{\n  // \"password\": \"no\"\n  \"a\": {\"password\": \"x\\\"y\"}, \"list\": [\"p\", \"q\"], /* c */ \"n\": 1, \"k\": \"v\"\n}";
        let mut got = Vec::new();
        json_strings(j.as_bytes(), |k, v| {
            got.push((String::from_utf8_lossy(k).into_owned(), j[v].to_string()))
        });
        assert_eq!(got, pairs(&[("password", "x\\\"y"), ("k", "v")]));
    }

    #[test]
    fn xml_tags_and_text() {
        let x = "<?xml version=\"1.0\"?><!-- <Pass>no</Pass> --><a b=\"1\" c='2'><Pass enc=\"x\">t&amp;u</Pass><e/></a>";
        let mut got = Vec::new();
        xml_tags(x.as_bytes(), |i, t| {
            got.push((
                String::from_utf8_lossy(t.name).into_owned(),
                t.attrs.len(),
                t.text
                    .clone()
                    .map(|r| String::from_utf8_lossy(&i[r]).into_owned()),
            ))
        });
        assert_eq!(
            got,
            [
                ("a".to_string(), 2, None),
                ("Pass".to_string(), 1, Some("t&amp;u".to_string())),
                ("e".to_string(), 0, None)
            ]
        );
    }

    #[test]
    fn yaml_lines() {
        let y = "a:\n  - b: 'x''y' # c\n  c: \"q\\\"\"\n  d: plain value # note\n  e: |\n";
        let mut got = Vec::new();
        for (s, l) in lines(y.as_bytes()) {
            if let Some(e) = yaml_line(y.as_bytes(), s, l) {
                got.push((
                    e.indent,
                    String::from_utf8_lossy(e.key).into_owned(),
                    e.value.map(|r| y[r].to_string()),
                ));
            }
        }
        assert_eq!(
            got,
            [
                (0, "a".to_string(), None),
                (2, "b".to_string(), Some("x''y".to_string())),
                (2, "c".to_string(), Some("q\\\"".to_string())),
                (2, "d".to_string(), Some("plain value".to_string())),
                (2, "e".to_string(), None),
            ]
        );
    }

    /// Every parser survives garbage, truncation and deep nesting without panicking.
    #[test]
    fn parsers_survive_garbage() {
        let mut inputs: Vec<Vec<u8>> = vec![
            b"<".to_vec(),
            b"<a b=\"".to_vec(),
            b"{\"a\":\"".to_vec(),
            b"\"".to_vec(),
            b"PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPrivate-Lines: 99999999999999999999\nAAAA".to_vec(),
            b"PuTTY-User-Key-File-".to_vec(),
            b"environment:\n- \n  -\n  A".to_vec(),
            b"CREATE USER 'a' IDENTIFIED BY '".to_vec(),
            b"define('DB_PASSWORD', '".to_vec(),
            b"SECRET_KEY = os.getenv('x', ".to_vec(),
            b"a:\n  password: \"".to_vec(),
            b"[Sessions\\a]\nPassword=ZZ\nPassword=A3\nPassword=FF".to_vec(),
            b"set smtp_url=smtp://a:".to_vec(),
            b"set smtp_pass=".to_vec(),
            b"password \"".to_vec(),
            b"root:$6$:::::::".to_vec(),
        ];
        inputs.push([b'['; 100_000].to_vec());
        inputs.push([b'{'; 100_000].to_vec());
        inputs.push(b"<a>".repeat(30_000));
        inputs.push((0..=255u8).cycle().take(70_000).collect());
        // Unclosed strings repeated on one line, or on every line: each must be read once,
        // not to the end of the line (or input) per occurrence.
        for unit in [
            &b"'PASSWORD': '''"[..],
            b"\"PASSWORD\": '",
            b"'PASSWORD': os.getenv('a', ",
            b"define(\"DB_PASSWORD\", '",
            b"set imap_pass=\"",
            b"environment: [\"A=",
            b"<a b=\"",
        ] {
            inputs.push(unit.repeat(200_000 / unit.len()));
            inputs.push([unit, b"\n"].concat().repeat(200_000 / unit.len()));
        }
        for input in &inputs {
            for n in 0..input.len().min(64) {
                for (_, p) in PARSERS {
                    let mut out = Vec::new();
                    p(&input[..n], &mut out);
                }
            }
            for (_, p) in PARSERS {
                let mut out = Vec::new();
                p(input, &mut out);
                for x in &out {
                    assert!(x.span.end <= input.len() && x.span.start <= x.span.end);
                }
            }
        }
    }
}
