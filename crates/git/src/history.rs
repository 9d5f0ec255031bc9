//! Provenance: the first commit that holds each matched blob, and the path there.
use std::collections::{HashMap, HashSet};

use bstr::BString;
use gix::ObjectId;

use keysnare_types::{BlobId, CommitInfo};

use crate::tree::{self, Subtree};
use crate::{Problem, Repository, blob_id, commit_info};

/// Every commit reachable from any ref or `HEAD`.
pub(crate) fn tips(repo: &gix::Repository, problems: &mut Vec<Problem>) -> Vec<ObjectId> {
    let mut tips = Vec::new();
    if let Ok(id) = repo.head_id() {
        tips.push(id.detach());
    }
    match repo.references() {
        Ok(platform) => match platform.all() {
            Ok(refs) => {
                for r in refs.flatten() {
                    let name = r.name().as_bstr().to_owned();
                    let mut r = r;
                    match r.peel_to_id() {
                        Ok(id) => {
                            let id = id.detach();
                            // Tags may point at trees or blobs; only commits start a walk.
                            if repo
                                .find_header(id)
                                .is_ok_and(|h| h.kind() == gix::objs::Kind::Commit)
                            {
                                tips.push(id);
                            }
                        }
                        Err(e) => problems.push(Problem {
                            input: format!("ref {name}"),
                            message: format!(
                                "cannot be resolved, its history is not attributed: {e}"
                            ),
                        }),
                    }
                }
            }
            Err(e) => problems.push(Problem {
                input: "refs".into(),
                message: e.to_string(),
            }),
        },
        Err(e) => problems.push(Problem {
            input: "refs".into(),
            message: e.to_string(),
        }),
    }
    tips.sort();
    tips.dedup();
    tips
}

/// Commits reachable from `tips` (minus `hidden` and their ancestors), parents before children.
pub(crate) fn commits_parents_first(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
    problems: &mut Vec<Problem>,
) -> Vec<ObjectId> {
    let walk = match repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .sorting(gix::revision::walk::Sorting::ByCommitTime(
            gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
        ))
        .all()
    {
        Ok(w) => w,
        Err(e) => {
            problems.push(Problem {
                input: "commit graph".into(),
                message: format!("cannot walk history: {e}"),
            });
            return Vec::new();
        }
    };
    let mut ids = Vec::new();
    let mut times = Vec::new();
    let mut parents = Vec::new();
    let mut broken = 0usize;
    let mut first_error = None;
    for info in walk {
        match info {
            Ok(info) => {
                ids.push(info.id);
                times.push(info.commit_time.unwrap_or_default());
                parents.push(info.parent_ids.iter().copied().collect::<Vec<_>>());
            }
            Err(e) => {
                broken += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if broken > 0 {
        problems.push(Problem {
            input: "commit graph".into(),
            message: format!(
                "{broken} commits could not be read; history behind them is not attributed (first: {})",
                first_error.unwrap_or_default()
            ),
        });
    }
    // Kahn's algorithm; of the commits whose parents are all placed, the oldest (commit
    // date, then id) comes next, so the result is deterministic and unrelated branches
    // interleave by date. The history graph orders commits the same way.
    let index: HashMap<ObjectId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut pending = vec![0usize; ids.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
    for (i, ps) in parents.iter().enumerate() {
        for p in ps {
            if let Some(&pi) = index.get(p) {
                pending[i] += 1;
                children[pi].push(i);
            }
        }
    }
    let key = |i: usize| std::cmp::Reverse((times[i], ids[i]));
    let mut ready: std::collections::BinaryHeap<_> = (0..ids.len())
        .filter(|&i| pending[i] == 0)
        .map(|i| (key(i), i))
        .collect();
    let mut order = Vec::with_capacity(ids.len());
    while let Some((_, i)) = ready.pop() {
        order.push(ids[i]);
        for &c in &children[i] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push((key(c), c));
            }
        }
    }
    order
}

pub(crate) fn first_introductions(
    repo: &Repository,
    wanted: &HashSet<BlobId>,
) -> (HashMap<BlobId, (BString, CommitInfo)>, Vec<Problem>) {
    let mut found = HashMap::new();
    let mut problems = Vec::new();
    if wanted.is_empty() {
        return (found, problems);
    }
    let r = repo.thread_local();
    let tips = tips(&r, &mut problems);
    let order = commits_parents_first(&r, tips, Vec::new(), &mut problems);
    let mut seen_trees: HashSet<ObjectId> = HashSet::new();
    let mut unreadable = 0usize;
    for (position, id) in order.into_iter().enumerate() {
        let Ok(commit) = r.find_commit(id) else {
            unreadable += 1;
            continue;
        };
        let Ok(tree) = commit.tree_id() else {
            unreadable += 1;
            continue;
        };
        let mut hits = Vec::new();
        if walk_tree(
            &r,
            tree.detach(),
            wanted,
            &found,
            &mut seen_trees,
            &mut hits,
        )
        .is_err()
        {
            unreadable += 1;
        }
        if !hits.is_empty() {
            let info = commit_info(&commit, position as u64);
            for (blob, path) in hits {
                found.entry(blob).or_insert_with(|| (path, info.clone()));
            }
            if found.len() == wanted.len() {
                break;
            }
        }
    }
    if unreadable > 0 {
        problems.push(Problem {
            input: "history".into(),
            message: format!("{unreadable} commits or trees could not be read; blobs only they hold are reported as unreachable"),
        });
    }
    (found, problems)
}

/// Walks the tree `id` of a commit, skipping trees seen in earlier commits (their blobs
/// were attributed there already), and collects wanted blobs not attributed yet.
fn walk_tree(
    repo: &gix::Repository,
    id: ObjectId,
    wanted: &HashSet<BlobId>,
    found: &HashMap<BlobId, (BString, CommitInfo)>,
    seen_trees: &mut HashSet<ObjectId>,
    hits: &mut Vec<(BlobId, BString)>,
) -> Result<(), String> {
    if !seen_trees.insert(id) {
        return Ok(());
    }
    tree::walk(
        repo,
        id,
        (),
        b"",
        |_, _, e| {
            Ok(if seen_trees.insert(e.oid) {
                Subtree::Enter(())
            } else {
                Subtree::Skip
            })
        },
        |_, path, e| {
            let b = blob_id(&e.oid);
            if wanted.contains(&b) && !found.contains_key(&b) && !hits.iter().any(|(h, _)| *h == b)
            {
                hits.push((b, BString::from(path)));
            }
        },
    )
}
