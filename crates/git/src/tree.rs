//! Tree helpers: list, compare and look up blobs, without rename tracking.
use std::collections::HashMap;

use bstr::{BString, ByteSlice, ByteVec};
use gix::ObjectId;

/// A blob entry of a tree: path, blob id. Symlinks and gitlinks are left out: a symlink's
/// content is a path, a gitlink's commit lives in another repository.
pub(crate) type BlobEntry = (BString, ObjectId);

pub(crate) fn join(prefix: &[u8], name: &[u8]) -> BString {
    let mut p = BString::from(prefix);
    if !p.is_empty() {
        p.push_byte(b'/');
    }
    p.push_str(name);
    p
}

/// Entries of one tree: name → (is tree, is plain blob, id).
pub(crate) fn entries(
    repo: &gix::Repository,
    id: ObjectId,
) -> Result<Vec<(BString, bool, bool, ObjectId)>, String> {
    let tree = repo.find_tree(id).map_err(|e| e.to_string())?;
    let decoded = tree.decode().map_err(|e| e.to_string())?;
    Ok(decoded
        .entries
        .iter()
        .map(|e| {
            (
                BString::from(e.filename.as_bytes()),
                e.mode.is_tree(),
                e.mode.is_blob(),
                e.oid.to_owned(),
            )
        })
        .collect())
}

/// Every blob under tree `id`.
pub(crate) fn flatten(
    repo: &gix::Repository,
    id: ObjectId,
    prefix: &[u8],
    out: &mut Vec<BlobEntry>,
) -> Result<(), String> {
    for (name, is_tree, is_blob, oid) in entries(repo, id)? {
        let path = join(prefix, &name);
        if is_tree {
            flatten(repo, oid, &path, out)?;
        } else if is_blob {
            out.push((path, oid));
        }
    }
    Ok(())
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
    let Some(old) = old else {
        return flatten(repo, new, prefix, out);
    };
    let before: HashMap<BString, (bool, ObjectId)> = entries(repo, old)?
        .into_iter()
        .map(|(name, is_tree, _, oid)| (name, (is_tree, oid)))
        .collect();
    for (name, is_tree, is_blob, oid) in entries(repo, new)? {
        let prev = before.get(&name);
        if prev.is_some_and(|(_, p)| *p == oid) {
            continue;
        }
        let path = join(prefix, &name);
        if is_tree {
            let old_sub = prev.and_then(|(t, p)| t.then_some(*p));
            changed(repo, old_sub, oid, &path, out)?;
        } else if is_blob {
            out.push((path, oid));
        }
    }
    Ok(())
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
            .find(|(n, ..)| n.as_bytes() == part);
        match found {
            Some((_, true, _, oid)) if parts.peek().is_some() => current = oid,
            Some((_, false, true, oid)) if parts.peek().is_none() => return Ok(Some(oid)),
            _ => return Ok(None),
        }
    }
    Ok(None)
}
