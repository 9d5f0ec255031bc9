//! The history graph: every commit and tree of the object database, recorded by the pass
//! that reads every object anyway, in a compact form (objects as numbers, not ids), and
//! the provenance of matched blobs as a query on it.
//!
//! Reading trees a second time after the blob pass (inflating them again through their
//! delta chains, on one thread) took a third of a full-history scan of a large repository.
//! The pass decodes each tree and commit once, on every thread, and keeps only what the
//! query needs: a tree's entries as object numbers (names are read back for the few trees
//! on the paths of matched blobs), a commit's tree, parents and committer time.
//!
//! # Memory
//! Per object of the database: its id (20 bytes, sorted: its position is its number), a
//! kind byte, and 12 bytes of tree bookkeeping; per tree entry 4 bytes; per commit 24
//! bytes and 4 per parent. rails/rails (1.24 million objects, 19 million tree entries):
//! about 120 MiB.
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Mutex;

use bstr::{BString, ByteVec};
use gix::ObjectId;

use keysnare_types::{BlobId, CommitInfo};

use rayon::prelude::*;

use crate::{Problem, blob_id, commit_info, oid};

/// An edge to a subtree.
const TREE_EDGE: u32 = 1 << 31;
/// An edge the walk does not follow: a symlink, a gitlink, or an object not in the database.
const OTHER_EDGE: u32 = 1 << 30;
/// The object-number bits of an edge.
const NUMBER: u32 = OTHER_EDGE - 1;
/// The most objects a graph numbers; a larger database is attributed without a graph.
pub(crate) const MAX_OBJECTS: usize = NUMBER as usize;

/// The most paths looked at for one blob that a file rule may want.
pub(crate) const MAX_PATHS_PER_BLOB: usize = 16;

/// A chunk of a worker's records is handed over once it holds this many edges.
const CHUNK_EDGES: usize = 1 << 18;

/// The object ids of a database, sorted and each once: an object's number is its position.
pub(crate) struct Ids {
    oids: Vec<ObjectId>,
    /// `fanout[b]`: the number of ids whose first byte is below `b`.
    fanout: Vec<u32>,
}

impl Ids {
    /// Numbers `oids` (duplicates are numbered once). `None` when there are more than
    /// [`MAX_OBJECTS`].
    pub(crate) fn new(mut oids: Vec<ObjectId>) -> Option<Ids> {
        oids.sort_unstable();
        oids.dedup();
        if oids.len() > MAX_OBJECTS {
            return None;
        }
        let mut fanout = vec![0u32; 257];
        for id in &oids {
            fanout[usize::from(id.as_bytes()[0]) + 1] += 1;
        }
        for b in 1..257 {
            fanout[b] += fanout[b - 1];
        }
        Some(Ids { oids, fanout })
    }

    /// The number of `id`, if the database holds it.
    pub(crate) fn number(&self, id: &gix::oid) -> Option<u32> {
        let first = usize::from(id.as_bytes()[0]);
        let (lo, hi) = (self.fanout[first] as usize, self.fanout[first + 1] as usize);
        self.oids[lo..hi]
            .binary_search_by(|probe| probe.as_ref().cmp(id))
            .ok()
            .map(|i| (lo + i) as u32)
    }

    /// The id of object `n`.
    pub(crate) fn id(&self, n: u32) -> &ObjectId {
        &self.oids[n as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.oids.len()
    }
}

/// A commit of the graph.
#[derive(Clone, Copy)]
struct CommitNode {
    id: u32,
    /// Its tree's number, or `u32::MAX` when the database lacks it.
    tree: u32,
    /// Committer time, seconds since the epoch.
    time: i64,
    /// Its parents that the database holds: `parents[start..start + len]`.
    parents_start: u32,
    parents_len: u32,
}

/// What one worker recorded since its last hand-over.
#[derive(Default)]
struct Chunk {
    /// `(tree, start, len)`: the tree's edges are `edges[start..start + len]`.
    trees: Vec<(u32, u32, u32)>,
    edges: Vec<u32>,
    commits: Vec<CommitNode>,
    parents: Vec<u32>,
    /// Trees that appear under a name a file rule's glob wants as a directory.
    marked: Vec<u32>,
    /// Blob entries whose name a file rule's glob may match: `(tree, position, class)`.
    candidates: Vec<(u32, u32, u8)>,
}

impl Chunk {
    fn is_empty(&self) -> bool {
        self.trees.is_empty() && self.commits.is_empty()
    }
}

/// What a path component may be to the file rules' globs (see [`crate::FileNameClass`]).
pub(crate) type Classify<'a> = crate::ClassifyName<'a>;

/// Takes the trees and commits that the workers of a pass decode.
pub(crate) struct Recorder {
    ids: Ids,
    chunks: Mutex<Vec<Chunk>>,
    /// Blobs that trees refer to and the database lacks.
    missing: Mutex<HashSet<BlobId>>,
}

impl Recorder {
    pub(crate) fn new(ids: Ids) -> Recorder {
        Recorder {
            ids,
            chunks: Mutex::new(Vec::new()),
            missing: Mutex::new(HashSet::new()),
        }
    }

