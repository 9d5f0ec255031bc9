//! The workflow: the git hook, the pre-commit framework, ignore entries that survive
//! history rewrites, and baselines that merge.
use std::path::{Path, PathBuf};
use std::process::{Command as Std, Output};
use std::sync::OnceLock;

use crate::util::*;

/// PATH with the freshly built `keysnare` first.
fn path_with_keysnare() -> String {
    let bin = assert_cmd::cargo::cargo_bin("keysnare");
    let dir = bin.parent().unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn git_out(dir: &Path, args: &[&str]) -> Output {
    git_output(dir, args, Some(&path_with_keysnare()))
}

fn git(dir: &Path, args: &[&str]) {
    let out = git_out(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn new_repo(t: &Tree, name: &str) -> PathBuf {
    let dir = t.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README.md"), "# demo\n").unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "initial"]);
    dir
}

#[test]
fn install_hook_blocks_commits_with_secrets() {
    let t = Tree::new();
    let repo = new_repo(&t, "hooked");
    keysnare().arg("install-hook").arg(&repo).assert().code(0);
    // A second install does not overwrite the hook without --force.
    keysnare().arg("install-hook").arg(&repo).assert().code(2);
    keysnare()
        .args(["install-hook", "--force"])
        .arg(&repo)
        .assert()
        .code(0);

    std::fs::write(
        repo.join("app.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(700)),
    )
    .unwrap();
    git(&repo, &["add", "app.env"]);
    let out = git_out(&repo, &["commit", "-m", "add key"]);
    assert!(!out.status.success(), "the commit must be blocked");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("app.env") && text.contains("1:19") && text.contains("aws.access-key-id"),
        "{text}"
    );
    assert!(
        text.contains("keysnare:allow"),
        "the message says how to accept a finding: {text}"
    );

    // Marked as accepted on its line: the commit goes through.
    std::fs::write(
        repo.join("app.env"),
        format!("AWS_ACCESS_KEY_ID={} # keysnare:allow\n", aws_key_id(700)),
    )
    .unwrap();
    git(&repo, &["add", "app.env"]);
    git(&repo, &["commit", "-q", "-m", "add accepted key"]);
    // A clean commit goes through.
    std::fs::write(repo.join("notes.txt"), "nothing secret\n").unwrap();
    git(&repo, &["add", "notes.txt"]);
    git(&repo, &["commit", "-q", "-m", "notes"]);
}

/// `keysnare install-hook ARGS...` reading no user or system git configuration but
/// `global` (a file, or none).
fn install_hook(args: &[&str], global: Option<&Path>) -> Output {
    keysnare()
        .arg("install-hook")
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env(
            "GIT_CONFIG_GLOBAL",
            global.map_or_else(|| PathBuf::from("/dev/null"), Path::to_path_buf),
        )
        .output()
        .unwrap()
}

/// Where git itself runs `dir`'s pre-commit hook from.
fn git_hook_path(dir: &Path, global: Option<&Path>) -> PathBuf {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["rev-parse", "--git-path", "hooks/pre-commit"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env(
            "GIT_CONFIG_GLOBAL",
            global.map_or_else(|| PathBuf::from("/dev/null"), Path::to_path_buf),
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    dir.join(String::from_utf8(out.stdout).unwrap().trim())
}

/// Commits a new file holding a fake AWS key in `dir` and asserts that the hook refused it.
fn commit_with_secret_is_refused(dir: &Path, file: &str, seed: u64) {
    std::fs::write(
        dir.join(file),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(seed)),
    )
    .unwrap();
    git(dir, &["add", file]);
    let out = git_out(dir, &["commit", "-m", "add key"]);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the commit must be blocked: {text}");
    assert!(
        text.contains(file) && text.contains("aws.access-key-id"),
        "the hook ran and named the finding: {text}"
    );
    git(dir, &["rm", "-q", "--cached", file]);
    std::fs::remove_file(dir.join(file)).unwrap();
}

/// `git commit -a` and `git commit PATH` commit a temporary index that git names in
/// `GIT_INDEX_FILE`: the hook must read that one, not `.git/index`, which does not hold the
/// change.
#[test]
fn install_hook_guards_commit_all_and_commit_path() {
    let t = Tree::new();
    let repo = new_repo(&t, "commit-all");
    std::fs::write(repo.join("app.env"), "MODE=dev\n").unwrap();
    git(&repo, &["add", "app.env"]);
    git(&repo, &["commit", "-q", "-m", "app settings"]);
    let out = install_hook(&[repo.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    for (args, seed) in [
        (&["commit", "-a", "-m", "key"][..], 760),
        (&["commit", "-m", "key", "app.env"][..], 761),
    ] {
        std::fs::write(
            repo.join("app.env"),
            format!("MODE=dev\nAWS_ACCESS_KEY_ID={}\n", aws_key_id(seed)),
        )
        .unwrap();
        let out = git_out(&repo, args);
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "git {args:?} must be blocked: {text}"
        );
        assert!(
            text.contains("app.env") && text.contains("aws.access-key-id"),
            "{text}"
        );
    }
    // Nothing was committed, and a clean `commit -a` goes through.
    std::fs::write(repo.join("app.env"), "MODE=prod\n").unwrap();
    let out = git_out(&repo, &["commit", "-a", "-m", "prod"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = git_output(&repo, &["log", "--format=%s"], None);
    assert_eq!(
        String::from_utf8_lossy(&log.stdout),
        "prod\napp settings\ninitial\n"
    );
}

/// With `core.hooksPath` set (husky, lefthook, a shared folder), git does not run
/// `.git/hooks`: the hook goes where git looks, or keysnare refuses and says why.
#[test]
fn install_hook_writes_where_core_hooks_path_points() {
    let t = Tree::new();
    let repo = new_repo(&t, "hooks-path");
    // Relative: taken from the work tree's root, whatever the current directory.
    git(&repo, &["config", "core.hooksPath", ".githooks"]);
    let out = install_hook(&[repo.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(".githooks/pre-commit") && stderr.contains("core.hooksPath"),
        "{stderr}"
    );
    assert!(repo.join(".githooks/pre-commit").is_file());
    assert!(!repo.join(".git/hooks/pre-commit").exists());
    assert_eq!(
        git_hook_path(&repo, None).canonicalize().unwrap(),
        repo.join(".githooks/pre-commit").canonicalize().unwrap()
    );
    commit_with_secret_is_refused(&repo, "app.env", 740);

    // A hook manager's folder with its own pre-commit: left alone without --force, and
    // the message says where git looks and why.
    let managed = t.path().join("managed-hooks");
    std::fs::create_dir_all(&managed).unwrap();
    let foreign = "#!/bin/sh\nexit 0\n";
    std::fs::write(managed.join("pre-commit"), foreign).unwrap();
    git(
        &repo,
        &["config", "core.hooksPath", managed.to_str().unwrap()],
    );
    let out = install_hook(&[repo.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("managed-hooks/pre-commit exists")
            && stderr.contains("core.hooksPath")
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(managed.join("pre-commit")).unwrap(),
        foreign
    );
    let out = install_hook(&["--force", repo.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    commit_with_secret_is_refused(&repo, "other.env", 741);

    // Set in the user's configuration only, as git reads it.
    git(&repo, &["config", "--unset", "core.hooksPath"]);
    let shared = t.path().join("shared-hooks");
    let global = t.path().join("gitconfig");
    std::fs::write(
        &global,
        format!("[core]\n\thooksPath = {}\n", shared.display()),
    )
    .unwrap();
    let out = install_hook(&[repo.to_str().unwrap()], Some(&global));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shared.join("pre-commit").is_file());
    assert_eq!(
        git_hook_path(&repo, Some(&global)),
        shared.join("pre-commit")
    );

    // A bare repository never runs a pre-commit hook: refused, saying so.
    let bare = t.path().join("bare.git");
    git(t.path(), &["init", "-q", "--bare", bare.to_str().unwrap()]);
    let out = install_hook(&[bare.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bare repository"), "{stderr}");
    assert!(!bare.join("hooks/pre-commit").exists());
}

/// A linked work tree's git directory has no hooks of its own: git runs the common
/// directory's, for every work tree of the repository.
#[test]
fn install_hook_in_a_linked_worktree_guards_its_commits() {
    let t = Tree::new();
    let repo = new_repo(&t, "main-tree");
    let linked = t.path().join("linked-tree");
    git(
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature",
            linked.to_str().unwrap(),
        ],
    );
    let out = install_hook(&[linked.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let hook = repo.join(".git/hooks/pre-commit");
    assert!(hook.is_file(), "{stderr}");
    assert!(!repo.join(".git/worktrees/linked-tree/hooks").exists());
    assert_eq!(
        git_hook_path(&linked, None).canonicalize().unwrap(),
        hook.canonicalize().unwrap()
    );
    commit_with_secret_is_refused(&linked, "linked.env", 750);
    // The same hook guards the main work tree, and is not installed twice.
    commit_with_secret_is_refused(&repo, "main.env", 751);
    let out = install_hook(&[repo.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    // A clean commit in the linked work tree goes through.
    std::fs::write(linked.join("notes.txt"), "nothing secret\n").unwrap();
    git(&linked, &["add", "notes.txt"]);
    git(&linked, &["commit", "-q", "-m", "notes"]);
}

/// The pre-commit framework from PyPI, in a virtual environment of its own.
fn pre_commit() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ci-tools/venv");
        let bin = venv.join("bin/pre-commit");
        if !bin.exists() {
            let tool = "the pre-commit framework (PyPI package pre-commit==4.2.0)";
            let by_hand = format!(
                "python3 -m venv {0} && {0}/bin/pip install pre-commit==4.2.0",
                venv.display()
            );
            install_tool(
                tool,
                Std::new("python3").args(["-m", "venv"]).arg(&venv),
                &by_hand,
            );
            install_tool(
                tool,
                Std::new(venv.join("bin/pip")).args(["install", "pre-commit==4.2.0"]),
                &by_hand,
            );
        }
        bin
    })
}

/// A hook repository holding this checkout's hook manifest, committed, and its revision.
fn hooks_repo(t: &Tree) -> (PathBuf, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hooks_repo = t.path().join("hooks-repo");
    std::fs::create_dir_all(&hooks_repo).unwrap();
    std::fs::copy(
        root.join(".pre-commit-hooks.yaml"),
        hooks_repo.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks_repo, &["init", "-q", "-b", "main"]);
    git(&hooks_repo, &["add", "-A"]);
    git(&hooks_repo, &["commit", "-q", "-m", "hooks"]);
    let rev = String::from_utf8(git_out(&hooks_repo, &["rev-parse", "HEAD"]).stdout).unwrap();
    (hooks_repo, rev.trim().to_string())
}

/// A project whose committed `.pre-commit-config.yaml` uses the `keysnare-system` hook.
fn pre_commit_project(t: &Tree, name: &str) -> PathBuf {
    let (hooks_repo, rev) = hooks_repo(t);
    let repo = new_repo(t, name);
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: keysnare-system\n",
            hooks_repo.display(),
        ),
    )
    .unwrap();
    git(&repo, &["add", ".pre-commit-config.yaml"]);
    git(&repo, &["commit", "-q", "-m", "pre-commit config"]);
    repo
}

/// `pre-commit ARGS...` in `dir`, with the keysnare under test first on PATH.
fn run_pre_commit(t: &Tree, dir: &Path, args: &[&str]) -> Output {
    Std::new(pre_commit())
        .current_dir(dir)
        .args(args)
        .env("PATH", path_with_keysnare())
        .env("PRE_COMMIT_HOME", t.path().join("pre-commit-home"))
        .env("KEYSNARE_FINGERPRINT_KEY", TEST_FINGERPRINT_KEY)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap()
}

fn output_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn pre_commit_framework_runs_the_hook() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Std::new(pre_commit())
        .arg("validate-manifest")
        .arg(root.join(".pre-commit-hooks.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let t = Tree::new();
    let repo = pre_commit_project(&t, "project");
    let out = run_pre_commit(&t, &repo, &["install"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    std::fs::write(
        repo.join("config.py"),
        format!("TOKEN = '{}'\n", github_token(701)),
    )
    .unwrap();
    git(&repo, &["add", "config.py"]);
    let out = git_out(&repo, &["commit", "-m", "add token"]);
    let text = output_text(&out);
    assert!(!out.status.success(), "blocked: {text}");
    assert!(
        text.contains("config.py") && text.contains("github.pat.classic"),
        "{text}"
    );

    std::fs::write(repo.join("config.py"), "TOKEN = os.environ['TOKEN']\n").unwrap();
    git(&repo, &["add", "config.py"]);
    git(&repo, &["commit", "-q", "-m", "token from the environment"]);

    std::fs::write(
        repo.join("test_data.py"),
        format!("FAKE = '{}'  # keysnare:allow\n", github_token(702)),
    )
    .unwrap();
    git(&repo, &["add", "test_data.py"]);
    git(&repo, &["commit", "-q", "-m", "accepted test token"]);
}

/// `pre-commit run --all-files` passes every file of the repository to the hook, which
/// scanned only what was staged (nothing) and said Passed on a repository full of secrets.
#[test]
fn pre_commit_run_all_files_fails_on_a_committed_secret() {
    let t = Tree::new();
    let repo = pre_commit_project(&t, "all-files");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::write(repo.join("src/app.py"), "print('hello')\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "app"]);

    // A clean repository passes.
    let out = run_pre_commit(&t, &repo, &["run", "--all-files"]);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Passed"), "{text}");

    // A secret committed without the hook: the staged run has nothing to check, the
    // whole-repository run fails on it and names the file.
    std::fs::write(
        repo.join("src/settings.py"),
        format!("TOKEN = '{}'\n", github_token(703)),
    )
    .unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "settings"]);
    let out = run_pre_commit(&t, &repo, &["run"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let out = run_pre_commit(&t, &repo, &["run", "--all-files"]);
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("Failed")
            && text.contains("src/settings.py")
            && text.contains("github.pat.classic"),
        "{text}"
    );
    // Named files: the same.
    let out = run_pre_commit(&t, &repo, &["run", "--files", "src/settings.py"]);
    assert!(!out.status.success(), "{}", output_text(&out));

    // A staged file is read as staged: the index's clean version passes while the work
    // tree still holds a secret, and a staged secret fails while the work tree is clean.
    std::fs::write(repo.join("src/settings.py"), "TOKEN = os.environ['T']\n").unwrap();
    git(&repo, &["add", "src/settings.py"]);
    std::fs::write(
        repo.join("src/settings.py"),
        format!("TOKEN = '{}'\n", github_token(704)),
    )
    .unwrap();
    let out = run_keysnare_files(&repo, &["src/settings.py", "src/app.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    std::fs::write(
        repo.join("src/app.py"),
        format!("TOKEN = '{}'\n", github_token(705)),
    )
    .unwrap();
    git(&repo, &["add", "src/app.py"]);
    std::fs::write(repo.join("src/app.py"), "print('hello')\n").unwrap();
    let out = run_keysnare_files(&repo, &["src/settings.py", "src/app.py"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("src/app.py") && !text.contains("src/settings.py"),
        "{text}"
    );
    // Named from a sub-folder: the same file, at its path in the work tree.
    let out = run_keysnare_files(&repo.join("src"), &["app.py"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("src/app.py"), "{text}");
    // An excluded file is left out; a directory is an error naming it.
    std::fs::write(repo.join(".keysnareignore"), "src/app.py\n").unwrap();
    let out = run_keysnare_files(&repo, &["src/app.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let out = run_keysnare_files(&repo, &["src"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("error: src: a directory"), "{text}");
}

/// `keysnare scan --staged --files FILES...` in `dir`, as the pre-commit hook runs it.
fn run_keysnare_files(dir: &Path, files: &[&str]) -> Output {
    keysnare()
        .current_dir(dir)
        .args(["scan", "--staged", "--files", "--progress", "never"])
        .args(files)
        .output()
        .unwrap()
}

fn fingerprints(repo: &Path) -> Vec<String> {
    let out = keysnare()
        .arg("scan")
        .arg(repo)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let mut v: Vec<String> = json(&out.stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn ignore_entries_survive_rebase_squash_and_moved_lines() {
    let t = Tree::new();
    let repo = new_repo(&t, "rewrite");
    let key = aws_key_id(710);
    std::fs::write(repo.join("a.env"), format!("A=1\nKEY={key}\n")).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "key"]);
    let fps = fingerprints(&repo);
    assert_eq!(fps.len(), 1);
    keysnare()
        .current_dir(&repo)
        .args(["ignore", &fps[0], "--reason", "test key, revoked"])
        .assert()
        .code(0);
    keysnare().arg("scan").arg(&repo).assert().code(0);

    // The line moves, the file moves, commits are squashed and rebased.
    std::fs::create_dir_all(repo.join("conf")).unwrap();
    std::fs::remove_file(repo.join("a.env")).unwrap();
    std::fs::write(repo.join("conf/b.env"), format!("X=2\nY=3\n\nKEY={key}\n")).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "move"]);
    git(&repo, &["reset", "-q", "--soft", "HEAD~2"]);
    git(&repo, &["commit", "-q", "-m", "squashed"]);
    git(&repo, &["reflog", "expire", "--expire=now", "--all"]);
    git(&repo, &["gc", "-q", "--prune=now"]);
    keysnare().arg("scan").arg(&repo).assert().code(0);

    // A different secret on the very same line is still reported.
    let other = aws_key_id(711);
    std::fs::write(
        repo.join("conf/b.env"),
        format!("X=2\nY=3\n\nKEY={key} OTHER={other}\n"),
    )
    .unwrap();
    let out = keysnare()
        .arg("scan")
        .arg(&repo)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["summary"]["ignored_findings"], 1);
}

#[test]
fn baseline_round_trip_and_branches_merge_cleanly() {
    let t = Tree::new();
    let repo = new_repo(&t, "baseline");
    std::fs::write(repo.join("old.env"), format!("K={}\n", aws_key_id(720))).unwrap();
    std::fs::write(
        repo.join(".gitattributes"),
        "keysnare.baseline merge=union\n",
    )
    .unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "old key"]);
    keysnare()
        .current_dir(&repo)
        .args(["baseline", "create"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(repo.join("keysnare.baseline")).unwrap();
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0].ends_with(" aws.access-key-id old.env"),
        "{}",
        entries[0]
    );
    assert!(
        !text.contains(&aws_key_id(720)[4..]),
        "no secret in the baseline"
    );
    keysnare()
        .current_dir(&repo)
        .args(["scan", ".", "--baseline", "keysnare.baseline"])
        .assert()
        .code(0);
    git(&repo, &["add", "keysnare.baseline"]);
    git(&repo, &["commit", "-q", "-m", "baseline"]);

    // Two branches each accept a new finding.
    git(&repo, &["checkout", "-q", "-b", "one"]);
    std::fs::write(repo.join("one.env"), format!("K={}\n", aws_key_id(721))).unwrap();
    git(&repo, &["add", "one.env"]);
    keysnare()
        .current_dir(&repo)
        .args(["baseline", "update"])
        .assert()
        .code(0);
    git(&repo, &["commit", "-q", "-am", "one"]);
    git(&repo, &["checkout", "-q", "main"]);
    git(&repo, &["checkout", "-q", "-b", "two"]);
    std::fs::write(repo.join("two.env"), format!("K={}\n", aws_key_id(722))).unwrap();
    git(&repo, &["add", "two.env"]);
    keysnare()
        .current_dir(&repo)
        .args(["baseline", "update"])
        .assert()
        .code(0);
    git(&repo, &["commit", "-q", "-am", "two"]);
    git(&repo, &["checkout", "-q", "main"]);
    git(&repo, &["merge", "-q", "--no-edit", "one"]);
    let out = git_out(&repo, &["merge", "--no-edit", "two"]);
    assert!(
        out.status.success(),
        "merge conflict: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    keysnare()
        .current_dir(&repo)
        .args(["scan", ".", "--baseline", "keysnare.baseline"])
        .assert()
        .code(0);

    // Update drops what is gone and keeps notes on what stays.
    let text = std::fs::read_to_string(repo.join("keysnare.baseline")).unwrap();
    let noted = text.replace(" old.env", " old.env  (rotated 2024-05)");
    std::fs::write(repo.join("keysnare.baseline"), noted).unwrap();
    std::fs::remove_file(repo.join("one.env")).unwrap();
    keysnare()
        .current_dir(&repo)
        .args(["baseline", "update", "--no-git"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(repo.join("keysnare.baseline")).unwrap();
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 2, "{text}");
    assert!(text.contains("(rotated 2024-05)"));
    let mut sorted = entries.clone();
    sorted.sort();
    assert_eq!(entries, sorted, "entries are sorted");
}

/// A baseline written before fingerprints were keyed (unkeyed entries) still hides its
/// findings, and `baseline update` rewrites its entries under the key, notes kept.
#[test]
fn unkeyed_baseline_entries_match_and_are_rewritten_under_the_key() {
    let t = Tree::new();
    let repo = new_repo(&t, "legacy-baseline");
    let aws = aws_key_id(730);
    std::fs::write(repo.join("old.env"), format!("K={aws}\n")).unwrap();
    let legacy = keysnare_types::Fingerprint::unkeyed("aws.access-key-id", aws.as_bytes());
    std::fs::write(
        repo.join("keysnare.baseline"),
        format!("# written before keys\n{legacy} aws.access-key-id old.env  (rotated 2024-05)\n"),
    )
    .unwrap();
    let scan_with_baseline = || {
        keysnare()
            .current_dir(&repo)
            .args(["scan", ".", "--no-git", "--baseline", "keysnare.baseline"])
            .assert()
            .code(0);
    };
    scan_with_baseline();
    let out = keysnare()
        .current_dir(&repo)
        .args(["baseline", "update", "--no-git"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(0 added, 0 gone and dropped, 1 rewritten under the fingerprint key)"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(repo.join("keysnare.baseline")).unwrap();
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 1, "{text}");
    assert!(!entries[0].starts_with(&legacy.to_string()), "{text}");
    assert!(
        entries[0].ends_with(" aws.access-key-id old.env  (rotated 2024-05)"),
        "{text}"
    );
    scan_with_baseline();
}

/// The keyed fingerprint of `secret` found by `rule` under the project key in `key_file`.
fn keyed_under(key_file: &Path, rule: &str, secret: &str) -> String {
    let text = std::fs::read_to_string(key_file).unwrap();
    let hex = text.lines().find(|l| !l.starts_with('#')).unwrap();
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    keysnare_types::FingerprintKey::new(bytes)
        .fingerprint(rule, secret.as_bytes())
        .to_string()
}

/// The fingerprints a text report prints, in order.
fn printed_fingerprints(text: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(text);
    text.split("fingerprint ")
        .skip(1)
        .map(|rest| rest.chars().take(32).collect::<String>())
        .filter(|fp| fp.len() == 32 && fp.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect()
}

/// The fingerprint of the JSON report's finding at `path`.
fn json_fingerprint(doc: &serde_json::Value, path: &str) -> String {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["locations"][0]["path"] == path)
        .unwrap_or_else(|| panic!("no finding at {path}: {doc}"))["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A scan of a project without a key prints unkeyed fingerprints and writes nothing;
/// `keysnare ignore` takes them as printed (text or JSON, from the work tree, the index or
/// history only), creates the project's key, and writes the keyed form; every later scan
/// accepts the findings. Fingerprints printed under the key are written as they are, and
/// one that names no finding writes nothing.
#[test]
fn ignore_works_from_the_fingerprints_a_scan_printed() {
    let t = Tree::new();
    let home = t.path().join("home");
    let repo = new_repo(&t, "ignore-printed");
    let (old, staged, later) = (aws_key_id(740), aws_key_id(741), aws_key_id(742));
    // A secret in history only, and one staged.
    std::fs::write(repo.join("old.env"), format!("K={old}\n")).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "old key"]);
    git(&repo, &["rm", "-q", "old.env"]);
    git(&repo, &["commit", "-q", "-m", "removed"]);
    std::fs::write(
        repo.join("app.env"),
        format!("AWS_ACCESS_KEY_ID={staged}\n"),
    )
    .unwrap();
    git(&repo, &["add", "app.env"]);
    let run = |args: &[&str]| {
        keysnare_without_key(&home)
            .current_dir(&repo)
            .args(args)
            .args(["--progress", "never"])
            .output()
            .unwrap()
    };
    let ignore = |fp: &str| {
        keysnare_without_key(&home)
            .current_dir(&repo)
            .args(["ignore", fp])
            .output()
            .unwrap()
    };
    let unkeyed = |s: &str| {
        keysnare_types::Fingerprint::unkeyed("aws.access-key-id", s.as_bytes()).to_string()
    };

    let out = run(&["scan", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let fp_old = json_fingerprint(&json(&out.stdout), "old.env");
    assert_eq!(fp_old, unkeyed(&old));
    let out = run(&["scan", "--staged", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let fp_staged = printed_fingerprints(&out.stdout);
    assert_eq!(fp_staged, [unkeyed(&staged)]);
    assert!(!repo.join(".keysnare.key").exists(), "scans write no key");

    let out = keysnare_without_key(&home)
        .current_dir(&repo)
        .args(["ignore", &fp_old, &fp_staged[0], "--reason", "revoked"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("created .keysnare.key, this project's fingerprint key")
            && stderr
                .contains("2 entries added (2 given unkeyed, written under the fingerprint key)"),
        "{stderr}"
    );
    let key_file = repo.join(".keysnare.key");
    let entries = std::fs::read_to_string(repo.join(".keysnareignore")).unwrap();
    assert_eq!(
        entries,
        format!(
            "{}  # revoked\n{}  # revoked\n",
            keyed_under(&key_file, "aws.access-key-id", &old),
            keyed_under(&key_file, "aws.access-key-id", &staged)
        )
    );
    for args in [
        &["scan", "-f", "json"][..],
        &["scan", "--staged", "-f", "json"],
        &["scan", ".", "--no-git", "-f", "json"],
    ] {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(json(&out.stdout)["summary"]["ignored_findings"].as_u64() >= Some(1));
        assert_eq!(json(&out.stdout)["summary"]["fingerprint_key"], "project");
    }

    // Printed under the key now: written as printed.
    std::fs::write(repo.join("later.env"), format!("K={later}\n")).unwrap();
    let out = run(&["scan", "-f", "json"]);
    let fp_later = json_fingerprint(&json(&out.stdout), "later.env");
    assert_eq!(
        fp_later,
        keyed_under(&key_file, "aws.access-key-id", &later)
    );
    let out = ignore(&fp_later);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 entries added") && !stderr.contains("unkeyed"),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(repo.join(".keysnareignore"))
            .unwrap()
            .ends_with(&format!("{fp_later}\n"))
    );
    assert_eq!(run(&["scan"]).status.code(), Some(0));

    // A fingerprint that names no finding (a typo, another key): an error, nothing written.
    let before = std::fs::read_to_string(repo.join(".keysnareignore")).unwrap();
    let out = ignore(&"0".repeat(32));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no finding in . (files, then history) has the fingerprint 0000"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join(".keysnareignore")).unwrap(),
        before
    );
}

/// `baseline create` in a project without a key creates it and records the keyed form of
/// the findings a scan printed unkeyed; a scan with the baseline then reports nothing.
/// `install-hook` gives a project without a key its key too.
#[test]
fn baseline_works_from_a_scan_of_a_project_without_a_key() {
    let t = Tree::new();
    let home = t.path().join("home");
    let repo = new_repo(&t, "baseline-printed");
    let aws = aws_key_id(743);
    std::fs::write(repo.join("legacy.env"), format!("K={aws}\n")).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "legacy key"]);
    let run = |args: &[&str]| {
        keysnare_without_key(&home)
            .current_dir(&repo)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["scan", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let printed = printed_fingerprints(&out.stdout);
    assert_eq!(printed.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));

    let out = run(&["baseline", "create"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("created .keysnare.key, this project's fingerprint key"),
        "{stderr}"
    );
    let keyed = keyed_under(&repo.join(".keysnare.key"), "aws.access-key-id", &aws);
    assert_ne!(keyed, printed[0]);
    let baseline = std::fs::read_to_string(repo.join("keysnare.baseline")).unwrap();
    assert!(
        baseline.contains(&format!("\n{keyed} aws.access-key-id legacy.env\n")),
        "{baseline}"
    );
    let out = run(&["scan", "--baseline", "keysnare.baseline", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out.stdout)["summary"]["ignored_findings"], 1);

    let hooked = new_repo(&t, "hook-key");
    let out = keysnare_without_key(&home)
        .arg("install-hook")
        .arg(&hooked)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("this project's fingerprint key: commit it"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(hooked.join(".keysnare.key").exists());
}
