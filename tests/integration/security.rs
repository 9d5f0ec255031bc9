//! What a scan must never do: run a program the repository names, touch the network, or
//! depend on how many threads it ran on.
use std::path::Path;

use crate::util::*;

/// The JSON report without what changes from run to run (durations).
fn stable_json(out: &[u8]) -> serde_json::Value {
    let mut doc = json(out);
    if let Some(summary) = doc.get_mut("summary").and_then(|s| s.as_object_mut()) {
        summary.remove("elapsed_ms");
        summary.remove("phases");
        // How much memory a scan took is not a result (it depends on the threads).
        summary.remove("memory");
    }
    doc
}

fn scan_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let out = keysnare()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json", "--progress", "never"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stable_json(&out.stdout)
}

/// Same findings, same order, same everything, with 1, 2 and 8 worker threads: on history
/// (every hidden secret of the history fixture), a range, the staged index and a tree.
#[test]
fn results_are_identical_with_1_2_and_8_threads() {
    let t = Tree::new();
    let repo = t.path().join("history");
    fixture("history.sh", &repo);
    for extra in [
        &[][..],
        &["--range", "range-base..main"][..],
        &["--no-git"][..],
    ] {
        let runs: Vec<serde_json::Value> = ["1", "2", "8"]
            .iter()
            .map(|n| {
                let mut args = extra.to_vec();
                args.extend(["--threads", n, "--show-secrets"]);
                scan_json(&repo, &args)
            })
            .collect();
        assert!(
            runs[0]["findings"]
                .as_array()
                .is_some_and(|f| !f.is_empty()),
            "{extra:?}: the fixture has findings"
        );
        assert_eq!(runs[0], runs[1], "{extra:?}: 1 and 2 threads differ");
        assert_eq!(runs[0], runs[2], "{extra:?}: 1 and 8 threads differ");
    }
}

/// A repository whose configuration names programs (fsmonitor, ssh and pager commands,
/// filter drivers, diff and credential helpers, hooks): scanning its history, a range and
/// its index runs none of them, and reads no user or system git configuration.
#[test]
fn a_malicious_repository_runs_nothing() {
    let t = Tree::new();
    let repo = t.path().join("evil");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join(".env"), format!("K={}\n", aws_key_id(920))).unwrap();
    std::fs::write(repo.join(".gitattributes"), "* filter=evil diff=evil\n").unwrap();
    git(&repo, &["add", ".env", ".gitattributes"]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    std::fs::write(repo.join("two.env"), format!("K={}\n", aws_key_id(921))).unwrap();
    git(&repo, &["add", "two.env"]);
    git(&repo, &["commit", "-q", "-m", "two"]);
    std::fs::write(repo.join("staged.env"), format!("K={}\n", aws_key_id(922))).unwrap();
    git(&repo, &["add", "staged.env"]);

    // Each program, if run, leaves a file named after it in `marks`.
    let marks = t.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let mark = |name: &str| format!("touch {}", marks.join(name).display());
    let config = format!(
        "[core]\n\tfsmonitor = \"{}\"\n\tsshCommand = \"{}\"\n\tpager = \"{}\"\n\teditor = \"{}\"\n\
         \thooksPath = {}\n\taskPass = \"{}\"\n\
         [filter \"evil\"]\n\tclean = \"{}\"\n\tsmudge = \"{}\"\n\tprocess = \"{}\"\n\trequired = true\n\
         [diff \"evil\"]\n\ttextconv = \"{}\"\n\tcommand = \"{}\"\n\
         [diff]\n\texternal = \"{}\"\n\
         [credential]\n\thelper = \"!{}\"\n\
         [include]\n\tpath = {}\n",
        mark("fsmonitor"),
        mark("sshcommand"),
        mark("pager"),
        mark("editor"),
        repo.join(".git/evil-hooks").display(),
        mark("askpass"),
        mark("clean"),
        mark("smudge"),
        mark("process"),
        mark("textconv"),
        mark("diffcommand"),
        mark("external"),
        mark("credential"),
        t.path().join("included.config").display(),
    );
    let cfg_path = repo.join(".git/config");
    let mut cfg = std::fs::read_to_string(&cfg_path).unwrap();
    cfg.push_str(&config);
    std::fs::write(&cfg_path, cfg).unwrap();
    std::fs::write(
        t.path().join("included.config"),
        format!("[core]\n\tfsmonitor = \"{}\"\n", mark("included")),
    )
    .unwrap();
    for dir in [repo.join(".git/hooks"), repo.join(".git/evil-hooks")] {
        std::fs::create_dir_all(&dir).unwrap();
        for hook in [
            "pre-commit",
            "post-checkout",
            "post-index-change",
            "fsmonitor-watchman",
            "reference-transaction",
        ] {
            let path = dir.join(hook);
            std::fs::write(&path, format!("#!/bin/sh\n{}\n", mark(hook))).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
    }

    // A user configuration that would run something too, were it read.
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join(".gitconfig"),
        format!("[core]\n\tfsmonitor = \"{}\"\n", mark("user-config")),
    )
    .unwrap();

    for extra in [&[][..], &["--staged"][..], &["--range", "HEAD~1..HEAD"][..]] {
        let out = keysnare()
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .arg("scan")
            .arg(&repo)
            .args(["--format", "json", "--progress", "never"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!json(&out.stdout)["findings"].as_array().unwrap().is_empty());
    }
    let ran: Vec<String> = std::fs::read_dir(&marks)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        ran.is_empty(),
        "programs the repository named were run: {ran:?}"
    );
}

