//! Commit ranges: the blobs that the commits of a revision range introduced.
//!
//! Revisions and ranges are parsed and resolved by gix (`rev_parse`), as `git rev-list`
//! reads its arguments; only the set arithmetic is ours.
use std::collections::HashSet;

use bstr::ByteSlice;
use gix::ObjectId;
use gix::revision::plumbing::Spec;

use crate::history::commits_parents_first;
use crate::{
    DEEPEN_ADVICE, Error, Introduced, Problem, Range, Repository, blob_id, commit_info, tree,
};

/// The commits a range selects, as `git rev-list` would: those reachable from `include` but
/// not from `exclude`.
#[derive(Debug, Default)]
struct Selection {
    include: Vec<ObjectId>,
    exclude: Vec<ObjectId>,
}

/// `e` and its causes, each once: gix says which revision is missing in a cause.
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// For a shallow clone, why `word` may not resolve and what to do.
fn shallow_hint(repo: &gix::Repository, word: &str) -> String {
    if repo.is_shallow().unwrap_or(false) {
        format!(
            ". This is a shallow clone, which may lack what `{word}` names: {DEEPEN_ADVICE}; \
             a branch the clone lacks needs `git fetch origin BRANCH` too"
        )
    } else {
        String::new()
    }
}

/// The commit `id` names, peeling tags.
fn commit_of(repo: &gix::Repository, id: ObjectId) -> Result<ObjectId, String> {
    let object = repo.find_object(id).map_err(|e| e.to_string())?;
    let commit = object.peel_to_commit().map_err(|e| e.to_string())?;
    Ok(commit.id)
}

/// The parents of commit `id`.
fn parents_of(repo: &gix::Repository, id: ObjectId) -> Result<Vec<ObjectId>, String> {
    let commit = repo.find_commit(id).map_err(|e| e.to_string())?;
    Ok(commit.parent_ids().map(|p| p.detach()).collect())
}

/// Parses `spec` into the commits it selects. `spec` is one or more revisions separated by
/// whitespace, each as `git rev-list` takes it: `A..B`, `A...B` (commits reachable from
/// either but not from both), `^A`, `A^@`, `A^!`, or `A`; an empty side of `..` or `...`
/// is `HEAD`. A single `A` alone stands for `A..HEAD`.
fn select(repo: &gix::Repository, spec: &str) -> Result<Selection, Error> {
    let err = |message: String| Error::Revision {
        spec: spec.to_string(),
        message,
    };
    // Revisions are separated by whitespace, unless the whole text is one revision (a
    // commit message search, `:/fix typo`, holds spaces).
    let whole = spec.trim();
    let words: Vec<&str> = if whole.contains(char::is_whitespace)
        && repo.rev_parse(whole.as_bytes().as_bstr()).is_ok()
    {
        vec![whole]
    } else {
        whole.split_whitespace().collect()
    };
    if words.is_empty() {
        return Err(err("expected a revision or a range such as A..B".into()));
    }
    let mut sel = Selection::default();
    for word in &words {
        let parsed = repo
            .rev_parse(word.as_bytes().as_bstr())
            .map_err(|e| err(with_causes(&e) + &shallow_hint(repo, word)))?
            .detach();
        let commit = |id: ObjectId| commit_of(repo, id).map_err(|e| err(format!("{word}: {e}")));
        match parsed {
            Spec::Include(id) => {
                // A lone revision is where the range starts.
                if words.len() == 1 {
                    sel.exclude.push(commit(id)?);
                    let head = repo
                        .head_id()
                        .map_err(|e| err(format!("HEAD: {e}")))?
                        .detach();
                    sel.include.push(head);
                } else {
                    sel.include.push(commit(id)?);
                }
            }
            Spec::Exclude(id) => sel.exclude.push(commit(id)?),
            Spec::Range { from, to } => {
                sel.exclude.push(commit(from)?);
                sel.include.push(commit(to)?);
            }
            Spec::Merge { theirs, ours } => {
                let (theirs, ours) = (commit(theirs)?, commit(ours)?);
                let bases = repo.merge_bases_many(theirs, &[ours]).map_err(|e| {
                    err(format!(
                        "merge base of {word}: {e}{}",
                        shallow_hint(repo, word)
                    ))
                })?;
                sel.include.extend([theirs, ours]);
                sel.exclude.extend(bases.into_iter().map(|id| id.detach()));
            }
            Spec::IncludeOnlyParents(id) => {
                let parents = parents_of(repo, commit(id)?).map_err(err)?;
                sel.include.extend(parents);
            }
            Spec::ExcludeParents(id) => {
                let id = commit(id)?;
                sel.exclude.extend(parents_of(repo, id).map_err(err)?);
                sel.include.push(id);
            }
        }
    }
    if sel.include.is_empty() {
        return Err(err(
            "the range includes no commit: name one, as in `^A B` or `A..B`".into(),
        ));
    }
    Ok(sel)
}

pub(crate) fn introduced(repo: &Repository, spec: &str) -> Result<Range, Error> {
    let r = repo.thread_local();
    let Selection { include, exclude } = select(&r, spec)?;
    let mut problems = Vec::new();
    let order = commits_parents_first(&r, include, exclude, &mut problems);
    // Commits whose parents a shallow clone cut off: compared with nothing, everything in
    // their trees counts as added.
    let shallow: HashSet<ObjectId> = match r.shallow_commits() {
        Ok(Some(commits)) => commits.iter().copied().collect(),
        Ok(None) => HashSet::new(),
        Err(e) => {
            problems.push(Problem {
                input: "shallow file".into(),
                message: format!("cannot be read, so the clone's boundary is not known: {e}"),
            });
            HashSet::new()
        }
    };
    let mut boundary = Vec::new();
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
        let parents = commit.parent_ids().count();
        let parent_trees: Vec<ObjectId> = commit
            .parent_ids()
            .filter_map(|p| r.find_commit(p).ok()?.tree_id().ok().map(|t| t.detach()))
            .collect();
        // A commit compared with no parent although it has some: the clone's boundary. One
        // whose parents the clone holds in part (a pull request's merge commit once CI
        // fetched its base) is compared with those.
        if parents > 0 && parent_trees.is_empty() && shallow.contains(&id) {
            boundary.push(commit_info(&commit, position as u64));
        }
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
    Ok(Range {
        introduced: out,
        problems,
        shallow_boundary: boundary,
    })
}
