//! The keyword contract: every match of a rule's pattern holds one of its keywords (ASCII
//! case-insensitively), so the matcher, which runs a rule's regex only around its keywords'
//! hits, misses nothing. Loading proves it from the pattern's syntax tree: the literals that
//! every match must hold are extracted (`regex-syntax`'s literal extractor, at the start of
//! every branch and inside concatenations), and each must hold a keyword.
//!
//! The proof is conservative: a pattern whose matches all hold a keyword can still be
//! rejected when the extractor cannot see it (a literal repeated more than ten times, a
//! class of more than ten bytes before it); such a rule needs a narrower keyword or pattern.
//! Recursion follows the syntax tree, whose depth the regex parser bounds (250 levels).
use regex_syntax::hir::literal::{ExtractKind, Extractor, Literal, Seq};
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange};
use regex_syntax::hir::{Hir, HirKind};

/// The shortest keyword derived from a pattern's literals.
pub const MIN_DERIVED_KEYWORD_LEN: usize = 3;

/// How many literals a shown example lists at most.
const SHOWN_LITERALS: usize = 4;

/// `hir` with every byte ASCII-lowercased: its matches are the lowercased matches of
/// `hir`, so a literal it requires holds a keyword exactly when, ASCII case ignored, the
/// original's does. Case-insensitive letters (`(?i)k`, `[Kk]`) become plain literals.
pub(crate) fn lowercase(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Look(look) => Hir::look(*look),
        HirKind::Literal(lit) => {
            if lit.0.iter().any(u8::is_ascii_uppercase) {
                Hir::literal(lit.0.to_ascii_lowercase())
            } else {
                hir.clone()
            }
        }
        HirKind::Class(Class::Bytes(c)) => Hir::class(Class::Bytes(lower_bytes(c))),
        HirKind::Class(Class::Unicode(c)) => Hir::class(Class::Unicode(lower_unicode(c))),
        HirKind::Repetition(r) => {
            let mut r = r.clone();
            r.sub = Box::new(lowercase(&r.sub));
            Hir::repetition(r)
        }
        HirKind::Capture(c) => {
            let mut c = c.clone();
            c.sub = Box::new(lowercase(&c.sub));
            Hir::capture(c)
        }
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(lowercase).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(lowercase).collect()),
    }
}

fn lower_bytes(c: &ClassBytes) -> ClassBytes {
    let upper = ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]);
    let mut caps = c.clone();
    caps.intersect(&upper);
    if caps.ranges().is_empty() {
        return c.clone();
    }
    let mut out = c.clone();
    out.difference(&upper);
    out.union(&ClassBytes::new(caps.ranges().iter().map(|r| {
        ClassBytesRange::new(r.start().to_ascii_lowercase(), r.end().to_ascii_lowercase())
    })));
    out
}

fn lower_unicode(c: &ClassUnicode) -> ClassUnicode {
    let upper = ClassUnicode::new([ClassUnicodeRange::new('A', 'Z')]);
    let mut caps = c.clone();
    caps.intersect(&upper);
    if caps.ranges().is_empty() {
        return c.clone();
    }
    let mut out = c.clone();
    out.difference(&upper);
    out.union(&ClassUnicode::new(caps.ranges().iter().map(|r| {
        ClassUnicodeRange::new(r.start().to_ascii_lowercase(), r.end().to_ascii_lowercase())
    })));
    out
}

/// How many literals one extraction may yield (the extractor's own default).
const LIMIT_TOTAL: usize = 250;

fn extractor(limit_class: usize) -> Extractor {
    let mut e = Extractor::new();
    e.kind(ExtractKind::Prefix)
        .limit_class(limit_class)
        .limit_repeat(64)
        .limit_total(LIMIT_TOTAL);
    e
}

fn literals(seq: &Seq) -> Option<Vec<Vec<u8>>> {
    Some(
        seq.literals()?
            .iter()
            .map(|l| l.as_bytes().to_vec())
            .collect(),
    )
}

/// Literals every match of `hir` begins with (`None`: no finite set of them).
fn prefixes(hir: &Hir, limit_class: usize) -> Option<Vec<Vec<u8>>> {
    literals(&extractor(limit_class).extract(hir))
}

/// For each item of a concatenation (or the whole, for anything else), the literals every
/// match of the items from that one to the end begins with. Each item is extracted once and
/// the runs are crossed item by item until they stop growing, so a long concatenation costs
/// time in proportion to its length.
fn tails(hir: &Hir, limit_class: usize) -> Vec<Option<Vec<Vec<u8>>>> {
    let HirKind::Concat(subs) = hir.kind() else {
        return vec![prefixes(hir, limit_class)];
    };
    let e = extractor(limit_class);
    let seqs: Vec<Seq> = subs.iter().map(|s| e.extract(s)).collect();
    (0..seqs.len())
        .map(|start| {
            let mut seq = Seq::singleton(Literal::exact(vec![]));
            for s in &seqs[start..] {
                if seq.is_inexact() {
                    break;
                }
                let mut s = s.clone();
                if seq.max_cross_len(&s).is_none_or(|n| n > LIMIT_TOTAL) {
                    // Too many to list: what is listed so far is a prefix of every match.
                    s.make_infinite();
                }
                seq.cross_forward(&mut s);
            }
            literals(&seq)
        })
        .collect()
}