/// A scan opens no network socket: traced with strace (no `socket(AF_INET…)` or `connect`
/// call), and run in a network namespace without interfaces (same results as outside).
#[test]
fn a_scan_makes_no_network_connection() {
    let t = Tree::new();
    let repo = t.path().join("history");
    fixture("history.sh", &repo);
    let bin = assert_cmd::cargo::cargo_bin("keysnare");
    let expected = scan_json(&repo, &["--show-secrets", "--threads", "2"]);
    let mut checked = 0;

    let have = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if have("strace") {
        let trace = t.path().join("trace.txt");
        let out = std::process::Command::new("strace")
            .arg("-f")
            .args(["-e", "trace=socket,connect,sendto,sendmsg"])
            .arg("-o")
            .arg(&trace)
            .arg(&bin)
            .env("KEYSNARE_FINGERPRINT_KEY", TEST_FINGERPRINT_KEY)
            .arg("scan")
            .arg(&repo)
            .args(["--format", "json", "--progress", "never"])
            .args(["--show-secrets", "--threads", "2"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(stable_json(&out.stdout), expected);
        let calls = std::fs::read_to_string(&trace).unwrap();
        let network: Vec<&str> = calls
            .lines()
            .filter(|l| l.contains("socket(") || l.contains("connect(") || l.contains("send"))
            .collect();
        assert!(network.is_empty(), "network calls: {network:#?}");
        checked += 1;
    }
    // A network namespace with no interface (as an unprivileged user: `-r`).
    let probe = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        let out = std::process::Command::new("unshare")
            .arg("-rn")
            .arg(&bin)
            .env("KEYSNARE_FINGERPRINT_KEY", TEST_FINGERPRINT_KEY)
            .arg("scan")
            .arg(&repo)
            .args(["--format", "json", "--progress", "never"])
            .args(["--show-secrets", "--threads", "2"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stable_json(&out.stdout), expected);
        checked += 1;
    }
    assert!(
        checked > 0,
        "neither strace nor unshare can run here: the test cannot check the network"
    );
}

/// No secret in any output unless `--show-secrets`: every format, the verbose trace, the
/// errors of unreadable and oversized files, and the snippets of other secrets on a line.
#[test]
fn secrets_appear_nowhere_without_show_secrets() {
    let t = Tree::new();
    let aws = aws_key_id(930);
    let gh = github_token(931);
    t.write("app/.env", format!("AWS_ACCESS_KEY_ID={aws} GH={gh}\n"));
    t.write(
        "big.env",
        format!("K={aws}\n{}", "x".repeat(2 * 1024 * 1024)),
    );
    let repo = t.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("k.env"), format!("TOKEN={gh}\n")).unwrap();
    git(&repo, &["add", "k.env"]);
    git(&repo, &["commit", "-q", "-m", "token"]);
    for format in ["text", "json", "jsonl", "sarif", "junit"] {
        for target in [t.path(), repo.as_path()] {
            let out = keysnare()
                .arg("scan")
                .arg(target)
                .args(["--format", format, "-v", "--max-file-size", "1MB"])
                .args(["--progress", "always"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{format}");
            for stream in [&out.stdout, &out.stderr] {
                let text = String::from_utf8_lossy(stream);
                for secret in [&aws, &gh] {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{format}: a secret is printed:\n{text}"
                    );
                }
            }
        }
    }
    // And printed when asked for.
    keysnare()
        .arg("scan")
        .arg(t.path())
        .arg("--show-secrets")
        .assert()
        .code(1)
        .stdout(predicates::str::contains(aws.as_str()));
}

/// The fingerprint of the first finding of a JSON report, and the report.
fn first_fingerprint(out: &std::process::Output) -> (String, serde_json::Value) {
    let doc = json(&out.stdout);
    let fp = doc["findings"][0]["fingerprint"]
        .as_str()
        .unwrap_or_else(|| panic!("no finding: {}", String::from_utf8_lossy(&out.stderr)))
        .to_string();
    (fp, doc)
}

/// The unkeyed (v1) fingerprint of an AWS key id found by its rule.
fn unkeyed(secret: &str) -> String {
    keysnare_types::Fingerprint::unkeyed("aws.access-key-id", secret.as_bytes()).to_string()
}

/// With `KEYSNARE_FINGERPRINT_KEY`, fingerprints are HMAC-SHA256 under that key: stable
/// under one key, different under another, over a project's own key, and never the unkeyed
/// hash; ignore entries made under the key work under it only.
#[test]
fn fingerprints_are_keyed_under_the_teams_key_when_it_is_given() {
    let t = Tree::new();
    let aws = aws_key_id(960);
    t.write("k.env", format!("K={aws}\n"));
    let cfg = t.path().join("config-home");
    let fingerprint = |key: &str| {
        let out = keysnare_without_key(&cfg)
            .env("KEYSNARE_FINGERPRINT_KEY", key)
            .arg("scan")
            .arg(t.path())
            .args(["--no-git", "-f", "json"])
            .output()
            .unwrap();
        let (fp, doc) = first_fingerprint(&out);
        assert_eq!(doc["summary"]["fingerprint_key"], "environment");
        fp
    };
    let keyed = fingerprint("team-secret-1");
    assert_ne!(keyed, unkeyed(&aws));
    assert_eq!(keyed, fingerprint("team-secret-1"));
    assert_ne!(keyed, fingerprint("team-secret-2"));
    assert!(!cfg.exists(), "nothing is written in the user's home");
    // An ignore entry made under the key accepts the finding under the key only.
    t.write(".keysnareignore", format!("{keyed}\n"));
    for (key, code) in [("team-secret-1", 0), ("team-secret-2", 1)] {
        keysnare_without_key(&cfg)
            .env("KEYSNARE_FINGERPRINT_KEY", key)
            .arg("scan")
            .arg(t.path())
            .arg("--no-git")
            .assert()
            .code(code);
    }
}

/// `keysnare init` makes a project's key at its root and says so; every scan reads it back,
/// and a clone that has it (committed) makes the same fingerprints. The key file is never
/// scanned, never printed, and unkeyed ignore entries (written before the project had a
/// key) still match.
#[test]
fn a_project_key_made_by_init_is_shared_by_every_clone() {
    let t = Tree::new();
    let home = t.path().join("home");
    let aws = aws_key_id(961);
    let repo = t.path().join("project");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    let scan = |dir: &Path, extra: &[&str]| {
        keysnare_without_key(&home)
            .arg("scan")
            .arg(dir)
            .args(["-f", "json", "--progress", "never"])
            .args(extra)
            .output()
            .unwrap()
    };
    let key_file = repo.join(".keysnare.key");

    // `init` from a sub-folder makes the key at the work tree's root.
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    let out = keysnare_without_key(&home)
        .arg("init")
        .arg(repo.join("sub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("project/.keysnare.key, this project's fingerprint key: commit it"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&key_file).unwrap();
    let key = text.lines().find(|l| !l.starts_with('#')).unwrap();
    assert_eq!(key.len(), 64, "{text}");
    assert!(!repo.join("sub/.keysnare.key").exists());
    // A second `init` leaves it alone.
    let out = keysnare_without_key(&home)
        .arg("init")
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), text);

    let out = scan(&repo, &[]);
    let (fp, doc) = first_fingerprint(&out);
    assert_eq!(doc["summary"]["fingerprint_key"], "project");
    assert_ne!(fp, unkeyed(&aws), "keyed, not the bare hash");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!shown.contains(key), "the key is never printed");
    assert!(!shown.contains("unkeyed"), "{shown}");

    // Same fingerprint in history as in the work tree. Committed, the key file is not a
    // finding at any confidence.
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "env and key"]);
    let out = scan(&repo, &["--confidence", "low"]);
    let (again, doc) = first_fingerprint(&out);
    assert_eq!(again, fp);
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert!(
        !paths.iter().any(|p| p.contains(".keysnare.key")),
        "{paths:?}"
    );

    // A scan of a sub-folder, or of standard input from one, uses its project's key.
    std::fs::write(repo.join("sub/b.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    let out = scan(&repo.join("sub"), &[]);
    assert_eq!(json(&out.stdout)["summary"]["fingerprint_key"], "project");
    assert_eq!(first_fingerprint(&out).0, fp);
    let out = keysnare_without_key(&home)
        .current_dir(repo.join("sub"))
        .args(["scan", "-", "-f", "json"])
        .write_stdin(format!("AWS_ACCESS_KEY_ID={aws}\n"))
        .output()
        .unwrap();
    assert_eq!(first_fingerprint(&out).0, fp);

    // A clone has the key and makes the same fingerprints; a project of its own does not.
    let clone = t.path().join("clone");
    git(
        t.path(),
        &[
            "clone",
            "-q",
            repo.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    assert_eq!(first_fingerprint(&scan(&clone, &[])).0, fp);
    let other = t.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    git(&other, &["init", "-q", "-b", "main"]);
    std::fs::write(other.join("a.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    assert_ne!(first_fingerprint(&scan(&other, &[])).0, fp);

    // An unkeyed entry still accepts the finding.
    std::fs::write(
        clone.join(".keysnareignore"),
        format!("{}\n", unkeyed(&aws)),
    )
    .unwrap();
    let out = scan(&clone, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out.stdout)["summary"]["ignored_findings"], 1);

    // With the team's key in the environment, `init` creates nothing: that key wins.
    let out = keysnare_without_key(&home)
        .env("KEYSNARE_FINGERPRINT_KEY", "team-secret")
        .arg("init")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("KEYSNARE_FINGERPRINT_KEY is set"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!other.join(".keysnare.key").exists());

    // A damaged key file is an error naming it, and the line is not echoed.
    std::fs::write(&key_file, "# damaged\nnot-hex-at-all\n").unwrap();
    let out = scan(&repo, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".keysnare.key: the key must be 64 hex digits")
            && !stderr.contains("not-hex"),
        "{stderr}"
    );
    assert!(
        !home.exists(),
        "nothing is kept in the user's home or configuration"
    );
}

/// Without `KEYSNARE_FINGERPRINT_KEY` or a project key, a scan prints unkeyed fingerprints,
/// says so (when it found something), and makes no key anywhere, in CI or not.
#[test]
fn without_a_key_scans_print_unkeyed_fingerprints_and_write_no_key() {
    let t = Tree::new();
    let home = t.path().join("home");
    let aws = aws_key_id(962);
    let repo = t.path().join("checkout");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    let plain = t.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("a.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    for ci in [false, true] {
        for dir in [&repo, &plain] {
            let mut cmd = keysnare_without_key(&home);
            if ci {
                cmd.env("CI", "true");
            }
            let out = cmd
                .arg("scan")
                .arg(dir)
                .args(["-f", "json", "--progress", "never", "-v"])
                .output()
                .unwrap();
            let (fp, doc) = first_fingerprint(&out);
            assert_eq!(fp, unkeyed(&aws), "{}", dir.display());
            assert_eq!(doc["summary"]["fingerprint_key"], "none");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("fingerprints are unkeyed")
                    && stderr.contains("`keysnare init` creates the project's key")
                    && stderr.contains("fingerprints: unkeyed SHA-256"),
                "{stderr}"
            );
            assert!(!dir.join(".keysnare.key").exists(), "{}", dir.display());
        }
    }
    assert!(!home.exists(), "no user key");
    // Nothing found: nothing to say about fingerprints.
    let clean = t.path().join("clean");
    std::fs::create_dir_all(&clean).unwrap();
    std::fs::write(clean.join("notes.txt"), "nothing secret\n").unwrap();
    let out = keysnare_without_key(&home)
        .arg("scan")
        .arg(&clean)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("unkeyed"));
}

/// Every file under `dir` (the `.git` folder included) with its content.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else {
                let content = if kind.is_file() {
                    std::fs::read(&path).unwrap()
                } else {
                    Vec::new()
                };
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), content);
            }
        }
    }
    files
}

