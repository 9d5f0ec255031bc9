//! Git sources for keysnare: every unique blob of a repository, the blobs a commit range
//! adds, the staged index, and the provenance of blobs that matched.
//!
//! Repositories are opened with [`gix`] in isolation: no user or system configuration is
//! read, and no hook, filter or other program named by the repository is ever run. There is
//! no `git` subprocess and no patch parsing: history is read as objects, so content that
//! only a merge commit introduced is seen like any other.
//!
//! - [`Repository::scan_all`]: every blob of the object database, each once (packs in
//!   offset order through gix's delta-tree traversal, then loose objects), whether a ref
//!   reaches it or not.
//! - [`Repository::range`]: the blobs that the commits of a range (`A..B`, `A...B`,
//!   `^A B`, as `git rev-list` reads them) introduced.
//! - [`Repository::staged`]: the staged blobs that differ from `HEAD`.
//! - [`Repository::first_introductions`]: for matched blobs only, the first commit that
//!   holds each at some path: a query on the [`History`] graph that
//!   [`Repository::scan_all`] records from the objects it reads anyway.
//! - [`hooks_dir`]: the folder git runs the repository's hooks from (`core.hooksPath`, or
//!   the common git directory's `hooks`).
#![deny(missing_docs)]

mod graph;
mod history;
mod hooks;
mod odb;
mod range;
mod staged;
mod tree;

use std::path::{Path, PathBuf};

use bstr::BString;

use keysnare_types::{BlobId, CommitInfo, MemoryGate, Progress};

pub use hooks::{HooksDir, hooks_dir};
pub use odb::{INFLATE_LIMIT, OdbSize};

/// The delta-base cache each reading thread keeps by default.
pub const DEFAULT_PACK_CACHE: usize = 96 << 20;

/// A repository that cannot be opened or a revision that cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path is not a git repository.
    #[error("{path}: not a git repository")]
    NotARepository {
        /// The path.
        path: PathBuf,
    },
    /// The repository could not be opened.
    #[error("{path}: cannot open repository: {message}")]
    Open {
        /// The path.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A revision or range that does not resolve.
    #[error("cannot resolve {spec:?}: {message}")]
    Revision {
        /// What was asked.
        spec: String,
        /// Why.
        message: String,
    },
    /// Reading what a scan needs failed (an index, a commit, a tree).
    #[error("{what}: {message}")]
    Read {
        /// What was being read.
        what: String,
        /// Why.
        message: String,
    },
}

/// Something that was skipped, reported once with what it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The input: a pack, `loose object`, a commit.
    pub input: String,
    /// What happened and what was skipped.
    pub message: String,
}

/// The history graph of an object database: its commits (tree, parents, committer time)
/// and trees (entries as object numbers), recorded by [`Repository::scan_all`].
pub struct History(graph::Graph);

impl History {
    /// Commits recorded.
    pub fn commits(&self) -> usize {
        self.0.commit_count()
    }

    /// Tree entries recorded.
    pub fn tree_entries(&self) -> usize {
        self.0.edge_count()
    }

    /// Bytes the graph holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.0.heap_bytes()
    }
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("commits", &self.commits())
            .field("tree_entries", &self.tree_entries())
            .finish()
    }
}

/// What a path component may be to the file rules' globs (rules that read files whole,
/// chosen by path): a base name that some glob may match anywhere (`file`), a base name
/// that some glob may match in a named directory (`file_in_dir`), or that directory's name
/// (`parent`). The history graph notes such tree entries while it is recorded, so that
/// [`Repository::file_paths`] needs no second read of every tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileNameClass {
    /// A base name some glob may match wherever it is.
    pub file: bool,
    /// A base name some glob may match in a directory of a given name.
    pub file_in_dir: bool,
    /// A directory name some glob wants just above its base name.
    pub parent: bool,
}

