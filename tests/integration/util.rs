//! Helpers: temporary trees, the binary, and fake secrets assembled at run time.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The fingerprint key every test run uses unless it tests where keys come from: fixed, so
/// that fingerprints are the same from run to run, and so that no scan writes a project or
/// user key.
pub const TEST_FINGERPRINT_KEY: &str = "keysnare test suite";

/// The `keysnare` binary built for this test run, with the test suite's fingerprint key.
pub fn keysnare() -> Command {
    let mut c = Command::cargo_bin("keysnare").expect("binary");
    c.env_remove("NO_COLOR");
    c.env("KEYSNARE_FINGERPRINT_KEY", TEST_FINGERPRINT_KEY);
    c
}

/// The `keysnare` binary with no fingerprint key given: the key comes from the project, if
/// it has one. `home` is the user's home and configuration folder (it need not exist).
pub fn keysnare_without_key(home: &Path) -> Command {
    let mut c = Command::cargo_bin("keysnare").expect("binary");
    c.env_remove("NO_COLOR");
    c.env_remove("KEYSNARE_FINGERPRINT_KEY");
    c.env_remove("CI");
    c.env("HOME", home);
    c.env("XDG_CONFIG_HOME", home.join(".config"));
    c
}

/// Installs `tool`, an external checker some tests use, by running `install` (the test
/// suite does so on first use, into its scratch directory). When that cannot run or fails
/// (no `npm` or `python3`, or no network to reach the registry), the calling test fails
/// naming the tool, the failure, and `by_hand`: how to install it by hand.
pub fn install_tool(tool: &str, install: &mut std::process::Command, by_hand: &str) {
    let shown = format!("{install:?}");
    let failure = match install.output() {
        Ok(out) if out.status.success() => return,
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let lines: Vec<&str> = stderr.trim_end().lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            format!("{shown} ended with {}:\n{tail}", out.status)
        }
        Err(e) => format!("{shown} could not start: {e}"),
    };
    panic!(
        "{tool} is needed by this test and could not be installed.\n{failure}\n\
         The test suite installs it from its registry on first use; without network access \
         (or to use a mirror), install it by hand:\n    {by_hand}"
    );
}

/// A temporary directory that is removed on drop.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` at `rel`, creating folders.
    pub fn write(&self, rel: impl AsRef<Path>, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
        p
    }
}

/// A deterministic pseudo-random string of `len` characters from `alphabet`, so test
/// secrets are built at run time and never committed.
pub fn fake(alphabet: &str, len: usize, seed: u64) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut state = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
    (0..len)
        .map(|_| {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chars[(z % chars.len() as u64) as usize]
        })
        .collect()
}

pub const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const LOWER_ALNUM: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
pub const LOWER_HEX: &str = "0123456789abcdef";
pub const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// An AWS-style access key id, assembled at run time.
pub fn aws_key_id(seed: u64) -> String {
    format!("{}{}", ["AK", "IA"].concat(), fake(UPPER_DIGITS, 16, seed))
}

/// A GitHub personal access token (classic) with a correct checksum (the CRC32 of its 30
/// random characters in 6 base62 digits), assembled at run time.
pub fn github_token(seed: u64) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let body = fake(ALNUM, 30, seed);
    let mut n = crc32fast::hash(body.as_bytes());
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    format!(
        "{}{body}{}",
        ["gh", "p_"].concat(),
        String::from_utf8_lossy(&check)
    )
}

/// Parses stdout as one JSON document.
pub fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("valid JSON on stdout")
}

/// Runs git in `dir` with a fixed identity and date and no user or system configuration;
/// `path` (when given) becomes PATH, so hooks find the `keysnare` under test.
pub fn git_output(dir: &Path, args: &[&str], path: Option<&str>) -> std::process::Output {
    git_command(dir, args, path).output().expect("git")
}

/// [`git`] with `input` on its standard input.
pub fn git_input(dir: &Path, args: &[&str], input: &[u8]) {
    use std::io::Write;
    let mut child = git_command(dir, args, None)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("git");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write to git");
    let out = child.wait_with_output().expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The command of [`git_output`].
fn git_command(dir: &Path, args: &[&str], path: Option<&str>) -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Ada Fixture")
        .env("GIT_AUTHOR_EMAIL", "ada@fixture.test")
        .env("GIT_COMMITTER_NAME", "Ada Fixture")
        .env("GIT_COMMITTER_EMAIL", "ada@fixture.test")
        .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "@1700000000 +0000")
        // Hooks run the keysnare under test with the test suite's key.
        .env("KEYSNARE_FINGERPRINT_KEY", TEST_FINGERPRINT_KEY);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    c
}

/// [`git_output`] that must succeed.
pub fn git(dir: &Path, args: &[&str]) {
    let out = git_output(dir, args, None);
    assert!(
        out.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `fixtures/repos/SCRIPT DIR`, which generates a repository with fixed names and dates.
pub fn fixture(script: &str, dir: &Path) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/repos")
        .join(script);
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(dir)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