    /// A recorder for one worker; what it records reaches `self` when it is dropped.
    /// With `classify`, tree entries that a file rule may want are noted too.
    pub(crate) fn local<'a>(&'a self, classify: Option<Classify<'a>>) -> Local<'a> {
        Local {
            recorder: self,
            chunk: Chunk::default(),
            classify,
            classes: HashMap::new(),
        }
    }

    fn hand_over(&self, chunk: Chunk) {
        if !chunk.is_empty() {
            self.chunks.lock().expect("graph chunks").push(chunk);
        }
    }

    /// The graph of everything recorded (every [`Local`] must be dropped by now), and the
    /// blobs trees refer to that the database lacks, sorted.
    pub(crate) fn finish(self) -> (Graph, Vec<BlobId>) {
        let Recorder {
            ids,
            chunks,
            missing,
        } = self;
        let chunks = chunks.into_inner().expect("graph chunks");
        let mut missing: Vec<BlobId> = missing
            .into_inner()
            .expect("graph missing")
            .into_iter()
            .collect();
        missing.sort_unstable();
        let n = ids.len();
        let total: usize = chunks.iter().map(|c| c.edges.len()).sum();
        let mut edges = Vec::with_capacity(total);
        let mut start = vec![0u64; n];
        let mut len = vec![0u32; n];
        let mut commits: Vec<CommitNode> = Vec::new();
        let mut parents = Vec::new();
        let mut marked = vec![false; n];
        let mut candidates = Vec::new();
        for chunk in chunks {
            for &t in &chunk.marked {
                marked[t as usize] = true;
            }
            candidates.extend_from_slice(&chunk.candidates);
            let base = edges.len() as u64;
            for &(tree, s, l) in &chunk.trees {
                start[tree as usize] = base + u64::from(s);
                len[tree as usize] = l;
            }
            edges.extend_from_slice(&chunk.edges);
            let pbase = parents.len() as u32;
            for c in &chunk.commits {
                commits.push(CommitNode {
                    parents_start: pbase + c.parents_start,
                    ..*c
                });
            }
            parents.extend_from_slice(&chunk.parents);
        }
        // A commit read twice (two packs, or a pack and a loose copy) is one commit.
        commits.sort_unstable_by_key(|c| c.id);
        commits.dedup_by_key(|c| c.id);
        (
            Graph {
                ids,
                start,
                len,
                edges,
                commits,
                parents,
                marked,
                candidates,
            },
            missing,
        )
    }
}

/// One worker's recorder (see [`Recorder::local`]). A clone starts empty: the delta-tree
/// pass clones its callback once per thread.
pub(crate) struct Local<'a> {
    recorder: &'a Recorder,
    chunk: Chunk,
    classify: Option<Classify<'a>>,
    /// Classes of the names met so far: tree entries repeat the same names over and over.
    classes: HashMap<Box<[u8]>, crate::FileNameClass>,
}

impl Clone for Local<'_> {
    fn clone(&self) -> Self {
        self.recorder.local(self.classify)
    }
}

/// Names whose class a worker remembers; past that the memo starts over.
const MAX_REMEMBERED_NAMES: usize = 1 << 16;

impl Drop for Local<'_> {
    fn drop(&mut self) {
        self.recorder.hand_over(std::mem::take(&mut self.chunk));
    }
}

