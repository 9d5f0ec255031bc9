//! The staged index: what `git commit` would record that `HEAD` does not hold.
//!
//! The index's cache-tree extension (kept by `git add` and `git commit`) names the tree
//! each unchanged directory would be written as: a directory whose cached tree is `HEAD`'s
//! tree at the same path holds nothing new, and is neither read from `HEAD` nor compared.
//! Only the directories that `git add` touched are loaded, so a commit of a few files in a
//! large repository reads a few trees, not all of them.
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use bstr::BString;
use gix::ObjectId;

use crate::tree::{self, Subtree};
use crate::{Error, Introduced, Repository, blob_id};

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
    let mut clean: BTreeSet<BString> = BTreeSet::new();
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
            Some(cache) => compare_cached(&r, cache, tree_id, &mut all, &mut clean),
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

/// Whether a directory above `path` is in `clean` (directories with a `/` appended, none
/// inside another). Only the greatest entry not after `path` can be a prefix of it: an entry
/// between a prefix of `path` and `path` would begin with that prefix, a directory inside
/// another.
fn in_clean_directory(path: &[u8], clean: &BTreeSet<BString>) -> bool {
    clean
        .range::<[u8], _>((Bound::Unbounded, Bound::Included(path)))
        .next_back()
        .is_some_and(|dir| path.starts_with(dir))
}

/// Walks the cache tree `cache` (for the root directory) beside `HEAD`'s tree `head`:
/// directories whose cached tree is `HEAD`'s go to `clean` (with a `/` appended) and are not
/// read; the blobs of the others, as far as the index could differ, go to `out`.
fn compare_cached(
    repo: &gix::Repository,
    cache: &gix::index::extension::Tree,
    head: ObjectId,
    out: &mut Vec<tree::BlobEntry>,
    clean: &mut BTreeSet<BString>,
) -> Result<(), String> {
    // Each tree's state: its node of the cache tree, if the index has one.
    tree::walk(
        repo,
        head,
        Some(cache),
        b"",
        |cache, path, e| {
            let child = cache.and_then(|c| {
                c.children
                    .iter()
                    .find(|child| child.name.as_slice() == e.name.as_slice())
            });
            Ok(match child {
                Some(child) if child.num_entries.is_some() && child.id == e.oid => {
                    let mut dir = BString::from(path);
                    dir.push(b'/');
                    clean.insert(dir);
                    Subtree::Skip
                }
                child => Subtree::Enter(child),
            })
        },
        |_, path, e| out.push((BString::from(path), e.oid)),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use bstr::BString;

    use super::in_clean_directory;

    #[test]
    fn a_clean_directory_is_found_past_siblings_that_sort_between() {
        // "a-b/" sorts between "a/" and "a/x"; so does "a.txt/" ('-' and '.' are below '/').
        let clean: BTreeSet<BString> = ["a/", "a-b/", "a.txt/", "b/c/"]
            .into_iter()
            .map(BString::from)
            .collect();
        for inside in ["a/x", "a/y/z", "a-b/x", "a.txt/x", "b/c/d"] {
            assert!(in_clean_directory(inside.as_bytes(), &clean), "{inside}");
        }
        for outside in ["a", "ab/x", "a-c/x", "b/x", "b/cd", "b/c", "0/a/x", "z"] {
            assert!(!in_clean_directory(outside.as_bytes(), &clean), "{outside}");
        }
    }
}
