//! Rule self-tests: every example is found through the full scan path, no negative example is;
//! and `rules check`, which runs them with the loader's, the compiler's and the linter's checks.
use std::sync::Arc;

use std::path::Path;

use keysnare_rules::{Diagnostic, RuleSet, Source};
use keysnare_types::Checksum;

use crate::Matcher;

/// What checking rule files found ([`check_rules`]).
#[derive(Debug)]
pub struct RulesCheck {
    /// Every problem, sorted by file and line; empty when every rule passes.
    pub problems: Vec<Diagnostic>,
    /// Rules checked.
    pub rules: usize,
    /// Files (sources) they came from.
    pub files: usize,
    /// Examples the rules carry.
    pub examples: usize,
    /// Negative examples the rules carry.
    pub negative_examples: usize,
}

/// `rules check`: loads `sources` (the built-in pack when there are none), compiles every
/// rule's regexes, lints the set, runs every example and negative example through the
/// full scan path ([`check_examples`]), and checks that rules of files are not given ids the
/// built-in pack uses (a file of the pack itself, checked by its path while it is edited,
/// is no clash).
///
/// # Errors
/// Sources that do not load: the loader's error, with one diagnostic per problem.
///
/// # Performance
/// Compiles every regex of the set and scans each example several times: seconds for the
/// built-in pack.
pub fn check_rules(sources: Vec<Source>) -> Result<RulesCheck, keysnare_rules::Error> {
    let checking_defaults = sources.is_empty();
    let sources = if checking_defaults {
        Source::default_pack()
    } else {
        sources
    };
    let set = Arc::new(RuleSet::load(&sources)?);
    let mut problems = set.compile_all();
    // A configuration's custom rules are a project's own: the pack's documentation bar
    // (references, two examples...) does not apply to them; their examples, when given,
    // are checked all the same.
    let configs: Vec<&str> = sources
        .iter()
        .filter(|s| s.is_config())
        .map(Source::name)
        .collect();
    problems.extend(
        set.lint()
            .into_iter()
            .filter(|d| !configs.contains(&d.file.as_str())),
    );
    problems.extend(check_examples(&set));
    if !checking_defaults && let Ok(defaults) = RuleSet::default_pack() {
        problems.extend(builtin_id_clashes(&set, &defaults));
    }
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(RulesCheck {
        problems,
        rules: set.len(),
        files: sources.len(),
        examples: set.rules().iter().map(|r| r.examples.len()).sum(),
        negative_examples: set.rules().iter().map(|r| r.negative_examples.len()).sum(),
    })
}

/// Rules of `set` whose id a rule of the built-in pack has, unless the rule comes from the
/// pack's own file of the same name.
fn builtin_id_clashes(set: &RuleSet, defaults: &RuleSet) -> Vec<Diagnostic> {
    let mut clashes = Vec::new();
    for r in set.rules() {
        let file_name = Path::new(&r.origin.file)
            .file_name()
            .map(|n| n.to_string_lossy());
        let clash = defaults.position(&r.id).is_some_and(|i| {
            let builtin = &defaults.rule(i).origin.file;
            file_name
                .as_deref()
                .is_none_or(|n| builtin != &format!("default:{n}"))
        });
        if clash {
            clashes.push(Diagnostic {
                file: r.origin.file.clone(),
                line: Some(r.origin.line),
                rule_id: Some(r.id.clone()),
                message: "id is already used by a built-in rule".to_string(),
            });
        }
    }
    clashes
}

