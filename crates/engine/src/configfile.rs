//! `.keysnare.toml`: a project's own settings for keysnare (docs/CONFIG.md), read and
//! checked; [`ScanSettings`](crate::ScanSettings) resolves them with the flags.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use keysnare_types::{Confidence, Severity, shown_path};

use crate::Error;
use crate::settings::ReportFormat;

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
    format: Option<ReportFormat>,
    confidence: Option<Confidence>,
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

/// A read configuration file: each setting as the file gives it (`None` or empty where it
/// is silent), before the flags and defaults are applied.
#[derive(Debug, Default)]
pub struct ConfigFile {
    /// Where it came from (`None`: no file, every setting absent).
    pub path: Option<PathBuf>,
    /// Its text (custom rules are parsed from it by the rule loader).
    pub text: String,
    /// `scan.max_file_size`.
    pub max_file_size: Option<u64>,
    /// `scan.memory_budget`.
    pub memory_budget: Option<u64>,
    /// `scan.format`.
    pub format: Option<ReportFormat>,
    /// `scan.confidence`.
    pub confidence: Option<Confidence>,
    /// `scan.exclude`.
    pub exclude: Vec<String>,
    /// `rules.disable`: rule ids to turn off, with their line.
    pub disable: Vec<(String, usize)>,
    /// `rules.severity`: severity overrides, with their line.
    pub severity: Vec<(String, Severity, usize)>,
    /// `rules.files`: extra rule files, resolved against the configuration's folder.
    pub rule_files: Vec<PathBuf>,
    /// Whether `[[rules.custom]]` holds rules.
    pub has_custom_rules: bool,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl ConfigFile {
    /// Reads and checks a configuration file. Errors name the file and line.
    pub fn load(path: &Path) -> Result<ConfigFile, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "{}: cannot read configuration: {e}",
                shown_path(path)
            ))
        })?;
        ConfigFile::parse(path, text)
    }

    /// Checks the text of the configuration file at `path`. Errors name the file and line
    /// and, for a choice, the valid values.
    pub fn parse(path: &Path, text: String) -> Result<ConfigFile, Error> {
        let raw: RawConfig = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| line_of(&text, s.start));
            Error::Config(format!(
                "{}{}: {}",
                shown_path(path),
                line.map(|l| format!(":{l}")).unwrap_or_default(),
                e.message().trim()
            ))
        })?;
        let size = |field: &str, value: Option<Spanned<Size>>| -> Result<Option<u64>, Error> {
            let Some(s) = value else {
                return Ok(None);
            };
            let line = line_of(&text, s.span().start);
            Ok(Some(match s.into_inner() {
                Size::Bytes(n) => n,
                Size::Text(t) => parse_size(&t).map_err(|e| {
                    Error::Config(format!("{}:{line}: scan.{field}: {e}", shown_path(path)))
                })?,
            }))
        };
        let max_file_size = size("max_file_size", raw.scan.max_file_size)?;
        let memory_budget = size("memory_budget", raw.scan.memory_budget)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Ok(ConfigFile {
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

    /// `explicit` (`--config FILE`), else `.keysnare.toml` at `root` (the root of what is
    /// scanned) when there is one, else no file.
    pub fn discover(explicit: Option<&Path>, root: Option<&Path>) -> Result<ConfigFile, Error> {
        if let Some(p) = explicit {
            return ConfigFile::load(p);
        }
        match root.map(|r| r.join(CONFIG_FILE_NAME)) {
            Some(p) if p.is_file() => ConfigFile::load(&p),
            _ => Ok(ConfigFile::default()),
        }
    }

    /// The name used in messages (and as the origin of its custom rules).
    pub fn name(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| CONFIG_FILE_NAME.to_string(), |p| shown_path(p))
    }
}

/// Parses `1234`, `512K`, `64MiB`, `1.5G`: K, M, G, T (with or without `iB`/`B`) are powers
/// of 1024. The sizes of flags and of the configuration file alike.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size such as 1048576, 512K or 64MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("unknown size unit {other:?}: use K, M, G or T")),
    };
    Ok((value * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, Error> {
        ConfigFile::parse(Path::new("cfg.toml"), text.to_string())
    }

    fn error(text: &str) -> String {
        match parse(text) {
            Ok(c) => panic!("{text:?} parsed: {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn memory_budget() -> Result<(), Error> {
        let c = parse("[scan]\nmemory_budget = \"512MiB\"\n")?;
        assert_eq!(c.memory_budget, Some(512 << 20));
        let c = parse("[scan]\nmemory_budget = 1000000\n")?;
        assert_eq!(c.memory_budget, Some(1_000_000));
        let e = error("[scan]\n\nmemory_budget = \"plenty\"\n");
        assert!(e.contains(":3: scan.memory_budget"), "{e}");
        Ok(())
    }

    #[test]
    fn full_config() -> Result<(), Error> {
        let c = parse(
            "[scan]\nmax_file_size = \"8MiB\"\nformat = \"sarif\"\nconfidence = \"high\"\nexclude = [\"vendor/\"]\n\n[rules]\ndisable = [\"jwt.token\"]\nseverity = { \"stripe.secret-key.test\" = \"medium\" }\nfiles = [\"more.toml\"]\n",
        )?;
        assert_eq!(c.max_file_size, Some(8 << 20));
        assert_eq!(c.memory_budget, None);
        assert_eq!(c.format, Some(ReportFormat::Sarif));
        assert_eq!(c.confidence, Some(Confidence::High));
        assert_eq!(c.exclude, vec!["vendor/"]);
        assert_eq!(c.disable, vec![("jwt.token".to_string(), 8)]);
        assert_eq!(c.severity[0].1, Severity::Medium);
        assert_eq!(c.rule_files, vec![PathBuf::from("more.toml")]);
        assert!(!c.has_custom_rules);
        Ok(())
    }

    #[test]
    fn errors_name_file_line_and_choices() {
        let e = error("[scan]\nformat = \"xml\"\n");
        assert!(e.starts_with("cfg.toml:2"), "{e}");
        assert!(e.contains("sarif"), "{e}");
        let e = error("[scan]\nconfidence = \"sure\"\n");
        assert!(e.starts_with("cfg.toml:2") && e.contains("medium"), "{e}");
        let e = error("[scan]\ncolour = 1\n");
        assert!(e.starts_with("cfg.toml:2") && e.contains("colour"), "{e}");
        assert!(e.contains("max_file_size"), "valid keys are listed: {e}");
        let e = error("[rules]\nseverity = { \"a.b\" = \"huge\" }\n");
        assert!(e.starts_with("cfg.toml:2") && e.contains("critical"), "{e}");
        let e = error("[scan]\nmax_file_size = \"lots\"\n");
        assert!(
            e.starts_with("cfg.toml:2") && e.contains("not a size"),
            "{e}"
        );
    }
}