/// What reading blobs produced besides the blobs themselves.
#[derive(Debug, Default)]
pub struct ScanReport {
    /// Objects looked at (all kinds).
    pub objects: u64,
    /// Blobs visited.
    pub blobs: u64,
    /// Bytes of blobs visited.
    pub bytes: u64,
    /// Blobs over the size cap, with their size; dropped.
    pub oversized: Vec<(BlobId, u64)>,
    /// Blobs under the size cap but larger than the memory gate lets one worker hold, with
    /// their size; dropped.
    pub over_budget: Vec<(BlobId, u64)>,
    /// Blobs that trees of the object database refer to but that it does not hold
    /// (a partial clone, or a damaged repository). Filled by full scans only.
    pub missing: Vec<BlobId>,
    /// Problems, each once.
    pub problems: Vec<Problem>,
    /// The history graph, recorded by full scans ([`Repository::scan_all`]) of a database
    /// of at most a billion objects.
    pub history: Option<History>,
    /// How long the phases of a full scan took (`enumerate`, `blob pass`, `graph`).
    pub phases: Vec<keysnare_types::Phase>,
}

/// Receives blobs. Cloned once per worker thread.
pub trait BlobVisitor: Clone + Send + Sync {
    /// Marks `id` as taken; false when it was taken before (then it is not read or visited).
    fn claim(&mut self, id: &BlobId) -> bool;
    /// Scans one blob.
    fn visit(&mut self, id: BlobId, data: &[u8]);
}

/// A blob a commit range or the index introduced, where it first appears.
#[derive(Clone, Debug)]
pub struct Introduced {
    /// The blob.
    pub blob: BlobId,
    /// Repository-relative path.
    pub path: BString,
    /// The introducing commit (`None` for the staged index).
    pub commit: Option<CommitInfo>,
    /// For a staged file that `HEAD` holds at the same path with other content: `HEAD`'s
    /// blob there (what the commit changes).
    pub previous: Option<BlobId>,
}

/// What to do when a shallow clone lacks history that a range needs.
pub const DEEPEN_ADVICE: &str = "fetch the history the range needs (`fetch-depth: 0` with \
     actions/checkout, or `git fetch --deepen=N` or `git fetch --unshallow` in the clone)";

/// The commits of a range and what they introduced.
#[derive(Clone, Debug, Default)]
pub struct Range {
    /// The blobs the range's commits introduced, each once.
    pub introduced: Vec<Introduced>,
    /// Problems, each once.
    pub problems: Vec<Problem>,
    /// Commits of the range at the boundary of a shallow clone, parents first: none of their
    /// parents were fetched, so every blob of their trees is counted as introduced by them.
    pub shallow_boundary: Vec<CommitInfo>,
}

/// Options for reading blobs.
#[derive(Clone, Copy)]
pub struct ReadOptions<'a> {
    /// Blobs larger than this are dropped, from their header where possible.
    pub max_size: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Counters for a progress display.
    pub progress: Option<&'a Progress>,
    /// Bytes of content the workers may hold at once; a blob larger than its capacity is
    /// dropped (listed in [`ScanReport::over_budget`]), and the delta-tree pass inflates no
    /// object larger than it.
    pub memory: Option<&'a MemoryGate>,
    /// Full scans: what a tree entry's name may be to the rules that read files whole;
    /// such entries are noted in the history graph for [`Repository::file_paths`].
    pub file_names: Option<ClassifyName<'a>>,
}

/// Says what a path component may be to the file rules' globs.
pub type ClassifyName<'a> = &'a (dyn Fn(&[u8]) -> FileNameClass + Sync);

impl std::fmt::Debug for ReadOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("max_size", &self.max_size)
            .field("threads", &self.threads)
            .field("progress", &self.progress)
            .field("memory", &self.memory)
            .field("file_names", &self.file_names.is_some())
            .finish()
    }
}

/// An opened repository.
pub struct Repository {
    inner: gix::ThreadSafeRepository,
    /// Bytes of the delta-base cache of each reading thread.
    pack_cache: usize,
}

impl Repository {
    /// Opens the repository at `path` (a work tree or a bare repository) in isolation: no
    /// user or system configuration, no hooks, filters or programs from its configuration.
    pub fn open(path: &Path) -> Result<Repository, Error> {
        Repository::open_limited(path, None)
    }

