//! SARIF snapshots of a directory scan and a history scan of the fixtures. A change to the
//! SARIF output shows up here as a reviewable diff (`cargo insta review`).
use std::path::Path;

use crate::util::*;

fn sarif_of(args: &[&str], dir: &Path) -> serde_json::Value {
    let out = keysnare()
        .arg("scan")
        .arg(dir)
        .args(["--format", "sarif"])
        .args(args)
        .output()
        .unwrap();
    json(&out.stdout)
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn sarif_snapshot_of_a_directory() {
    let built = crate::tree::build(true);
    let doc = sarif_of(&[], built.tree.path());
    settings().bind(|| {
        insta::assert_json_snapshot!("sarif-directory", doc, {
            ".runs[0].originalUriBaseIds" => "[root]",
            ".runs[0].tool.driver.semanticVersion" => "[version]",
            ".runs[0].invocations[0].properties.memory" => "[memory]",
        });
    });
}

#[test]
fn sarif_snapshot_of_history() {
    let t = Tree::new();
    let repo = t.path().join("history");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos/history.sh");
    let ok = std::process::Command::new("bash")
        .arg(script)
        .arg(&repo)
        .status()
        .unwrap();
    assert!(ok.success());
    let doc = sarif_of(&["--no-worktree"], &repo);
    settings().bind(|| {
        insta::assert_json_snapshot!("sarif-history", doc, {
            ".runs[0].originalUriBaseIds" => "[root]",
            ".runs[0].tool.driver.semanticVersion" => "[version]",
            ".runs[0].invocations[0].properties.memory" => "[memory]",
        });
    });
}
