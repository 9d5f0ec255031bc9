//! The TOML shape of a rule file, before validation.
use serde::Deserialize;

use keysnare_types::{ChecksumKind, Confidence, Severity};

use crate::error::Diagnostic;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    #[serde(default)]
    pub rules: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub id: String,
    pub name: String,
    pub provider: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub pattern: String,
    pub parser: Option<String>,
    #[serde(default)]
    pub scored: bool,
    pub keywords: Option<Vec<String>>,
    #[serde(default)]
    pub min_entropy: f64,
    pub severity: Severity,
    #[serde(default = "default_confidence")]
    pub confidence: Confidence,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub remediation: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(default)]
    pub allowlist: RawAllowlist,
    #[serde(default)]
    pub lower: RawLower,
    pub checksum: Option<ChecksumKind>,
    pub strong_value_confidence: Option<Confidence>,
    #[serde(default)]
    pub files: Vec<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAllowlist {
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub matches: Vec<String>,
    #[serde(default)]
    pub stopwords: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
}

/// `[rules.lower]`: matches whose text matches one of `matches` are reported one
/// confidence level lower, with `reason` among the finding's reasons.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLower {
    #[serde(default)]
    pub matches: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

fn default_confidence() -> Confidence {
    Confidence::Medium
}

/// The rules part of a configuration file: `[[rules.custom]]` tables, other keys ignored
/// here (the configuration's own parser checks them).
#[derive(Deserialize)]
pub(crate) struct ConfigFile {
    #[serde(default)]
    pub rules: ConfigRules,
}

#[derive(Default, Deserialize)]
pub(crate) struct ConfigRules {
    #[serde(default)]
    pub custom: Vec<toml::Spanned<RawRule>>,
}

/// Whether `src` is a configuration file (`rules` is a table holding `custom`, or there
/// are other settings and no rules) rather than a rule file (`rules` is an array of tables).
pub(crate) fn is_config(src: &str) -> bool {
    toml::from_str::<toml::Table>(src).is_ok_and(|t| match t.get("rules") {
        Some(rules) => rules.is_table(),
        None => !t.is_empty(),
    })
}

/// 1-based line of byte `offset` in `src`.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    let offset = offset.min(src.len());
    src.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses a rule file. A syntax or shape error becomes one diagnostic naming the line and,
/// when it can be told from the text, the id of the rule being read.
pub(crate) fn parse(
    file: &str,
    src: &str,
    config: bool,
) -> Result<Vec<(usize, RawRule)>, Diagnostic> {
    let parsed = if config {
        toml::from_str::<ConfigFile>(src).map(|c| c.rules.custom)
    } else {
        toml::from_str::<RuleFile>(src).map(|f| f.rules)
    };
    match parsed {
        Ok(rules) => Ok(rules
            .into_iter()
            .map(|spanned| {
                let line = line_of(src, spanned.span().start);
                (line, spanned.into_inner())
            })
            .collect()),
        Err(e) => {
            let offset = e.span().map(|s| s.start);
            Err(Diagnostic {
                file: file.to_string(),
                line: offset.map(|o| line_of(src, o)),
                rule_id: offset.and_then(|o| rule_id_near(src, o)),
                message: e.message().trim().to_string(),
            })
        }
    }
}

/// The `id` of the `[[rules]]` table that holds byte `offset`, read from the raw text.
fn rule_id_near(src: &str, offset: usize) -> Option<String> {
    let offset = offset.min(src.len());
    let table_start = src[..offset].rfind("[[rules]]")?;
    let table_end = src[table_start + 9..]
        .find("[[rules]]")
        .map_or(src.len(), |i| table_start + 9 + i);
    src[table_start..table_end].lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("id")?.trim_start();
        let value = rest.strip_prefix('=')?.trim();
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = &value[1..];
        Some(inner[..inner.find(quote)?].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_names_line_and_rule() {
        let src = "[[rules]]\nid = \"a.b\"\nname = \"n\"\nprovider = \"p\"\npattern = '(x)'\nseverity = \"low\"\nbogus = 1\n";
        let d = parse("f.toml", src, false).err().expect("error");
        assert_eq!(d.rule_id.as_deref(), Some("a.b"));
        assert!(d.message.contains("bogus"), "{}", d.message);
        assert!(d.line.is_some());
    }

    #[test]
    fn configurations_are_told_from_rule_files() {
        assert!(is_config(
            "[rules]\ndisable = []\n[[rules.custom]]\nid = \"a\"\n"
        ));
        assert!(is_config("[scan]\nexclude = []\n"));
        assert!(!is_config("[[rules]]\nid = \"a\"\n"));
        assert!(!is_config(""));
        assert!(!is_config("not toml ["));
    }

    #[test]
    fn bad_severity_is_an_error() {
        let src = "[[rules]]\nid = \"a.b\"\nname = \"n\"\nprovider = \"p\"\npattern = '(x)'\nseverity = \"huge\"\n";
        let d = parse("f.toml", src, false).err().expect("error");
        assert_eq!(d.line, Some(6), "{d}");
        assert!(
            d.message.contains("huge") || d.message.contains("variant"),
            "{}",
            d.message
        );
    }
}
