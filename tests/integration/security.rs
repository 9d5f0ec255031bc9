//! What a scan must never do: run a program the repository names, touch the network, or
//! depend on how many threads it ran on.
use std::path::Path;

use crate::util::*;

/// The JSON report without what changes from run to run (durations).
fn stable_json(out: &[u8]) -> serde_json::Value {
    let mut doc = json(out);
    if let Some(summary) = doc.get_mut("summary").and_then(|s| s.as_object_mut()) {
        summary.remove("elapsed_ms");
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
        let out = keysnare_without_key(&cfg, false)
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
    assert!(
        !cfg.exists(),
        "no user key is made when the team's key is given"
    );
    // An ignore entry made under the key accepts the finding under the key only.
    t.write(".keysnareignore", format!("{keyed}\n"));
    for (key, code) in [("team-secret-1", 0), ("team-secret-2", 1)] {
        keysnare_without_key(&cfg, false)
            .env("KEYSNARE_FINGERPRINT_KEY", key)
            .arg("scan")
            .arg(t.path())
            .arg("--no-git")
            .assert()
            .code(code);
    }
}

/// A git project without a key gets one at its root on its first scan (outside CI); it is
/// read back on every scan, and a clone that has it (committed) makes the same
/// fingerprints. The key file is never scanned, never printed, and ignore entries written
/// before fingerprints were keyed still match.
#[test]
fn a_git_project_gets_its_own_key_which_every_clone_shares() {
    let t = Tree::new();
    let cfg = t.path().join("config-home");
    let aws = aws_key_id(961);
    let repo = t.path().join("project");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    let scan = |dir: &Path, extra: &[&str]| {
        keysnare_without_key(&cfg, false)
            .arg("scan")
            .arg(dir)
            .args(["-f", "json", "--progress", "never"])
            .args(extra)
            .output()
            .unwrap()
    };

    let out = scan(&repo, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let key_file = repo.join(".keysnare.key");
    assert!(
        stderr.contains("this project's fingerprint key: commit it"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&key_file).unwrap();
    let key = text.lines().find(|l| !l.starts_with('#')).unwrap();
    assert_eq!(key.len(), 64, "{text}");
    let (fp, doc) = first_fingerprint(&out);
    assert_eq!(doc["summary"]["fingerprint_key"], "project");
    assert_ne!(fp, unkeyed(&aws), "keyed, not the bare hash");
    let shown = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    assert!(!shown.contains(key), "the key is never printed");
    assert!(!cfg.exists(), "a project key, not a user key");

    // Read back: no notice, same fingerprint, in history as in the work tree. Committed, the
    // key file is not a finding at any confidence.
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "env and key"]);
    let out = scan(&repo, &["--confidence", "low"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("created"));
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
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    std::fs::write(repo.join("sub/b.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    let out = scan(&repo.join("sub"), &[]);
    assert_eq!(json(&out.stdout)["summary"]["fingerprint_key"], "project");
    assert_eq!(first_fingerprint(&out).0, fp);
    let out = keysnare_without_key(&cfg, false)
        .current_dir(repo.join("sub"))
        .args(["scan", "-", "-f", "json"])
        .write_stdin(format!("AWS_ACCESS_KEY_ID={aws}\n"))
        .output()
        .unwrap();
    assert_eq!(first_fingerprint(&out).0, fp);
    assert!(!repo.join("sub/.keysnare.key").exists());

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
    let out = scan(&other, &["-q"]);
    assert_ne!(first_fingerprint(&out).0, fp);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("/other/.keysnare.key, this project's fingerprint key"),
        "said even with -q: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An entry written before keys (the unkeyed hash) still accepts the finding.
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
}

/// In CI, a project without a key gets none written into its checkout: fingerprints are made
/// with the user's key (created private, then reused) and a notice says they will not match
/// entries made elsewhere. A plain directory uses the user's key silently; with nowhere to
/// keep one, a run uses a key of its own.
#[test]
fn without_a_project_key_scans_use_the_users_key_or_a_one_time_key() {
    let t = Tree::new();
    let cfg = t.path().join("config-home");
    let aws = aws_key_id(962);
    let repo = t.path().join("ci-checkout");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    let run = |cfg: &Path, ci: bool, dir: &Path| {
        keysnare_without_key(cfg, ci)
            .arg("scan")
            .arg(dir)
            .args(["-f", "json", "--progress", "never"])
            .output()
            .unwrap()
    };

    let out = run(&cfg, true, &repo);
    assert!(
        !repo.join(".keysnare.key").exists(),
        "nothing written in CI"
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("this project has no fingerprint key (.keysnare.key)")
            && stderr
                .contains("Commit the project's .keysnare.key, or set KEYSNARE_FINGERPRINT_KEY"),
        "{stderr}"
    );
    let (fp, doc) = first_fingerprint(&out);
    assert_eq!(doc["summary"]["fingerprint_key"], "user");
    let user_key = cfg.join("keysnare/fingerprint.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&user_key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "private: {mode:o}");
    }
    assert_eq!(first_fingerprint(&run(&cfg, true, &repo)).0, fp, "reused");

    // A plain directory: the user's key, no notice, nothing written in it.
    let plain = t.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("a.env"), format!("AWS_ACCESS_KEY_ID={aws}\n")).unwrap();
    let out = run(&cfg, false, &plain);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("fingerprint key"));
    assert_eq!(
        first_fingerprint(&out).0,
        fp,
        "same key, same secret, same rule"
    );
    assert!(!plain.join(".keysnare.key").exists());

    // Nowhere to keep a key (the config home is a file): a key for this run only.
    let blocked = t.path().join("not-a-dir");
    std::fs::write(&blocked, "").unwrap();
    let a = run(&blocked, true, &repo);
    let b = run(&blocked, true, &repo);
    assert_eq!(json(&a.stdout)["summary"]["fingerprint_key"], "one-time");
    assert!(
        String::from_utf8_lossy(&a.stderr).contains("a key for this run only"),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_ne!(first_fingerprint(&a).0, first_fingerprint(&b).0);
}
