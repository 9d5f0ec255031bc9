//! Every unique blob of the object database: packs in offset order, then loose objects.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gix::objs::Find as _;
use gix::odb::pack;
use rayon::prelude::*;

use keysnare_types::{BlobId, MemoryGate, Permit, Phases, Progress};

use crate::{BlobVisitor, Problem, Repository, ScanReport, blob_id, graph, oid};

/// Objects above this size are never inflated by the delta-tree pass, whatever the size cap:
/// a pack holding one aborts that pass and is finished object by object, where blobs over
/// the cap are dropped from their header alone.
pub const INFLATE_LIMIT: u64 = 1 << 30;

/// An objects directory and those its `info/alternates` names (followed as gix follows
/// them: relative paths, chains of alternates, each directory once; a cycle or an unreadable
/// alternates file leaves the alternates out, and gix's own open reports it).
fn object_dirs(objects: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![objects.to_path_buf()];
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Ok(alternates) = gix::odb::alternate::resolve(objects.to_path_buf(), &cwd) {
        dirs.extend(alternates);
    }
    dirs
}

/// The pack indexes of an objects directory and of its alternates, sorted by name.
fn pack_indexes(objects: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in object_dirs(objects) {
        if let Ok(rd) = std::fs::read_dir(d.join("pack")) {
            let mut idx: Vec<PathBuf> = rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect();
            idx.sort();
            out.extend(idx);
        }
    }
    out
}

pub(crate) struct Options<'a> {
    pub max_size: u64,
    pub threads: usize,
    pub progress: Option<&'a Progress>,
    pub memory: Option<&'a MemoryGate>,
    pub file_names: Option<graph::Classify<'a>>,
}

impl<'a> Options<'a> {
    /// Bytes for an object of `size` about to be held; `Err` when it is more than the
    /// whole gate lets one worker hold.
    fn permit(&self, size: u64) -> Result<Option<Permit<'a>>, u64> {
        match self.memory {
            None => Ok(None),
            Some(g) => g.acquire(size).map(Some).ok_or(g.capacity()),
        }
    }

    /// The largest object the delta-tree pass may inflate: the inflate limit (or the size
    /// cap when larger), but never more than each worker's share of the memory gate, nor
    /// less than a blob at the size cap when the gate holds one. A pack holding a larger
    /// object is finished object by object, where sizes are read from headers first.
    fn inflate_limit(&self) -> u64 {
        let limit = INFLATE_LIMIT.max(self.max_size);
        let Some(g) = self.memory else {
            return limit;
        };
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        } as u64;
        let share = (g.capacity() / threads).max(self.max_size.min(g.capacity()));
        limit.min(share)
    }
}

/// What the object database holds, read from pack indexes alone (loose objects are not
/// counted): for planning memory before a full scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OdbSize {
    /// Objects in packs.
    pub packed_objects: u64,
    /// Bytes of pack files (they are mapped into memory while read).
    pub pack_bytes: u64,
}

pub(crate) fn odb_size(repo: &Repository) -> OdbSize {
    let hash = repo.inner.to_thread_local().object_hash();
    let mut size = OdbSize::default();
    for idx_path in pack_indexes(&repo.objects_dir()) {
        if let Ok(idx) = pack::index::File::at(&idx_path, hash) {
            size.packed_objects += u64::from(idx.num_objects());
            let pack = std::fs::metadata(idx_path.with_extension("pack")).map_or(0, |m| m.len());
            let index = std::fs::metadata(&idx_path).map_or(0, |m| m.len());
            size.pack_bytes += pack + index;
        }
    }
    size
}

