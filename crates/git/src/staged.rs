//! The staged index: what `git commit` would record that `HEAD` does not hold.
use std::collections::HashMap;

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
    let head: HashMap<BString, ObjectId> = match r.head_tree_id() {
        Ok(tree_id) => {
            let mut all = Vec::new();
            tree::flatten(&r, tree_id.detach(), b"", &mut all).map_err(|e| read("HEAD tree", e))?;
            all.into_iter().collect()
        }
        // No HEAD yet (the first commit): everything staged is new.
        Err(_) => HashMap::new(),
    };
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
        let path = BString::from(entry.path(&index).to_vec());
        if head.get(&path) != Some(&entry.id) {
            out.push(Introduced {
                blob: blob_id(&entry.id),
                path,
                commit: None,
            });
        }
    }
    Ok(out)
}