/// Scans every rule's examples and negative examples with the whole rule set (prefilter
/// included) and reports each example its rule does not find and each negative example
/// it does.
pub fn check_examples(rules: &Arc<RuleSet>) -> Vec<Diagnostic> {
    let mut matcher = Matcher::new(Arc::clone(rules));
    let mut found = Vec::new();
    let mut diags = Vec::new();
    for (ri, rule) in rules.rules().iter().enumerate() {
        let mut report = |message: String| {
            diags.push(Diagnostic {
                file: rule.origin.file.clone(),
                line: Some(rule.origin.line),
                rule_id: Some(rule.id.clone()),
                message,
            })
        };
        // A file rule (`files`) reads whole files selected by path: its examples are file
        // contents, checked with that rule alone.
        let scan = |m: &mut Matcher, text: &[u8], found: &mut Vec<keysnare_types::Match>| {
            if rule.is_file_rule() {
                m.scan_rule(ri, text, found);
            } else {
                m.scan(text, found);
            }
        };
        // A scored rule's examples are reported at the default confidence (medium), and its
        // negative examples are not (they may be low-confidence candidates); a pattern
        // rule's at the rule's own confidence (a negative example may be a match that
        // `[rules.lower]` lowers).
        let reported = |m: &keysnare_types::Match| {
            m.rule == ri
                && m.checksum != Some(Checksum::Invalid)
                && if rule.scored {
                    m.confidence >= keysnare_types::Confidence::Medium
                } else {
                    m.confidence >= rule.confidence
                }
        };
        for (i, ex) in rule.examples.iter().enumerate() {
            found.clear();
            scan(&mut matcher, &example_bytes(ex), &mut found);
            if !found.iter().any(reported) {
                report(format!(
                    "example {} is not found: {}",
                    i + 1,
                    why_not(rules, ri, ex.as_bytes())
                ));
            }
        }
        for (i, ex) in rule.negative_examples.iter().enumerate() {
            found.clear();
            scan(&mut matcher, &example_bytes(ex), &mut found);
            // A secret that fails its rule's checksum is not reported at the default
            // confidence: a negative example may be one.
            if let Some(m) = found.iter().find(|m| reported(m)) {
                report(format!(
                    "negative example {} matches (secret at bytes {}..{})",
                    i + 1,
                    m.secret.start,
                    m.secret.end
                ));
            }
        }
    }
    diags.extend(shadowed(rules));
    diags
}

/// The bytes of an example: the text, or for binary formats (keystores) the bytes that
/// follow a `base64:` prefix, decoded.
pub fn example_bytes(example: &str) -> std::borrow::Cow<'_, [u8]> {
    use base64::Engine as _;
    match example.strip_prefix("base64:").map(|b| {
        let clean: String = b.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(clean)
    }) {
        Some(Ok(bytes)) => std::borrow::Cow::Owned(bytes),
        _ => std::borrow::Cow::Borrowed(example.as_bytes()),
    }
}

/// Rules that another rule fully shadows: on every one of the rule's examples, the other
/// rule reports the very same secret, so the rule never adds a finding of its own.
fn shadowed(rules: &Arc<RuleSet>) -> Vec<Diagnostic> {
    let mut matcher = Matcher::new(Arc::clone(rules));
    let mut found = Vec::new();
    let mut diags = Vec::new();
    for (ri, rule) in rules.rules().iter().enumerate() {
        if rule.examples.is_empty() {
            continue;
        }
        // Candidates: rules that report the same secret on the first example.
        let mut candidates: Option<Vec<usize>> = None;
        for ex in &rule.examples {
            found.clear();
            matcher.scan(&example_bytes(ex), &mut found);
            let mine: Vec<_> = found
                .iter()
                .filter(|m| m.rule == ri)
                .map(|m| m.secret)
                .collect();
            // A scored rule never hides another: it loses every tie.
            let others: Vec<usize> = found
                .iter()
                .filter(|m| m.rule != ri && !rules.rule(m.rule).scored && mine.contains(&m.secret))
                .map(|m| m.rule)
                .collect();
            candidates = Some(match candidates {
                None => others,
                Some(c) => c.into_iter().filter(|r| others.contains(r)).collect(),
            });
            if candidates.as_ref().is_some_and(Vec::is_empty) {
                break;
            }
        }
        if let Some(other) = candidates.and_then(|c| c.first().copied()) {
            diags.push(Diagnostic {
                file: rule.origin.file.clone(),
                line: Some(rule.origin.line),
                rule_id: Some(rule.id.clone()),
                message: format!(
                    "rule {} reports the same secret on every example: give an example only this rule finds, or drop one of them",
                    rules.rule(other).id
                ),
            });
        }
    }
    diags
}

