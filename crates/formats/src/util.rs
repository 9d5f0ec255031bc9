//! Pieces every parser uses: the test for non-values, reporting, base64, and small
//! span-preserving lexers for the shapes credential files take (lines, `key = value`
//! sections, indented `key: value` YAML, JSON members, XML elements and attributes).
//!
//! The lexers are tolerant: they never fail, read what they can of a malformed input, keep
//! byte ranges into the input, and run in time linear in it without recursion.

use std::ops::Range;

use base64::Engine as _;

use crate::Found;

/// Whether `value` is no credential at all: empty, whitespace, a template or reference
/// (`${VAR}`, `$VAR`, `{{ x }}`, `{% x %}`, `#{x}`, `%{x}`, `%(x)s`, `%VAR%`, `<password>`,
/// `[password]`), masked (`****`), or a well-known placeholder word.
pub(crate) fn is_no_value(value: &[u8]) -> bool {
    let v = value.trim_ascii();
    if v.is_empty() {
        return true;
    }
    let starts = |p: &[u8]| v.starts_with(p);
    if starts(b"${")
        || starts(b"$(")
        || starts(b"{{")
        || starts(b"{%")
        || starts(b"#{")
        || starts(b"%{")
        || starts(b"%(")
        || starts(b"<")
    {
        return true;
    }
    // `$VAR` or `$name`: an upper-case name, or a lower-case one without digits.
    let name = &v[1..];
    if v[0] == b'$'
        && !name.is_empty()
        && (name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            || name.iter().all(|b| b.is_ascii_lowercase() || *b == b'_'))
    {
        return true;
    }
    if v.len() > 2
        && ((v[0] == b'%' && v[v.len() - 1] == b'%') || (v[0] == b'[' && v[v.len() - 1] == b']'))
    {
        return true;
    }
    if v.iter()
        .all(|&b| b == b'*' || b == b'x' || b == b'X' || b == b'.')
    {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const WORDS: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"changeme",
        b"change_me",
        b"secret",
        b"your_password",
        b"yourpassword",
        b"your-password",
        b"null",
        b"none",
        b"undefined",
        b"redacted",
        b"placeholder",
    ];
    WORDS.contains(&lower.as_slice())
}

/// Reports `span` of `input` as the value of `field` unless it is no value (neither the
/// stored bytes nor, when given, the decoded credential).
pub(crate) fn report(
    out: &mut Vec<Found>,
    input: &[u8],
    span: Range<usize>,
    field: &[u8],
    decoded: Option<Vec<u8>>,
) {
    let Some(value) = input.get(span.clone()) else {
        return;
    };
    if is_no_value(value) || decoded.as_deref().is_some_and(is_no_value) {
        return;
    }
    out.push(Found {
        span,
        field: String::from_utf8_lossy(field).into_owned(),
        decoded,
    });
}

/// `value` decoded from base64 (standard or URL-safe alphabet, padded or not, surrounding
/// whitespace ignored), or `None` when it is not base64.
pub(crate) fn base64_decode(value: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let v = value.trim_ascii();
    if v.is_empty() {
        return None;
    }
    let url = v.iter().any(|&b| b == b'-' || b == b'_');
    let padded = v.ends_with(b"=");
    let engine = match (url, padded) {
        (false, true) => &STANDARD,
        (false, false) => &STANDARD_NO_PAD,
        (true, true) => &URL_SAFE,
        (true, false) => &URL_SAFE_NO_PAD,
    };
    engine.decode(v).ok()
}