/// Regression: a scan of a repository without a fingerprint key wrote `.keysnare.key` into
/// it. A scanner reads what it scans and writes nothing there: history, staged, range,
/// work-tree-as-files, sub-folder and standard-input scans leave `git status --porcelain
/// --ignored` and every file (of the work tree and of `.git`) as they were, and make no file
/// in the user's home either.
#[test]
fn a_scan_writes_nothing_into_the_scanned_repository() {
    let t = Tree::new();
    let home = t.path().join("home");
    let repo = t.path().join("repo");
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join(".gitignore"), "build/\n").unwrap();
    std::fs::write(
        repo.join("old.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(963)),
    )
    .unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    std::fs::write(
        repo.join("sub/new.env"),
        format!("GITHUB_TOKEN={}\n", github_token(964)),
    )
    .unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "second"]);
    // Staged, untracked and ignored files.
    std::fs::write(
        repo.join("staged.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(965)),
    )
    .unwrap();
    git(&repo, &["add", "staged.env"]);
    std::fs::write(
        repo.join("untracked.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(966)),
    )
    .unwrap();
    std::fs::create_dir_all(repo.join("build")).unwrap();
    std::fs::write(
        repo.join("build/out.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(967)),
    )
    .unwrap();

    let status = || {
        let out = git_output(&repo, &["status", "--porcelain", "--ignored"], None);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let status_before = status();
    let files_before = snapshot(&repo);
    let scans: [&[&str]; 7] = [
        &["scan", "."],
        &["scan", ".", "--staged"],
        &["scan", ".", "--range", "HEAD~1..HEAD"],
        &["scan", ".", "--no-git"],
        &["scan", "sub"],
        &["scan", "sub/new.env"],
        &["scan", "-"],
    ];
    for args in scans {
        let out = keysnare_without_key(&home)
            .current_dir(&repo)
            .args(args)
            .args(["--progress", "never"])
            .write_stdin(format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(968)))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} finds something: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(status(), status_before, "{args:?} changed git status");
        assert_eq!(snapshot(&repo), files_before, "{args:?} wrote a file");
        assert!(!home.exists(), "{args:?} wrote in the user's home");
    }
    assert!(
        status_before.contains("?? untracked.env"),
        "{status_before}"
    );
    assert!(status_before.contains("!! build/"), "{status_before}");
}
