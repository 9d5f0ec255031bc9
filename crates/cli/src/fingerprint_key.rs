//! Which key fingerprints are made with (docs/SECURITY.md, "Fingerprints").
//!
//! Fingerprints are HMAC-SHA256 under a key, so that a fingerprint that travels where the
//! secret does not (a SARIF upload, a CI log, a baseline kept after the secret was purged)
//! cannot be tested against guessed secrets by whoever lacks the key. The key, first found:
//!
//! 1. `KEYSNARE_FINGERPRINT_KEY`: a team secret kept outside the repository (a CI secret);
//! 2. the project's key file, `.keysnare.key` in the project's directory ([`project_dir`]);
//! 3. none: fingerprints are unkeyed (`v1`).
//!
//! A scan only reads keys: it never writes into what it scans. The commands that keep
//! fingerprints (`init`, `ignore`, `baseline`, `install-hook`) create the project's key file
//! when there is no key ([`KeyUse::Keep`]), so that what they write is keyed.
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use keysnare_types::FingerprintKey;

/// The environment variable holding a team's fingerprint key.
pub const ENV: &str = "KEYSNARE_FINGERPRINT_KEY";

/// The project key file's name, in the project's directory.
pub const FILE_NAME: &str = keysnare_engine::FINGERPRINT_KEY_FILE_NAME;

/// Bytes of a generated key.
const KEY_BYTES: usize = 32;

/// What a command may do about the project's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUse {
    /// Read a key, never write one: scans. Without a key, fingerprints are unkeyed.
    Read,
    /// Read a key, or create the project's key file when there is none: the commands that
    /// write fingerprints down (`init`, `ignore`, `baseline`, `install-hook`).
    Keep,
}

/// Where the key of a run came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `KEYSNARE_FINGERPRINT_KEY`.
    Environment,
    /// A project key file (read, or written by this run).
    Project {
        /// The file.
        path: PathBuf,
        /// Whether this run wrote it.
        created: bool,
    },
    /// No key: fingerprints are unkeyed.
    None {
        /// Where the project's key file would be.
        path: PathBuf,
    },
}

impl KeySource {
    /// How reports name the key: `environment`, `project` or `none`.
    pub fn label(&self) -> &'static str {
        match self {
            KeySource::Environment => "environment",
            KeySource::Project { .. } => "project",
            KeySource::None { .. } => "none",
        }
    }

    /// How fingerprints were made, for `-v`.
    pub fn describe(&self) -> String {
        match self {
            KeySource::Environment => format!("HMAC-SHA256 under the environment's key ({ENV})"),
            KeySource::Project { path, .. } => {
                format!("HMAC-SHA256 under the project key ({})", shown(path))
            }
            KeySource::None { path } => format!(
                "unkeyed SHA-256 ({ENV} is not set and there is no {})",
                shown(path)
            ),
        }
    }
}

/// A run's key: `None` for unkeyed fingerprints.
#[derive(Clone, Debug)]
pub struct Key {
    /// The key.
    pub key: Option<FingerprintKey>,
    /// Where it came from.
    pub source: KeySource,
}

/// The directory whose `.keysnare.key` is the project's key for a scan of `start`: the
/// nearest of `start` and its parents that holds a key file or is a git work tree's root
/// (so a scan of a sub-folder uses its project's key), or `start` when none is.
pub fn project_dir(start: &Path) -> PathBuf {
    let holds = |d: &Path| d.join(FILE_NAME).exists() || d.join(".git").exists();
    if holds(start) {
        return start.to_path_buf();
    }
    if let Ok(abs) = std::fs::canonicalize(start) {
        for d in abs.ancestors().skip(1) {
            if holds(d) {
                return d.to_path_buf();
            }
        }
    }
    start.to_path_buf()
}

/// The key for a run whose project directory ([`project_dir`]) is `root`, in the order the
/// module documents. With [`KeyUse::Keep`] and no key, the project's key file is created
/// (`created` says so). A project key file that is there but unreadable or malformed is an
/// error.
pub fn resolve(root: &Path, key_use: KeyUse) -> Result<Key> {
    if let Some(key) = std::env::var_os(ENV).filter(|k| !k.is_empty()) {
        return Ok(Key {
            key: Some(FingerprintKey::new(key.as_encoded_bytes().to_vec())),
            source: KeySource::Environment,
        });
    }
    let path = root.join(FILE_NAME);
    if path.exists() {
        return Ok(Key {
            key: Some(FingerprintKey::new(read_key(&path)?)),
            source: KeySource::Project {
                path,
                created: false,
            },
        });
    }
    match key_use {
        KeyUse::Read => Ok(Key {
            key: None,
            source: KeySource::None { path },
        }),
        KeyUse::Keep => create(&path),
    }
}

