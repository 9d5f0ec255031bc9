//! Tree helpers: walk, list, compare and look up blobs, without rename tracking.
//!
//! Every walk here keeps its own stack: a tree's depth is chosen by whoever wrote the
//! repository, and a walk that recursed once per level would overflow the call stack on a
//! deep enough tree.
use std::collections::HashMap;

use bstr::{BString, ByteSlice, ByteVec};
use gix::ObjectId;

/// A blob entry of a tree: path, blob id. Symlinks and gitlinks are left out: a symlink's
/// content is a path, a gitlink's commit lives in another repository.
pub(crate) type BlobEntry = (BString, ObjectId);

/// One entry of a tree.
pub(crate) struct Entry {
    /// The file name.
    pub(crate) name: BString,
    /// A subtree.
    pub(crate) is_tree: bool,
    /// A regular or executable file (not a symlink, not a gitlink).
    pub(crate) is_blob: bool,
    /// The object it names.
    pub(crate) oid: ObjectId,
}

/// The entries of one tree, in its order.
pub(crate) fn entries(repo: &gix::Repository, id: ObjectId) -> Result<Vec<Entry>, String> {
    let tree = repo.find_tree(id).map_err(|e| e.to_string())?;
    let decoded = tree.decode().map_err(|e| e.to_string())?;
    Ok(decoded
        .entries
        .iter()
        .map(|e| Entry {
            name: BString::from(e.filename.as_bytes()),
            is_tree: e.mode.is_tree(),
            is_blob: e.mode.is_blob(),
            oid: e.oid.to_owned(),
        })
        .collect())
}

/// What a walk does with a subtree it meets.
pub(crate) enum Subtree<S> {
    /// Leave it out.
    Skip,
    /// Read it; its entries see this state.
    Enter(S),
}

/// A tree being read: its entries not visited yet, and the length of its path.
struct Frame<S> {
    entries: std::vec::IntoIter<Entry>,
    state: S,
    path_len: usize,
}

/// Walks tree `root` (the directory `prefix`, `""` for the root of a commit) depth first,
/// in the tree's order (the order of `git ls-tree -r`), with an explicit stack.
///
/// For each subtree, `subtree(state, path, entry)` says whether to enter it and with which
/// state for its own entries; each plain blob goes to `blob(state, path, entry)`. `state`
/// is the one of the tree holding the entry, `path` the entry's full path. A subtree that
/// cannot be read (or whose `subtree` call fails) is left out and the walk goes on; the
/// first such error is returned at the end. Only an unreadable `root` stops the walk at once.
///
/// # Performance
/// One read per tree entered. The path is one buffer that grows and shrinks as the walk
/// goes down and up, so a chain of `n` nested trees costs `O(n)` work, not `n` path copies;
/// memory holds the entries not yet visited of the trees along the current path.
pub(crate) fn walk<S>(
    repo: &gix::Repository,
    root: ObjectId,
    state: S,
    prefix: &[u8],
    mut subtree: impl FnMut(&S, &[u8], &Entry) -> Result<Subtree<S>, String>,
    mut blob: impl FnMut(&S, &[u8], &Entry),
) -> Result<(), String> {
    let mut path = BString::from(prefix);
    let mut stack = vec![Frame {
        entries: entries(repo, root)?.into_iter(),
        state,
        path_len: path.len(),
    }];
    let mut first_error = None;
    while let Some(frame) = stack.last_mut() {
        let Some(entry) = frame.entries.next() else {
            stack.pop();
            continue;
        };
        path.truncate(frame.path_len);
        if !path.is_empty() {
            path.push_byte(b'/');
        }
        path.push_str(&entry.name);
        if entry.is_tree {
            let read = match subtree(&frame.state, &path, &entry) {
                Ok(Subtree::Enter(state)) => {
                    entries(repo, entry.oid).map(|list| Some((list, state)))
                }
                Ok(Subtree::Skip) => Ok(None),
                Err(e) => Err(e),
            };
            match read {
                Ok(Some((list, state))) => stack.push(Frame {
                    entries: list.into_iter(),
                    state,
                    path_len: path.len(),
                }),
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        } else if entry.is_blob {
            blob(&frame.state, &path, &entry);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Every blob under tree `id`.
pub(crate) fn flatten(
    repo: &gix::Repository,
    id: ObjectId,
    prefix: &[u8],
    out: &mut Vec<BlobEntry>,
) -> Result<(), String> {
    walk(
        repo,
        id,
        (),
        prefix,
        |_, _, _| Ok(Subtree::Enter(())),
        |_, path, e| out.push((BString::from(path), e.oid)),
    )
}

/// The entries of tree `id` by name: (is tree, id).
fn by_name(
    repo: &gix::Repository,
    id: ObjectId,
) -> Result<HashMap<BString, (bool, ObjectId)>, String> {
    Ok(entries(repo, id)?
        .into_iter()
        .map(|e| (e.name, (e.is_tree, e.oid)))
        .collect())
}

/// The blobs of tree `new` that differ from `old` at the same path (added or modified).
pub(crate) fn changed(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: ObjectId,
    prefix: &[u8],
    out: &mut Vec<BlobEntry>,
) -> Result<(), String> {
    if old == Some(new) {
        return Ok(());
    }
    // Each tree's state: the entries of the old tree at the same path.
    let before = match old {
        Some(old) => by_name(repo, old)?,
        None => HashMap::new(),
    };
    walk(
        repo,
        new,
        before,
        prefix,
        |before, _, e| match before.get(&e.name) {
            Some((_, prev)) if *prev == e.oid => Ok(Subtree::Skip),
            Some((true, prev)) => Ok(Subtree::Enter(by_name(repo, *prev)?)),
            _ => Ok(Subtree::Enter(HashMap::new())),
        },
        |before, path, e| {
            if before.get(&e.name).is_none_or(|(_, prev)| *prev != e.oid) {
                out.push((BString::from(path), e.oid));
            }
        },
    )
}

/// The blob at `path` in tree `root`, if any.
pub(crate) fn lookup(
    repo: &gix::Repository,
    root: ObjectId,
    path: &[u8],
) -> Result<Option<ObjectId>, String> {
    let mut current = root;
    let mut parts = path.split_str("/").peekable();
    while let Some(part) = parts.next() {
        let found = entries(repo, current)?
            .into_iter()
            .find(|e| e.name.as_bytes() == part);
        match found {
            Some(e) if e.is_tree && parts.peek().is_some() => current = e.oid,
            Some(e) if e.is_blob && parts.peek().is_none() => return Ok(Some(e.oid)),
            _ => return Ok(None),
        }
    }
    Ok(None)
}
