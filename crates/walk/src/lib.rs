//! Directory and file enumeration for keysnare, with its read policy.
//!
//! [`Walk`] visits every regular file under its roots in parallel (the `ignore` crate's
//! walker), reads it under the read policy, and hands each outcome to a per-thread visitor
//! as an [`Event`]. The policy:
//!
//! - hidden files and files that `.gitignore` ignores are read too: a leaked `.env` is
//!   exactly what a secret scan is for;
//! - `.git` directories are never entered (history is the job of the git source);
//! - symbolic links are never followed, so a walk cannot leave its roots or loop;
//! - FIFOs, sockets and device files are never opened;
//! - files larger than the size cap are skipped from their metadata, without reading them;
//! - with a [`MemoryGate`], a file is read only once its size fits beside what the other
//!   workers hold, and a file larger than the whole gate is skipped unread.
//!
//! ```no_run
//! use keysnare_walk::{Event, Walk};
//!
//! let walk = Walk::new(vec![".".into()]);
//! walk.run(|| {
//!     |event: Event| {
//!         if let Event::File { path, data } = event {
//!             println!("{} ({} bytes)", path.display(), data.len());
//!         }
//!     }
//! });
//! ```
#![deny(missing_docs)]

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::{WalkBuilder, WalkState};
use keysnare_types::{MemoryGate, Permit};

/// The default size cap: 64 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Decides whether a path is left out of the walk: `(path, is_dir) -> excluded`.
pub type Exclude = Arc<dyn Fn(&Path, bool) -> bool + Send + Sync>;

pub use keysnare_types::SkipReason;

/// What the walk found at one path.
#[derive(Debug)]
pub enum Event {
    /// A regular file, read whole.
    File {
        /// The path as walked from its root.
        path: PathBuf,
        /// The content.
        data: Vec<u8>,
    },
    /// A file left unread by policy.
    Skipped {
        /// The path as walked.
        path: PathBuf,
        /// Why.
        reason: SkipReason,
    },
    /// A path that could not be walked or read.
    Error {
        /// The path, when known.
        path: Option<PathBuf>,
        /// What went wrong (an I/O error text; never file content).
        message: String,
    },
}

/// A parallel walk over files and directories.
pub struct Walk {
    roots: Vec<PathBuf>,
    max_file_size: u64,
    threads: usize,
    exclude: Option<Exclude>,
    memory: Option<Arc<MemoryGate>>,
}

impl Walk {
    /// A walk over `roots` (files or directories) with the default policy.
    pub fn new(roots: Vec<PathBuf>) -> Walk {
        Walk {
            roots,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            exclude: None,
            memory: None,
        }
    }

    /// Sets the size cap in bytes.
    pub fn max_file_size(mut self, bytes: u64) -> Walk {
        self.max_file_size = bytes;
        self
    }

    /// Sets the number of threads (0: one per core).
    pub fn threads(mut self, n: usize) -> Walk {
        self.threads = n;
        self
    }

    /// Leaves out every path for which `exclude(path, is_dir)` is true (a directory's whole
    /// subtree with it).
    pub fn exclude(mut self, exclude: Exclude) -> Walk {
        self.exclude = Some(exclude);
        self
    }

    /// Reads files only within `gate`: a file's bytes are held from its read until its
    /// visitor returns, and a file larger than the gate's capacity is skipped
    /// ([`SkipReason::MemoryBudget`]).
    pub fn memory(mut self, gate: Arc<MemoryGate>) -> Walk {
        self.memory = Some(gate);
        self
    }

    /// Walks, calling `make_visitor` once per worker thread and that visitor once per event.
    pub fn run<F, V>(&self, make_visitor: F)
    where
        F: Fn() -> V + Sync,
        V: FnMut(Event) + Send,
    {
        let Some((first, rest)) = self.roots.split_first() else {
            return;
        };
        let mut b = WalkBuilder::new(first);
        for r in rest {
            b.add(r);
        }
        b.standard_filters(false)
            .follow_links(false)
            .threads(self.threads);
        let exclude = self.exclude.clone();
        b.filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if is_dir && e.depth() > 0 && e.file_name() == ".git" {
                return false;
            }
            !(e.depth() > 0 && exclude.as_ref().is_some_and(|x| x(e.path(), is_dir)))
        });
        let max = self.max_file_size;
        let gate = self.memory.clone();
        b.build_parallel().run(|| {
            let mut visit = make_visitor();
            let gate = gate.clone();
            Box::new(move |entry| {
                match entry {
                    Err(e) => visit(walk_error(e)),
                    Ok(entry) => {
                        if let Some((event, permit)) = read_entry(&entry, max, gate.as_deref()) {
                            visit(event);
                            drop(permit);
                        }
                    }
                }
                WalkState::Continue
            })
        });
    }
}