/// `span` without the ASCII whitespace at either end.
pub(crate) fn trim(input: &[u8], span: Range<usize>) -> Range<usize> {
    let (mut s, mut e) = (span.start, span.end.min(input.len()));
    while s < e && input[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && input[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    s..e
}

/// `span` without one pair of matching quotes (`"…"` or `'…'`) around it.
pub(crate) fn unquote(input: &[u8], span: Range<usize>) -> Range<usize> {
    match input.get(span.clone()) {
        Some([q @ (b'"' | b'\''), .., last]) if q == last => span.start + 1..span.end - 1,
        _ => span,
    }
}

/// The lines of `input`: each line's start offset and its bytes without the line break
/// (`\n`, `\r\n`). A UTF-8 byte-order mark before the first line is left out.
pub(crate) fn lines(input: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let bom = if input.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut pos = bom;
    std::iter::from_fn(move || {
        if pos >= input.len() {
            return None;
        }
        let start = pos;
        let end = memchr::memchr(b'\n', &input[start..]).map_or(input.len(), |i| start + i);
        pos = end + 1;
        let line = &input[start..end];
        Some((start, line.strip_suffix(b"\r").unwrap_or(line)))
    })
}

/// One `key = value` entry of an INI-like file.
pub(crate) struct IniEntry<'a> {
    /// The key, trimmed.
    pub key: &'a [u8],
    /// The value, trimmed (quotes kept: see [`unquote`] and [`strip_trailing_comment`]).
    pub value: Range<usize>,
}

/// The `key = value` entries of an INI-like file (also `.npmrc`, `.my.cnf`, `.s3cfg`, TOML
/// tables of plain keys, Java properties): `[section]` headers, `#` and `;` comment lines,
/// `seps` the bytes that may end a key (the first of them on the line does). A line with
/// no separator is skipped.
pub(crate) fn ini_entries<'a>(
    input: &'a [u8],
    seps: &'a [u8],
) -> impl Iterator<Item = IniEntry<'a>> + 'a {
    lines(input).filter_map(move |(start, line)| {
        let t = line.trim_ascii();
        if t.is_empty() || t[0] == b'#' || t[0] == b';' {
            return None;
        }
        if t[0] == b'[' {
            return None;
        }
        let sep = line.iter().position(|b| seps.contains(b))?;
        let key = line[..sep].trim_ascii();
        let value = trim(input, start + sep + 1..start + line.len());
        Some(IniEntry { key, value })
    })
}

/// `value` (a range of `input`) with a TOML/INI trailing comment removed: for a quoted
/// value, everything after the closing quote; for a bare one, from ` #` on.
pub(crate) fn strip_trailing_comment(input: &[u8], value: Range<usize>) -> Range<usize> {
    let Some(v) = input.get(value.clone()) else {
        return value;
    };
    match v.first() {
        Some(&q @ (b'"' | b'\'')) => {
            let mut i = 1;
            while i < v.len() {
                if v[i] == b'\\' && q == b'"' {
                    i += 2;
                    continue;
                }
                if v[i] == q {
                    return value.start + 1..value.start + i;
                }
                i += 1;
            }
            value
        }
        _ => {
            let cut = v
                .windows(2)
                .position(|w| w[0].is_ascii_whitespace() && w[1] == b'#')
                .unwrap_or(v.len());
            trim(input, value.start..value.start + cut)
        }
    }
}

/// A URL's password (`scheme://user:password@host/...`) in `input[span]`: the range of the
/// password, and of the user name.
pub(crate) fn url_userinfo(
    input: &[u8],
    span: Range<usize>,
) -> Option<(Range<usize>, Range<usize>)> {
    let v = input.get(span.clone())?;
    let scheme_end = memchr::memmem::find(v, b"://")?;
    let auth_start = scheme_end + 3;
    let auth_len = v[auth_start..]
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#') || b.is_ascii_whitespace())
        .unwrap_or(v.len() - auth_start);
    let auth = &v[auth_start..auth_start + auth_len];
    let at = memchr::memrchr(b'@', auth)?;
    let colon = memchr::memchr(b':', &auth[..at])?;
    let base = span.start + auth_start;
    Some((base + colon + 1..base + at, base..base + colon))
}

/// Every `scheme://user:password@` in `input[span]`: the ranges of the passwords.
pub(crate) fn url_passwords(input: &[u8], span: Range<usize>) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let Some(v) = input.get(span.clone()) else {
        return found;
    };
    // The end of the run of URL bytes the last `://` is in: later ones in the same run end
    // there too (so a long line of `://` is read once).
    let mut run_end = 0;
    for i in memchr::memmem::find_iter(v, b"://") {
        // The URL starts at its scheme: back to the last byte that cannot be in one (a `/`
        // of the previous `://` at the latest).
        let from = v[..i]
            .iter()
            .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
            .map_or(0, |p| p + 1);
        if i >= run_end {
            run_end = v[i..]
                .iter()
                .position(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b',' | b'<'))
                .map_or(v.len(), |p| i + p);
        }
        let end = run_end;
        if let Some((pw, _)) = url_userinfo(input, span.start + from..span.start + end) {
            found.push(pw);
        }
    }
    found
}