fn holds_keyword(lit: &[u8], keywords: &[Vec<u8>]) -> bool {
    keywords
        .iter()
        .any(|k| !k.is_empty() && lit.windows(k.len()).any(|w| w == k.as_slice()))
}

/// Why some matches of a pattern may hold none of the keywords.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Uncovered {
    /// Matches of this part hold one of these literals (lowercased), and these hold no
    /// keyword.
    Literals(Vec<Vec<u8>>),
    /// This part of the pattern (printed) requires no literal that holds a keyword.
    Part(String),
}

impl std::fmt::Display for Uncovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Uncovered::Literals(lits) => {
                let shown: Vec<String> = lits
                    .iter()
                    .take(SHOWN_LITERALS)
                    .map(|l| format!("{:?}", String::from_utf8_lossy(l)))
                    .collect();
                let more = lits.len().saturating_sub(SHOWN_LITERALS);
                write!(
                    f,
                    "a match can begin with {}{} and hold no keyword",
                    shown.join(" or "),
                    if more > 0 {
                        format!(" (or {more} more such literals)")
                    } else {
                        String::new()
                    }
                )
            }
            Uncovered::Part(p) => {
                write!(f, "a match of `{p}` needs no literal that holds a keyword")
            }
        }
    }
}

/// `Ok` when every match of `lower` (a [`lowercase`]d pattern) holds one of `keywords`
/// (lowercase); else an example of a part whose matches may hold none.
pub(crate) fn check_covered(lower: &Hir, keywords: &[Vec<u8>]) -> Result<(), Uncovered> {
    if covered(lower, keywords) {
        return Ok(());
    }
    Err(witness(lower, keywords))
}

fn covered(hir: &Hir, keywords: &[Vec<u8>]) -> bool {
    let by_literals = tails(hir, 10)
        .into_iter()
        .any(|t| t.is_some_and(|lits| lits.iter().all(|l| holds_keyword(l, keywords))));
    by_literals
        || match hir.kind() {
            // Every match of a concatenation holds a match of each item.
            HirKind::Concat(subs) => subs.iter().any(|s| covered(s, keywords)),
            HirKind::Alternation(subs) => subs.iter().all(|s| covered(s, keywords)),
            HirKind::Capture(c) => covered(&c.sub, keywords),
            HirKind::Repetition(r) => r.min > 0 && covered(&r.sub, keywords),
            _ => false,
        }
}

/// An uncovered part of `hir` (which is not covered), as precise as can be told: the
/// first uncovered branch of an alternation, and there the literals a match begins with.
fn witness(hir: &Hir, keywords: &[Vec<u8>]) -> Uncovered {
    match hir.kind() {
        HirKind::Alternation(subs) => {
            if let Some(s) = subs.iter().find(|s| !covered(s, keywords)) {
                return witness(s, keywords);
            }
        }
        HirKind::Capture(c) => return witness(&c.sub, keywords),
        HirKind::Repetition(r) if r.min > 0 => return witness(&r.sub, keywords),
        HirKind::Concat(subs) => {
            // A single alternation item that is not covered is the precise answer.
            if let Some(s) = subs
                .iter()
                .find(|s| matches!(s.kind(), HirKind::Alternation(_)) && !covered(s, keywords))
                && subs.iter().all(|x| !covered(x, keywords))
                && prefixes(hir, 10).is_none()
            {
                return witness(s, keywords);
            }
        }
        _ => {}
    }
    if let Some(lits) = prefixes(hir, 10) {
        let bare: Vec<Vec<u8>> = lits
            .into_iter()
            .filter(|l| !holds_keyword(l, keywords))
            .collect();
        if !bare.iter().all(Vec::is_empty) {
            return Uncovered::Literals(bare.into_iter().filter(|l| !l.is_empty()).collect());
        }
    }
    let mut shown = hir.to_string();
    if shown.chars().count() > 60 {
        shown = shown.chars().take(57).collect::<String>() + "...";
    }
    Uncovered::Part(shown)
}

/// Keywords derived from `lower` (a [`lowercase`]d pattern), deduplicated, or `None` when
/// no set of literals of at least [`MIN_DERIVED_KEYWORD_LEN`] bytes is required of every
/// match. The literal prefixes of the whole pattern come first (small classes only, so
/// that `xoxb-[0-9]` does not become ten keywords); else the fewest literals required
/// inside it, the longest when as few.
pub(crate) fn derive(lower: &Hir) -> Option<Vec<Vec<u8>>> {
    if let Some(lits) = usable(prefixes(lower, 4)) {
        return Some(lits);
    }
    inner(lower)
}

