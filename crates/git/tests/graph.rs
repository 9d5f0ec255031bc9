//! The history graph's provenance against the walk it replaced (commits and trees read
//! again from the database), on every repository that `fixtures/repos/*.sh` generates.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use keysnare_git::{BlobVisitor, ReadOptions, Repository};
use keysnare_types::BlobId;

/// Collects the id of every blob of a scan.
#[derive(Clone, Default)]
struct Ids(Arc<Mutex<HashSet<BlobId>>>);

impl BlobVisitor for Ids {
    fn claim(&mut self, id: &BlobId) -> bool {
        self.0.lock().unwrap().insert(*id)
    }

    fn visit(&mut self, _: BlobId, _: &[u8]) {}
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/repos")
}

fn generate(script: &str, dir: &Path) {
    let out = std::process::Command::new("bash")
        .arg(fixtures().join(script))
        .arg(dir)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn opts() -> ReadOptions<'static> {
    ReadOptions {
        max_size: u64::MAX,
        threads: 2,
        progress: None,
        memory: None,
        file_names: None,
    }
}

#[test]
fn graph_provenance_equals_the_walk_on_every_fixture_and_adds_unreachable_commits() {
    let scripts: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sh") && n != "lib.sh")
        .collect();
    assert!(scripts.len() >= 4, "{scripts:?}");
    let mut compared = 0;
    let mut unreachable = 0;
    for script in &scripts {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("repo");
        generate(script, &dir);
        let repo = Repository::open(&dir).unwrap();
        let ids = Ids::default();
        let mut report = repo.scan_all(&opts(), ids.clone());
        let history = report.history.take().expect("a graph");
        assert!(history.commits() > 0, "{script}");
        let all = ids.0.lock().unwrap().clone();
        let (graph, _) = repo.first_introductions(Some(&history), &all, 2);
        let (walk, _) = repo.first_introductions(None, &all, 2);
        // Every blob the walk attributes, the graph attributes to the same commit and path.
        for (blob, (path, commit)) in &walk {
            let (gpath, gcommit) = graph
                .get(blob)
                .unwrap_or_else(|| panic!("{script}: {blob} not attributed by the graph"));
            assert_eq!(
                (gpath, &gcommit.id, gcommit.order),
                (path, &commit.id, commit.order),
                "{script}: {blob}"
            );
            assert!(gcommit.reachable, "{script}: {blob}");
            compared += 1;
        }
        // The graph's others come from commits no ref reaches.
        let extra: HashMap<_, _> = graph
            .iter()
            .filter(|(b, _)| !walk.contains_key(*b))
            .collect();
        for (blob, (_, commit)) in &extra {
            assert!(!commit.reachable, "{script}: {blob} in {}", commit.id);
        }
        unreachable += extra.len();
    }
    assert!(compared > 20, "{compared}");
    // history.sh amends a commit away: its blob is attributed to that commit now.
    assert!(unreachable > 0);
}