/// Explains why rule `ri` did not find a match in `text`, for the check's message.
fn why_not(rules: &RuleSet, ri: usize, text: &[u8]) -> String {
    let rule = rules.rule(ri);
    let Some(regex) = rule.regex() else {
        return "the pattern does not compile".to_string();
    };
    let Some(caps) = regex.captures_iter(text).next() else {
        return "the pattern does not match it".to_string();
    };
    let Some(secret) = rule.secret_span(&caps) else {
        return if rule.secret_groups.len() > 1 {
            "none of the secret groups took part in the match".to_string()
        } else {
            "the secret group did not take part in the match".to_string()
        };
    };
    let bytes = &text[secret.range()];
    let h = crate::entropy(bytes);
    if h < rule.min_entropy {
        return format!(
            "the secret's entropy {h:.2} is below min_entropy {}",
            rule.min_entropy
        );
    }
    if let Some(kind) = rule.checksum
        && crate::verify_checksum(kind, bytes) == Some(Checksum::Invalid)
    {
        return format!("the secret fails the rule's checksum ({kind:?})");
    }
    if crate::is_placeholder(bytes) {
        return "the secret looks like a placeholder (example, xxxxx, dummy, ...)".to_string();
    }
    if rule.allows_secret(bytes) {
        return "the rule's allowlist drops the secret".to_string();
    }
    if let Some(m) = caps.get_match()
        && rule.allows_match(&text[m.range()])
    {
        return "the rule's allowlist (matches) drops the match".to_string();
    }
    if crate::has_allow_marker(text, keysnare_types::Span::new(secret.start, secret.end)) {
        return "its line has an inline allow marker".to_string();
    }
    let mut matcher = Matcher::new(Arc::new(rules.clone()));
    let mut found = Vec::new();
    matcher.scan(text, &mut found);
    let span = keysnare_types::Span::new(secret.start, secret.end);
    if let Some(m) = found.iter().find(|m| m.secret == span && m.rule != ri) {
        return format!(
            "rule {} reports the same secret and wins (higher confidence or severity): give an example only this rule finds",
            rules.rule(m.rule).id
        );
    }
    "the pattern matches but the scan does not find it (keyword or window problem)".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule file with one rule of id `id`; its example is assembled here so that no
    /// token-shaped text sits in the source.
    fn rule_file(name: &str, id: &str) -> Source {
        let examples = [
            format!("token = {}{}", "dmo_", "q7x2k9w4"),
            format!("DEMO_TOKEN={}{}", "dmo_", "m3p8r5t1"),
        ];
        Source::text(
            name,
            format!(
                r#"[[rules]]
id = "{id}"
name = "Demo token"
provider = "Demo"
description = "A demo token."
pattern = '''\b(?P<secret>dmo_[a-z0-9]{{8}})\b'''
min_entropy = 2.0
severity = "low"
confidence = "high"
references = ["https://demo.invalid/tokens"]
remediation = "Revoke it."
examples = ["{}", "{}"]
negative_examples = ["dmo_short"]
"#,
                examples[0], examples[1]
            ),
        )
    }

    fn messages(check: &RulesCheck) -> Vec<&str> {
        check.problems.iter().map(|d| d.message.as_str()).collect()
    }

    #[test]
    fn a_good_file_passes_and_is_counted() -> Result<(), keysnare_rules::Error> {
        let check = check_rules(vec![rule_file("demo.toml", "demo.token")])?;
        assert_eq!(messages(&check), Vec::<&str>::new());
        assert_eq!(
            (
                check.rules,
                check.files,
                check.examples,
                check.negative_examples
            ),
            (1, 1, 2, 1)
        );
        Ok(())
    }

    #[test]
    fn an_id_of_the_built_in_pack_is_a_problem_except_in_its_own_file()
    -> Result<(), keysnare_rules::Error> {
        let check = check_rules(vec![rule_file("mine.toml", "aws.access-key-id")])?;
        assert!(
            messages(&check).contains(&"id is already used by a built-in rule"),
            "{:?}",
            check.problems
        );
        // rules/aws.toml itself, checked while it is edited.
        let check = check_rules(vec![rule_file("rules/aws.toml", "aws.access-key-id")])?;
        assert!(
            !messages(&check).contains(&"id is already used by a built-in rule"),
            "{:?}",
            check.problems
        );
        Ok(())
    }

    #[test]
    fn an_example_the_rule_misses_is_a_problem() -> Result<(), keysnare_rules::Error> {
        let text = format!(
            r#"[[rules]]
id = "demo.token"
name = "Demo token"
provider = "Demo"
pattern = '''\b(?P<secret>dmo_[a-z0-9]{{8}})\b'''
severity = "low"
examples = ["token = {}"]
"#,
            "dmo_short"
        );
        let check = check_rules(vec![Source::text("x.toml", text)])?;
        assert!(
            messages(&check)
                .iter()
                .any(|m| m.starts_with("example 1 is not found")),
            "{:?}",
            check.problems
        );
        Ok(())
    }

    #[test]
    fn a_file_that_does_not_load_is_the_loaders_error() {
        let bad = Source::text("bad.toml", "[[rules]]\nid = \"x\"\n");
        match check_rules(vec![bad]) {
            Err(e) => assert!(!e.diagnostics().is_empty()),
            Ok(check) => panic!("loaded: {check:?}"),
        }
    }
}
