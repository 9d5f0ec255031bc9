//! Where git runs a repository's hooks from, as `git rev-parse --git-path hooks` says.
use std::path::{Path, PathBuf};

use crate::Error;

/// The folder git runs a repository's hooks from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HooksDir {
    /// The folder: `core.hooksPath` when it is set (a relative value taken from the work
    /// tree's root, or from the git directory of a bare repository, as git does), else
    /// `hooks` in the common git directory (shared by all work trees of a repository).
    pub dir: PathBuf,
    /// `core.hooksPath` as configured (after `~` expansion), when it is set.
    pub configured: Option<PathBuf>,
    /// Whether the repository is bare: nothing is committed there, so a pre-commit hook
    /// never runs.
    pub bare: bool,
}

/// Where git runs the hooks of the repository at `path` (a work tree, a linked work tree
/// or a git directory) from.
///
/// Unlike the scans, this reads the user's and the system's git configuration as git
/// does, since `core.hooksPath` is often set there; it only reads configuration and runs
/// nothing.
pub fn hooks_dir(path: &Path) -> Result<HooksDir, Error> {
    if !path.exists() {
        return Err(Error::NotARepository {
            path: path.to_path_buf(),
        });
    }
    let repo = gix::open_opts(path, gix::open::Options::default()).map_err(|e| Error::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let config = repo.config_snapshot();
    let configured = config
        .trusted_path("core.hooksPath")
        .map_err(|e| Error::Read {
            what: "core.hooksPath".into(),
            message: e.to_string(),
        })?;
    if configured.is_none() && config.string("core.hooksPath").is_some() {
        // Set only in a file gix does not trust (owned by someone else): git would refuse
        // the repository, or read the value; either way `hooks` is not where it looks.
        return Err(Error::Read {
            what: "core.hooksPath".into(),
            message: "set in a configuration file that is not trusted (owned by another user)"
                .into(),
        });
    }
    let bare = repo.workdir().is_none();
    let dir = match &configured {
        // Git runs hooks from the work tree's root (the git directory when bare), and a
        // relative `core.hooksPath` is taken from there.
        Some(p) if p.is_relative() => repo.workdir().unwrap_or(repo.git_dir()).join(p),
        Some(p) => p.clone(),
        None => repo.common_dir().join("hooks"),
    };
    Ok(HooksDir {
        dir,
        configured,
        bare,
    })
}