pub(crate) fn scan_all<V: BlobVisitor>(
    repo: &Repository,
    opts: &Options<'_>,
    visitor: V,
) -> ScanReport {
    let mut phases = Phases::start();
    let report = Shared::default();
    let hash = repo.inner.to_thread_local().object_hash();
    let objects = repo.objects_dir();
    let indexes = pack_indexes(&objects);
    let mut packs = Vec::new();
    for idx_path in indexes {
        match pack::index::File::at(&idx_path, hash) {
            Ok(idx) => {
                if let Some(p) = opts.progress {
                    p.add_total(u64::from(idx.num_objects()));
                }
                packs.push((idx_path, idx));
            }
            Err(e) => report.problem(Problem {
                input: idx_path.display().to_string(),
                message: format!("cannot read pack index, its objects are skipped: {e}"),
            }),
        }
    }
    let loose: Vec<gix::ObjectId> = object_dirs(&objects)
        .into_iter()
        .flat_map(|d| gix::odb::loose::Store::at(d, hash).iter())
        .filter_map(Result::ok)
        .collect();
    if let Some(p) = opts.progress {
        p.add_total(loose.len() as u64);
    }
    // Every object the database lists, numbered for the history graph.
    let mut all: Vec<gix::ObjectId> = Vec::new();
    for (_, idx) in &packs {
        all.extend(idx.iter().map(|e| e.oid));
    }
    all.extend(loose.iter().copied());
    let recorder = graph::Ids::new(all).map(graph::Recorder::new);
    let report = Shared {
        graph: recorder,
        ..report
    };
    phases.end("enumerate");

    for (idx_path, idx) in &packs {
        scan_pack(repo, idx_path, idx, opts, visitor.clone(), &report);
    }
    let batch = Batch {
        what: "loose object",
        record_graph: true,
        suspects: &HashSet::new(),
    };
    read_by_id(repo, &loose, &batch, opts, visitor, &report);
    phases.end("blob pass");
    let mut out = report.into_report();
    phases.end("graph");
    out.phases = phases.into_phases();
    out
}

/// Totals shared by the workers of one scan.
#[derive(Default)]
pub(crate) struct Shared {
    pub objects: AtomicU64,
    pub blobs: AtomicU64,
    pub bytes: AtomicU64,
    pub oversized: std::sync::Mutex<Vec<(BlobId, u64)>>,
    /// Blobs larger than the memory gate lets one worker hold, with their size.
    pub over_budget: std::sync::Mutex<Vec<(BlobId, u64)>>,
    pub problems: std::sync::Mutex<Vec<Problem>>,
    /// The history graph being recorded (full scans of a database that can be numbered).
    pub graph: Option<graph::Recorder>,
}

impl Shared {
    pub fn problem(&self, p: Problem) {
        self.problems.lock().expect("problems").push(p);
    }

    /// A recorder of the history graph for one worker, when the scan records one.
    fn local<'a>(&'a self, classify: Option<graph::Classify<'a>>) -> Option<graph::Local<'a>> {
        self.graph.as_ref().map(|g| g.local(classify))
    }

    pub fn into_report(self) -> ScanReport {
        let mut oversized = self.oversized.into_inner().expect("oversized");
        oversized.sort();
        let mut over_budget = self.over_budget.into_inner().expect("over budget");
        over_budget.sort();
        let (history, missing) = match self.graph {
            Some(recorder) => {
                let (graph, missing) = recorder.finish();
                (Some(crate::History(graph)), missing)
            }
            None => (None, Vec::new()),
        };
        ScanReport {
            missing,
            objects: self.objects.into_inner(),
            blobs: self.blobs.into_inner(),
            bytes: self.bytes.into_inner(),
            oversized,
            over_budget,
            problems: self.problems.into_inner().expect("problems"),
            history,
            phases: Vec::new(),
        }
    }

    fn over_budget(&self, id: BlobId, size: u64) {
        self.over_budget
            .lock()
            .expect("over budget")
            .push((id, size));
    }

    fn blob(&self, len: usize) {
        self.blobs.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len as u64, Ordering::Relaxed);
    }
}

