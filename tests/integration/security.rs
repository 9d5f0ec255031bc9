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

/// With `KEYSNARE_FINGERPRINT_KEY`, fingerprints are keyed: stable under one key, different
/// without it or under another, and ignore entries made under the key work under it.
#[test]
fn fingerprints_are_keyed_when_a_key_is_given() {
    let t = Tree::new();
    t.write("k.env", format!("K={}\n", aws_key_id(960)));
    let fingerprint = |key: Option<&str>| {
        let mut cmd = keysnare();
        if let Some(k) = key {
            cmd.env("KEYSNARE_FINGERPRINT_KEY", k);
        } else {
            cmd.env_remove("KEYSNARE_FINGERPRINT_KEY");
        }
        let out = cmd
            .arg("scan")
            .arg(t.path())
            .args(["--no-git", "-f", "json"])
            .output()
            .unwrap();
        json(&out.stdout)["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let plain = fingerprint(None);
    let keyed = fingerprint(Some("team-secret-1"));
    assert_ne!(plain, keyed);
    assert_eq!(keyed, fingerprint(Some("team-secret-1")));
    assert_ne!(keyed, fingerprint(Some("team-secret-2")));
    // An ignore entry made under the key accepts the finding under the key only.
    t.write(".keysnareignore", format!("{keyed}\n"));
    keysnare()
        .env("KEYSNARE_FINGERPRINT_KEY", "team-secret-1")
        .arg("scan")
        .arg(t.path())
        .arg("--no-git")
        .assert()
        .code(0);
    keysnare()
        .env_remove("KEYSNARE_FINGERPRINT_KEY")
        .arg("scan")
        .arg(t.path())
        .arg("--no-git")
        .assert()
        .code(1);
}
