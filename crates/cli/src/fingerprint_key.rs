//! Which key fingerprints are made with (docs/SECURITY.md, "Fingerprints").
//!
//! Fingerprints are HMAC-SHA256 under a key, so that a fingerprint that travels where the
//! secret does not (a SARIF upload, a CI log, a baseline kept after the secret was purged)
//! cannot be tested against guessed secrets by whoever lacks the key. The key, first found:
//!
//! 1. `KEYSNARE_FINGERPRINT_KEY`: a team secret kept outside the repository (a CI secret);
//! 2. the project's key file, `.keysnare.key` at the root of what is scanned;
//! 3. in a git work tree without one (outside CI), a new project key written there, to be
//!    committed so that every clone and CI job uses it;
//! 4. otherwise this user's key (`$XDG_CONFIG_HOME/keysnare/fingerprint.key`, or under
//!    `~/.config`), created on first use, readable by the user only;
//! 5. when none can be read or written, a one-time key for this run.
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use keysnare_types::FingerprintKey;

/// The environment variable holding a team's fingerprint key.
pub const ENV: &str = "KEYSNARE_FINGERPRINT_KEY";

/// The project key file's name, at the root of what is scanned.
pub const FILE_NAME: &str = keysnare_engine::FINGERPRINT_KEY_FILE_NAME;

/// Bytes of a generated key.
const KEY_BYTES: usize = 32;

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
    /// This user's key file.
    User {
        /// The file.
        path: PathBuf,
    },
    /// A key made for this run only.
    OneTime,
}

impl KeySource {
    /// How reports name the key: `environment`, `project`, `user` or `one-time`.
    pub fn label(&self) -> &'static str {
        match self {
            KeySource::Environment => "environment",
            KeySource::Project { .. } => "project",
            KeySource::User { .. } => "user",
            KeySource::OneTime => "one-time",
        }
    }

    /// The key for `-v`: its label and where it is (`project key (.keysnare.key)`).
    pub fn describe(&self) -> String {
        let place = match self {
            KeySource::Project { path, .. } | KeySource::User { path } => {
                format!(" ({})", shown(path))
            }
            KeySource::Environment => format!(" ({ENV})"),
            KeySource::OneTime => String::new(),
        };
        format!("{} key{place}", self.label())
    }
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

/// Finds (or makes) the key for a scan whose project directory ([`project_dir`]) is `root`
/// (`None` when several paths are scanned), and says where it came from. The key goes into
/// the scan's configuration. A project key file that is there but unreadable or malformed
/// is an error.
pub fn resolve(root: Option<&Path>) -> Result<(FingerprintKey, KeySource)> {
    let (key, source) = find(root)?;
    Ok((FingerprintKey::new(key), source))
}

/// The key and where it came from, in the order [`resolve`] documents.
fn find(root: Option<&Path>) -> Result<(Vec<u8>, KeySource)> {
    if let Some(key) = std::env::var_os(ENV).filter(|k| !k.is_empty()) {
        return Ok((key.as_encoded_bytes().to_vec(), KeySource::Environment));
    }
    if let Some(root) = root {
        let path = root.join(FILE_NAME);
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let header = (root.join(".git").exists() && !in_ci).then_some(PROJECT_HEADER);
        if let Some((key, created)) = read_or_create(&path, header, false)? {
            return Ok((key, KeySource::Project { path, created }));
        }
    }
    if let Some(path) = user_key_path()
        && let Some((key, _)) = read_or_create(&path, Some(USER_HEADER), true)?
    {
        return Ok((key, KeySource::User { path }));
    }
    Ok((new_key()?.to_vec(), KeySource::OneTime))
}

/// The key in the key file `path`, and whether this call wrote it: read when the file is
/// there; otherwise, with a `header`, a new key written there. `None` when there is no file
/// and none can be written.
fn read_or_create(
    path: &Path,
    header: Option<&str>,
    private: bool,
) -> Result<Option<(Vec<u8>, bool)>> {
    if path.exists() {
        return Ok(Some((read_key(path)?, false)));
    }
    let Some(header) = header else {
        return Ok(None);
    };
    let key = new_key()?;
    let written = path
        .parent()
        .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
        && write_key(path, &key, header, private).is_ok();
    if written {
        return Ok(Some((key.to_vec(), true)));
    }
    // Another run may have made it meanwhile.
    if path.exists() {
        return Ok(Some((read_key(path)?, false)));
    }
    Ok(None)
}

/// What to tell the user about the key on stderr, if anything: that a project key was
/// created and should be committed, or that fingerprints of a git project will not match
/// entries made elsewhere.
pub fn notice(source: &KeySource, git_project: bool) -> Option<String> {
    match source {
        KeySource::Project {
            path,
            created: true,
        } => Some(format!(
            "created {}, this project's fingerprint key: commit it, so that fingerprints (and .keysnareignore entries) are the same in every clone and in CI",
            shown(path)
        )),
        KeySource::User { .. } | KeySource::OneTime if git_project => Some(format!(
            "this project has no fingerprint key ({FILE_NAME}), so fingerprints are made with {}; they will not match .keysnareignore entries made elsewhere. Commit the project's {FILE_NAME}, or set {ENV}",
            match source {
                KeySource::User { path } => format!("this user's key ({})", shown(path)),
                _ => "a key for this run only".to_string(),
            }
        )),
        _ => None,
    }
}

/// A path as users should see it: without a leading `./`.
pub fn shown(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

const PROJECT_HEADER: &str = "\
# keysnare fingerprint key of this project (docs/SECURITY.md). Fingerprints in reports,
# .keysnareignore and baselines are HMAC-SHA256 under it, so that a fingerprint seen
# without this repository cannot be tested against guessed secrets. Commit this file.
";

const USER_HEADER: &str = "\
# keysnare fingerprint key of this user, for scans outside a project with its own
# .keysnare.key (docs/SECURITY.md). Keep it private.
";

/// `$XDG_CONFIG_HOME/keysnare/fingerprint.key`, or `~/.config/keysnare/fingerprint.key`.
fn user_key_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("keysnare").join("fingerprint.key"))
}

fn new_key() -> Result<[u8; KEY_BYTES]> {
    let mut key = [0u8; KEY_BYTES];
    getrandom::fill(&mut key)
        .map_err(|e| anyhow::anyhow!("cannot make a fingerprint key: no randomness: {e}"))?;
    Ok(key)
}

/// The key in a key file: 64 hex digits on the first line that is not blank or a comment.
fn read_key(path: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the fingerprint key", path.display()))?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(hex) = line else {
        bail!("{}: no key in it (64 hex digits)", path.display());
    };
    if hex.len() != 2 * KEY_BYTES || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        // The line is not echoed: it is meant to be a key.
        bail!(
            "{}: the key must be 64 hex digits on a line of its own",
            path.display()
        );
    }
    Ok((0..KEY_BYTES)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digits"))
        .collect())
}

/// Writes a new key file; never replaces one (a file made meanwhile by another run wins).
fn write_key(path: &Path, key: &[u8], header: &str, private: bool) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(path)?;
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
        write_key(&p, &key, PROJECT_HEADER, false).unwrap();
        assert_eq!(read_key(&p).unwrap(), key.to_vec());
        assert!(
            write_key(&p, &[8u8; KEY_BYTES], PROJECT_HEADER, false).is_err(),
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

    #[cfg(unix)]
    #[test]
    fn user_keys_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fingerprint.key");
        write_key(&p, &[1u8; KEY_BYTES], USER_HEADER, true).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }

    #[test]
    fn new_keys_differ() {
        assert_ne!(new_key().unwrap(), new_key().unwrap());
    }
}