// ---------------------------------------------------------------------------------------
// YAML

/// One `key: value` line of a YAML file, with the keys of the mappings it is in.
pub(crate) struct YamlEntry<'p> {
    /// The number of the document (`---` separates them), from 0.
    pub doc: usize,
    /// The key (without quotes).
    pub key: Range<usize>,
    /// The scalar value (without quotes, comment or tag; for a block scalar `|` / `>`, its
    /// lines), or `None` when the value is a nested mapping or sequence.
    pub value: Option<Range<usize>>,
    /// The keys of the enclosing mappings, outermost first: `(column, key)`.
    pub path: &'p [(usize, Range<usize>)],
}

/// Calls `f` with every `key: value` of an indentation-structured YAML file (block
/// mappings and sequences, `- key: value` items, quoted and plain scalars, block scalars,
/// `#` comments, `---` documents). Flow collections and multi-line quoted scalars are not
/// read.
pub(crate) fn yaml_entries(input: &[u8], mut f: impl FnMut(&[u8], &YamlEntry<'_>)) {
    let all: Vec<(usize, &[u8])> = lines(input).collect();
    let mut path: Vec<(usize, Range<usize>)> = Vec::new();
    let mut doc = 0;
    let mut li = 0;
    while li < all.len() {
        let (start, line) = all[li];
        li += 1;
        if (line.starts_with(b"---") || line.starts_with(b"..."))
            && (line.len() == 3 || line[3].is_ascii_whitespace())
        {
            path.clear();
            doc += 1;
            continue;
        }
        let mut col = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        // `- ` sequence markers: the item's key is at the column after them.
        while line.get(col) == Some(&b'-')
            && line.get(col + 1).is_none_or(|b| b.is_ascii_whitespace())
        {
            col += 1;
            col += line[col..]
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
        }
        let rest = &line[col..];
        if rest.is_empty() || rest[0] == b'#' {
            continue;
        }
        // The key: quoted, or plain up to the first `: ` (or a final `:`).
        let (key, after) = match rest[0] {
            q @ (b'"' | b'\'') => {
                let Some(close) = rest[1..].iter().position(|&b| b == q) else {
                    continue;
                };
                let after = 1 + close + 1;
                if rest.get(after) != Some(&b':') {
                    continue;
                }
                (start + col + 1..start + col + 1 + close, after + 1)
            }
            _ => {
                let Some(colon) = (0..rest.len()).find(|&i| {
                    rest[i] == b':' && rest.get(i + 1).is_none_or(|b| b.is_ascii_whitespace())
                }) else {
                    continue;
                };
                (
                    start + col..start + col + rest[..colon].trim_ascii_end().len(),
                    colon + 1,
                )
            }
        };
        while path.last().is_some_and(|(c, _)| *c >= col) {
            path.pop();
        }
        let vstart = start + col + after;
        let raw = trim(input, vstart..start + line.len());
        let mut value = None;
        match input.get(raw.clone()).unwrap_or_default() {
            [] | [b'{' | b'[' | b'&' | b'*', ..] => {}
            [b'#', ..] => {}
            [b'|' | b'>', ..] => {
                // A block scalar: the following lines indented more than the key.
                let mut first = None;
                let mut last = None;
                while li < all.len() {
                    let (s, l) = all[li];
                    let ind = l.iter().take_while(|&&b| b == b' ').count();
                    if ind == l.len() {
                        li += 1;
                        continue;
                    }
                    if ind <= col {
                        break;
                    }
                    first.get_or_insert(s + ind);
                    last = Some(s + l.trim_ascii_end().len());
                    li += 1;
                }
                if let (Some(a), Some(b)) = (first, last) {
                    value = Some(a..b);
                }
            }
            v => {
                // A tag (`!!str`, `!secret`) before the scalar is left out.
                let mut r = raw.clone();
                if v[0] == b'!' {
                    let skip = v
                        .iter()
                        .position(|b| b.is_ascii_whitespace())
                        .unwrap_or(v.len());
                    r = trim(input, r.start + skip..r.end);
                }
                value = Some(match input.get(r.clone()).and_then(|v| v.first()) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let v = &input[r.clone()];
                        let mut i = 1;
                        let mut close = None;
                        while i < v.len() {
                            if q == b'"' && v[i] == b'\\' {
                                i += 2;
                                continue;
                            }
                            if v[i] == q {
                                if q == b'\'' && v.get(i + 1) == Some(&b'\'') {
                                    i += 2;
                                    continue;
                                }
                                close = Some(i);
                                break;
                            }
                            i += 1;
                        }
                        match close {
                            Some(c) => r.start + 1..r.start + c,
                            None => continue,
                        }
                    }
                    _ => {
                        let v = input.get(r.clone()).unwrap_or_default();
                        let cut = v
                            .windows(2)
                            .position(|w| w[0].is_ascii_whitespace() && w[1] == b'#')
                            .unwrap_or(v.len());
                        trim(input, r.start..r.start + cut)
                    }
                });
            }
        }
        f(
            input,
            &YamlEntry {
                doc,
                key: key.clone(),
                value,
                path: &path,
            },
        );
        path.push((col, key));
    }
}