    /// [`Repository::open`], with no object read from its database allowed to take more
    /// than `alloc_limit` bytes once inflated: a damaged or hostile object whose header
    /// claims gigabytes is an error when read, not an allocation of that size.
    pub fn open_limited(path: &Path, alloc_limit: Option<u64>) -> Result<Repository, Error> {
        Repository::open_with(path, alloc_limit, None)
    }

    /// [`Repository::open_limited`], with the index read from `index_file` instead of the
    /// repository's own (the temporary index git names in `GIT_INDEX_FILE` to the hooks of
    /// `git commit -a` and `git commit PATH`; a relative path is taken from the current
    /// directory, as git does).
    pub fn open_with(
        path: &Path,
        alloc_limit: Option<u64>,
        index_file: Option<&Path>,
    ) -> Result<Repository, Error> {
        // The index's trailing checksum is not verified on reads, as git does not verify
        // it but in `git fsck`: a staged scan reads the index and little else.
        let mut overrides = vec!["index.skipHash=true".to_string()];
        if let Some(limit) = alloc_limit {
            overrides.push(format!("gitoxide.objects.allocLimit={limit}"));
        }
        if let Some(index) = index_file {
            let index = std::path::absolute(index).map_err(|e| Error::Open {
                path: index.to_path_buf(),
                message: format!("cannot resolve the index file: {e}"),
            })?;
            overrides.push(format!("gitoxide.core.indexFile={}", index.display()));
        }
        let opts = gix::open::Options::isolated().config_overrides(overrides);
        if !path.exists() {
            return Err(Error::NotARepository {
                path: path.to_path_buf(),
            });
        }
        gix::ThreadSafeRepository::open_opts(path, opts)
            .map(|inner| Repository {
                inner,
                pack_cache: DEFAULT_PACK_CACHE,
            })
            .map_err(|e| Error::Open {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
    }

    /// Opens the repository that holds `dir` (it or the nearest parent that is one), found
    /// as git finds it, in isolation like [`Repository::open`].
    pub fn discover(dir: &Path) -> Result<Repository, Error> {
        gix::discover_opts(dir, Default::default(), gix::open::Options::isolated())
            .map(|repo| Repository {
                inner: repo.into_sync(),
                pack_cache: DEFAULT_PACK_CACHE,
            })
            .map_err(|e| Error::Open {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })
    }

    /// Whether `path` looks like a repository: a `.git` entry, or a bare repository layout.
    pub fn is_repository(path: &Path) -> bool {
        path.join(".git").exists()
            || (path.join("HEAD").is_file()
                && path.join("objects").is_dir()
                && path.join("refs").is_dir())
    }

    /// The work tree, for non-bare repositories.
    pub fn work_dir(&self) -> Option<PathBuf> {
        self.inner.work_dir().map(Path::to_path_buf)
    }

    /// Whether the repository is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.thread_local().is_shallow().unwrap_or(false)
    }

    /// The id of `HEAD`'s commit, if there is one.
    pub fn head_commit(&self) -> Option<String> {
        self.thread_local().head_id().ok().map(|id| id.to_string())
    }

    /// The checked-out branch's short name, if `HEAD` is on a branch.
    pub fn head_branch(&self) -> Option<String> {
        let repo = self.thread_local();
        let name = repo.head_name().ok()??;
        Some(name.shorten().to_string())
    }

    /// The `origin` remote's URL as an `https://` URL without credentials, for reports; `None`
    /// when there is no such remote or its URL has no web form.
    pub fn web_url(&self) -> Option<String> {
        let repo = self.thread_local();
        let remote = repo.find_remote("origin").ok()?;
        web_url_of(remote.url(gix::remote::Direction::Fetch)?)
    }

    /// Sets the bytes of the delta-base cache each reading thread keeps (default
    /// [`DEFAULT_PACK_CACHE`]; 0 turns it off).
    pub fn set_pack_cache(&mut self, bytes: usize) {
        self.pack_cache = bytes;
    }

    /// Packed objects and pack bytes, from the pack indexes alone.
    pub fn odb_size(&self) -> OdbSize {
        odb::odb_size(self)
    }

    pub(crate) fn thread_local(&self) -> gix::Repository {
        let mut repo = self.inner.to_thread_local();
        // A delta-base cache for reads in pack order; decoded objects are not cached.
        let bytes = self.pack_cache;
        if bytes == 0 {
            repo.objects.unset_pack_cache();
        } else {
            repo.objects.set_pack_cache(move || {
                Box::new(gix::odb::pack::cache::lru::StaticLinkedList::<64>::new(
                    bytes,
                ))
            });
        }
        repo
    }

    pub(crate) fn objects_dir(&self) -> PathBuf {
        self.inner.objects.path().to_path_buf()
    }

    /// Visits every blob of the object database once: packs in offset order (decoded by a
    /// delta-tree pass on all threads), then loose objects. Reachability does not matter:
    /// dangling and unreachable blobs are visited too.
    ///
    /// # Performance
    /// Each object is inflated once; delta bases are kept only while their deltas are
    /// resolved. Memory grows with the number of objects of the largest pack, not with the
    /// size of history.
    pub fn scan_all<V: BlobVisitor>(&self, opts: &ReadOptions<'_>, visitor: V) -> ScanReport {
        odb::scan_all(
            self,
            &odb::Options {
                max_size: opts.max_size,
                threads: opts.threads,
                progress: opts.progress,
                memory: opts.memory,
                file_names: opts.file_names,
            },
            visitor,
        )
    }

    /// Visits the given blobs (those a range or the index introduced), each once.
    pub fn read_blobs<V: BlobVisitor>(
        &self,
        ids: &[BlobId],
        opts: &ReadOptions<'_>,
        visitor: V,
    ) -> ScanReport {
        odb::read_blobs(
            self,
            ids,
            &odb::Options {
                max_size: opts.max_size,
                threads: opts.threads,
                progress: opts.progress,
                memory: opts.memory,
                file_names: opts.file_names,
            },
            visitor,
        )
    }

    /// The blobs that the commits of a range introduced. `spec` selects commits as the
    /// arguments of `git rev-list` do, parsed by gix: one or more revisions separated by
    /// whitespace, each `A..B` (reachable from `B` but not from `A`), `A...B` (reachable
    /// from either but not from both), `^A`, `A^@`, `A^!` or `A` (`@{upstream}`, `HEAD~3`
    /// and every other revision gix resolves work on either side; an empty side is `HEAD`).
    /// A single revision `A` alone stands for `A..HEAD`. A blob is introduced by a commit
    /// when it differs at its path from every parent (rename tracking off); each blob is
    /// listed once, at its oldest introducing commit.
    ///
    /// In a shallow clone, the commits of the range whose parents were not fetched are
    /// listed in [`Range::shallow_boundary`], and a revision that does not resolve says
    /// the clone may lack it.
    pub fn range(&self, spec: &str) -> Result<Range, Error> {
        range::introduced(self, spec)
    }

    /// The staged blobs: index entries whose blob differs from `HEAD`'s tree at the same
    /// path (every entry when there is no `HEAD` yet). Gitlinks and symlinks are left out.
    pub fn staged(&self) -> Result<Vec<Introduced>, Error> {
        staged::introduced(self)
    }

    /// For each of `wanted`, the first commit (parents before children) whose tree holds it,
    /// and the path there. Commits that a ref or `HEAD` reaches come first; then the others
    /// (amended or rebased away, dropped stashes), whose [`CommitInfo::reachable`] is false.
    /// Blobs no commit holds are absent from the result.
    ///
    /// With the `history` that [`Repository::scan_all`] recorded, this is a walk of that
    /// graph in memory; without it (a database too large to number), commits and trees are
    /// read again from the database and only reachable commits are looked at. Paths and
    /// commit details are read back on `threads` threads (0: one per core).
    pub fn first_introductions(
        &self,
        history: Option<&History>,
        wanted: &std::collections::HashSet<BlobId>,
        threads: usize,
    ) -> (
        std::collections::HashMap<BlobId, (BString, CommitInfo)>,
        Vec<Problem>,
    ) {
        match history {
            Some(History(graph)) => {
                let mut problems = Vec::new();
                let tips = graph.tips(&self.thread_local(), &mut problems);
                let (found, more) = graph.first_introductions(self, &tips, wanted, threads);
                problems.extend(more);
                (found, problems)
            }
            None => history::first_introductions(self, wanted),
        }
    }
}

impl Repository {
    /// Blobs that the rules reading files whole (`is_file` says which paths) want, each
    /// with a path `is_file` accepts, from the `history` that [`Repository::scan_all`]
    /// recorded with [`ReadOptions::file_names`]. A blob is looked for under at most 16
    /// paths (each tree under the first path the walk meets it at).
    pub fn file_paths(
        &self,
        history: &History,
        is_file: &(dyn Fn(&[u8]) -> bool + Sync),
        threads: usize,
    ) -> (Vec<(BlobId, BString)>, Vec<Problem>) {
        let mut problems = Vec::new();
        let tips = history.0.tips(&self.thread_local(), &mut problems);
        (
            history.0.file_paths(self, &tips, is_file, threads),
            problems,
        )
    }
}

/// `https://host/path` for `https://user:pass@host/path`, `git@host:path` and
/// `ssh://git@host/path` (parsed by gix as git parses remote URLs); credentials are never
/// kept. `None` for local paths and `file://` URLs.
pub fn web_url(url: &str) -> Option<String> {
    web_url_of(&gix::url::parse(bstr::BStr::new(url)).ok()?)
}

fn web_url_of(url: &gix::Url) -> Option<String> {
    use gix::url::Scheme;
    if !matches!(
        url.scheme,
        Scheme::Http | Scheme::Https | Scheme::Ssh | Scheme::Git
    ) {
        return None;
    }
    let host = url.host().filter(|h| !h.is_empty())?;
    let path = bstr::ByteSlice::to_str_lossy(url.path.as_slice());
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    Some(format!("https://{host}/{path}"))
}

pub(crate) fn blob_id(id: &gix::oid) -> BlobId {
    let mut b = [0u8; 20];
    b.copy_from_slice(&id.as_bytes()[..20]);
    BlobId::from_bytes(b)
}

pub(crate) fn oid(id: &BlobId) -> gix::ObjectId {
    gix::ObjectId::from_bytes_or_panic(id.as_bytes())
}

pub(crate) fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

/// What a finding shows of `commit`, the `order`-th of a parents-first walk.
pub(crate) fn commit_info(commit: &gix::Commit<'_>, order: u64) -> CommitInfo {
    let (name, email, time, offset) = match commit.author() {
        Ok(sig) => {
            let t = sig.time().unwrap_or_default();
            (
                BString::from(sig.name),
                BString::from(sig.email),
                t.seconds,
                t.offset,
            )
        }
        Err(_) => (BString::default(), BString::default(), 0, 0),
    };
    let summary = commit
        .message()
        .map(|m| BString::from(m.summary().as_ref()))
        .unwrap_or_default();
    CommitInfo {
        id: commit.id.to_string(),
        author_name: name,
        author_email: email,
        time,
        offset,
        summary,
        order,
        reachable: true,
    }
}

#[cfg(test)]
mod tests {
    use super::web_url;

    #[test]
    fn web_urls_never_keep_credentials() {
        // The password is spliced in so this file holds no credential-shaped URL.
        let url = format!("https://user:{}@github.com/org/repo.git", "hunter2");
        assert_eq!(
            web_url(&url).as_deref(),
            Some("https://github.com/org/repo.git")
        );
        assert_eq!(
            web_url("git@github.com:org/repo.git").as_deref(),
            Some("https://github.com/org/repo.git")
        );
        assert_eq!(
            web_url("ssh://git@host:22/org/repo").as_deref(),
            Some("https://host/org/repo")
        );
        assert_eq!(web_url("/srv/repo.git"), None);
        assert_eq!(web_url("file:///srv/repo.git"), None);
    }
}