fn usable(lits: Option<Vec<Vec<u8>>>) -> Option<Vec<Vec<u8>>> {
    let mut lits = lits?;
    if lits.is_empty() || lits.iter().any(|l| l.len() < MIN_DERIVED_KEYWORD_LEN) {
        return None;
    }
    lits.sort();
    lits.dedup();
    Some(lits)
}

/// The better of two keyword sets: fewer keywords, then a longer shortest one.
fn better(a: Vec<Vec<u8>>, b: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let key = |s: &Vec<Vec<u8>>| {
        (
            s.len(),
            std::cmp::Reverse(s.iter().map(Vec::len).min().unwrap_or(0)),
        )
    };
    if key(&b) < key(&a) { b } else { a }
}

fn inner(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut best: Option<Vec<Vec<u8>>> = None;
    let mut offer = |c: Option<Vec<Vec<u8>>>| {
        if let Some(c) = c {
            best = Some(match best.take() {
                Some(b) => better(b, c),
                None => c,
            });
        }
    };
    for t in tails(hir, 4) {
        offer(usable(t));
    }
    match hir.kind() {
        HirKind::Concat(subs) => {
            for s in subs {
                offer(inner(s));
            }
        }
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for s in subs {
                all.extend(inner(s)?);
            }
            offer(usable(Some(all)));
        }
        HirKind::Capture(c) => offer(inner(&c.sub)),
        HirKind::Repetition(r) if r.min > 0 => offer(inner(&r.sub)),
        _ => {}
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower(p: &str) -> Hir {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(p)
            .unwrap();
        lowercase(&hir)
    }

    fn kws(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|k| k.as_bytes().to_vec()).collect()
    }

    #[test]
    fn prefix_literals_cover() {
        let p = lower(r"\b(?P<secret>(?:ghu|ghs)_[A-Za-z0-9]{36})\b");
        assert_eq!(check_covered(&p, &kws(&["ghu_", "ghs_"])), Ok(()));
        // A keyword shorter than the literals covers them all.
        assert_eq!(check_covered(&p, &kws(&["gh"])), Ok(()));
        let err = check_covered(&p, &kws(&["ghu_"])).unwrap_err();
        assert_eq!(err, Uncovered::Literals(kws(&["ghs_"])));
        assert!(err.to_string().contains("\"ghs_\""), "{err}");
    }

    #[test]
    fn case_is_ignored_both_ways() {
        let p = lower(r"(?i)api[_-]?token\s{0,3}=\s{0,3}(\w{16})");
        assert_eq!(check_covered(&p, &kws(&["token"])), Ok(()));
        let p = lower(r"AKIA([A-Z0-9]{16})");
        assert_eq!(check_covered(&p, &kws(&["akia"])), Ok(()));
    }

    #[test]
    fn inner_literals_cover() {
        let p = lower(r"[a-z0-9]{0,8}\.secret\.example\.com/([a-z]{8})");
        assert_eq!(check_covered(&p, &kws(&[".secret."])), Ok(()));
        // A literal split across items: `gh` `(u|s)` `_`.
        let p = lower(r"\b[a-z]{0,3}gh(?:u|s)_([a-z]{8})");
        assert_eq!(check_covered(&p, &kws(&["ghu_", "ghs_"])), Ok(()));
        let p = lower(r"[0-9]Q~([a-z]{8})");
        let digits: Vec<String> = (0..10).map(|d| format!("{d}q~")).collect();
        let digits: Vec<&str> = digits.iter().map(String::as_str).collect();
        assert_eq!(check_covered(&p, &kws(&digits)), Ok(()));
    }

    #[test]
    fn a_branch_without_a_keyword_is_named() {
        let p = lower(r"(?:token=|[a-z]{4}:)([0-9]{8})");
        let err = check_covered(&p, &kws(&["token="])).unwrap_err();
        assert!(
            matches!(&err, Uncovered::Part(part) if part.contains("a-z")),
            "{err:?}"
        );
        // An optional literal covers nothing.
        let p = lower(r"(?:token=)?([0-9]{8})");
        assert!(check_covered(&p, &kws(&["token="])).is_err());
        // Nor does a literal that repeats zero times.
        let p = lower(r"x{0,2}token([0-9]{8})");
        assert_eq!(check_covered(&p, &kws(&["token"])), Ok(()));
    }

    #[test]
    fn derived_keywords() {
        assert_eq!(
            derive(&lower(r"\b(?P<secret>(?:AKIA|ASIA)[A-Z0-9]{16})\b")),
            Some(kws(&["akia", "asia"]))
        );
        assert_eq!(derive(&lower(r"(?i)token=(\w{8})")), Some(kws(&["token="])));
        // No prefix: the literal inside.
        assert_eq!(
            derive(&lower(r"[a-z]{8}\.vault\.example\.com/(\w{8})")),
            Some(kws(&[".vault.example.com/"]))
        );
        assert_eq!(derive(&lower(r"[a-z]{3}(x)")), None);
        assert_eq!(derive(&lower(r"(?:ab|xyz)([^x]{3})")), None);
    }
}
