//! gitleaks path regexes as `.gitignore` patterns and globs, when an exact form exists.
//!
//! A gitleaks path allowlist is a Go regex searched anywhere in a `/`-separated path. The
//! regex is parsed (`regex-syntax`, bytes, Unicode off, so `(?i)` is ASCII) and its syntax
//! tree expanded into the finite set of sequences it stands for: anchors, one-byte sets,
//! `[^/]*` runs and `.*` runs; alternations, optional parts and small counted repetitions
//! multiply out (at most [`MAX_EXPANSION`] sequences). Pairs that only a glob can say as
//! one are joined: `(?:^|/)x` (at a component start) and `x(?:/.*)?$` or `x(?:/|$)` (the
//! path or a folder of it). What has no exact form (a repeated class such as `[a-z]+`, a
//! word boundary, `.*` in the middle of a component) gives `None`.
//!
//! A regex `.` is taken to match any character of a path except `/` or, as a second
//! sequence, `/` itself: path names hold no line breaks in practice.
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use crate::goregex::GoRegex;

/// How many sequences one path regex may stand for.
pub(crate) const MAX_EXPANSION: usize = 64;
/// Counted repetitions are multiplied out up to this many copies.
const MAX_COPIES: u32 = 4;

/// Equivalents of one gitleaks path regex.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PathPatterns {
    /// `.gitignore` patterns, relative to the scanned root (`[scan] exclude`).
    pub gitignore: Vec<String>,
    /// Globs for a rule's allowlist `paths` (`*` does not cross `/`).
    pub globs: Vec<String>,
}

/// A set of bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Bytes([u64; 4]);

impl Bytes {
    fn empty() -> Bytes {
        Bytes([0; 4])
    }
    fn one(b: u8) -> Bytes {
        let mut s = Bytes::empty();
        s.insert(b);
        s
    }
    fn insert(&mut self, b: u8) {
        self.0[usize::from(b / 64)] |= 1 << (b % 64);
    }
    fn remove(&mut self, b: u8) {
        self.0[usize::from(b / 64)] &= !(1 << (b % 64));
    }
    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b / 64)] & (1 << (b % 64)) != 0
    }
    fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
    fn members(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&b| self.has(b))
    }
    /// Every byte but `/` and the line feed is in the set.
    fn is_any_but_slash(&self) -> bool {
        (0..=255u8).all(|b| b == b'/' || b == b'\n' || self.has(b))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Atom {
    Start,
    End,
    /// One byte of the set (never `/` with other bytes: that is split in two sequences).
    Set(Bytes),
    /// `[^/]*`
    Seg,
    /// `.*`
    Any,
}

type Seqs = Vec<Vec<Atom>>;

fn cross(a: Seqs, b: &Seqs) -> Option<Seqs> {
    if a.len().saturating_mul(b.len()) > MAX_EXPANSION {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in &a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            out.push(s);
        }
    }
    Some(out)
}

fn class_bytes(class: &Class) -> Option<Bytes> {
    let mut set = Bytes::empty();
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    set.insert(b);
                }
            }
        }
        Class::Unicode(c) => {
            for r in c.ranges() {
                if !r.end().is_ascii() {
                    return None;
                }
                for ch in r.start()..=r.end() {
                    set.insert(ch as u8);
                }
            }
        }
    }
    Some(set)
}

/// One byte of `set`: `/` apart from the others.
fn byte_of(set: Bytes) -> Seqs {
    if set.has(b'/') && set.len() > 1 {
        let mut rest = set;
        rest.remove(b'/');
        vec![vec![Atom::Set(rest)], vec![Atom::Set(Bytes::one(b'/'))]]
    } else {
        vec![vec![Atom::Set(set)]]
    }
}

