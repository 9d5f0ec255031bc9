//! Go (RE2) regexes in the syntax of keysnare's engine (Rust `regex`, bytes, Unicode off).
//!
//! The text is parsed with `regex-syntax`'s AST parser. Where Go reads the same text
//! differently, the parser either fails at a known place (`\Q...\E`, a `{` that starts no
//! repetition, `\<` in a class) or builds a node Go would not build (`\<` and `\>` as word
//! boundaries, a nested `[` class, `&&`, `--` and `~~` set operations); the text is
//! rewritten there, at the parser's own spans, to Go's meaning, and parsed again. The
//! final tree is then changed (bounded repetitions, the secret's group) and printed with
//! the AST printer.
use regex_syntax::ast::parse::ParserBuilder;
use regex_syntax::ast::print::Printer;
use regex_syntax::ast::{
    self, Ast, ClassSet, ClassSetItem, ErrorKind, GroupKind, RepetitionKind, RepetitionRange,
};

/// Rewrites of one parse: at most this many rounds (each fixes at least one place).
const MAX_ROUNDS: usize = 256;

/// A Go regex, parsed: its text in Rust syntax with Go's meaning, and its syntax tree.
pub(crate) struct GoRegex {
    ast: Ast,
    /// Number of capture groups.
    pub groups: usize,
}

/// What [`GoRegex::render`] produced.
pub(crate) struct Rendered {
    pub text: String,
    /// Whether an unbounded repetition was bounded.
    pub bounded: bool,
}

/// One rewrite of the source text: replace `len` bytes at `at` with `with`.
struct Edit {
    at: usize,
    len: usize,
    with: String,
}

fn parse_ast(text: &str) -> Result<Ast, Box<ast::Error>> {
    ParserBuilder::new().build().parse(text).map_err(Box::new)
}

impl GoRegex {
    /// Parses a Go regex; the error is the parser's message when Go's syntax has no
    /// equivalent here (look-around and backreferences cannot occur in Go's syntax, and
    /// Unicode classes are refused later, by the rule loader).
    pub fn parse(go: &str) -> Result<GoRegex, String> {
        let mut text = go.to_string();
        for _ in 0..MAX_ROUNDS {
            let edits = match parse_ast(&text) {
                Ok(ast) => {
                    let mut edits = Vec::new();
                    go_meanings(&ast, &text, &mut edits);
                    if edits.is_empty() {
                        let groups = count_groups(&ast);
                        return Ok(GoRegex { ast, groups });
                    }
                    edits
                }
                Err(e) => match repair(&text, &e) {
                    Some(edit) => vec![edit],
                    None => return Err(one_line(&e.to_string())),
                },
            };
            apply(&mut text, edits);
        }
        Err("the regex needs too many rewrites".to_string())
    }

    /// Which capture groups hold the secret when gitleaks' `secretGroup` is not set (or
    /// 0): gitleaks then takes the first group that matched a non-empty text, else the
    /// whole match.
    pub fn first_matched(&self) -> Secret {
        if self.groups == 0 {
            return Secret::Whole;
        }
        if takes_part_always(&self.ast, 1) == Some(true) {
            // Group 1 is in every match: it comes first whenever it holds something.
            return Secret::Group(1);
        }
        Secret::FirstMatched {
            whole_last: may_hold_nothing(&self.ast),
        }
    }

    /// The pattern in Rust syntax: with `bound`, `*`, `+` and `{n,}` become `{0,b}`,
    /// `{1,b}` and `{n,max(n,b)}`; with `secret`, the groups that hold the secret are named
    /// keysnare's secret groups (`secret`, `secret2`...), and other groups with such names
    /// are renamed `gitleaks_secret`, `gitleaks_secret2`...
    pub fn render(&self, bound: Option<u32>, secret: Option<Secret>) -> Rendered {
        let mut ast = self.ast.clone();
        let mut bounded = false;
        if let Some(b) = bound {
            bound_repetitions(&mut ast, b, &mut bounded);
        }
        if let Some(secret) = secret {
            name_secret(&mut ast, secret);
        }
        let mut text = String::new();
        // Printing into a String cannot fail.
        let _ = Printer::new().print(&ast, &mut text);
        let groups = u32::try_from(self.groups).unwrap_or(u32::MAX);
        text = match secret {
            Some(Secret::Whole) => format!("(?P<secret>{text})"),
            Some(Secret::FirstMatched { whole_last: true }) => {
                format!("(?P<{}>{text})", secret_name(groups.saturating_add(1)))
            }
            _ => text,
        };
        Rendered { text, bounded }
    }
}

