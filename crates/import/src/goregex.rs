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

    /// The pattern in Rust syntax: with `bound`, `*`, `+` and `{n,}` become `{0,b}`,
    /// `{1,b}` and `{n,max(n,b)}`; with `secret`, capture group number `secret` becomes
    /// `(?P<secret>...)` (another group already named `secret` is renamed
    /// `gitleaks_secret`).
    pub fn render(&self, bound: Option<u32>, secret: Option<u32>) -> Rendered {
        let mut ast = self.ast.clone();
        let mut bounded = false;
        if let Some(b) = bound {
            bound_repetitions(&mut ast, b, &mut bounded);
        }
        if let Some(s) = secret {
            name_secret(&mut ast, s);
        }
        let mut text = String::new();
        // Printing into a String cannot fail.
        let _ = Printer::new().print(&ast, &mut text);
        Rendered { text, bounded }
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

fn name_secret(node: &mut Ast, secret: u32) {
    match node {
        Ast::Group(g) => {
            match &mut g.kind {
                GroupKind::CaptureIndex(i) if *i == secret => {
                    g.kind = GroupKind::CaptureName {
                        starts_with_p: true,
                        name: capture_name("secret", secret, g.span),
                    };
                }
                GroupKind::CaptureName {
                    name,
                    starts_with_p,
                } => {
                    if name.index == secret {
                        name.name = "secret".to_string();
                        *starts_with_p = true;
                    } else if name.name == "secret" {
                        name.name = "gitleaks_secret".to_string();
                    }
                }
                _ => {}
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
        let g = GoRegex::parse(r"(a)(?P<secret>b)(?:c)(?<d>e)").unwrap();
        assert_eq!(g.groups, 3);
        assert_eq!(
            g.render(None, Some(3)).text,
            r"(a)(?P<gitleaks_secret>b)(?:c)(?P<secret>e)"
        );
        assert_eq!(
            g.render(None, Some(1)).text,
            r"(?P<secret>a)(?P<gitleaks_secret>b)(?:c)(?<d>e)"
        );
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
            let _ = GoRegex::parse(s).map(|g| g.render(Some(16), Some(1)));
        }
        let deep = "(".repeat(10_000);
        assert!(GoRegex::parse(&deep).is_err());
    }
}