/// The sequences `hir` stands for; `None` when they cannot be listed.
fn expand(hir: &Hir) -> Option<Seqs> {
    match hir.kind() {
        HirKind::Empty => Some(vec![vec![]]),
        HirKind::Literal(lit) => Some(vec![
            lit.0.iter().map(|&b| Atom::Set(Bytes::one(b))).collect(),
        ]),
        HirKind::Class(c) => Some(byte_of(class_bytes(c)?)),
        HirKind::Look(look) => match look {
            Look::Start | Look::StartLF | Look::StartCRLF => Some(vec![vec![Atom::Start]]),
            Look::End | Look::EndLF | Look::EndCRLF => Some(vec![vec![Atom::End]]),
            _ => None,
        },
        HirKind::Capture(c) => expand(&c.sub),
        HirKind::Concat(subs) => {
            let mut out = vec![vec![]];
            for s in subs {
                out = cross(out, &expand(s)?)?;
            }
            Some(out)
        }
        HirKind::Alternation(subs) => {
            let mut out = Vec::new();
            for s in subs {
                out.extend(expand(s)?);
                if out.len() > MAX_EXPANSION {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Repetition(r) => match r.max {
            None => {
                let HirKind::Class(c) = r.sub.kind() else {
                    return None;
                };
                let set = class_bytes(c)?;
                let run = if set.is_any_but_slash() && set.has(b'/') {
                    Atom::Any
                } else if set.is_any_but_slash() {
                    Atom::Seg
                } else {
                    return None;
                };
                match r.min {
                    0 => Some(vec![vec![run]]),
                    1 => cross(byte_of(set), &vec![vec![run]]),
                    _ => None,
                }
            }
            Some(max) if max <= MAX_COPIES => {
                let one = expand(&r.sub)?;
                let mut out = Vec::new();
                let mut power: Seqs = vec![vec![]];
                for n in 0..=max {
                    if n >= r.min {
                        out.extend(power.iter().cloned());
                    }
                    if n < max {
                        power = cross(power, &one)?;
                    }
                    if out.len() > MAX_EXPANSION {
                        return None;
                    }
                }
                Some(out)
            }
            Some(_) => None,
        },
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Start {
    /// `^`
    Root,
    /// `(?:^|/)`
    Component,
    /// Anywhere.
    Anywhere,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum End {
    /// `$`
    Exact,
    /// `(?:/.*)?$`, `(?:/|$)`: the path, or a folder of it.
    Component,
    /// Not anchored (a body ending in `/` is everything under that folder).
    Open,
}

type Shape = (Start, Vec<Atom>, End);

/// A sequence as (start, body, end); `None` when it can never match.
fn shape(seq: &[Atom]) -> Option<Shape> {
    let mut body: Vec<Atom> = Vec::new();
    let mut root = false;
    let mut end = false;
    for &a in seq {
        match a {
            Atom::Start if body.is_empty() => root = true,
            Atom::Start => return None,
            Atom::End => end = true,
            _ if end => return None,
            other => body.push(other),
        }
    }
    let mut start = if root { Start::Root } else { Start::Anywhere };
    // Something before: the body starts anywhere.
    while matches!(body.first(), Some(Atom::Any)) {
        body.remove(0);
        start = Start::Anywhere;
    }
    while start == Start::Anywhere && matches!(body.first(), Some(Atom::Seg)) {
        body.remove(0);
    }
    let mut end = if end { End::Exact } else { End::Open };
    // Anything after: the end is open.
    while end == End::Open && matches!(body.last(), Some(Atom::Any | Atom::Seg)) {
        body.pop();
    }
    // `dir/.*$` is everything under `dir/`.
    if end == End::Exact
        && body.len() >= 2
        && body[body.len() - 1] == Atom::Any
        && body[body.len() - 2] == Atom::Set(Bytes::one(b'/'))
    {
        body.pop();
        end = End::Open;
    }
    Some((start, body, end))
}

fn is_slash(a: &Atom) -> bool {
    *a == Atom::Set(Bytes::one(b'/'))
}

/// Joins `^x` with `/x` (unanchored) into `(?:^|/)x`, then `x$` with `x/` into
/// `x(?:/|$)`.
fn join(mut shapes: Vec<Shape>) -> Vec<Shape> {
    let mut out: Vec<Shape> = Vec::new();
    let mut used = vec![false; shapes.len()];
    for i in 0..shapes.len() {
        if used[i] || shapes[i].0 != Start::Root {
            continue;
        }
        let mut slashed = vec![Atom::Set(Bytes::one(b'/'))];
        slashed.extend_from_slice(&shapes[i].1);
        if let Some(j) = (0..shapes.len()).find(|&j| {
            !used[j]
                && j != i
                && shapes[j].0 == Start::Anywhere
                && shapes[j].1 == slashed
                && shapes[j].2 == shapes[i].2
        }) {
            used[i] = true;
            used[j] = true;
            out.push((Start::Component, shapes[i].1.clone(), shapes[i].2));
        }
    }
    for (i, s) in shapes.drain(..).enumerate() {
        if !used[i] {
            out.push(s);
        }
    }
    let mut joined: Vec<Shape> = Vec::new();
    let mut used = vec![false; out.len()];
    for i in 0..out.len() {
        if used[i] || out[i].2 != End::Exact {
            continue;
        }
        let mut dir = out[i].1.clone();
        dir.push(Atom::Set(Bytes::one(b'/')));
        if let Some(j) = (0..out.len()).find(|&j| {
            !used[j] && j != i && out[j].0 == out[i].0 && out[j].1 == dir && out[j].2 == End::Open
        }) {
            used[i] = true;
            used[j] = true;
            joined.push((out[i].0, out[i].1.clone(), End::Component));
        }
    }
    for (i, s) in out.into_iter().enumerate() {
        if !used[i] {
            joined.push(s);
        }
    }
    joined
}

/// A byte that means itself in `.gitignore` patterns and globs alike.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~@%,=:+".contains(&b) || b >= 0x80
}

/// A one-byte set as glob text (a byte, `?` or a bracket expression).
fn render_set(set: &Bytes, out: &mut Vec<u8>) -> Option<()> {
    if set.len() == 1 {
        let b = set.members().next()?;
        if b == b'/' || plain(b) {
            out.push(b);
            return Some(());
        }
        return None;
    }
    if set.is_any_but_slash() {
        out.push(b'?');
        return Some(());
    }
    let members: Vec<u8> = set.members().collect();
    if members.iter().all(|&b| plain(b) && b < 0x80) {
        out.push(b'[');
        out.extend(members.iter().filter(|&&b| b != b'-'));
        if set.has(b'-') {
            out.push(b'-');
        }
        out.push(b']');
        return Some(());
    }
    // A negated class: the bytes it leaves out (and `/`, which no class here matches).
    let left_out: Vec<u8> = (0..=255u8)
        .filter(|&b| !set.has(b) && b != b'\n' && b != b'/')
        .collect();
    if !left_out.is_empty() && left_out.iter().all(|&b| plain(b) && b < 0x80) {
        out.extend_from_slice(b"[!");
        out.extend(left_out.iter().filter(|&&b| b != b'-'));
        if left_out.contains(&b'-') {
            out.push(b'-');
        }
        out.extend_from_slice(b"/]");
        return Some(());
    }
    None
}

/// The body as glob text; `.*` only right after a `/` and before the last component of
/// an exact end (`docs/.*\.md$` is `docs/**/*.md`).
fn render_body(body: &[Atom], end: End) -> Option<String> {
    let mut out = Vec::new();
    for (k, a) in body.iter().enumerate() {
        match a {
            Atom::Set(s) => render_set(s, &mut out)?,
            Atom::Seg => {
                if out.last() != Some(&b'*') {
                    out.push(b'*');
                }
            }
            Atom::Any => {
                let after = &body[k + 1..];
                let ok = end == End::Exact
                    && k > 0
                    && is_slash(&body[k - 1])
                    && !after.is_empty()
                    && after.iter().all(|t| *t != Atom::Any && !is_slash(t));
                if !ok {
                    return None;
                }
                out.extend_from_slice(b"**/*");
            }
            Atom::Start | Atom::End => return None,
        }
    }
    String::from_utf8(out).ok()
}

fn patterns(start: Start, body: &[Atom], end: End) -> Option<(String, Vec<String>)> {
    if body.is_empty() || is_slash(&body[0]) {
        return None;
    }
    let p = render_body(body, end)?;
    let dir = body.last().is_some_and(is_slash);
    let slashes = body.iter().filter(|a| is_slash(a)).count();
    let inner_slash = slashes > usize::from(dir);
    // What follows the body in an open end that is not a folder: anything.
    let open_tail = if end == End::Open && !dir { "*" } else { "" };
    let (ignore, glob) = match start {
        Start::Root => (format!("/{p}{open_tail}"), format!("{p}{open_tail}")),
        Start::Component => (
            if inner_slash {
                format!("**/{p}{open_tail}")
            } else {
                format!("{p}{open_tail}")
            },
            format!("**/{p}{open_tail}"),
        ),
        Start::Anywhere => {
            let lead = if p.starts_with('*') { "" } else { "*" };
            (
                if inner_slash {
                    format!("**/{lead}{p}{open_tail}")
                } else {
                    format!("{lead}{p}{open_tail}")
                },
                format!("**/{lead}{p}{open_tail}"),
            )
        }
    };
    let globs = match end {
        End::Exact => vec![glob],
        End::Open if dir => vec![format!("{glob}**")],
        End::Open | End::Component => vec![glob.clone(), format!("{glob}/**")],
    };
    Some((ignore, globs))
}

/// Converts a gitleaks path regex when it has an exact equivalent; `None` otherwise.
pub(crate) fn convert(re: &str) -> Option<PathPatterns> {
    let rust = GoRegex::parse(re).ok()?.render(None, None).text;
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(&rust)
        .ok()?;
    let seqs = expand(&hir)?;
    let mut shapes: Vec<Shape> = seqs.iter().filter_map(|s| shape(s)).collect();
    shapes.dedup();
    if shapes.is_empty() {
        return None;
    }
    let mut gitignore = Vec::new();
    let mut globs = Vec::new();
    for (start, body, end) in join(shapes) {
        let (i, g) = patterns(start, &body, end)?;
        gitignore.push(i);
        globs.extend(g);
    }
    dedup(&mut gitignore);
    dedup(&mut globs);
    Some(PathPatterns { gitignore, globs })
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(s: &str) -> Option<(Vec<String>, Vec<String>)> {
        convert(s).map(|p| (p.gitignore, p.globs))
    }

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_forms() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (r"(^|/)vendor/", &["vendor/"], &["**/vendor/**"]),
            (r"(?:^|/)vendor/", &["vendor/"], &["**/vendor/**"]),
            (r"\.min\.js$", &["*.min.js"], &["**/*.min.js"]),
            (r"^third_party/", &["/third_party/"], &["third_party/**"]),
            (r"(^|/)a/b\.txt$", &["**/a/b.txt"], &["**/a/b.txt"]),
            (
                r"(?:^|/)build(?:/|$)",
                &["build"],
                &["**/build", "**/build/**"],
            ),
            (
                r"(?:^|/)node_modules(?:/.*)?$",
                &["node_modules"],
                &["**/node_modules", "**/node_modules/**"],
            ),
            (
                r"\.(?:png|jpg)$",
                &["*.png", "*.jpg"],
                &["**/*.png", "**/*.jpg"],
            ),
            (r"^docs/.*$", &["/docs/"], &["docs/**"]),
            (r"^docs/.*\.md$", &["/docs/**/*.md"], &["docs/**/*.md"]),
            (r"(^|/)gen/[^/]*\.go$", &["**/gen/*.go"], &["**/gen/*.go"]),
            (
                r"gitleaks\.toml",
                &["*gitleaks.toml*"],
                &["**/*gitleaks.toml*", "**/*gitleaks.toml*/**"],
            ),
            (r"(?i)\.png$", &["*.[Pp][Nn][Gg]"], &["**/*.[Pp][Nn][Gg]"]),
            (
                r"\.jpe?g$",
                &["*.jpg", "*.jpeg"],
                &["**/*.jpg", "**/*.jpeg"],
            ),
            (
                r"go\.(?:mod|sum)$",
                &["*go.mod", "*go.sum"],
                &["**/*go.mod", "**/*go.sum"],
            ),
            (
                r"Database.refactorlog",
                &["*Database?refactorlog*", "**/*Database/refactorlog*"],
                &[
                    "**/*Database?refactorlog*",
                    "**/*Database?refactorlog*/**",
                    "**/*Database/refactorlog*",
                    "**/*Database/refactorlog*/**",
                ],
            ),
            (r"(?:^|/)\.git$", &[".git"], &["**/.git"]),
            (
                r"(^|/)vendor",
                &["vendor*"],
                &["**/vendor*", "**/vendor*/**"],
            ),
            (r"a[^/.]b$", &["*a[!./]b"], &["**/*a[!./]b"]),
        ];
        for (re, ignore, globs) in cases {
            assert_eq!(conv(re), Some((v(ignore), v(globs))), "{re}");
        }
    }

    #[test]
    fn inexact_forms_are_refused() {
        for re in [
            r"a/.*/b$",
            r"\*\.txt$",
            r"^$",
            r"^/abs$",
            r"(?:^|/)[a-z0-9_.]+-[0-9.]+\.dist-info(?:/.+)?$",
            r"(?:^|/)jquery[a-zA-Z0-9.-]*\.js$",
            r"\bword\b",
            r"a{1,9}b$",
            r"(",
        ] {
            assert_eq!(conv(re), None, "{re}");
        }
    }

    /// Each pattern means what the regex means on paths made for the purpose.
    #[test]
    fn globs_agree_with_the_regex() {
        let paths = [
            "node_modules",
            "node_modules/a.js",
            "src/node_modules/x/y.js",
            "src/node_modulesx/y.js",
            "xnode_modules/y.js",
            "a/b/Photo.PNG",
            "a/b/photo.png.txt",
            "gitleaks.toml",
            "conf/my.gitleaks.toml.bak",
            "vendor/github.com/x/y.go",
            "a/vendor/golang.org/x/net/z.go",
            "a/vendor/golang.org/y",
            "a/Database/refactorlog",
            "aDatabase_refactorlog2",
        ];
        for re in [
            r"(?:^|/)node_modules(?:/.*)?$",
            r"(?i)\.(?:bmp|gif|jpe?g|png|svg|tiff?)$",
            r"gitleaks\.toml",
            r"(?:^|/)vendor/(?:github\.com|golang\.org/x)(?:/.*)?$",
            r"Database.refactorlog",
        ] {
            let globs = convert(re).unwrap().globs;
            let mut b = globset::GlobSetBuilder::new();
            for g in &globs {
                b.add(
                    globset::GlobBuilder::new(g)
                        .literal_separator(true)
                        .build()
                        .unwrap(),
                );
            }
            let set = b.build().unwrap();
            let regex = regex_automata::meta::Regex::new(re).unwrap();
            for p in paths {
                assert_eq!(
                    set.is_match(p),
                    regex.is_match(p),
                    "{re} on {p}: globs {globs:?}"
                );
            }
        }
    }
}
