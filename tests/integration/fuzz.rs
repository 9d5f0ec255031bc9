//! The fuzz targets' inputs, replayed: every input kept in `fuzz/regressions/TARGET/` (ones
//! that once crashed or hung a target) and `fuzz/seeds/TARGET/` (starting points), then a
//! few hundred generated ones per target, so that the suite runs the same entry points as
//! `cargo fuzz` without a nightly toolchain.
use std::path::Path;

use keysnare_cli::fuzzing;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("rule_file", fuzzing::rule_file),
    ("matcher", fuzzing::matcher),
    ("config", fuzzing::config),
    ("ignore_files", fuzzing::ignore_files),
    ("git_repository", fuzzing::git_repository),
    ("windowed", fuzzing::windowed),
];

/// The inputs kept in `fuzz/KIND/TARGET/` (`regressions` or `seeds`), sorted by name.
fn kept(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_name() != "README")
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn kept_fuzz_inputs_do_not_crash() {
    for (name, target) in TARGETS {
        for kind in ["regressions", "seeds"] {
            for (file, data) in kept(kind, name) {
                eprintln!("{name}: {kind}/{file}");
                target(&data);
            }
        }
    }
}

/// The seeds of the `windowed` target find something on both keyword paths (the first
/// byte's low bit chooses), so the comparison they start from is not between two empty
/// lists.
#[test]
fn windowed_seeds_hold_matches_on_both_keyword_paths() {
    let seeds = kept("seeds", "windowed");
    assert!(seeds.len() >= 4, "{} seeds", seeds.len());
    for path in [0, 1] {
        assert!(
            seeds
                .iter()
                .any(|(_, d)| d.first().is_some_and(|b| b & 1 == path)
                    && fuzzing::windowed_matches(d) > 0),
            "no seed with matches takes keyword path {path}"
        );
    }
}

/// splitmix64: deterministic bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Inputs for a target: pieces of text the target's format uses, spliced with random
/// bytes, so that they reach past the first parse error.
fn generated(seed: u64, pieces: &[&str], n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let mut out = Vec::new();
            for _ in 0..(rng.next() % 12) {
                match rng.next() % 4 {
                    0 => {
                        for _ in 0..(rng.next() % 16) {
                            out.push(rng.next() as u8);
                        }
                    }
                    _ => out.extend_from_slice(
                        pieces[(rng.next() % pieces.len() as u64) as usize].as_bytes(),
                    ),
                }
            }
            out
        })
        .collect()
}

#[test]
fn generated_inputs_do_not_crash_the_parsers_and_the_matcher() {
    let rule_pieces = [
        "[[rules]]\n",
        "id = \"a.b\"\n",
        "name = \"n\"\n",
        "provider = \"p\"\n",
        "pattern = '''(?P<secret>x{1,8})'''\n",
        "pattern = '''(a+)'''\n",
        "severity = \"low\"\n",
        "keywords = [\"x\"]\n",
        "examples = [\"xxx\"]\n",
        "[rules.allowlist]\n",
        "regexes = ['''[''']\n",
        "checksum = \"github-crc32\"\n",
        "[[rules.custom]]\n",
        "\"",
        "\n",
        "{",
        "min_entropy = 9\n",
    ];
    for data in generated(1, &rule_pieces, 300) {
        fuzzing::rule_file(&data);
    }
    let config_pieces = [
        "[scan]\n",
        "max_file_size = \"1 MB\"\n",
        "confidence = \"low\"\n",
        "format = \"json\"\n",
        "[rules]\n",
        "disable = [\"aws.access-key-id\"]\n",
        "[rules.severity]\n",
        "\"aws.access-key-id\" = \"low\"\n",
        "exclude = [\"**/*.lock\"]\n",
        "bogus = 1\n",
        "\n",
    ];
    for data in generated(2, &config_pieces, 300) {
        fuzzing::config(&data);
    }
    let ignore_pieces = [
        "0123456789abcdef0123456789abcdef",
        " rule.id path/x.txt note\n",
        "# comment\n",
        "/target/\n",
        "!keep\n",
        "**/[a-\n",
        "abc:def:1\n",
        "\n",
        "deadbeef:p:r:3\n",
    ];
    for data in generated(3, &ignore_pieces, 300) {
        fuzzing::ignore_files(&data);
    }
    let text_pieces = [
        "AKIA",
        "ghp_",
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "password = ",
        "\n",
        "\r\n",
        "postgres://u:",
        "@h/db",
        "keysnare:allow",
        "eyJ",
        "QUtJQ",
        "414b4941",
        "%3A%2F%2F",
        "\u{00e9}",
        "\"",
        "xoxb-",
    ];
    for data in generated(4, &text_pieces, 300) {
        fuzzing::matcher(&data);
    }
    for data in generated(5, &text_pieces, 300) {
        fuzzing::windowed(&data);
    }
}

#[test]
fn damaged_repositories_do_not_crash_the_history_scan() {
    // File choice, offset, mode (overwrite, truncate, insert) and bytes, as the target reads
    // them: every file of the template repository, each way.
    for file in 0..40u8 {
        for mode in 0..3u8 {
            let offset = u32::from(file) * 37 + u32::from(mode) * 1009;
            let mut data = vec![file];
            data.extend_from_slice(&offset.to_le_bytes());
            data.push(mode);
            data.extend_from_slice(b"\xff\x00garbage\x78\x9c");
            fuzzing::git_repository(&data);
        }
    }
}
