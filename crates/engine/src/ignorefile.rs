//! `.keysnareignore`: fingerprints of accepted findings and gitignore-style path patterns.
use std::collections::HashSet;
use std::path::Path;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use keysnare_types::Fingerprint;

use crate::Error;

/// The name of the ignore file read at the root of each scanned directory.
pub const IGNORE_FILE_NAME: &str = ".keysnareignore";

/// The name of gitleaks' ignore file, read too so that teams moving over keep their entries.
pub const GITLEAKS_IGNORE_FILE_NAME: &str = ".gitleaksignore";

/// A `.gitleaksignore` entry: `[COMMIT:]PATH:RULE:LINE`. gitleaks' rule ids are not
/// keysnare's, so an entry matches any finding at that path and line (and commit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceEntry {
    /// Commit id (or prefix), when the entry names one.
    pub commit: Option<String>,
    /// Repository-relative path.
    pub path: String,
    /// 1-based line.
    pub line: usize,
}

/// What an ignore file and `--exclude` patterns leave out.
#[derive(Clone, Debug)]
pub struct Exclusions {
    paths: Gitignore,
    fingerprints: HashSet<Fingerprint>,
    places: Vec<PlaceEntry>,
}

/// Parses `.gitleaksignore` text; lines that are not `[COMMIT:]PATH:RULE:LINE` are skipped.
pub fn parse_gitleaks_ignore(text: &str) -> Vec<PlaceEntry> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((rest, line_no)) = t.rsplit_once(':') else {
            continue;
        };
        let Ok(line_no) = line_no.parse::<usize>() else {
            continue;
        };
        let Some((rest, _rule)) = rest.rsplit_once(':') else {
            continue;
        };
        let (commit, path) = match rest.split_once(':') {
            Some((c, p)) if c.len() >= 7 && c.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (Some(c.to_ascii_lowercase()), p)
            }
            _ => (None, rest),
        };
        out.push(PlaceEntry {
            commit,
            path: path.to_string(),
            line: line_no,
        });
    }
    out
}

/// The project's fingerprint key file, at the root of what is scanned; never scanned.
pub const FINGERPRINT_KEY_FILE_NAME: &str = ".keysnare.key";

impl Exclusions {
    /// Builds exclusions rooted at `root` from the text of an ignore file (if any) and extra
    /// path patterns.
    ///
    /// Each line of an ignore file is blank, a `#` comment, a fingerprint (32 hex digits,
    /// optionally followed by a `#` comment), or a path pattern with `.gitignore` syntax
    /// (`rules/`, `*.pem`, `/fixtures/**/*.txt`, `!keep.txt`).
    pub fn new(
        root: &Path,
        ignore_file: Option<(&Path, &str)>,
        patterns: &[String],
    ) -> Result<Exclusions, Error> {
        let mut b = GitignoreBuilder::new(root);
        // The project's fingerprint key is not a leak: it is meant to be committed.
        b.add_line(None, &format!("/{FINGERPRINT_KEY_FILE_NAME}"))
            .map_err(|e| Error::Config(format!("built-in pattern: {e}")))?;
        let mut fingerprints = HashSet::new();
        if let Some((file, text)) = ignore_file {
            for (n, line) in text.lines().enumerate() {
                let trimmed = line.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let first = trimmed.split_whitespace().next().unwrap_or("");
                if let Ok(fp) = Fingerprint::from_hex(first) {
                    fingerprints.insert(fp);
                    continue;
                }
                b.add_line(Some(file.to_path_buf()), line)
                    .map_err(|e| Error::Config(format!("{}:{}: {e}", file.display(), n + 1)))?;
            }
        }
        for p in patterns {
            b.add_line(None, p)
                .map_err(|e| Error::Config(format!("--exclude {p:?}: {e}")))?;
        }
        let paths = b
            .build()
            .map_err(|e| Error::Config(format!("path patterns: {e}")))?;
        Ok(Exclusions {
            paths,
            fingerprints,
            places: Vec::new(),
        })
    }

    /// Reads `root/.keysnareignore` (and `root/.gitleaksignore`) when they exist, and adds
    /// `patterns`.
    pub fn load(root: &Path, patterns: &[String]) -> Result<Exclusions, Error> {
        let mut x = Exclusions::load_keysnare(root, patterns)?;
        if let Ok(text) = std::fs::read_to_string(root.join(GITLEAKS_IGNORE_FILE_NAME)) {
            x.places = parse_gitleaks_ignore(&text);
        }
        Ok(x)
    }