/// Writes a new project key at `path`, or reads the one another run made meanwhile.
fn create(path: &Path) -> Result<Key> {
    let key = new_key()?;
    match write_key(path, &key, PROJECT_HEADER) {
        Ok(()) => Ok(Key {
            key: Some(FingerprintKey::new(key.to_vec())),
            source: KeySource::Project {
                path: path.to_path_buf(),
                created: true,
            },
        }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Key {
            key: Some(FingerprintKey::new(read_key(path)?)),
            source: KeySource::Project {
                path: path.to_path_buf(),
                created: false,
            },
        }),
        Err(e) => Err(e).with_context(|| {
            format!(
                "cannot create the project's fingerprint key {} (or set {ENV})",
                path.display()
            )
        }),
    }
}

/// What to tell the user on stderr about a created project key: that it should be
/// committed.
pub fn created_notice(source: &KeySource) -> Option<String> {
    match source {
        KeySource::Project {
            path,
            created: true,
        } => Some(format!(
            "created {}, this project's fingerprint key: commit it, so that fingerprints (and .keysnareignore entries) are the same in every clone and in CI",
            shown(path)
        )),
        _ => None,
    }
}

/// What to tell the user on stderr when a scan printed unkeyed fingerprints.
pub fn unkeyed_notice(source: &KeySource) -> Option<String> {
    match source {
        KeySource::None { path } => Some(format!(
            "fingerprints are unkeyed ({ENV} is not set and there is no {}): whoever sees one can test guessed secrets against it. `keysnare init` creates the project's key; `keysnare ignore` and `keysnare baseline create` create it too and store the keyed form",
            shown(path)
        )),
        _ => None,
    }
}

/// A path as users should see it: without a leading `./`, control characters escaped.
pub fn shown(path: &Path) -> String {
    crate::shown_path(path)
}

const PROJECT_HEADER: &str = "\
# keysnare fingerprint key of this project (docs/SECURITY.md). Fingerprints in reports,
# .keysnareignore and baselines are HMAC-SHA256 under it, so that a fingerprint seen
# without this repository cannot be tested against guessed secrets. Commit this file;
# whoever can read the repository can read it.
";

fn new_key() -> Result<[u8; KEY_BYTES]> {
    let mut key = [0u8; KEY_BYTES];
    getrandom::fill(&mut key)
        .map_err(|e| anyhow::anyhow!("cannot make a fingerprint key: no randomness: {e}"))?;
    Ok(key)
}

/// The key in a key file: 64 hex digits on the first line that is not blank or a comment.
fn read_key(path: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{}: cannot read the fingerprint key",
            crate::shown_path(path)
        )
    })?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(hex) = line else {
        bail!("{}: no key in it (64 hex digits)", crate::shown_path(path));
    };
    if hex.len() != 2 * KEY_BYTES || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        // The line is not echoed: it is meant to be a key.
        bail!(
            "{}: the key must be 64 hex digits on a line of its own",
            crate::shown_path(path)
        );
    }
    (0..KEY_BYTES)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .with_context(|| format!("{}: the key must be 64 hex digits", path.display()))
}

/// Writes a new key file; never replaces one (a file made meanwhile by another run wins).
fn write_key(path: &Path, key: &[u8], header: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    f.write_all(format!("{header}{hex}\n").as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_read_back_and_bad_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let key = [7u8; KEY_BYTES];
        write_key(&p, &key, PROJECT_HEADER).unwrap();
        assert_eq!(read_key(&p).unwrap(), key.to_vec());
        assert!(
            write_key(&p, &[8u8; KEY_BYTES], PROJECT_HEADER).is_err(),
            "never replaced"
        );
        assert_eq!(read_key(&p).unwrap(), key.to_vec());

        let bad = dir.path().join("bad.key");
        std::fs::write(&bad, "# a comment\nnot-a-key-at-all\n").unwrap();
        let e = read_key(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.key") && e.contains("64 hex digits"), "{e}");
        assert!(!e.contains("not-a-key"), "the line is not echoed: {e}");
        std::fs::write(&bad, "# only comments\n").unwrap();
        assert!(read_key(&bad).unwrap_err().to_string().contains("no key"));
    }

    #[test]
    fn new_keys_differ() {
        assert_ne!(new_key().unwrap(), new_key().unwrap());
    }
}