/// One pack: the delta-tree pass (each object decoded once, bases before deltas, on all
/// threads), and, if that pass stops (corruption, an object over [`INFLATE_LIMIT`]), the
/// objects it did not reach read one by one.
fn scan_pack<V: BlobVisitor>(
    repo: &Repository,
    idx_path: &Path,
    idx: &pack::index::File,
    opts: &Options<'_>,
    visitor: V,
    report: &Shared,
) {
    let pack_path = idx_path.with_extension("pack");
    let hash = idx.object_hash();
    let data = match pack::data::File::at(&pack_path, hash) {
        Ok(d) => d,
        Err(e) => {
            report.problem(Problem {
                input: pack_path.display().to_string(),
                message: format!(
                    "cannot open pack, its objects are read one by one where possible: {e}"
                ),
            });
            read_pack_entries(
                repo,
                idx,
                &HashSet::new(),
                &pack_path,
                opts,
                visitor,
                report,
            );
            return;
        }
    };
    // Entries whose packed data fails its CRC32: each is hashed once decoded, and dropped
    // when its content is not what its id says.
    let suspects = crc_mismatches(idx, &data);
    let damaged = std::sync::Mutex::new(Vec::<(u64, gix::ObjectId)>::new());
    let interrupt = AtomicBool::new(false);
    let max = opts.max_size;
    let (suspects_ref, damaged_ref) = (&suspects, &damaged);
    let progress = opts.progress;
    let result = {
        let mut visitor = visitor.clone();
        let mut graph = report.local(opts.file_names);
        idx.traverse_with_index(
            &data,
            move |kind,
                  bytes: &[u8],
                  entry: &pack::index::Entry,
                  _: &dyn gix::progress::Progress|
                  -> gix::error::Result {
                report.objects.fetch_add(1, Ordering::Relaxed);
                if let Some(p) = progress {
                    p.advance(1, bytes.len() as u64);
                }
                if suspects_ref.contains(&entry.oid) && !hash_matches(kind, bytes, &entry.oid) {
                    damaged_ref
                        .lock()
                        .expect("damaged")
                        .push((entry.pack_offset, entry.oid));
                    // Reported below. A blob is there, only unreadable; it is not claimed,
                    // so an intact copy (a work-tree file) is still scanned.
                    return Ok(());
                }
                match (kind, &mut graph) {
                    (gix::objs::Kind::Blob, _) => {}
                    (gix::objs::Kind::Tree, Some(g)) => {
                        g.tree(&entry.oid, bytes);
                        return Ok(());
                    }
                    (gix::objs::Kind::Commit, Some(g)) => {
                        g.commit(&entry.oid, bytes);
                        return Ok(());
                    }
                    _ => return Ok(()),
                }
                let id = blob_id(&entry.oid);
                let v = &mut visitor;
                if !v.claim(&id) {
                    return Ok(());
                }
                if bytes.len() as u64 > max {
                    report
                        .oversized
                        .lock()
                        .expect("oversized")
                        .push((id, bytes.len() as u64));
                    return Ok(());
                }
                let Ok(_permit) = opts.permit(bytes.len() as u64) else {
                    report.over_budget(id, bytes.len() as u64);
                    return Ok(());
                };
                report.blob(bytes.len());
                v.visit(id, bytes);
                Ok(())
            },
            &mut gix::progress::Discard,
            &interrupt,
            pack::index::traverse::with_index::Options {
                thread_limit: (opts.threads > 0).then_some(opts.threads),
                check: pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
                alloc_limit_bytes: Some(
                    usize::try_from(opts.inflate_limit()).unwrap_or(usize::MAX),
                ),
            },
        )
    };
    let mut damaged = damaged.into_inner().expect("damaged");
    damaged.sort_unstable();
    if let Some((offset, id)) = damaged.first() {
        let n = damaged.len();
        report.problem(Problem {
            input: format!("pack {}", pack_path.display()),
            message: format!(
                "{n} {} damaged (packed data that fails its CRC32 decodes to content that does not match its id) and {} skipped (first: {id} at offset {offset})",
                if n == 1 { "object is" } else { "objects are" },
                if n == 1 { "was" } else { "were" },
            ),
        });
    }
    if let Err(e) = result {
        // Whatever the pass did not reach is read object by object; blobs it visited are
        // claimed already and are not read twice. An object over the inflate limit stops
        // the pass too; then there is nothing to report unless reads fail.
        let before = report.problems.lock().expect("problems").len();
        read_pack_entries(
            repo,
            idx,
            &suspects,
            &pack_path,
            opts,
            visitor.clone(),
            report,
        );
        let mut problems = report.problems.lock().expect("problems");
        if let Some(p) = problems.get_mut(before) {
            p.message = format!("{} (the pack is damaged: {e})", p.message);
        }
    }
}

