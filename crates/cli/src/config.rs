//! `.keysnare.toml`: the repository's own settings for keysnare (docs/CONFIG.md).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use keysnare_types::Severity;

use crate::args::{ConfidenceLevel, Format, parse_size};

/// The name of the configuration file looked up at the root of the scanned repository or
/// directory.
pub const CONFIG_FILE_NAME: &str = ".keysnare.toml";

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    scan: RawScan,
    #[serde(default)]
    rules: RawRules,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct RawScan {
    max_file_size: Option<Spanned<Size>>,
    memory_budget: Option<Spanned<Size>>,
    format: Option<Format>,
    confidence: Option<ConfidenceLevel>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Severity>,
    #[serde(default)]
    files: Vec<PathBuf>,
    /// Checked by the rule loader (same fields as a rule file's `[[rules]]`).
    #[serde(default)]
    custom: Vec<toml::Value>,
}

/// A loaded configuration.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it came from.
    pub path: Option<PathBuf>,
    /// Its text (custom rules are parsed from it by the rule loader).
    pub text: String,
    pub max_file_size: Option<u64>,
    pub memory_budget: Option<u64>,
    pub format: Option<Format>,
    pub confidence: Option<ConfidenceLevel>,
    pub exclude: Vec<String>,
    /// Rule ids to turn off, with their line.
    pub disable: Vec<(String, usize)>,
    /// Severity overrides, with their line.
    pub severity: Vec<(String, Severity, usize)>,
    /// Extra rule files, resolved against the configuration's folder.
    pub rule_files: Vec<PathBuf>,
    pub has_custom_rules: bool,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Config {
    /// Reads and checks a configuration file. Errors name the file and line.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!(
                "{}: cannot read configuration: {e}",
                crate::shown_path(path)
            )
        })?;
        Config::parse(path, text)
    }

    pub fn parse(path: &Path, text: String) -> anyhow::Result<Config> {
        let raw: RawConfig = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| line_of(&text, s.start));
            anyhow::anyhow!(
                "{}{}: {}",
                crate::shown_path(path),
                line.map(|l| format!(":{l}")).unwrap_or_default(),
                e.message().trim()
            )
        })?;
        let size = |field: &str, value: Option<Spanned<Size>>| -> anyhow::Result<Option<u64>> {
            let Some(s) = value else {
                return Ok(None);
            };
            let line = line_of(&text, s.span().start);
            Ok(Some(match s.into_inner() {
                Size::Bytes(n) => n,
                Size::Text(t) => parse_size(&t).map_err(|e| {
                    anyhow::anyhow!("{}:{line}: scan.{field}: {e}", crate::shown_path(path))
                })?,
            }))
        };
        let max_file_size = size("max_file_size", raw.scan.max_file_size)?;
        let memory_budget = size("memory_budget", raw.scan.memory_budget)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Ok(Config {
            path: Some(path.to_path_buf()),
            max_file_size,
            memory_budget,
            format: raw.scan.format,
            confidence: raw.scan.confidence,
            exclude: raw.scan.exclude,
            disable: raw
                .rules
                .disable
                .into_iter()
                .map(|s| (s.get_ref().clone(), line_of(&text, s.span().start)))
                .collect(),
            severity: raw
                .rules
                .severity
                .into_iter()
                .map(|(k, v)| (k.get_ref().clone(), v, line_of(&text, k.span().start)))
                .collect(),
            rule_files: raw.rules.files.into_iter().map(|f| dir.join(f)).collect(),
            has_custom_rules: !raw.rules.custom.is_empty(),
            text,
        })
    }

    /// `--config FILE`, else `.keysnare.toml` at the root of what is scanned.
    pub fn discover(explicit: Option<&Path>, root: Option<&Path>) -> anyhow::Result<Config> {
        if let Some(p) = explicit {
            return Config::load(p);
        }
        match root.map(|r| r.join(CONFIG_FILE_NAME)) {
            Some(p) if p.is_file() => Config::load(&p),
            _ => Ok(Config::default()),
        }
    }

    /// The name used in messages.
    pub fn name(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| CONFIG_FILE_NAME.to_string(), |p| crate::shown_path(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Config> {
        Config::parse(Path::new("cfg.toml"), text.to_string())
    }

    #[test]
    fn memory_budget() {
        let c = parse("[scan]\nmemory_budget = \"512MiB\"\n").unwrap();
        assert_eq!(c.memory_budget, Some(512 << 20));
        let c = parse("[scan]\nmemory_budget = 1000000\n").unwrap();
        assert_eq!(c.memory_budget, Some(1_000_000));
        let e = parse("[scan]\n\nmemory_budget = \"plenty\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":3: scan.memory_budget"), "{e}");
    }

    #[test]
    fn full_config() {
        let c = parse(
            "[scan]\nmax_file_size = \"8MiB\"\nformat = \"sarif\"\nexclude = [\"vendor/\"]\n\n[rules]\ndisable = [\"jwt.token\"]\nseverity = { \"stripe.secret-key.test\" = \"medium\" }\nfiles = [\"more.toml\"]\n",
        )
        .unwrap();
        assert_eq!(c.max_file_size, Some(8 << 20));
        assert_eq!(c.memory_budget, None);
        assert_eq!(c.format, Some(Format::Sarif));
        assert_eq!(c.exclude, vec!["vendor/"]);
        assert_eq!(c.disable, vec![("jwt.token".to_string(), 7)]);
        assert_eq!(c.severity[0].1, Severity::Medium);
        assert_eq!(c.rule_files, vec![PathBuf::from("more.toml")]);
    }

    #[test]
    fn errors_name_file_line_and_choices() {
        let e = parse("[scan]\nformat = \"xml\"\n").unwrap_err().to_string();
        assert!(e.starts_with("cfg.toml:2"), "{e}");
        assert!(e.contains("sarif"), "{e}");
        let e = parse("[scan]\ncolour = 1\n").unwrap_err().to_string();
        assert!(e.starts_with("cfg.toml:2") && e.contains("colour"), "{e}");
        assert!(e.contains("max_file_size"), "valid keys are listed: {e}");
        let e = parse("[rules]\nseverity = { \"a.b\" = \"huge\" }\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cfg.toml:2") && e.contains("critical"), "{e}");
        let e = parse("[scan]\nmax_file_size = \"lots\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cfg.toml:2") && e.contains("not a size"),
            "{e}"
        );
    }
}