/// Where the converted pattern takes the secret from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Secret {
    /// The whole match: the pattern is wrapped in `(?P<secret>...)`.
    Whole,
    /// Capture group N (1-based), named `secret`.
    Group(u32),
    /// gitleaks' choice without `secretGroup`: every group, in the order of their numbers,
    /// is a secret group (`secret`, `secret2`...), so the first that took part in a match
    /// holds its secret; with `whole_last`, the whole pattern is wrapped in one more, last
    /// secret group, for the matches in which no group took part.
    FirstMatched { whole_last: bool },
}

/// The name of keysnare's `rank`th secret group: `secret`, `secret2`, `secret3`...
fn secret_name(rank: u32) -> String {
    if rank <= 1 {
        "secret".to_string()
    } else {
        format!("secret{rank}")
    }
}

/// Whether `name` is one of keysnare's secret group names.
fn is_secret_name(name: &str) -> bool {
    match name.strip_prefix("secret") {
        Some("") => true,
        Some(n) => !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn apply(text: &mut String, mut edits: Vec<Edit>) {
    edits.sort_by_key(|e| std::cmp::Reverse(e.at));
    edits.dedup_by_key(|e| e.at);
    for e in edits {
        if e.at + e.len <= text.len()
            && text.is_char_boundary(e.at)
            && text.is_char_boundary(e.at + e.len)
        {
            text.replace_range(e.at..e.at + e.len, &e.with);
        }
    }
}

/// The rewrite that gives a parse error Go's meaning, if Go accepts that text.
fn repair(text: &str, e: &ast::Error) -> Option<Edit> {
    let at = e.span().start.offset;
    let rest = text.get(at..)?;
    match e.kind() {
        // `\Q...\E`: the quoted text, escaped.
        ErrorKind::EscapeUnrecognized if rest.starts_with("\\Q") => {
            let body = &rest[2..];
            let (quoted, len) = match body.find("\\E") {
                Some(end) => (&body[..end], 2 + end + 2),
                None => (body, rest.len()),
            };
            Some(Edit {
                at,
                len,
                with: regex_syntax::escape(quoted),
            })
        }
        // Go reads an escaped punctuation character as itself (`\<` in a class).
        ErrorKind::EscapeUnrecognized | ErrorKind::ClassEscapeInvalid => {
            let mut chars = rest.chars();
            let (Some('\\'), Some(c)) = (chars.next(), chars.next()) else {
                return None;
            };
            c.is_ascii_punctuation().then(|| Edit {
                at,
                len: 1 + c.len_utf8(),
                with: c.to_string(),
            })
        }
        // A `{` that starts no repetition is a literal in Go.
        ErrorKind::RepetitionMissing
        | ErrorKind::RepetitionCountUnclosed
        | ErrorKind::RepetitionCountDecimalEmpty => {
            let open = if rest.starts_with('{') {
                at
            } else {
                text[..at].rfind('{')?
            };
            Some(Edit {
                at: open,
                len: 1,
                with: "\\{".to_string(),
            })
        }
        _ => None,
    }
}

/// Places where this engine reads the parsed text otherwise than Go does.
fn go_meanings(node: &Ast, text: &str, edits: &mut Vec<Edit>) {
    match node {
        Ast::Assertion(a) => {
            let at = a.span.start.offset;
            let len = a.span.end.offset - at;
            let with = match a.kind {
                // Go: `\<` and `\>` are the characters.
                ast::AssertionKind::WordBoundaryStartAngle => "<".to_string(),
                ast::AssertionKind::WordBoundaryEndAngle => ">".to_string(),
                // Go: `\b` followed by the literal text `{start}`.
                ast::AssertionKind::WordBoundaryStart
                | ast::AssertionKind::WordBoundaryEnd
                | ast::AssertionKind::WordBoundaryStartHalf
                | ast::AssertionKind::WordBoundaryEndHalf => {
                    let src = &text[at..at + len];
                    format!("\\b{}", regex_syntax::escape(&src[2..]))
                }
                _ => return,
            };
            edits.push(Edit { at, len, with });
        }
        Ast::ClassBracketed(c) => class_meanings(&c.kind, text, edits),
        Ast::Repetition(r) => go_meanings(&r.ast, text, edits),
        Ast::Group(g) => go_meanings(&g.ast, text, edits),
        Ast::Alternation(a) => a.asts.iter().for_each(|x| go_meanings(x, text, edits)),
        Ast::Concat(c) => c.asts.iter().for_each(|x| go_meanings(x, text, edits)),
        _ => {}
    }
}

fn class_meanings(set: &ClassSet, text: &str, edits: &mut Vec<Edit>) {
    match set {
        ClassSet::BinaryOp(op) => {
            // Go has no set operations: the two characters are literals.
            let at = op.lhs.span().end.offset;
            if let Some(two) = text.get(at..at + 2) {
                edits.push(Edit {
                    at,
                    len: 2,
                    with: two.chars().map(|c| format!("\\{c}")).collect(),
                });
            }
            class_meanings(&op.lhs, text, edits);
            class_meanings(&op.rhs, text, edits);
        }
        ClassSet::Item(item) => item_meanings(item, edits),
    }
}

fn item_meanings(item: &ClassSetItem, edits: &mut Vec<Edit>) {
    match item {
        // Go: a `[` inside a class is the character (the first `]` ends the class).
        ClassSetItem::Bracketed(b) => edits.push(Edit {
            at: b.span.start.offset,
            len: 1,
            with: "\\[".to_string(),
        }),
        ClassSetItem::Union(u) => u.items.iter().for_each(|i| item_meanings(i, edits)),
        _ => {}
    }
}

fn count_groups(node: &Ast) -> usize {
    match node {
        Ast::Group(g) => {
            usize::from(matches!(
                g.kind,
                GroupKind::CaptureIndex(_) | GroupKind::CaptureName { .. }
            )) + count_groups(&g.ast)
        }
        Ast::Repetition(r) => count_groups(&r.ast),
        Ast::Alternation(a) => a.asts.iter().map(count_groups).sum(),
        Ast::Concat(c) => c.asts.iter().map(count_groups).sum(),
        _ => 0,
    }
}

fn bound_repetitions(node: &mut Ast, bound: u32, bounded: &mut bool) {
    match node {
        Ast::Repetition(r) => {
            let min = match r.op.kind {
                RepetitionKind::ZeroOrMore => Some(0),
                RepetitionKind::OneOrMore => Some(1),
                RepetitionKind::Range(RepetitionRange::AtLeast(n)) => Some(n),
                _ => None,
            };
            if let Some(min) = min {
                r.op.kind = RepetitionKind::Range(RepetitionRange::Bounded(min, min.max(bound)));
                *bounded = true;
            }
            bound_repetitions(&mut r.ast, bound, bounded);
        }
        Ast::Group(g) => bound_repetitions(&mut g.ast, bound, bounded),
        Ast::Alternation(a) => a
            .asts
            .iter_mut()
            .for_each(|x| bound_repetitions(x, bound, bounded)),
        Ast::Concat(c) => c
            .asts
            .iter_mut()
            .for_each(|x| bound_repetitions(x, bound, bounded)),
        _ => {}
    }
}

/// Whether capture group `index` takes part in every match of `node`: `None` when it is
/// not in `node`.
fn takes_part_always(node: &Ast, index: u32) -> Option<bool> {
    match node {
        Ast::Group(g) => match g.capture_index() {
            Some(i) if i == index => Some(true),
            _ => takes_part_always(&g.ast, index),
        },
        Ast::Concat(c) => c.asts.iter().find_map(|x| takes_part_always(x, index)),
        // Another branch can match without it.
        Ast::Alternation(a) => a
            .asts
            .iter()
            .find_map(|x| takes_part_always(x, index))
            .map(|_| false),
        Ast::Repetition(r) => {
            takes_part_always(&r.ast, index).map(|always| always && repetition_min(&r.op) > 0)
        }
        _ => None,
    }
}

fn repetition_min(op: &ast::RepetitionOp) -> u32 {
    match op.kind {
        RepetitionKind::ZeroOrOne | RepetitionKind::ZeroOrMore => 0,
        RepetitionKind::OneOrMore => 1,
        RepetitionKind::Range(
            RepetitionRange::Exactly(n)
            | RepetitionRange::AtLeast(n)
            | RepetitionRange::Bounded(n, _),
        ) => n,
    }
}

/// Whether some match of `node` can be empty.
fn may_be_empty(node: &Ast) -> bool {
    match node {
        Ast::Empty(_) | Ast::Flags(_) | Ast::Assertion(_) => true,
        Ast::Literal(_)
        | Ast::Dot(_)
        | Ast::ClassUnicode(_)
        | Ast::ClassPerl(_)
        | Ast::ClassBracketed(_) => false,
        Ast::Group(g) => may_be_empty(&g.ast),
        Ast::Repetition(r) => repetition_min(&r.op) == 0 || may_be_empty(&r.ast),
        Ast::Alternation(a) => a.asts.iter().any(may_be_empty),
        Ast::Concat(c) => c.asts.iter().all(may_be_empty),
    }
}

/// Whether some match of `node` holds no capture group that matched a non-empty text (for
/// gitleaks, such a match's secret is the whole match).
fn may_hold_nothing(node: &Ast) -> bool {
    match node {
        Ast::Group(g) if g.capture_index().is_some() => may_be_empty(&g.ast),
        Ast::Group(g) => may_hold_nothing(&g.ast),
        Ast::Repetition(r) => repetition_min(&r.op) == 0 || may_hold_nothing(&r.ast),
        Ast::Alternation(a) => a.asts.iter().any(may_hold_nothing),
        Ast::Concat(c) => c.asts.iter().all(may_hold_nothing),
        _ => true,
    }
}

fn name_secret(node: &mut Ast, secret: Secret) {
    match node {
        Ast::Group(g) => {
            if let Some(index) = g.capture_index() {
                let rank = match secret {
                    Secret::Group(s) => (index == s).then_some(1),
                    Secret::FirstMatched { .. } => Some(index),
                    Secret::Whole => None,
                };
                match (&mut g.kind, rank) {
                    (
                        GroupKind::CaptureName {
                            name,
                            starts_with_p,
                        },
                        Some(rank),
                    ) => {
                        name.name = secret_name(rank);
                        *starts_with_p = true;
                    }
                    (kind, Some(rank)) => {
                        *kind = GroupKind::CaptureName {
                            starts_with_p: true,
                            name: capture_name(&secret_name(rank), index, g.span),
                        };
                    }
                    // A group of the gitleaks regex with one of keysnare's secret names
                    // that does not hold the secret here.
                    (GroupKind::CaptureName { name, .. }, None) if is_secret_name(&name.name) => {
                        name.name = format!("gitleaks_{}", name.name);
                    }
                    _ => {}
                }
            }
            name_secret(&mut g.ast, secret);
        }
        Ast::Repetition(r) => name_secret(&mut r.ast, secret),
        Ast::Alternation(a) => a.asts.iter_mut().for_each(|x| name_secret(x, secret)),
        Ast::Concat(c) => c.asts.iter_mut().for_each(|x| name_secret(x, secret)),
        _ => {}
    }
}

fn capture_name(name: &str, index: u32, span: ast::Span) -> ast::CaptureName {
    ast::CaptureName {
        span,
        name: name.to_string(),
        index,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(go: &str) -> String {
        GoRegex::parse(go).unwrap().render(Some(256), None).text
    }

    #[test]
    fn go_syntax_is_rewritten_for_the_rust_engine() {
        assert_eq!(conv(r"a*b+c?"), r"a{0,256}b{1,256}c?");
        assert_eq!(conv(r"a*?b+?"), r"a{0,256}?b{1,256}?");
        assert_eq!(conv(r"a{2,}b{3}c{1,4}"), r"a{2,256}b{3}c{1,4}");
        assert_eq!(conv(r"a{300,}"), r"a{300,300}");
        assert_eq!(conv(r"x{,3}y{z}"), r"x\{,3}y\{z}");
        assert_eq!(conv(r"{x}"), r"\{x}");
        assert_eq!(conv(r"a{"), r"a\{");
        assert_eq!(conv(r"\<tag\>"), r"<tag>");
        assert_eq!(conv(r"[\<]"), r"[<]");
        assert_eq!(conv(r"\Qa.b*\E+"), r"a\.b\*{1,256}");
        assert_eq!(conv(r"\Qa.b"), r"a\.b");
        assert_eq!(conv(r"[a-z&&~]"), r"[a-z\&\&~]");
        assert_eq!(conv(r"[a~~b]"), r"[a\~\~b]");
        assert_eq!(conv(r"[a[b]c]"), r"[a\[b]c]");
        assert_eq!(conv(r"[^\w.\-]"), r"[^\w.\-]");
        assert_eq!(conv(r"\x41\x{42}\pL"), r"\x41\x{42}\pL");
        assert_eq!(conv(r"\b{start}"), r"\b\{start\}");
        let r = GoRegex::parse("a*").unwrap().render(None, None);
        assert_eq!(r.text, "a*");
        assert!(!r.bounded);
        assert!(GoRegex::parse(r"(a").is_err());
        assert!(GoRegex::parse(r"\C").is_err());
    }

    #[test]
    fn secret_group_is_named() {
        let g = GoRegex::parse(r"(a)(?P<secret>b)(?:c)(?<d>e)(?P<secret2>f)").unwrap();
        assert_eq!(g.groups, 4);
        assert_eq!(
            g.render(None, Some(Secret::Group(3))).text,
            r"(a)(?P<gitleaks_secret>b)(?:c)(?P<secret>e)(?P<gitleaks_secret2>f)"
        );
        assert_eq!(
            g.render(None, Some(Secret::Group(1))).text,
            r"(?P<secret>a)(?P<gitleaks_secret>b)(?:c)(?<d>e)(?P<gitleaks_secret2>f)"
        );
        assert_eq!(
            GoRegex::parse("a.c")
                .unwrap()
                .render(None, Some(Secret::Whole))
                .text,
            "(?P<secret>a.c)"
        );
    }

    fn first_matched(go: &str) -> (Secret, String) {
        let g = GoRegex::parse(go).unwrap();
        let secret = g.first_matched();
        (secret, g.render(None, Some(secret)).text)
    }

    #[test]
    fn without_secret_group_the_first_group_that_matched_holds_the_secret() {
        // No group: the whole match.
        assert_eq!(first_matched("k=[a-z]{8}").0, Secret::Whole);
        // Group 1 takes part in every match: it alone (gitleaks never looks further).
        for go in [r"k=(a{8})(b)?", r"(?:x|y)=((a)|(b))", r"k(?:=(a{8})){2}"] {
            assert_eq!(first_matched(go).0, Secret::Group(1), "{go}");
        }
        // Groups in different alternatives: each is a secret group, in order.
        assert_eq!(
            first_matched(r"k=([a-z]{8})|\b(ATT[A-Z]{8})"),
            (
                Secret::FirstMatched { whole_last: false },
                r"k=(?P<secret>[a-z]{8})|\b(?P<secret2>ATT[A-Z]{8})".to_string()
            )
        );
        // Named groups are renamed too.
        assert_eq!(
            first_matched(r"(?:x(?P<v>a)|y(?P<secret>b))c").1,
            r"(?:x(?P<secret>a)|y(?P<secret2>b))c"
        );
        // An optional group or an alternative without a group: some matches hold no group,
        // and gitleaks then reports the whole match, the last secret group here.
        for (go, rust) in [
            (r"k=(a{8})?b", r"(?P<secret2>k=(?P<secret>a{8})?b)"),
            (
                r"k=(a{8})|tok_b{8}",
                r"(?P<secret2>k=(?P<secret>a{8})|tok_b{8})",
            ),
            (r"((?:a|b){8})|c", r"(?P<secret2>(?P<secret>(?:a|b){8})|c)"),
            (
                r"k=(a{0,8})|(b)",
                r"(?P<secret3>k=(?P<secret>a{0,8})|(?P<secret2>b))",
            ),
        ] {
            assert_eq!(
                first_matched(go),
                (Secret::FirstMatched { whole_last: true }, rust.to_string()),
                "{go}"
            );
        }
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        for s in [
            "(",
            ")",
            "[",
            "\\",
            "a{99999999999}",
            "(?P<>a)",
            "[z-a]",
            "\\Q",
            "{",
            "é{",
        ] {
            let _ = GoRegex::parse(s).map(|g| {
                g.render(Some(16), Some(Secret::Group(1)));
                g.render(Some(16), Some(g.first_matched()));
            });
        }
        let deep = "(".repeat(10_000);
        assert!(GoRegex::parse(&deep).is_err());
    }
}