/// The entries of a pack whose packed data does not match the CRC32 the (version 2) index
/// holds for them. Damaged deflate data often inflates to the right length
/// without an error, so without this check it would be scanned as garbage and a secret in
/// it silently missed. A mismatch alone does not condemn an entry (a wrong offset in the
/// index shifts its neighbour's extent too): its decoded content is checked against its id.
/// Entries that do not lie within the pack are left to the reads, which report them.
fn crc_mismatches(idx: &pack::index::File, data: &pack::data::File) -> HashSet<gix::ObjectId> {
    let mut out = HashSet::new();
    if idx.version() != pack::index::Version::V2 {
        return out;
    }
    let offsets = idx.sorted_offsets();
    let pack_end = data.pack_end() as u64;
    for i in 0..idx.num_objects() {
        let Some(crc) = idx.crc32_at_index(i) else {
            continue;
        };
        let start = idx.pack_offset_at_index(i);
        let Ok(k) = offsets.binary_search(&start) else {
            continue;
        };
        let end = offsets.get(k + 1).copied().unwrap_or(pack_end);
        if end <= start || end > pack_end || data.entry_slice(start..end).is_none() {
            continue;
        }
        if data.entry_crc32(start, (end - start) as usize) != crc {
            out.insert(idx.oid_at_index(i).to_owned());
        }
    }
    out
}

/// Whether `data` is the content object `id` names.
fn hash_matches(kind: gix::objs::Kind, data: &[u8], id: &gix::oid) -> bool {
    gix::objs::compute_hash(id.kind(), kind, data).is_ok_and(|actual| actual == id)
}

/// Reads the objects of a pack one by one, in offset order; those in `suspects` are checked
/// against their id.
fn read_pack_entries<V: BlobVisitor>(
    repo: &Repository,
    idx: &pack::index::File,
    suspects: &HashSet<gix::ObjectId>,
    pack_path: &Path,
    opts: &Options<'_>,
    visitor: V,
    report: &Shared,
) {
    let mut entries: Vec<(u64, gix::ObjectId)> =
        idx.iter().map(|e| (e.pack_offset, e.oid)).collect();
    entries.sort_unstable();
    let ids: Vec<gix::ObjectId> = entries.into_iter().map(|(_, id)| id).collect();
    let name = format!("pack {}", pack_path.display());
    let batch = Batch {
        what: &name,
        record_graph: true,
        suspects,
    };
    read_by_id(repo, &ids, &batch, opts, visitor, report);
}

/// What a batch of objects read by id is, for [`read_by_id`].
struct Batch<'a> {
    /// Names the batch in problems.
    what: &'a str,
    /// Whether trees and commits are read for the history graph (when the scan records one).
    record_graph: bool,
    /// Objects to check against their id once read (see [`crc_mismatches`]).
    suspects: &'a HashSet<gix::ObjectId>,
}

