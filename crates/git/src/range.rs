//! Commit ranges: the blobs that the commits of `A..B` introduced.
use std::collections::HashSet;

use gix::ObjectId;

use crate::history::commits_parents_first;
use crate::{Error, Introduced, Problem, Repository, blob_id, commit_info, tree};

fn resolve(repo: &gix::Repository, spec: &str) -> Result<ObjectId, Error> {
    let err = |message: String| Error::Revision {
        spec: spec.to_string(),
        message,
    };
    let id = repo
        .rev_parse_single(spec)
        .map_err(|e| err(e.to_string()))?;
    let commit = id
        .object()
        .map_err(|e| err(e.to_string()))?
        .peel_to_commit()
        .map_err(|e| err(e.to_string()))?;
    Ok(commit.id)
}

pub(crate) fn introduced(
    repo: &Repository,
    spec: &str,
) -> Result<(Vec<Introduced>, Vec<Problem>), Error> {
    let r = repo.thread_local();
    let (from, to) = match spec.split_once("..") {
        Some((a, b)) => (a, if b.is_empty() { "HEAD" } else { b }),
        None => (spec, "HEAD"),
    };
    if from.is_empty() || from.starts_with('.') {
        return Err(Error::Revision {
            spec: spec.to_string(),
            message: "expected A..B or a single revision".to_string(),
        });
    }
    let from = resolve(&r, from)?;
    let to = resolve(&r, to)?;
    let mut problems = Vec::new();
    let order = commits_parents_first(&r, vec![to], vec![from], &mut problems);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (position, id) in order.into_iter().enumerate() {
        let read = |what: &str, e: String| Error::Read {
            what: format!("{what} {id}"),
            message: e,
        };
        let commit = r
            .find_commit(id)
            .map_err(|e| read("commit", e.to_string()))?;
        let tree_id = commit
            .tree_id()
            .map_err(|e| read("commit", e.to_string()))?
            .detach();
        let parent_trees: Vec<ObjectId> = commit
            .parent_ids()
            .filter_map(|p| r.find_commit(p).ok()?.tree_id().ok().map(|t| t.detach()))
            .collect();
        let mut changed = Vec::new();
        tree::changed(
            &r,
            parent_trees.first().copied(),
            tree_id,
            b"",
            &mut changed,
        )
        .map_err(|e| read("tree of commit", e))?;
        // A merge introduces only what differs from every parent.
        for other in parent_trees.iter().skip(1) {
            changed.retain(|(path, blob)| {
                tree::lookup(&r, *other, path).ok().flatten() != Some(*blob)
            });
        }
        if changed.is_empty() {
            continue;
        }
        let info = commit_info(&commit, position as u64);
        for (path, blob) in changed {
            if seen.insert(blob) {
                out.push(Introduced {
                    blob: blob_id(&blob),
                    path,
                    commit: Some(info.clone()),
                    previous: None,
                });
            }
        }
    }
    Ok((out, problems))
}