// ---------------------------------------------------------------------------------------
// JSON

/// What [`json_walk`] meets.
pub(crate) enum Json<'a> {
    /// A string value: its raw text, escapes included, without the quotes.
    Str(Range<usize>),
    /// A number, `true`, `false` or `null`.
    Other(&'a [u8]),
    /// The start of an object or an array.
    Open,
    /// The end of an object or array.
    Close,
}

/// The deepest nesting [`json_walk`] reads.
pub(crate) const MAX_JSON_DEPTH: usize = 256;

/// Calls `f(input, path, key, event)` for every value of a JSON (or JSONC: `//` and `/* */`
/// comments, trailing commas) document: `path` holds the keys of the enclosing containers
/// (`None` for an array element or the top), `key` the member's own key. For
/// [`Json::Close`], `path` and `key` are those of the container that ends. Malformed input
/// is read as far as it goes, and nesting deeper than [`MAX_JSON_DEPTH`] ends the walk.
pub(crate) fn json_walk(
    input: &[u8],
    mut f: impl FnMut(&[u8], &[Option<Range<usize>>], Option<Range<usize>>, Json<'_>),
) {
    let mut path: Vec<Option<Range<usize>>> = Vec::new();
    let mut key: Option<Range<usize>> = None;
    let mut i = if input.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let n = input.len();
    // Skips whitespace, commas and comments from `i`.
    let skip = |mut i: usize| -> usize {
        while i < n {
            match input[i] {
                b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
                b'/' if input.get(i + 1) == Some(&b'/') => {
                    i = memchr::memchr(b'\n', &input[i..]).map_or(n, |p| i + p);
                }
                b'/' if input.get(i + 1) == Some(&b'*') => {
                    i = memchr::memmem::find(&input[i + 2..], b"*/").map_or(n, |p| i + 2 + p + 2);
                }
                _ => break,
            }
        }
        i
    };
    loop {
        i = skip(i);
        if i >= n {
            return;
        }
        match input[i] {
            b'"' => {
                let s = i + 1;
                let mut j = s;
                while j < n && input[j] != b'"' {
                    j += if input[j] == b'\\' { 2 } else { 1 };
                }
                if j >= n {
                    return;
                }
                i = j + 1;
                // A key when a `:` follows.
                let mut k = i;
                while k < n && input[k].is_ascii_whitespace() {
                    k += 1;
                }
                if input.get(k) == Some(&b':') {
                    key = Some(s..j);
                    i = k + 1;
                } else {
                    f(input, &path, key.take(), Json::Str(s..j));
                }
            }
            b'{' | b'[' => {
                // Deeper than any credential file nests: the rest is not read (so that
                // callers may look through `path`).
                if path.len() >= MAX_JSON_DEPTH {
                    return;
                }
                i += 1;
                let k = key.take();
                f(input, &path, k.clone(), Json::Open);
                path.push(k);
            }
            b'}' | b']' => {
                i += 1;
                key = None;
                if let Some(k) = path.pop() {
                    f(input, &path, k, Json::Close);
                }
            }
            b':' => i += 1,
            _ => {
                let s = i;
                while i < n
                    && !matches!(input[i], b',' | b'}' | b']' | b':' | b'"')
                    && !input[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                if i == s {
                    i += 1;
                    continue;
                }
                f(input, &path, key.take(), Json::Other(&input[s..i]));
            }
        }
    }
}

/// Whether the key `k` (a range of `input`) is `name`, ASCII case-insensitively.
pub(crate) fn key_is(input: &[u8], k: &Option<Range<usize>>, name: &str) -> bool {
    k.as_ref()
        .and_then(|r| input.get(r.clone()))
        .is_some_and(|k| k.eq_ignore_ascii_case(name.as_bytes()))
}

// ---------------------------------------------------------------------------------------
// XML

/// What [`xml_walk`] meets.
pub(crate) enum Xml<'a> {
    /// A start tag (or an empty-element tag): its name and attributes (name, raw value).
    Open {
        name: Range<usize>,
        attrs: &'a [(Range<usize>, Range<usize>)],
    },
    /// Text (or CDATA content) inside the innermost open element, raw.
    Text(Range<usize>),
}

/// Calls `f(input, open, event)` for every start tag and every non-blank text of an XML
/// document; `open` holds the names of the open elements, outermost first (for a start
/// tag, not including itself). Comments, processing instructions and declarations are
/// skipped; malformed input is read as far as it goes.
pub(crate) fn xml_walk(input: &[u8], mut f: impl FnMut(&[u8], &[Range<usize>], Xml<'_>)) {
    let n = input.len();
    let mut open: Vec<Range<usize>> = Vec::new();
    let mut attrs: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let mut i = 0;
    let name_end = |mut j: usize| {
        while j < n && !input[j].is_ascii_whitespace() && !matches!(input[j], b'/' | b'>' | b'=') {
            j += 1;
        }
        j
    };
    while i < n {
        let Some(lt) = memchr::memchr(b'<', &input[i..]).map(|p| i + p) else {
            let t = trim(input, i..n);
            if !t.is_empty() {
                f(input, &open, Xml::Text(t));
            }
            return;
        };
        let t = trim(input, i..lt);
        if !t.is_empty() {
            f(input, &open, Xml::Text(t));
        }
        let rest = &input[lt..];
        let skip_to = |pat: &[u8], from: usize| {
            memchr::memmem::find(&input[from..], pat).map_or(n, |p| from + p + pat.len())
        };
        if rest.starts_with(b"<!--") {
            i = skip_to(b"-->", lt + 4);
        } else if rest.starts_with(b"<![CDATA[") {
            let s = lt + 9;
            let e = memchr::memmem::find(&input[s..], b"]]>").map_or(n, |p| s + p);
            let t = trim(input, s..e);
            if !t.is_empty() {
                f(input, &open, Xml::Text(t));
            }
            i = (e + 3).min(n);
        } else if rest.starts_with(b"<?") {
            i = skip_to(b"?>", lt + 2);
        } else if rest.starts_with(b"<!") {
            i = skip_to(b">", lt + 2);
        } else if rest.starts_with(b"</") {
            let s = lt + 2;
            let e = name_end(s);
            let name = &input[s..e];
            // Close the innermost element of that name (looking a bounded way up).
            let depth = open.len();
            if let Some(k) = (depth.saturating_sub(64)..depth)
                .rev()
                .find(|&k| &input[open[k].clone()] == name)
            {
                open.truncate(k);
            }
            i = skip_to(b">", e);
        } else {
            let s = lt + 1;
            let e = name_end(s);
            if e == s {
                i = s;
                continue;
            }
            attrs.clear();
            let mut j = e;
            let mut empty = false;
            loop {
                while j < n && input[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j >= n {
                    break;
                }
                match input[j] {
                    b'>' => {
                        j += 1;
                        break;
                    }
                    b'/' => {
                        if input.get(j + 1) == Some(&b'>') {
                            empty = true;
                            j += 2;
                            break;
                        }
                        j += 1;
                    }
                    _ => {
                        let an = j;
                        let ae = name_end(j).max(j + 1);
                        j = ae;
                        while j < n && input[j].is_ascii_whitespace() {
                            j += 1;
                        }
                        if input.get(j) != Some(&b'=') {
                            continue;
                        }
                        j += 1;
                        while j < n && input[j].is_ascii_whitespace() {
                            j += 1;
                        }
                        let v = match input.get(j) {
                            Some(&q @ (b'"' | b'\'')) => {
                                let vs = j + 1;
                                let ve = memchr::memchr(q, &input[vs..]).map_or(n, |p| vs + p);
                                j = (ve + 1).min(n);
                                vs..ve
                            }
                            _ => {
                                let vs = j;
                                while j < n && !input[j].is_ascii_whitespace() && input[j] != b'>' {
                                    j += 1;
                                }
                                vs..j
                            }
                        };
                        attrs.push((an..ae, v));
                    }
                }
            }
            f(
                input,
                &open,
                Xml::Open {
                    name: s..e,
                    attrs: &attrs,
                },
            );
            if !empty {
                open.push(s..e);
            }
            i = j;
        }
    }
}

/// The local name (after any `prefix:`) of `name`, a range of `input`.
pub(crate) fn local_name<'a>(input: &'a [u8], name: &Range<usize>) -> &'a [u8] {
    let v = input.get(name.clone()).unwrap_or_default();
    memchr::memrchr(b':', v).map_or(v, |p| &v[p + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_values() {
        for v in [
            &b""[..],
            b"  ",
            b"${DB_PASSWORD}",
            b"$DB_PASSWORD",
            b"$password",
            b"{{ .Password }}",
            b"{% raw %}",
            b"#{ENV['PW']}",
            b"%(pw)s",
            b"%PASSWORD%",
            b"<password>",
            b"[password]",
            b"********",
            b"changeme",
            b"Password",
        ] {
            assert!(is_no_value(v), "{}", String::from_utf8_lossy(v));
        }
        for v in [&b"Xk29-pLm4"[..], b"hunter2", b"$ecret99", b"p%ss"] {
            assert!(!is_no_value(v), "{}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn base64_alphabets() {
        assert_eq!(base64_decode(b"dTpw").as_deref(), Some(&b"u:p"[..]));
        assert_eq!(base64_decode(b"dTpwMQ==").as_deref(), Some(&b"u:p1"[..]));
        assert_eq!(base64_decode(b"dTpwMQ").as_deref(), Some(&b"u:p1"[..]));
        assert_eq!(
            base64_decode(b"-_-_").as_deref(),
            Some(&b"\xfb\xff\xbf"[..])
        );
        assert_eq!(base64_decode(b"not base64!"), None);
    }

    #[test]
    fn urls() {
        let s = b"x https://me:Xk29@host:8080/p?q https://tok@h ftp://a:b@c";
        let pw: Vec<_> = url_passwords(s, 0..s.len())
            .into_iter()
            .map(|r| &s[r])
            .collect();
        assert_eq!(pw, [&b"Xk29"[..], b"b"]);
    }

    #[test]
    fn yaml_paths() {
        let y = b"a:\n  b: 1 # c\n  l:\n  - c: 'x''y'\n    d: |\n      l1\n      l2\n\n    e: !!str \"q\\\"\"\n---\nf: g\n";
        let mut got = Vec::new();
        yaml_entries(y, |i, e| {
            let path: Vec<_> = e.path.iter().map(|(_, k)| &i[k.clone()]).collect();
            got.push((
                e.doc,
                path.concat(),
                i[e.key.clone()].to_vec(),
                e.value.clone().map(|v| i[v].to_vec()),
            ));
        });
        type Entry = (usize, Vec<u8>, Vec<u8>, Option<Vec<u8>>);
        let want: Vec<Entry> = vec![
            (0, b"".to_vec(), b"a".to_vec(), None),
            (0, b"a".to_vec(), b"b".to_vec(), Some(b"1".to_vec())),
            (0, b"a".to_vec(), b"l".to_vec(), None),
            (0, b"al".to_vec(), b"c".to_vec(), Some(b"x''y".to_vec())),
            (
                0,
                b"al".to_vec(),
                b"d".to_vec(),
                Some(b"l1\n      l2".to_vec()),
            ),
            (0, b"al".to_vec(), b"e".to_vec(), Some(b"q\\\"".to_vec())),
            (1, b"".to_vec(), b"f".to_vec(), Some(b"g".to_vec())),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn json_events() {
        let j = br#"{"a": [1, {"b": "x\"y"}], /* c */ "d": {"e": null}, // x
        }"#;
        let mut got = Vec::new();
        json_walk(j, |i, path, key, ev| {
            let p: Vec<_> = path.iter().map(|k| k.clone().map(|k| &i[k])).collect();
            let k = key.map(|k| &i[k]);
            let e = match ev {
                Json::Str(r) => format!("s:{}", String::from_utf8_lossy(&i[r])),
                Json::Other(o) => format!("o:{}", String::from_utf8_lossy(o)),
                Json::Open => "open".to_string(),
                Json::Close => "close".to_string(),
            };
            got.push(format!("{p:?} {k:?} {e}"));
        });
        assert_eq!(got.len(), 11, "{got:#?}");
        assert!(got.contains(&"[None, Some([97]), None] Some([98]) s:x\\\"y".to_string()));
    }

    #[test]
    fn xml_events() {
        let x = b"<?xml version='1.1'?><!-- <p>no</p> --><a k=\"v>w\" j='2'><b>t&amp;u</b><c/><![CDATA[ z ]]></a>";
        let mut got = Vec::new();
        xml_walk(x, |i, open, ev| {
            let o: Vec<_> = open
                .iter()
                .map(|r| String::from_utf8_lossy(&i[r.clone()]))
                .collect();
            match ev {
                Xml::Open { name, attrs } => got.push(format!(
                    "{o:?} <{} {}>",
                    String::from_utf8_lossy(&i[name]),
                    attrs
                        .iter()
                        .map(|(k, v)| format!(
                            "{}={}",
                            String::from_utf8_lossy(&i[k.clone()]),
                            String::from_utf8_lossy(&i[v.clone()])
                        ))
                        .collect::<Vec<_>>()
                        .join(",")
                )),
                Xml::Text(t) => got.push(format!("{o:?} {}", String::from_utf8_lossy(&i[t]))),
            }
        });
        assert_eq!(
            got,
            [
                "[] <a k=v>w,j=2>",
                "[\"a\"] <b >",
                "[\"a\", \"b\"] t&amp;u",
                "[\"a\"] <c >",
                "[\"a\"] z",
            ]
        );
    }

    #[test]
    fn lexers_survive_garbage() {
        let mut junk = Vec::new();
        let mut x: u32 = 12345;
        for _ in 0..20000 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            let a = b"{}[]\":,<>/=!-'\\\n #abc|";
            junk.push(a[(x >> 16) as usize % a.len()]);
        }
        for len in [0, 1, 2, 7, 100, 1000, junk.len()] {
            let j = &junk[..len];
            yaml_entries(j, |_, _| {});
            json_walk(j, |_, _, _, _| {});
            xml_walk(j, |_, _, _| {});
            let _ = ini_entries(j, b"=:").count();
            let _ = url_passwords(j, 0..j.len());
        }
    }

    #[test]
    fn pathological_inputs_are_linear() {
        // Each would take minutes if a lexer rescanned the input per occurrence.
        let big = 2 << 20;
        let urls = b"://".repeat(big / 3);
        assert!(url_passwords(&urls, 0..urls.len()).is_empty());
        let mut deep = b"[".repeat(big);
        deep.extend(b"\"k\": \"v\", ".repeat(1000));
        let mut n = 0;
        json_walk(&deep, |_, path, _, _| n += path.len());
        assert!(n <= MAX_JSON_DEPTH * MAX_JSON_DEPTH);
        let indents: Vec<u8> = (0..5000)
            .flat_map(|i| {
                let mut l = b" ".repeat(i);
                l.extend(b"k: v\n");
                l
            })
            .collect();
        let mut entries = 0;
        yaml_entries(&indents, |_, _| entries += 1);
        assert_eq!(entries, 5000);
        let tags = b"<a ".repeat(big / 3);
        xml_walk(&tags, |_, _, _| {});
        let closes = [b"<a>".repeat(big / 8), b"</b>".repeat(big / 8)].concat();
        xml_walk(&closes, |_, _, _| {});
    }
}
