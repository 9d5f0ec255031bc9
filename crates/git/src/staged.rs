//! The staged index: what `git commit` would record that `HEAD` does not hold.
//!
//! The index's cache-tree extension (kept by `git add` and `git commit`) names the tree
//! each unchanged directory would be written as: a directory whose cached tree is `HEAD`'s
//! tree at the same path holds nothing new, and is neither read from `HEAD` nor compared.
//! Only the directories that `git add` touched are loaded, so a commit of a few files in a
//! large repository reads a few trees, not all of them.
use std::collections::{HashMap, HashSet};

use bstr::BString;
use gix::ObjectId;

use crate::{Error, Introduced, Repository, blob_id, tree};

pub(crate) fn introduced(repo: &Repository) -> Result<Vec<Introduced>, Error> {
    let r = repo.thread_local();
    let read = |what: &str, e: String| Error::Read {
        what: what.to_string(),
        message: e,
    };
    let index = r
        .index_or_empty()
        .map_err(|e| read("index", e.to_string()))?;
    let mut head: HashMap<BString, ObjectId> = HashMap::new();
    let mut clean: HashSet<BString> = HashSet::new();
    // No HEAD yet (the first commit): everything staged is new.
    if let Ok(tree_id) = r.head_tree_id() {
        let tree_id = tree_id.detach();
        if index
            .tree()
            .is_some_and(|c| c.num_entries.is_some() && c.id == tree_id)
        {
            // The index would be written as HEAD's tree: nothing is staged.
            return Ok(Vec::new());
        }
        let mut all = Vec::new();
        match index.tree() {
            Some(cache) => compare_cached(&r, cache, tree_id, b"", &mut all, &mut clean),
            None => tree::flatten(&r, tree_id, b"", &mut all),
        }
        .map_err(|e| read("HEAD tree", e))?;
        head.extend(all);
    }
    let mut out = Vec::new();
    for entry in index.entries() {
        if entry.stage_raw() != 0 {
            continue;
        }
        let mode = entry.mode;
        if !(mode == gix::index::entry::Mode::FILE
            || mode == gix::index::entry::Mode::FILE_EXECUTABLE)
        {
            continue;
        }
        let path = entry.path(&index);
        if !clean.is_empty() && in_clean_directory(path, &clean) {
            continue;
        }
        let path = BString::from(path.to_vec());
        let before = head.get(&path);
        if before != Some(&entry.id) {
            out.push(Introduced {
                blob: blob_id(&entry.id),
                path,
                commit: None,
                previous: before.map(|id| blob_id(id)),
            });
        }
    }
    Ok(out)
}

/// Whether a directory above `path` is in `clean`.
fn in_clean_directory(path: &[u8], clean: &HashSet<BString>) -> bool {
    path.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'/')
        .any(|(i, _)| clean.contains(&path[..i]))
}

/// Walks the cache tree `cache` (for directory `prefix`) beside `HEAD`'s tree `head`:
/// directories whose cached tree is `HEAD`'s go to `clean`; the blobs of the others, as far
/// as the index could differ, go to `out`.
fn compare_cached(
    repo: &gix::Repository,
    cache: &gix::index::extension::Tree,
    head: ObjectId,
    prefix: &[u8],
    out: &mut Vec<tree::BlobEntry>,
    clean: &mut HashSet<BString>,
) -> Result<(), String> {
    if cache.num_entries.is_some() && cache.id == head && !prefix.is_empty() {
        clean.insert(BString::from(prefix));
        return Ok(());
    }
    for (name, is_tree, is_blob, oid) in tree::entries(repo, head)? {
        let path = tree::join(prefix, &name);
        if is_tree {
            match cache
                .children
                .iter()
                .find(|c| c.name.as_slice() == name.as_slice())
            {
                Some(child) => compare_cached(repo, child, oid, &path, out, clean)?,
                None => tree::flatten(repo, oid, &path, out)?,
            }
        } else if is_blob {
            out.push((path, oid));
        }
    }
    Ok(())
}