impl Local<'_> {
    /// Records tree `id` from its content. Entries that do not parse end the tree there.
    pub(crate) fn tree(&mut self, id: &gix::oid, data: &[u8]) {
        let ids = &self.recorder.ids;
        let Some(number) = ids.number(id) else {
            return;
        };
        let chunk = &mut self.chunk;
        let start = chunk.edges.len();
        for entry in gix::objs::TreeRefIter::from_bytes(data, id.kind()).flatten() {
            let found = ids.number(entry.oid);
            if let (Some(classify), Some(n)) = (self.classify, found) {
                let name: &[u8] = entry.filename.as_ref();
                let class = match self.classes.get(name) {
                    Some(c) => *c,
                    None => {
                        if self.classes.len() >= MAX_REMEMBERED_NAMES {
                            self.classes.clear();
                        }
                        let c = classify(name);
                        self.classes.insert(name.into(), c);
                        c
                    }
                };
                if entry.mode.is_tree() && class.parent {
                    chunk.marked.push(n);
                } else if entry.mode.is_blob() && (class.file || class.file_in_dir) {
                    let position = (chunk.edges.len() - start) as u32;
                    chunk
                        .candidates
                        .push((number, position, u8::from(class.file)));
                }
            }
            let edge = match found {
                Some(n) if entry.mode.is_tree() => TREE_EDGE | n,
                Some(n) if entry.mode.is_blob() => n,
                _ => {
                    if found.is_none() && entry.mode.is_blob() {
                        self.recorder
                            .missing
                            .lock()
                            .expect("graph missing")
                            .insert(blob_id(entry.oid));
                    }
                    OTHER_EDGE
                }
            };
            chunk.edges.push(edge);
        }
        let len = chunk.edges.len() - start;
        chunk
            .trees
            .push((number, start as u32, u32::try_from(len).unwrap_or(u32::MAX)));
        if chunk.edges.len() >= CHUNK_EDGES {
            self.recorder.hand_over(std::mem::take(&mut self.chunk));
        }
    }

    /// Records commit `id` from its content.
    pub(crate) fn commit(&mut self, id: &gix::oid, data: &[u8]) {
        let ids = &self.recorder.ids;
        let Some(number) = ids.number(id) else {
            return;
        };
        let chunk = &mut self.chunk;
        let parents_start = chunk.parents.len();
        let mut tree = u32::MAX;
        let mut time = 0;
        for token in gix::objs::CommitRefIter::from_bytes(data, id.kind()) {
            match token {
                Ok(gix::objs::commit::ref_iter::Token::Tree { id }) => {
                    tree = ids.number(&id).unwrap_or(u32::MAX);
                }
                Ok(gix::objs::commit::ref_iter::Token::Parent { id }) => {
                    if let Some(p) = ids.number(&id) {
                        chunk.parents.push(p);
                    }
                }
                Ok(gix::objs::commit::ref_iter::Token::Committer { signature }) => {
                    time = signature.seconds();
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        chunk.commits.push(CommitNode {
            id: number,
            tree,
            time,
            parents_start: parents_start as u32,
            parents_len: (chunk.parents.len() - parents_start) as u32,
        });
    }
}

/// Commits and trees of an object database (see the module documentation).
pub(crate) struct Graph {
    ids: Ids,
    /// Per object: where a tree's edges start in `edges`, and how many.
    start: Vec<u64>,
    len: Vec<u32>,
    edges: Vec<u32>,
    /// Sorted by number.
    commits: Vec<CommitNode>,
    parents: Vec<u32>,
    /// Per object: a tree that appears under a name a file rule's glob wants as a directory.
    marked: Vec<bool>,
    /// Blob entries a file rule may want: `(tree, position, 1 when no directory is needed)`.
    candidates: Vec<(u32, u32, u8)>,
}

/// Where a walk found a blob: the commit (its index in `Graph::commits`) and the chain of
/// `(tree, entry position)` from the commit's root tree down to the blob.
struct Hit {
    commit: usize,
    chain: Vec<(u32, u32)>,
}

impl Graph {
    /// Commits recorded.
    pub(crate) fn commit_count(&self) -> usize {
        self.commits.len()
    }

    /// Tree entries recorded.
    pub(crate) fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Bytes the graph holds.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.ids.oids.capacity() * std::mem::size_of::<ObjectId>()
            + self.start.capacity() * 8
            + self.len.capacity() * 4
            + self.edges.capacity() * 4
            + self.commits.capacity() * std::mem::size_of::<CommitNode>()
            + self.parents.capacity() * 4
    }

    fn tree_edges(&self, tree: u32) -> &[u32] {
        let (s, l) = (self.start[tree as usize], self.len[tree as usize]);
        let s = usize::try_from(s).unwrap_or(usize::MAX);
        self.edges
            .get(s..s.saturating_add(l as usize))
            .unwrap_or(&[])
    }

    fn commit_index(&self, number: u32) -> Option<usize> {
        self.commits.binary_search_by_key(&number, |c| c.id).ok()
    }

    fn parents_of(&self, c: &CommitNode) -> &[u32] {
        let s = c.parents_start as usize;
        &self.parents[s..s + c.parents_len as usize]
    }

    /// The commits that refs and `HEAD` point to (through annotated tags). A ref that
    /// names a commit of the graph is taken as it is; only the others are peeled.
    pub(crate) fn tips(
        &self,
        repo: &gix::Repository,
        problems: &mut Vec<Problem>,
    ) -> Vec<ObjectId> {
        let mut tips = Vec::new();
        let is_commit = |id: &gix::oid| {
            self.ids
                .number(id)
                .is_some_and(|n| self.commit_index(n).is_some())
        };
        if let Ok(id) = repo.head_id() {
            tips.push(id.detach());
        }
        let platform = match repo.references() {
            Ok(p) => p,
            Err(e) => {
                problems.push(Problem {
                    input: "refs".into(),
                    message: e.to_string(),
                });
                return tips;
            }
        };
        let refs = match platform.all() {
            Ok(refs) => refs,
            Err(e) => {
                problems.push(Problem {
                    input: "refs".into(),
                    message: e.to_string(),
                });
                return tips;
            }
        };
        for mut r in refs.flatten() {
            if let Some(id) = r.target().try_id()
                && is_commit(id)
            {
                tips.push(id.to_owned());
                continue;
            }
            match r.peel_to_id() {
                // Tags may point at trees or blobs; only commits start a walk.
                Ok(id) if is_commit(&id) => tips.push(id.detach()),
                Ok(_) => {}
                Err(e) => problems.push(Problem {
                    input: format!("ref {}", r.name().as_bstr()),
                    message: format!("cannot be resolved, its history is not attributed: {e}"),
                }),
            }
        }
        tips.sort();
        tips.dedup();
        tips
    }

    /// Commits as indices of `self.commits`, parents before children: first those that
    /// `tips` reach, then the others (amended or rebased away, dropped stashes). Of the
    /// commits whose parents are all placed, the oldest by committer time comes next,
    /// then the smallest id, so the order is the same on every run.
    fn order(&self, tips: &[ObjectId]) -> (Vec<usize>, usize) {
        let n = self.commits.len();
        let mut reachable = vec![false; n];
        let mut stack: Vec<usize> = tips
            .iter()
            .filter_map(|t| self.ids.number(t))
            .filter_map(|t| self.commit_index(t))
            .collect();
        while let Some(c) = stack.pop() {
            if std::mem::replace(&mut reachable[c], true) {
                continue;
            }
            for &p in self.parents_of(&self.commits[c]) {
                if let Some(pi) = self.commit_index(p)
                    && !reachable[pi]
                {
                    stack.push(pi);
                }
            }
        }
        let reached = reachable.iter().filter(|&&r| r).count();
        let mut order = Vec::with_capacity(n);
        for wanted in [true, false] {
            self.kahn(&reachable, wanted, &mut order);
        }
        (order, reached)
    }

    /// Appends to `order` the commits whose `reachable` flag is `wanted`, parents first.
    /// Parents outside that set count as placed.
    fn kahn(&self, reachable: &[bool], wanted: bool, order: &mut Vec<usize>) {
        let n = self.commits.len();
        let mut pending = vec![0u32; n];
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (i, c) in self.commits.iter().enumerate() {
            if reachable[i] != wanted {
                continue;
            }
            for &p in self.parents_of(c) {
                if let Some(pi) = self.commit_index(p)
                    && reachable[pi] == wanted
                {
                    pending[i] += 1;
                    children[pi].push(i as u32);
                }
            }
        }
        let key = |i: usize| std::cmp::Reverse((self.commits[i].time, self.commits[i].id));
        let mut ready: BinaryHeap<_> = (0..n)
            .filter(|&i| reachable[i] == wanted && pending[i] == 0)
            .map(|i| (key(i), i))
            .collect();
        while let Some((_, i)) = ready.pop() {
            order.push(i);
            for &c in &children[i] {
                let c = c as usize;
                pending[c] -= 1;
                if pending[c] == 0 {
                    ready.push((key(c), c));
                }
            }
        }
    }

    /// For each of `wanted`, the first commit (in [`Graph::order`]) whose tree holds it as a
    /// regular or executable file, and the path there; commits no ref reaches come after
    /// all that one does and are marked unreachable. Blobs no commit holds are absent.
    pub(crate) fn first_introductions(
        &self,
        repo: &crate::Repository,
        tips: &[ObjectId],
        wanted: &HashSet<BlobId>,
        threads: usize,
    ) -> (HashMap<BlobId, (BString, CommitInfo)>, Vec<Problem>) {
        let mut out = HashMap::new();
        let mut problems = Vec::new();
        if wanted.is_empty() {
            return (out, problems);
        }
        let n = self.ids.len();
        let mut want = vec![false; n];
        let mut left = 0usize;
        for b in wanted {
            if let Some(i) = self.ids.number(&oid(b)) {
                want[i as usize] = true;
                left += 1;
            }
        }
        if left == 0 {
            return (out, problems);
        }
        let (order, reached) = self.order(tips);
        let mut hits: Vec<(u32, Hit)> = Vec::new();
        self.walk(
            &order,
            |_, _| {},
            |ci, blob, chain| {
                if std::mem::replace(&mut want[blob as usize], false) {
                    left -= 1;
                    hits.push((
                        blob,
                        Hit {
                            commit: ci,
                            chain: chain.collect(),
                        },
                    ));
                }
                left > 0
            },
        );
        let positions: HashMap<usize, usize> =
            order.iter().enumerate().map(|(p, &ci)| (ci, p)).collect();
        // Names and commit details are read back for the hits only, on every thread; each
        // worker keeps the names of the trees it has read.
        let resolved: Vec<Option<(BlobId, BString, CommitInfo)>> =
            crate::pool(threads).install(|| {
                hits.par_iter()
                    .map_init(
                        || (repo.thread_local(), HashMap::new()),
                        |(r, names), (blob, hit)| {
                            let path = self.path(r, &hit.chain, names)?;
                            let c = &self.commits[hit.commit];
                            let commit = r.find_commit(*self.ids.id(c.id)).ok()?;
                            let position = positions[&hit.commit];
                            let mut info = commit_info(&commit, position as u64);
                            info.reachable = position < reached;
                            Some((blob_id(self.ids.id(*blob)), path, info))
                        },
                    )
                    .collect()
            });
        let mut unreadable = 0usize;
        for r in resolved {
            match r {
                Some((blob, path, info)) => {
                    out.insert(blob, (path, info));
                }
                None => unreadable += 1,
            }
        }
        if unreadable > 0 {
            problems.push(Problem {
                input: "history".into(),
                message: format!(
                    "{unreadable} commits or trees could not be read back; blobs only they hold are reported as unreachable"
                ),
            });
        }
        (out, problems)
    }

    /// Blobs that the file rules read whole, each with the first path (in the order of
    /// [`Graph::first_introductions`], each tree under the first path it is met at) that
    /// `is_file` accepts. Only the entries the pass noted as candidates are looked at, at
    /// most [`MAX_PATHS_PER_BLOB`] paths each.
    pub(crate) fn file_paths(
        &self,
        repo: &crate::Repository,
        tips: &[ObjectId],
        is_file: &(dyn Fn(&[u8]) -> bool + Sync),
        threads: usize,
    ) -> Vec<(BlobId, BString)> {
        let mut wanted: HashMap<u32, Vec<u32>> = HashMap::new();
        for &(tree, position, anywhere) in &self.candidates {
            if anywhere == 1 || self.marked[tree as usize] {
                wanted.entry(tree).or_default().push(position);
            }
        }
        if wanted.is_empty() {
            return Vec::new();
        }
        let (order, _) = self.order(tips);
        let mut tries: HashMap<u32, usize> = HashMap::new();
        let mut pending: Vec<(u32, Vec<(u32, u32)>)> = Vec::new();
        self.walk(
            &order,
            |tree, chain| {
                let Some(positions) = wanted.get(&tree) else {
                    return;
                };
                let prefix: Vec<(u32, u32)> = chain.collect();
                let edges = self.tree_edges(tree);
                for &p in positions {
                    let Some(&edge) = edges.get(p as usize) else {
                        continue;
                    };
                    let tried = tries.entry(edge & NUMBER).or_default();
                    if *tried < MAX_PATHS_PER_BLOB {
                        *tried += 1;
                        let mut chain = prefix.clone();
                        chain.push((tree, p));
                        pending.push((edge & NUMBER, chain));
                    }
                }
            },
            |_, _, _| true,
        );
        let paths: Vec<Option<BString>> = crate::pool(threads).install(|| {
            pending
                .par_iter()
                .map_init(
                    || (repo.thread_local(), HashMap::new()),
                    |(r, names), (_, chain)| self.path(r, chain, names),
                )
                .collect()
        });
        let mut out: Vec<(BlobId, BString)> = Vec::new();
        let mut done: HashSet<u32> = HashSet::new();
        for ((blob, _), path) in pending.iter().zip(paths) {
            if let Some(path) = path
                && !done.contains(blob)
                && is_file(&path)
            {
                done.insert(*blob);
                out.push((blob_id(self.ids.id(*blob)), path));
            }
        }
        out
    }

    /// Walks the root tree of each commit of `order` in memory, depth first in the tree's
    /// order (the order of `git ls-tree -r`) with an explicit stack, each tree once in the
    /// whole walk (a tree met before holds nothing the walk has not seen). `tree(t, chain)`
    /// is told of each tree entered, `chain` giving the (tree, entry) pairs that lead to it;
    /// `blob(commit, b, chain)` of each regular or executable file, `chain` ending with its
    /// own entry, and stops the walk by returning false.
    fn walk(
        &self,
        order: &[usize],
        mut tree: impl FnMut(u32, &mut dyn Iterator<Item = (u32, u32)>),
        mut blob: impl FnMut(usize, u32, &mut dyn Iterator<Item = (u32, u32)>) -> bool,
    ) {
        let mut seen = vec![false; self.ids.len()];
        // (tree, next entry); for every tree but the top, `next - 1` is the entry being read.
        let mut stack: Vec<(u32, u32)> = Vec::new();
        for &ci in order {
            let root = self.commits[ci].tree;
            if root == u32::MAX || std::mem::replace(&mut seen[root as usize], true) {
                continue;
            }
            tree(root, &mut std::iter::empty());
            stack.clear();
            stack.push((root, 0));
            while let Some(&(t, next)) = stack.last() {
                let Some(&edge) = self.tree_edges(t).get(next as usize) else {
                    stack.pop();
                    continue;
                };
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                let target = edge & NUMBER;
                if edge & OTHER_EDGE != 0 {
                    continue;
                }
                let mut chain = stack.iter().map(|&(t, next)| (t, next - 1));
                if edge & TREE_EDGE != 0 {
                    if !std::mem::replace(&mut seen[target as usize], true) {
                        tree(target, &mut chain);
                        stack.push((target, 0));
                    }
                } else if !blob(ci, target, &mut chain) {
                    return;
                }
            }
        }
    }

    /// The path that `chain` leads to, from the names of its trees' entries.
    fn path(
        &self,
        repo: &gix::Repository,
        chain: &[(u32, u32)],
        names: &mut HashMap<u32, Vec<BString>>,
    ) -> Option<BString> {
        let mut path = BString::default();
        for &(tree, position) in chain {
            let list = match names.entry(tree) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let list = crate::tree::entries(repo, *self.ids.id(tree)).ok()?;
                    e.insert(list.into_iter().map(|e| e.name).collect())
                }
            };
            let name = list.get(position as usize)?;
            if !path.is_empty() {
                path.push_byte(b'/');
            }
            path.push_str(name);
        }
        Some(path)
    }
}