    fn load_keysnare(root: &Path, patterns: &[String]) -> Result<Exclusions, Error> {
        let file = root.join(IGNORE_FILE_NAME);
        match std::fs::read(&file) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| Error::Config(format!("{}: not valid UTF-8", file.display())))?;
                Exclusions::new(root, Some((&file, &text)), patterns)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Exclusions::new(root, None, patterns)
            }
            Err(e) => Err(Error::Config(format!("{}: {e}", file.display()))),
        }
    }

    /// A baseline file: each line that is not blank or a `#` comment starts with the
    /// fingerprint of an accepted finding; the rest of the line (rule id, path, a note) is
    /// for people.
    pub fn baseline(file: &Path) -> Result<Exclusions, Error> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::Config(format!("baseline {}: {e}", file.display())))?;
        Exclusions::baseline_text(&file.display().to_string(), &text)
    }

    /// A baseline's text, named `name` in errors.
    pub fn baseline_text(name: &str, text: &str) -> Result<Exclusions, Error> {
        let mut fingerprints = HashSet::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let first = line.split_whitespace().next().unwrap_or("");
            let fp = Fingerprint::from_hex(first).map_err(|_| {
                Error::Config(format!(
                    "baseline {name}:{}: expected a finding fingerprint (32 hex digits) at the start of the line",
                    n + 1
                ))
            })?;
            fingerprints.insert(fp);
        }
        Ok(Exclusions {
            paths: Gitignore::empty(),
            fingerprints,
            places: Vec::new(),
        })
    }

    /// Whether a `.gitleaksignore` entry names this place.
    pub fn excludes_place(&self, path: &str, line: usize, commit: Option<&str>) -> bool {
        if self.places.is_empty() {
            return false;
        }
        // Paths of files under an absolute root are made relative to it.
        let root = self.paths.path().to_string_lossy();
        let path = path
            .strip_prefix(root.as_ref())
            .and_then(|p| p.strip_prefix('/'))
            .unwrap_or(path);
        self.places.iter().any(|e| {
            e.line == line
                && e.path == path
                && e.commit
                    .as_deref()
                    .is_none_or(|c| commit.is_some_and(|id| id.starts_with(c)))
        })
    }

    /// Whether `path` (or a directory above it) is excluded.
    pub fn excludes_path(&self, path: &Path, is_dir: bool) -> bool {
        if self.paths.is_empty() {
            return false;
        }
        let path = path.strip_prefix("./").unwrap_or(path);
        if !path.starts_with(self.paths.path()) && path.is_absolute() {
            return false;
        }
        self.paths
            .matched_path_or_any_parents(path, is_dir)
            .is_ignore()
    }

    /// Whether a finding with this fingerprint was accepted.
    pub fn excludes_fingerprint(&self, fp: &Fingerprint) -> bool {
        self.fingerprints.contains(fp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_fingerprints_or_patterns() {
        let fp = Fingerprint::unkeyed("r", b"s");
        let text = format!("# accepted\n{fp}  # test key\nrules/\n*.pem\n!keep.pem\n");
        let x = Exclusions::new(
            Path::new("/repo"),
            Some((Path::new("/repo/.keysnareignore"), &text)),
            &[],
        )
        .unwrap();
        assert!(x.excludes_fingerprint(&fp));
        assert!(!x.excludes_fingerprint(&Fingerprint::unkeyed("r", b"t")));
        assert!(x.excludes_path(Path::new("/repo/rules/aws.toml"), false));
        assert!(x.excludes_path(Path::new("/repo/rules"), true));
        assert!(x.excludes_path(Path::new("/repo/a/b.pem"), false));
        assert!(!x.excludes_path(Path::new("/repo/keep.pem"), false));
        assert!(!x.excludes_path(Path::new("/repo/src/rules.rs"), false));
    }

    #[test]
    fn gitleaks_entries() {
        let e = parse_gitleaks_ignore(
            "# old\nabc1234def:src/a.env:aws-access-token:3\nconfig/b.yml:generic-api-key:12\nnonsense\n",
        );
        assert_eq!(
            e,
            vec![
                PlaceEntry {
                    commit: Some("abc1234def".into()),
                    path: "src/a.env".into(),
                    line: 3
                },
                PlaceEntry {
                    commit: None,
                    path: "config/b.yml".into(),
                    line: 12
                },
            ]
        );
    }

    #[test]
    fn relative_roots_work() {
        let x = Exclusions::new(Path::new("."), None, &["fixtures/".to_string()]).unwrap();
        assert!(x.excludes_path(Path::new("./fixtures/a.txt"), false));
        assert!(x.excludes_path(Path::new("fixtures/a.txt"), false));
        assert!(!x.excludes_path(Path::new("./src/a.txt"), false));
    }
}