fn walk_error(e: ignore::Error) -> Event {
    let path = error_path(&e).map(Path::to_path_buf);
    let message = match &e {
        ignore::Error::WithPath { err, .. } => err.to_string(),
        ignore::Error::WithDepth { err, .. } => err.to_string(),
        _ => e.to_string(),
    };
    Event::Error { path, message }
}

fn error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// The event for one entry, with the memory permit its content holds (if any).
fn read_entry<'g>(
    entry: &ignore::DirEntry,
    max: u64,
    gate: Option<&'g MemoryGate>,
) -> Option<(Event, Option<Permit<'g>>)> {
    let path = entry.path().to_path_buf();
    let ft = entry.file_type()?;
    if ft.is_dir() {
        return None;
    }
    if ft.is_symlink() {
        let reason = SkipReason::Symlink;
        return Some((Event::Skipped { path, reason }, None));
    }
    if !ft.is_file() {
        let reason = SkipReason::NotRegular;
        return Some((Event::Skipped { path, reason }, None));
    }
    Some(match read_file_within(&path, max, gate) {
        Ok(Ok((data, permit))) => (Event::File { path, data }, permit),
        Ok(Err(reason)) => (Event::Skipped { path, reason }, None),
        Err(e) => {
            let message = e.to_string();
            (
                Event::Error {
                    path: Some(path),
                    message,
                },
                None,
            )
        }
    })
}

/// Reads a regular file under the size cap. The outer error is an I/O failure; the inner
/// one a policy skip.
pub fn read_file(path: &Path, max: u64) -> io::Result<Result<Vec<u8>, SkipReason>> {
    Ok(read_file_within(path, max, None)?.map(|(data, _)| data))
}

/// A file's content and the memory permit that holds it.
pub type Held<'g> = (Vec<u8>, Option<Permit<'g>>);

/// [`read_file`] within a memory gate: the file's size is taken from `gate` before it is
/// read, and the permit returned with the content holds it until dropped. A file larger
/// than the gate's capacity is skipped unread. A file that grows while read is held to the
/// size it had (and to the cap).
pub fn read_file_within<'g>(
    path: &Path,
    max: u64,
    gate: Option<&'g MemoryGate>,
) -> io::Result<Result<Held<'g>, SkipReason>> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Err(SkipReason::NotRegular));
    }
    let size = meta.len();
    if size > max {
        return Ok(Err(SkipReason::TooLarge { size, limit: max }));
    }
    let (permit, allowed) = match gate {
        None => (None, max),
        Some(g) => match g.acquire(size) {
            Some(p) => (Some(p), size),
            None => {
                let limit = g.capacity();
                return Ok(Err(SkipReason::MemoryBudget { size, limit }));
            }
        },
    };
    let mut data = Vec::with_capacity(size as usize);
    // Past `allowed` only to tell that the file grew beyond the cap.
    file.take(allowed.saturating_add(1))
        .read_to_end(&mut data)?;
    if data.len() as u64 > max {
        return Ok(Err(SkipReason::TooLarge {
            size: data.len() as u64,
            limit: max,
        }));
    }
    data.truncate(allowed as usize);
    Ok(Ok((data, permit)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn collect(walk: &Walk) -> Vec<String> {
        let seen = Mutex::new(Vec::new());
        walk.run(|| {
            |e: Event| {
                let s = match e {
                    Event::File { path, .. } => format!("file {}", path.display()),
                    Event::Skipped { path, reason } => {
                        format!("skip {} {reason:?}", path.display())
                    }
                    Event::Error { path, .. } => format!("error {path:?}"),
                };
                seen.lock().unwrap().push(s);
            }
        });
        let mut v = seen.into_inner().unwrap();
        v.sort();
        v
    }

    #[test]
    fn reads_hidden_and_ignored_files_but_not_dot_git() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        std::fs::write(d.join(".git/config"), "x").unwrap();
        std::fs::write(d.join(".gitignore"), ".env\n").unwrap();
        std::fs::write(d.join(".env"), "A=1").unwrap();
        std::fs::write(d.join("big"), vec![b'a'; 100]).unwrap();
        let got = collect(&Walk::new(vec![d.to_path_buf()]).max_file_size(50));
        let names: Vec<String> = got
            .iter()
            .map(|s| s.replace(&d.display().to_string(), ""))
            .collect();
        assert_eq!(
            names,
            vec![
                "file /.env",
                "file /.gitignore",
                "skip /big TooLarge { size: 100, limit: 50 }"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_and_fifos_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink(d, d.join("sub/loop")).unwrap();
        let fifo = d.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let got = collect(&Walk::new(vec![d.to_path_buf()]));
        assert!(
            got.iter()
                .any(|s| s.contains("loop") && s.contains("Symlink")),
            "{got:?}"
        );
        if made.is_ok_and(|s| s.success()) {
            assert!(
                got.iter()
                    .any(|s| s.contains("fifo") && s.contains("NotRegular")),
                "{got:?}"
            );
        }
    }
}