/// Reads the objects `ids` (in the given order, in chunks over the workers), checks each
/// header first, and visits the unseen blobs within the size cap. Unreadable objects are
/// summed up in one problem for the batch.
fn read_by_id<V: BlobVisitor>(
    repo: &Repository,
    ids: &[gix::ObjectId],
    batch: &Batch<'_>,
    opts: &Options<'_>,
    visitor: V,
    report: &Shared,
) {
    if ids.is_empty() {
        return;
    }
    let Batch {
        what,
        record_graph,
        suspects,
    } = *batch;
    let failed = AtomicU64::new(0);
    let first_error = std::sync::Mutex::new(None::<String>);
    // Counts an unreadable object; the first error is kept for the report.
    let fail = |id: &gix::ObjectId, e: &dyn std::fmt::Display| {
        failed.fetch_add(1, Ordering::Relaxed);
        first_error
            .lock()
            .expect("error")
            .get_or_insert_with(|| format!("{id}: {e}"));
    };
    let pool = crate::pool(opts.threads);
    // Chunks of up to 256 objects; a short list (a commit's staged files) is shared
    // between the workers rather than read by one.
    let chunk = ids.len().div_ceil(pool.current_num_threads()).clamp(1, 256);
    pool.install(|| {
        ids.par_chunks(chunk).for_each_init(
            || {
                let graph = if record_graph {
                    report.local(opts.file_names)
                } else {
                    None
                };
                (repo.thread_local(), visitor.clone(), Vec::new(), graph)
            },
            |(repo, v, buf, graph), chunk| {
                for id in chunk {
                    report.objects.fetch_add(1, Ordering::Relaxed);
                    let header = match repo.try_find_header(*id) {
                        Ok(Some(h)) => h,
                        Ok(None) => continue,
                        Err(e) => {
                            fail(id, &e);
                            continue;
                        }
                    };
                    if let Some(p) = opts.progress {
                        p.advance(1, header.size());
                    }
                    let kind = header.kind();
                    if let Some(graph) = graph.as_mut()
                        && matches!(kind, gix::objs::Kind::Tree | gix::objs::Kind::Commit)
                    {
                        let _permit = match opts.permit(header.size()) {
                            Ok(p) => p,
                            Err(cap) => {
                                fail(
                                    id,
                                    &format!(
                                        "a {kind} of {} bytes, more than the {cap} bytes the memory budget lets one worker hold",
                                        header.size()
                                    ),
                                );
                                continue;
                            }
                        };
                        match repo.objects.try_find(id, buf) {
                            Ok(Some(obj))
                                if suspects.contains(id)
                                    && !hash_matches(obj.kind, obj.data, id) =>
                            {
                                fail(id, &"damaged: its content does not match its id");
                            }
                            Ok(Some(_)) if kind == gix::objs::Kind::Tree => graph.tree(id, buf),
                            Ok(Some(_)) => graph.commit(id, buf),
                            Ok(None) => {}
                            Err(e) => {
                                fail(id, &e);
                            }
                        }
                        continue;
                    }
                    if header.kind() != gix::objs::Kind::Blob {
                        continue;
                    }
                    let bid = blob_id(id);
                    if !v.claim(&bid) {
                        continue;
                    }
                    if header.size() > opts.max_size {
                        report
                            .oversized
                            .lock()
                            .expect("oversized")
                            .push((bid, header.size()));
                        continue;
                    }
                    let Ok(_permit) = opts.permit(header.size()) else {
                        report.over_budget(bid, header.size());
                        continue;
                    };
                    match repo.objects.try_find(id, buf) {
                        Ok(Some(obj))
                            if suspects.contains(id) && !hash_matches(obj.kind, obj.data, id) =>
                        {
                            fail(id, &"damaged: its content does not match its id");
                        }
                        Ok(Some(_)) => {
                            report.blob(buf.len());
                            v.visit(bid, buf);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            fail(id, &e);
                        }
                    }
                }
            },
        );
    });
    let failed = failed.into_inner();
    if failed > 0 {
        report.problem(Problem {
            input: what.to_string(),
            message: format!(
                "{failed} {} could not be read and {} skipped (first: {})",
                if failed == 1 { "object" } else { "objects" },
                if failed == 1 { "was" } else { "were" },
                first_error.into_inner().expect("error").unwrap_or_default()
            ),
        });
    }
}

/// Reads the given blobs (for ranges and the staged index), each once, in parallel.
pub(crate) fn read_blobs<V: BlobVisitor>(
    repo: &Repository,
    ids: &[BlobId],
    opts: &Options<'_>,
    visitor: V,
) -> ScanReport {
    let report = Shared::default();
    let ids: Vec<gix::ObjectId> = ids.iter().map(oid).collect();
    if let Some(p) = opts.progress {
        p.add_total(ids.len() as u64);
    }
    let batch = Batch {
        what: "blob",
        record_graph: false,
        suspects: &HashSet::new(),
    };
    read_by_id(repo, &ids, &batch, opts, visitor, &report);
    report.into_report()
}
