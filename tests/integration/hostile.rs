//! Hostile inputs: damaged repositories, objects whose headers lie, huge, long-lined and
//! deep trees, symlink loops, special files, odd paths and bad rule files.
//!
//! Every scan here must finish, name the bad input (in the JSON `errors` or `skipped`, and
//! on stderr), still report the real finding planted next to it, exit with the documented
//! code (0 nothing found, 1 findings, 2 an error while nothing was found), and never panic.
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command as Std;
use std::time::Duration;

use crate::util::*;

/// What one scan produced.
struct Outcome {
    code: i32,
    doc: serde_json::Value,
    stderr: String,
}

impl Outcome {
    /// `(path, line, column)` of every finding's every location.
    fn places(&self) -> BTreeSet<(String, u64, u64)> {
        self.doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["locations"].as_array().unwrap())
            .map(|l| {
                (
                    l["path"].as_str().unwrap().to_string(),
                    l["line"].as_u64().unwrap(),
                    l["column"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    fn paths(&self) -> BTreeSet<String> {
        self.places().into_iter().map(|p| p.0).collect()
    }

    /// `"path: message"` of every error.
    fn errors(&self) -> Vec<String> {
        self.entries("errors", "message")
    }

    /// `"path: reason"` of every skipped input.
    fn skipped(&self) -> Vec<String> {
        self.entries("skipped", "reason")
    }

    fn entries(&self, key: &str, text: &str) -> Vec<String> {
        self.doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e["path"].as_str().unwrap_or("<none>"),
                    e[text].as_str().unwrap()
                )
            })
            .collect()
    }
}

/// `keysnare scan --format json ARGS...`, killed after two minutes; asserts that it exited
/// by itself, did not panic and wrote a JSON document.
fn scan<S: AsRef<OsStr>>(args: &[S]) -> Outcome {
    let out = keysnare()
        .args(["scan", "--format", "json", "--progress", "never"])
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal or the timeout: {stderr}"));
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON on stdout ({e}); stderr: {stderr}"));
    Outcome { code, doc, stderr }
}

/// A `-v` text scan: its exit code and stderr, where skipped inputs are listed.
fn verbose_stderr<S: AsRef<OsStr>>(args: &[S]) -> (i32, String) {
    let out = keysnare()
        .args(["scan", "-v", "--progress", "never"])
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().expect("exit code"), stderr)
}

// ---------------------------------------------------------------------------------------
// Byte-level helpers: SHA-1 and zlib from their crates; zlib bombs and pack files written
// by hand.

fn sha1(data: &[u8]) -> [u8; 20] {
    use sha1::Digest as _;
    sha1::Sha1::digest(data).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The git id of a blob holding `content`.
fn blob_id(content: &[u8]) -> [u8; 20] {
    let mut obj = format!("blob {}\0", content.len()).into_bytes();
    obj.extend_from_slice(content);
    sha1(&obj)
}

/// A zlib stream of `data`.
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// Deflate bits, least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, len: u32) {
        self.acc |= value << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let rev = code.reverse_bits() >> (32 - len);
        self.put(u64::from(rev), len);
    }

    /// A literal byte below 144 in the fixed code.
    fn literal(&mut self, byte: u8) {
        assert!(byte < 144);
        self.code(0x30 + u32::from(byte), 8);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A zlib stream of `prefix` followed by `zeros` zero bytes, in one fixed-Huffman block of
/// 258-byte back-references (about 160:1): a few megabytes that inflate to gigabytes.
/// Written by hand because a compressor would read every zero: a minute for 2 GiB.
fn zlib_bomb(prefix: &[u8], zeros: u64) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.out.extend_from_slice(&[0x78, 0x01]);
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    for &b in prefix {
        bits.literal(b);
    }
    let mut left = zeros;
    if left > 0 {
        bits.literal(0);
        left -= 1;
    }
    // Length 258 is code 285 (8 bits, 11000101), distance 1 is code 0 (5 bits).
    let code = 0xC5u32.reverse_bits() >> 24;
    while left >= 258 {
        bits.put(u64::from(code), 13);
        left -= 258;
    }
    for _ in 0..left {
        bits.literal(0);
    }
    bits.code(0, 7); // end of block
    let mut out = bits.finish();
    // Adler-32 of the prefix, carried over the zeros without reading them: a zero byte
    // leaves the low sum `a` as it is and adds `a` to the high sum `b`.
    let prefix_sum = adler2::adler32_slice(prefix);
    let (a, b) = (u64::from(prefix_sum & 0xffff), u64::from(prefix_sum >> 16));
    let b = (b + zeros % 65521 * a) % 65521;
    out.extend_from_slice(&(((b as u32) << 16) | a as u32).to_be_bytes());
    out
}

/// Writes a loose object file for `id` holding `compressed` bytes.
fn write_loose(repo: &Path, id: &str, compressed: &[u8]) -> PathBuf {
    let dir = repo.join(".git/objects").join(&id[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(&id[2..]);
    std::fs::write(&p, compressed).unwrap();
    p
}

/// A pack entry's type-and-size header.
fn entry_header(kind: u8, size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut size = size;
    let mut byte = (kind << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(byte);
    out
}

/// A delta's size varint.
fn varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Delta data: `len` bytes copied from offset 0 of a `len`-byte base.
fn copy_delta(len: usize) -> Vec<u8> {
    let mut d = Vec::new();
    varint(len, &mut d);
    varint(len, &mut d);
    d.extend_from_slice(&[0x90, len as u8]);
    d
}

/// An `OFS_DELTA` entry whose base is `distance` bytes before it (0: itself).
fn ofs_delta_entry(distance: u64, delta: &[u8]) -> Vec<u8> {
    let mut e = entry_header(6, delta.len());
    // Git's offset encoding: big-endian 7-bit groups, each continuation adds one.
    let mut n = distance;
    let mut enc = vec![(n & 0x7f) as u8];
    n >>= 7;
    while n > 0 {
        n -= 1;
        enc.push(0x80 | (n & 0x7f) as u8);
        n >>= 7;
    }
    enc.reverse();
    e.extend_from_slice(&enc);
    e.extend_from_slice(&zlib(delta));
    e
}

fn ref_delta_entry(base: &[u8; 20], delta: &[u8]) -> Vec<u8> {
    let mut e = entry_header(7, delta.len());
    e.extend_from_slice(base);
    e.extend_from_slice(&zlib(delta));
    e
}

fn blob_entry(content: &[u8]) -> Vec<u8> {
    let mut e = entry_header(3, content.len());
    e.extend_from_slice(&zlib(content));
    e
}

/// Writes a version 2 pack and its index (ids as given, not checked) into the work tree
/// repository `repo`'s `.git/objects/pack`.
fn write_pack(repo: &Path, entries: &[([u8; 20], Vec<u8>)]) -> PathBuf {
    write_pack_into(&repo.join(".git/objects"), entries)
}

/// Writes a version 2 pack and its index (ids as given, not checked) into `objects/pack`.
fn write_pack_into(objects: &Path, entries: &[([u8; 20], Vec<u8>)]) -> PathBuf {
    let mut pack = b"PACK".to_vec();
    pack.extend_from_slice(&2u32.to_be_bytes());
    pack.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut rows = Vec::new();
    for (id, bytes) in entries {
        rows.push((*id, crc32fast::hash(bytes), pack.len() as u32));
        pack.extend_from_slice(bytes);
    }
    let pack_sum = sha1(&pack);
    pack.extend_from_slice(&pack_sum);
    rows.sort();
    let mut idx = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
    for first in 0..=255u8 {
        let n = rows.iter().filter(|r| r.0[0] <= first).count() as u32;
        idx.extend_from_slice(&n.to_be_bytes());
    }
    for r in &rows {
        idx.extend_from_slice(&r.0);
    }
    for r in &rows {
        idx.extend_from_slice(&r.1.to_be_bytes());
    }
    for r in &rows {
        idx.extend_from_slice(&r.2.to_be_bytes());
    }
    idx.extend_from_slice(&pack_sum);
    let idx_sum = sha1(&idx);
    idx.extend_from_slice(&idx_sum);
    let dir = objects.join("pack");
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("pack-{}", hex(&pack_sum));
    std::fs::write(dir.join(format!("{name}.pack")), pack).unwrap();
    std::fs::write(dir.join(format!("{name}.idx")), idx).unwrap();
    dir.join(format!("{name}.pack"))
}

// ---------------------------------------------------------------------------------------
// Repositories.

fn git_stdout(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args, None);
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A repository with one commit of `files`.
fn repo_with(t: &Tree, name: &str, files: &[(&str, String)]) -> PathBuf {
    let repo = t.path().join(name);
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    for (path, content) in files {
        let p = repo.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "files"]);
    repo
}

/// A repository whose one commit (`history.env`, a GitHub token) is packed, with an
/// untracked `local.env` (an AWS key) in its work tree. Returns the repository, its pack
/// and index, and the committed blob's id.
fn packed_repo(t: &Tree) -> (PathBuf, PathBuf, PathBuf, String) {
    let repo = repo_with(
        t,
        "packed",
        &[
            ("README.md", "# packed\n".into()),
            ("history.env", format!("TOKEN={}\n", github_token(9101))),
        ],
    );
    git(&repo, &["repack", "-q", "-a", "-d"]);
    std::fs::write(
        repo.join("local.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(9102)),
    )
    .unwrap();
    let blob = git_stdout(&repo, &["rev-parse", "HEAD:history.env"]);
    let pack_dir = repo.join(".git/objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    (repo, idx.with_extension("pack"), idx, blob)
}

/// Pack offsets by object id, from `git show-index`.
fn pack_offsets(repo: &Path, idx: &Path) -> Vec<(u64, String)> {
    let out = Std::new("git")
        .current_dir(repo)
        .arg("show-index")
        .stdin(std::fs::File::open(idx).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut rows: Vec<(u64, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut it = l.split_whitespace();
            (
                it.next().unwrap().parse().unwrap(),
                it.next().unwrap().to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Overwrites a file git wrote read-only.
fn overwrite(p: &Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Asserts the scan of a damaged `packed_repo`: the damage is an error naming `input`, the
/// work tree's key is still found (exit 1); without the work tree nothing is found and the
/// error alone makes the exit code 2.
fn assert_damaged_pack_outcome(repo: &Path, input: &str) {
    let o = scan(&[repo]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.paths().contains("local.env"), "{:?}", o.places());
    let errors = o.errors();
    assert!(
        errors.iter().any(|e| e.contains(input)),
        "no error names {input}: {errors:#?}"
    );
    assert!(
        o.stderr
            .lines()
            .any(|l| l.starts_with("keysnare: error: ") && l.contains(input)),
        "{}",
        o.stderr
    );
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.paths().is_empty(), "{:?}", o.places());
    assert!(o.errors().iter().any(|e| e.contains(input)));
}

// ---------------------------------------------------------------------------------------
// 1. A corrupt pack.

/// Also covered, without naming checks, by `git::corrupt_pack_is_reported_and_the_rest_is_scanned`.
#[test]
fn corrupt_pack_entry_is_an_error_naming_the_pack() {
    let t = Tree::new();
    let (repo, pack, idx, blob) = packed_repo(&t);
    let offsets = pack_offsets(&repo, &idx);
    let at = offsets.iter().position(|(_, id)| *id == blob).unwrap();
    let start = offsets[at].0 as usize;
    let mut bytes = std::fs::read(&pack).unwrap();
    let end = offsets
        .get(at + 1)
        .map_or(bytes.len() - 20, |(o, _)| *o as usize);
    // Keep the entry header and the zlib header; clobber the deflate data.
    for b in &mut bytes[start + 4..end - 2] {
        *b = 0xAA;
    }
    overwrite(&pack, &bytes);
    assert_damaged_pack_outcome(&repo, &file_name(&pack));
    // The work tree's intact copy of the damaged blob is still scanned.
    let o = scan(&[&repo]);
    assert!(o.paths().contains("history.env"), "{:?}", o.places());
}

// 3. A pack index that points past the end of its pack.
#[test]
fn pack_index_offset_past_the_pack_is_an_error_naming_the_pack() {
    let t = Tree::new();
    let (repo, pack, idx, blob) = packed_repo(&t);
    let mut bytes = std::fs::read(&idx).unwrap();
    let n = u32::from_be_bytes(bytes[8 + 255 * 4..8 + 256 * 4].try_into().unwrap()) as usize;
    let ids = 8 + 256 * 4;
    let pos = (0..n)
        .find(|i| hex(&bytes[ids + 20 * i..ids + 20 * i + 20]) == blob)
        .unwrap();
    let off = ids + 24 * n + 4 * pos;
    bytes[off..off + 4].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
    overwrite(&idx, &bytes);
    assert!(std::fs::metadata(&pack).unwrap().len() < 0x7fff_0000);
    assert_damaged_pack_outcome(&repo, &file_name(&pack));
}

// 2. A truncated loose object.
#[test]
fn truncated_loose_object_is_an_error_naming_it() {
    let t = Tree::new();
    let aws = aws_key_id(9201);
    let repo = repo_with(
        &t,
        "loose",
        &[
            ("a.env", format!("AWS_ACCESS_KEY_ID={aws}\n")),
            ("b.env", format!("TOKEN={}\n", github_token(9202))),
        ],
    );
    let blob = git_stdout(&repo, &["rev-parse", "HEAD:b.env"]);
    let file = repo.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let bytes = std::fs::read(&file).unwrap();
    overwrite(&file, &bytes[..bytes.len() / 2]);

    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from(["a.env".to_string()]));
    let errors = o.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("loose object: ") && e.contains(&blob)),
        "{errors:#?}"
    );
    assert!(o.stderr.contains(&blob), "{}", o.stderr);
    // With the other key accepted, the damage alone decides: exit 2.
    let fp = o.doc["findings"][0]["fingerprint"].as_str().unwrap();
    std::fs::write(repo.join(".keysnareignore"), format!("{fp}\n")).unwrap();
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.errors().iter().any(|e| e.contains(&blob)));
}

// 4. Cyclic delta chains, hand-written: an OFS_DELTA whose base is itself, one whose base
// lies before the start of the pack, and two REF_DELTAs that are each other's base.
#[test]
fn cyclic_and_out_of_range_deltas_are_errors_and_the_rest_of_the_pack_is_read() {
    let t = Tree::new();
    let aws = aws_key_id(9301);
    let repo = repo_with(&t, "cyclic", &[("a.env", format!("K={aws}\n"))]);
    let token = format!("TOKEN={}\n", github_token(9302));
    let good = blob_id(token.as_bytes());
    let self_id = sha1(b"self-referencing delta");
    let before_id = sha1(b"delta before the pack");
    let cycle_a = sha1(b"delta cycle a");
    let cycle_b = sha1(b"delta cycle b");
    let delta = copy_delta(20);
    let pack = write_pack(
        &repo,
        &[
            (self_id, ofs_delta_entry(0, &delta)),
            (before_id, ofs_delta_entry(1 << 20, &delta)),
            (cycle_a, ref_delta_entry(&cycle_b, &delta)),
            (cycle_b, ref_delta_entry(&cycle_a, &delta)),
            (good, blob_entry(token.as_bytes())),
        ],
    );
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(
        o.paths(),
        BTreeSet::from(["<unreachable>".to_string(), "a.env".to_string()]),
        "the pack's good blob and the loose key are both found"
    );
    let errors = o.errors();
    let name = file_name(&pack);
    assert!(
        errors.iter().any(|e| e.contains(&name)),
        "no error names {name}: {errors:#?}"
    );
    assert!(o.stderr.contains(&name), "{}", o.stderr);
}

// 5. A loose blob whose header claims 10 GiB but that holds a few bytes.
#[test]
fn blob_header_claiming_ten_gigabytes_is_skipped_from_its_header() {
    let t = Tree::new();
    let aws = aws_key_id(9401);
    let repo = repo_with(&t, "liar", &[("a.env", format!("K={aws}\n"))]);
    let mut obj = b"blob 10737418240\0".to_vec();
    obj.extend_from_slice(b"only a few bytes\n");
    let id = hex(&sha1(&obj));
    write_loose(&repo, &id, &zlib(&obj));

    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from(["a.env".to_string()]));
    assert_eq!(
        o.skipped(),
        vec![format!(
            "blob {id}: larger than --max-file-size (10.0 GiB > 64.0 MiB)"
        )]
    );
    assert!(o.errors().is_empty(), "{:?}", o.errors());

    // With a cap above the claim, the memory budget still keeps it unread: it is more than
    // one blob may take.
    let o = scan(&[
        repo.as_os_str(),
        OsStr::new("--no-worktree"),
        OsStr::new("--max-file-size"),
        OsStr::new("20GiB"),
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let skipped = o.skipped();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].starts_with(&format!(
            "blob {id}: larger than the memory budget lets one file or blob take (10.0 GiB > "
        )),
        "{skipped:?}"
    );
    assert!(o.errors().is_empty(), "{:?}", o.errors());

    // With a budget above the claim too, the blob is read and its short content is an error.
    let o = scan(&[
        repo.as_os_str(),
        OsStr::new("--no-worktree"),
        OsStr::new("--max-file-size"),
        OsStr::new("20GiB"),
        OsStr::new("--memory-budget"),
        OsStr::new("64GiB"),
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from(["a.env".to_string()]));
    let errors = o.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("loose object: ") && e.contains(&id)),
        "{errors:#?}"
    );
}

// 9. A zip-bomb-like loose blob: 2 GiB of zeros in about 13 MiB of deflate.
#[test]
fn zlib_bomb_blob_is_skipped_without_inflating_it() {
    let t = Tree::new();
    let aws = aws_key_id(9501);
    let repo = repo_with(&t, "bomb", &[("a.env", format!("K={aws}\n"))]);
    // The id of `blob 2147483648\0` and 2 GiB of zeros (`sha1sum`, once: hashing 2 GiB
    // here would cost seconds).
    let id = "77e9132b46cb9535f286f18974872f40049d1a89";
    let bomb = zlib_bomb(b"blob 2147483648\0", 1 << 31);
    assert!(bomb.len() < 16 << 20, "{} bytes", bomb.len());
    write_loose(&repo, id, &bomb);
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from(["a.env".to_string()]));
    assert_eq!(
        o.skipped(),
        vec![format!(
            "blob {id}: larger than --max-file-size (2.0 GiB > 64.0 MiB)"
        )]
    );
    assert!(o.errors().is_empty(), "{:?}", o.errors());
}

/// The objects, zlib bomb and pack written here agree with git.
#[test]
fn handmade_objects_are_valid_for_git() {
    let t = Tree::new();
    let repo = repo_with(&t, "check", &[("x.txt", "x\n".into())]);
    let content = b"hello from a zlib stream\n";
    let id = hex(&blob_id(content));
    let mut obj = format!("blob {}\0", content.len()).into_bytes();
    obj.extend_from_slice(content);
    write_loose(&repo, &id, &zlib(&obj));
    assert_eq!(
        git_stdout(&repo, &["cat-file", "-p", &id]).as_bytes(),
        content.trim_ascii_end()
    );
    // A small bomb inflates to what it claims.
    let mut small = b"blob 100000\0".to_vec();
    small.extend_from_slice(&[0u8; 100_000]);
    let small_id = hex(&sha1(&small));
    write_loose(&repo, &small_id, &zlib_bomb(b"blob 100000\0", 100_000));
    git(&repo, &["fsck", "--no-dangling"]);
    assert_eq!(git_stdout(&repo, &["cat-file", "-s", &small_id]), "100000");
    // And a hand-written pack with a plain blob.
    let t2 = Tree::new();
    let repo2 = repo_with(&t2, "pack", &[("x.txt", "x\n".into())]);
    let pack = write_pack(&repo2, &[(blob_id(content), blob_entry(content))]);
    let idx = pack.with_extension("idx").display().to_string();
    git(&repo2, &["verify-pack", &idx]);
    assert_eq!(
        git_stdout(&repo2, &["cat-file", "-s", &id]),
        content.len().to_string()
    );
}

// ---------------------------------------------------------------------------------------
// Files: huge, long-lined, many-lined, deep.

// 6. A 1 GiB (sparse) file: skipped by the default size cap from its metadata.
#[test]
fn one_gigabyte_file_is_skipped_by_the_default_cap() {
    let t = Tree::new();
    let aws = aws_key_id(9601);
    t.write("keys.env", format!("K={aws}\n"));
    let huge = std::fs::File::create(t.path().join("huge.bin")).unwrap();
    huge.set_len(1 << 30).unwrap();
    let o = scan(&[t.path()]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.places().len(), 1);
    assert!(o.paths().iter().all(|p| p.ends_with("keys.env")));
    let skipped = o.skipped();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].ends_with("huge.bin: larger than --max-file-size (1.0 GiB > 64.0 MiB)"),
        "{skipped:?}"
    );
    assert!(o.errors().is_empty());
    // Alone, it is a policy skip: exit 0, listed with -v.
    let (code, stderr) = verbose_stderr(&[t.path().join("huge.bin")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("huge.bin: larger than --max-file-size"),
        "{stderr}"
    );
}

/// A file of `len` bytes of prose without a newline, with `secret` at `at`.
fn long_line_file(path: &Path, len: usize, at: usize, secret: &str) {
    let prose = b"lorem ipsum dolor sit amet consectetur adipiscing elit ";
    let mut data = Vec::with_capacity(len);
    while data.len() < len {
        data.extend_from_slice(prose);
    }
    data.truncate(len);
    data[at - 1] = b' ';
    data[at..at + secret.len()].copy_from_slice(secret.as_bytes());
    data[at + secret.len()] = b' ';
    std::fs::write(path, data).unwrap();
}

fn assert_long_line_found(size_mib: usize, cap: &str) {
    let t = Tree::new();
    let key = aws_key_id(9700 + size_mib as u64);
    let len = size_mib << 20;
    let at = len - 1000;
    long_line_file(&t.path().join("one-line.txt"), len, at, &key);
    let o = scan(&[
        t.path().as_os_str(),
        OsStr::new("--max-file-size"),
        OsStr::new(cap),
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let places: Vec<_> = o.places().into_iter().collect();
    assert_eq!(places.len(), 1, "{places:?}");
    assert!(places[0].0.ends_with("one-line.txt"));
    assert_eq!((places[0].1, places[0].2), (1, at as u64 + 1));
    // The line is cut around the secret in the report.
    let text = o.doc["findings"][0]["line_text"].as_str().unwrap();
    assert!(text.len() < 1000, "{} bytes of line_text", text.len());
}

// 7. A 200 MiB file without a newline, a key near its end.
// A few seconds in a debug build: it runs by default.
#[test]
fn two_hundred_megabyte_line_is_scanned_to_its_end() {
    assert_long_line_found(200, "300MB");
}

// 8. Ten million short lines (30 MiB), keys on the first and last lines.
#[test]
fn ten_million_short_lines() {
    let t = Tree::new();
    let first = aws_key_id(9801);
    let last = aws_key_id(9802);
    let lines = 10_000_000;
    let mut data = Vec::with_capacity(lines * 3 + 64);
    data.extend_from_slice(format!("K={first}\n").as_bytes());
    for _ in 1..lines - 1 {
        data.extend_from_slice(b"ab\n");
    }
    data.extend_from_slice(format!("x K={last}\n").as_bytes());
    std::fs::write(t.path().join("lines.txt"), data).unwrap();
    let o = scan(&[t.path()]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let got: Vec<(u64, u64)> = o.places().into_iter().map(|p| (p.1, p.2)).collect();
    assert_eq!(got, vec![(1, 3), (lines as u64, 5)]);
}

/// `d/d/…/d` 1,000 levels deep under `root`.
fn deep_dir(root: &Path) -> PathBuf {
    let mut p = root.to_path_buf();
    for _ in 0..1000 {
        p.push("d");
    }
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn deep_rel(file: &str) -> String {
    format!("{}{file}", "d/".repeat(1000))
}

// 10. A directory tree 1,000 levels deep: as files, in history, in a range and staged.
#[test]
fn thousand_levels_deep_tree_is_walked_and_its_history_read() {
    let t = Tree::new();
    let repo = repo_with(&t, "deep-repo", &[("README.md", "# deep\n".into())]);
    let bottom = deep_dir(&repo);
    std::fs::write(
        bottom.join("history.env"),
        format!("K={}\n", aws_key_id(9902)),
    )
    .unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "deep"]);
    std::fs::write(
        bottom.join("untracked.env"),
        format!("K={}\n", aws_key_id(9904)),
    )
    .unwrap();
    // As files (one deep tree only: deleting one takes seconds on some file systems).
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-git")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.errors().is_empty(), "{:?}", o.errors());
    let paths = o.paths();
    assert!(
        paths.len() == 2
            && ["history.env", "untracked.env"].iter().all(|f| paths
                .iter()
                .any(|p| p.ends_with(&format!("deep-repo/{}", deep_rel(f))))),
        "{paths:?}"
    );
    // As a repository: history and work tree.
    let o = scan(&[&repo]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.errors().is_empty(), "{:?}", o.errors());
    let expected: BTreeSet<String> = ["history.env", "untracked.env"]
        .into_iter()
        .map(deep_rel)
        .collect();
    assert_eq!(o.paths(), expected);
    let o = scan(&[
        repo.as_os_str(),
        OsStr::new("--range"),
        OsStr::new("HEAD~1..HEAD"),
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from([deep_rel("history.env")]));
    // Staged after the history scan, so that the history scan above sees committed
    // content only.
    std::fs::write(
        bottom.join("staged.env"),
        format!("K={}\n", aws_key_id(9903)),
    )
    .unwrap();
    git(&repo, &["add", &deep_rel("staged.env")]);
    let o = scan(&[repo.as_os_str(), OsStr::new("--staged")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from([deep_rel("staged.env")]));
}

/// Levels of the deep trees below: a walk that recursed once per level already overflowed
/// an 8 MiB stack at 20,000.
const DEEP_LEVELS: usize = 100_000;

/// `d/d/…/d/NAME`, `levels` directories deep.
fn deep_path(levels: usize, name: &str) -> String {
    format!("{}{name}", "d/".repeat(levels))
}

/// Objects made by hand for one pack. Git itself refuses trees deeper than 2,048 levels
/// (`core.maxTreeDepth`), and 100,000 loose objects take long to write.
#[derive(Default)]
struct Objects {
    entries: Vec<([u8; 20], Vec<u8>)>,
}

/// A tree entry: name, whether it is a tree, id.
type TreeEntry<'a> = (&'a str, bool, [u8; 20]);

impl Objects {
    /// Adds an object of `kind` (git's name for it and its pack type) and returns its id.
    fn add(&mut self, kind: &str, pack_type: u8, data: &[u8]) -> [u8; 20] {
        let mut object = format!("{kind} {}\0", data.len()).into_bytes();
        object.extend_from_slice(data);
        let id = sha1(&object);
        let mut entry = entry_header(pack_type, data.len());
        entry.extend_from_slice(&zlib(data));
        self.entries.push((id, entry));
        id
    }

    fn blob(&mut self, content: &str) -> [u8; 20] {
        self.add("blob", 3, content.as_bytes())
    }

    /// A tree of `entries`, in git's order (a subtree sorts as if its name ended in `/`).
    fn tree(&mut self, entries: &[TreeEntry<'_>]) -> [u8; 20] {
        let mut sorted = entries.to_vec();
        sorted
            .sort_by_key(|(name, is_tree, _)| format!("{name}{}", if *is_tree { "/" } else { "" }));
        let mut data = Vec::new();
        for (name, is_tree, id) in sorted {
            data.extend_from_slice(if is_tree { b"40000 " } else { b"100644 " });
            data.extend_from_slice(name.as_bytes());
            data.push(0);
            data.extend_from_slice(&id);
        }
        self.add("tree", 2, &data)
    }

    /// A root tree holding `top`, and `bottom` in `d/d/…/d/`, `levels` deep.
    fn deep_tree(
        &mut self,
        levels: usize,
        bottom: &[TreeEntry<'_>],
        top: &[TreeEntry<'_>],
    ) -> [u8; 20] {
        let mut below = self.tree(bottom);
        for _ in 1..levels {
            below = self.tree(&[("d", true, below)]);
        }
        let mut root = top.to_vec();
        root.push(("d", true, below));
        self.tree(&root)
    }

    fn commit(&mut self, tree: [u8; 20], parent: Option<[u8; 20]>, message: &str) -> [u8; 20] {
        let mut text = format!("tree {}\n", hex(&tree));
        if let Some(p) = parent {
            text.push_str(&format!("parent {}\n", hex(&p)));
        }
        let who = "Ada Fixture <ada@fixture.test> 1700000000 +0000";
        text.push_str(&format!("author {who}\ncommitter {who}\n\n{message}\n"));
        self.add("commit", 1, text.as_bytes())
    }
}

/// A new repository (bare when `bare`) whose `main` has two commits: `README.md`, then
/// `bottom` added at `d/d/…/d/`, [`DEEP_LEVELS`] deep. `o` holds the blobs of `bottom` and
/// any other object the test needs; all go into one pack.
fn deep_history(t: &Tree, bare: bool, mut o: Objects, bottom: &[TreeEntry<'_>]) -> PathBuf {
    let repo = t.path().join(if bare { "deep.git" } else { "deep" });
    let mut init = vec!["init", "-q", "-b", "main"];
    if bare {
        init.push("--bare");
    }
    init.push(repo.to_str().unwrap());
    git(t.path(), &init);
    let readme = o.blob("# deep\n");
    let top = [("README.md", false, readme)];
    let first_tree = o.tree(&top);
    let first = o.commit(first_tree, None, "readme");
    let deep_tree = o.deep_tree(DEEP_LEVELS, bottom, &top);
    let tip = o.commit(deep_tree, Some(first), "deep");
    let objects = if bare {
        repo.join("objects")
    } else {
        repo.join(".git/objects")
    };
    write_pack_into(&objects, &o.entries);
    git(&repo, &["update-ref", "refs/heads/main", &hex(&tip)]);
    repo
}

// 10b. Trees 100,000 levels deep in history, in a range and in the index. Each scan reads
// them with a stack of its own, in a few seconds.
#[test]
fn hundred_thousand_levels_deep_history_is_scanned() {
    let t = Tree::new();
    let mut o = Objects::default();
    let secret = o.blob(&format!("K={}\n", aws_key_id(9910)));
    let repo = deep_history(&t, true, o, &[("deep.env", false, secret)]);
    let out = scan(&[&repo]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(
        out.paths(),
        BTreeSet::from([deep_path(DEEP_LEVELS, "deep.env")])
    );
}

#[test]
fn hundred_thousand_levels_deep_range_is_scanned() {
    let t = Tree::new();
    let mut o = Objects::default();
    let secret = o.blob(&format!("K={}\n", aws_key_id(9911)));
    let repo = deep_history(&t, true, o, &[("deep.env", false, secret)]);
    let out = scan(&[
        repo.as_os_str(),
        OsStr::new("--range"),
        OsStr::new("main~1..main"),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(
        out.paths(),
        BTreeSet::from([deep_path(DEEP_LEVELS, "deep.env")])
    );
}

#[test]
fn hundred_thousand_levels_deep_index_is_scanned_staged() {
    let t = Tree::new();
    let mut o = Objects::default();
    let committed = o.blob(&format!("K={}\n", aws_key_id(9912)));
    let staged = format!("K={}\n", aws_key_id(9913));
    let staged_id = o.blob(&staged);
    let repo = deep_history(&t, false, o, &[("kept.env", false, committed)]);
    // The index: README.md and kept.env as committed, staged.env new. Git writes it, in
    // format version 4: gix reads a path of 4,095 bytes or more only there (in versions 2
    // and 3 it does not skip the padding after such a path).
    let entries = format!(
        "100644 {}\tREADME.md\n100644 {}\t{}\n100644 {}\t{}\n",
        hex(&blob_id(b"# deep\n")),
        hex(&committed),
        deep_path(DEEP_LEVELS, "kept.env"),
        hex(&staged_id),
        deep_path(DEEP_LEVELS, "staged.env"),
    );
    git_input(
        &repo,
        &["update-index", "--add", "--index-info"],
        entries.as_bytes(),
    );
    git(&repo, &["update-index", "--index-version", "4"]);
    let out = scan(&[repo.as_os_str(), OsStr::new("--staged")]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(
        out.paths(),
        BTreeSet::from([deep_path(DEEP_LEVELS, "staged.env")])
    );
}

// ---------------------------------------------------------------------------------------
// Links, special files, permissions, paths.

// 11. Symbolic link loops: never followed inside a tree; named when given as the root.
#[test]
fn symlink_loops_are_not_followed() {
    let t = Tree::new();
    let aws = aws_key_id(10_001);
    t.write("tree/keys.env", format!("K={aws}\n"));
    let d = t.path().join("tree");
    std::os::unix::fs::symlink("self", d.join("self")).unwrap();
    std::os::unix::fs::symlink("pong", d.join("ping")).unwrap();
    std::os::unix::fs::symlink("ping", d.join("pong")).unwrap();
    std::os::unix::fs::symlink("..", d.join("up")).unwrap();
    std::os::unix::fs::symlink(".", d.join("here")).unwrap();
    let o = scan(&[&d]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.places().len(), 1);
    assert!(o.errors().is_empty(), "{:?}", o.errors());
    let (code, stderr) = verbose_stderr(&[&d]);
    assert_eq!(code, 1);
    for link in ["self", "ping", "pong", "up", "here"] {
        assert!(
            stderr.contains(&format!("{link}: symbolic link (not followed)")),
            "{link}: {stderr}"
        );
    }
    // A looping link given as the path to scan is an error naming it.
    let o = scan(&[d.join("self")]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let errors = o.errors();
    assert!(
        errors.len() == 1 && errors[0].contains("self") && errors[0].contains("symbolic links"),
        "{errors:?}"
    );
    // Next to a real path, the findings decide.
    let o = scan(&[d.join("ping"), d.clone()]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.errors().iter().any(|e| e.contains("ping")),
        "{:?}",
        o.errors()
    );
}

fn running_as_root() -> bool {
    Std::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

// 12. An unreadable file and an unreadable directory (covered for a file, on stderr, by
// `cli::unreadable_file_is_reported_and_the_scan_goes_on`).
#[test]
fn unreadable_file_and_directory_are_errors_naming_them() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    let aws = aws_key_id(10_101);
    t.write("keys.env", format!("K={aws}\n"));
    let file = t.write("locked.txt", "nothing\n");
    let dir = t.path().join("closed");
    t.write("closed/inside.txt", "nothing\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let root = running_as_root();
    let o = scan(&[t.path()]);
    let alone = scan(&[&file]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.places().len(), 1);
    if root {
        // Permissions do not stop root: both are read, nothing to report.
        assert!(o.errors().is_empty(), "{:?}", o.errors());
        assert_eq!(alone.code, 0);
        return;
    }
    let errors = o.errors();
    for name in ["locked.txt", "closed"] {
        assert!(
            errors
                .iter()
                .any(|e| e.contains(name) && e.contains("Permission denied")),
            "{name}: {errors:?}"
        );
        assert!(o.stderr.contains(name), "{}", o.stderr);
    }
    assert_eq!(alone.code, 2, "{}", alone.stderr);
    assert!(alone.errors()[0].contains("locked.txt"));
}

// 13. A FIFO and device files in the tree, and a FIFO given as the path: never opened.
#[test]
fn fifos_and_devices_are_never_opened() {
    let t = Tree::new();
    let aws = aws_key_id(10_201);
    t.write("keys.env", format!("K={aws}\n"));
    let fifo = t.path().join("pipe");
    let made = Std::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", t.path().join("zero-link")).unwrap();
    let device = running_as_root()
        && Std::new("mknod")
            .arg(t.path().join("zero-device"))
            .args(["c", "1", "5"])
            .status()
            .is_ok_and(|s| s.success());
    // A reader of either would block (FIFO) or never end (/dev/zero): the timeout in
    // `scan` turns a hang into a failure.
    let o = scan(&[t.path()]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.places().len(), 1);
    let skipped = o.skipped();
    let not_regular = |name: &str| {
        skipped
            .iter()
            .any(|s| s.contains(name) && s.contains("not a regular file"))
    };
    assert!(not_regular("pipe"), "{skipped:?}");
    if device {
        assert!(not_regular("zero-device"), "{skipped:?}");
    }
    // Given by name: skipped too, exit 0 (a policy skip is not an error).
    for p in [fifo.clone(), t.path().join("zero-link")] {
        let o = scan(&[&p]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(o.skipped().len(), 1, "{:?}", o.skipped());
        assert!(o.skipped()[0].contains("not a regular file"));
    }
    // In a repository's work tree.
    let repo = repo_with(&t, "repo", &[("README.md", "# r\n".into())]);
    Std::new("mkfifo").arg(repo.join("pipe")).status().unwrap();
    std::fs::write(repo.join("local.env"), format!("K={aws}\n")).unwrap();
    let o = scan(&[&repo]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from(["local.env".to_string()]));
    assert!(o.skipped().iter().any(|s| s.starts_with("pipe: ")));
}

// 14. Non-UTF-8 paths (found at such paths by `tree::fixture_tree_findings_are_exact` and
// `git::full_history_finds_every_hidden_secret_once_with_provenance`): as the path to
// scan, and in an error.
#[test]
fn non_utf8_paths_given_and_missing_are_named() {
    let t = Tree::new();
    let dir = t.path().join(OsStr::from_bytes(b"r\xe9pertoire"));
    std::fs::create_dir_all(&dir).unwrap();
    let gh = github_token(10_301);
    std::fs::write(
        dir.join(OsStr::from_bytes(b"cl\xe9.env")),
        format!("T={gh}\n"),
    )
    .unwrap();
    let missing = t.path().join(OsStr::from_bytes(b"absent\xff.env"));
    let o = scan(&[&dir, &missing]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let paths = o.paths();
    assert!(
        paths.len() == 1
            && paths
                .iter()
                .all(|p| p.ends_with("r\u{fffd}pertoire/cl\u{fffd}.env")),
        "{paths:?}"
    );
    let errors = o.errors();
    assert!(
        errors.len() == 1 && errors[0].contains("absent\u{fffd}.env"),
        "{errors:?}"
    );
    assert!(o.stderr.contains("absent\u{fffd}.env"), "{}", o.stderr);
    let o = scan(&[&missing]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

// 15. Terminal escape sequences and line breaks in a file name and a commit message: the
// text report and the messages on stderr escape them (no raw ESC byte reaches the
// terminal), while JSON keeps the name exact.
#[test]
fn escape_sequences_in_file_names_and_commits_reach_no_terminal() {
    let t = Tree::new();
    let gh = github_token(10_401);
    let name = "\u{1b}[2J\u{1b}[31mevil\nname.env";
    let shown = "\\x1b[2J\\x1b[31mevil\\nname.env";
    let dir = t.path().join("files");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), format!("T={gh}\n")).unwrap();
    let no_raw_esc = |what: &str, bytes: &[u8]| {
        assert!(
            !bytes.contains(&0x1b),
            "{what} holds a raw ESC: {}",
            String::from_utf8_lossy(bytes)
        );
    };

    // The text report, and an error naming a path under the file (not a directory).
    let beneath = dir.join(name).join("x");
    let out = keysnare()
        .args(["scan", "--progress", "never", "--color", "never"])
        .arg(&dir)
        .arg(&beneath)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    no_raw_esc("stdout", &out.stdout);
    no_raw_esc("stderr", &out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains(shown), "{stdout}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("keysnare: error: ") && l.contains(&format!("{shown}/x: "))),
        "{stderr}"
    );
    // Skipped by the size cap, listed with -v.
    let (code, stderr) = verbose_stderr(&[dir.as_os_str(), OsStr::new("--max-file-size=8")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("keysnare: skipped ") && l.contains(shown)),
        "{stderr}"
    );
    // JSON keeps the name as it is (its serialiser escapes it).
    let o = scan(&[&dir]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.paths().iter().all(|p| p.ends_with(name)),
        "{:?}",
        o.paths()
    );

    // In history: the path and the commit's message.
    let repo = t.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join(name), format!("T={gh}\n")).unwrap();
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &["commit", "-q", "-m", "tidy \u{1b}]0;pwned\u{7}\u{1b}[8m up"],
    );
    let out = keysnare()
        .args(["scan", "--progress", "never", "--color", "never"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    no_raw_esc("stdout", &out.stdout);
    no_raw_esc("stderr", &out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(shown), "{stdout}");
    assert!(
        stdout.contains("tidy \\x1b]0;pwned\\x07\\x1b[8m up"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{7}'), "{stdout}");
}

// ---------------------------------------------------------------------------------------
// Refs and rule files.

// 16. 100,000 refs, written as packed-refs (20,000 loose tags: `git::many_refs_gitlinks_symlinks_and_lfs_pointers`).
#[test]
fn hundred_thousand_refs() {
    let t = Tree::new();
    let repo = repo_with(&t, "refs", &[("README.md", "# refs\n".into())]);
    let base = git_stdout(&repo, &["rev-parse", "HEAD"]);
    std::fs::write(repo.join("app.env"), format!("K={}\n", aws_key_id(10_401))).unwrap();
    git(&repo, &["add", "app.env"]);
    git(&repo, &["commit", "-q", "-m", "key"]);
    let mut packed = String::from("# pack-refs with: peeled fully-peeled sorted \n");
    for i in 0..100_000 {
        packed.push_str(&format!("{base} refs/heads/b{i:06}\n"));
    }
    std::fs::File::create(repo.join(".git/packed-refs"))
        .unwrap()
        .write_all(packed.as_bytes())
        .unwrap();
    assert_eq!(
        git_stdout(&repo, &["rev-parse", "b099999"]),
        base,
        "git reads the refs"
    );
    let o = scan(&[&repo]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.errors().is_empty(), "{:?}", o.errors());
    assert_eq!(o.paths(), BTreeSet::from(["app.env".to_string()]));
    assert_eq!(o.doc["findings"][0]["commit"]["summary"], "key");
    let o = scan(&[
        repo.as_os_str(),
        OsStr::new("--range"),
        OsStr::new("b054321..main"),
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from(["app.env".to_string()]));
}

fn run_rules<S: AsRef<OsStr>>(args: &[S]) -> (i32, String) {
    let out = keysnare()
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("panicked"), "{all}");
    (out.status.code().expect("exit code"), all)
}

// 17. A rule file that is not UTF-8.
#[test]
fn non_utf8_rule_file_is_an_error_naming_file_and_line() {
    let t = Tree::new();
    t.write("src/keys.env", format!("K={}\n", aws_key_id(10_501)));
    let rules = t.write(
        "bad-rules.toml",
        b"[[rules]]\nid = \"acme.token\"\nname = \"Acme \xff token\"\n",
    );
    let out = keysnare()
        .args(["scan", "--rules"])
        .arg(&rules)
        .arg(t.path().join("src"))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad-rules.toml:3: rule file is not valid UTF-8"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(out.stdout.is_empty(), "no scan with a bad rule file");
    let (code, text) = run_rules(&[OsStr::new("rules"), OsStr::new("check"), rules.as_os_str()]);
    assert_ne!(code, 0);
    assert!(text.contains("bad-rules.toml:3"), "{text}");
}

// 18. A rule whose regex is over the compiled size limit.
#[test]
fn rule_regex_over_the_size_limit_is_an_error_naming_the_rule() {
    let t = Tree::new();
    t.write("src/keys.env", format!("K={}\n", aws_key_id(10_601)));
    let rules = t.write(
        "big-rules.toml",
        r#"[[rules]]
id = "acme.huge"
name = "Acme huge"
provider = "Acme"
pattern = '''\b(?P<secret>zzq_[a-z0-9]{1,16000})'''
severity = "high"
"#,
    );
    let out = keysnare()
        .args(["scan", "--rules"])
        .arg(&rules)
        .arg(t.path().join("src"))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("big-rules.toml:1: rule acme.huge: pattern is too large once compiled"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    let (code, text) = run_rules(&[OsStr::new("rules"), OsStr::new("check"), rules.as_os_str()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("acme.huge: pattern is too large"), "{text}");
}

/// The blobs a range names are checked against their id: a damaged packed entry that
/// still inflates is reported, not scanned as it comes out.
#[test]
fn damaged_packed_blob_in_a_range_is_an_error() {
    let t = Tree::new();
    let repo = t.path().join("range-damaged");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "# range\n").unwrap();
    git(&repo, &["add", "README.md"]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    std::fs::write(
        repo.join("history.env"),
        format!("TOKEN={}\n", github_token(9301)),
    )
    .unwrap();
    git(&repo, &["add", "history.env"]);
    git(&repo, &["commit", "-q", "-m", "second"]);
    git(&repo, &["repack", "-q", "-a", "-d"]);
    let blob = git_stdout(&repo, &["rev-parse", "HEAD:history.env"]);
    let pack_dir = repo.join(".git/objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let pack = idx.with_extension("pack");
    let offsets = pack_offsets(&repo, &idx);
    let at = offsets.iter().position(|(_, id)| *id == blob).unwrap();
    let start = offsets[at].0 as usize;
    let mut bytes = std::fs::read(&pack).unwrap();
    let end = offsets
        .iter()
        .map(|(o, _)| *o as usize)
        .filter(|o| *o > start)
        .min()
        .unwrap_or(bytes.len() - 20);
    // Keep the entry header and the zlib header; clobber the deflate data.
    for b in &mut bytes[start + 4..end - 2] {
        *b = 0xAA;
    }
    overwrite(&pack, &bytes);
    let o = scan(&[
        repo.as_os_str(),
        OsStr::new("--range"),
        OsStr::new("HEAD~1..HEAD"),
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.paths().is_empty(), "{:?}", o.places());
    assert!(
        o.errors().iter().any(|e| e.contains(&blob)),
        "{:#?}",
        o.errors()
    );
}

// ---------------------------------------------------------------------------------------
// The memory budget: planned, enforced on what is held at once, reported.

const MIB: u64 = 1 << 20;

/// The `summary.memory` object of a JSON report, checked for its invariants: what the
/// workers held never went over the allowance, the mapped packs take nothing from the
/// budget, and `within_budget` says whether the plan fit and the peak resident size stayed
/// under the budget and the mapped packs (page cache, which the resident size counts).
fn memory_of(o: &Outcome) -> serde_json::Value {
    let m = o.doc["summary"]["memory"].clone();
    let plan = &m["plan"];
    let budget = m["budget"].as_u64().expect("budget");
    let in_flight = plan["in_flight"].as_u64().expect("in_flight");
    let peak_in_flight = m["peak_in_flight"].as_u64().expect("peak_in_flight");
    assert!(peak_in_flight <= in_flight, "{m:#}");
    let planned: u64 = [
        "rules",
        "history_index",
        "workers",
        "delta_caches",
        "in_flight",
    ]
    .iter()
    .map(|k| plan[k].as_u64().expect(k))
    .sum();
    // Unknown when the scan stayed under a peak this process inherited from the test
    // process that started it (`a_fresh_process_reports_its_own_peak_resident_size`).
    let rss = m["peak_rss"].as_u64();
    assert!(rss.is_none_or(|r| r > MIB), "{m:#}");
    let mapped = plan["mapped_packs"].as_u64().expect("mapped_packs");
    let within = planned <= budget && rss.is_none_or(|r| r <= budget + mapped);
    assert_eq!(m["within_budget"].as_bool(), Some(within), "{m:#}");
    m
}

/// The file names of `paths`.
fn names(paths: BTreeSet<String>) -> BTreeSet<String> {
    paths
        .iter()
        .map(|p| {
            Path::new(p)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// A file of `size` bytes of comment lines with one AWS key on its last line.
fn big_env(size: usize, seed: u64) -> String {
    let tail = format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(seed));
    let line = "# padding padding padding padding padding padding padding padding\n";
    let mut s = line.repeat((size - tail.len()) / line.len());
    s.push_str(&tail);
    s
}

#[test]
fn memory_budget_is_planned_reported_and_kept_in_history_and_directory_scans() {
    let t = Tree::new();
    let repo = t.path().join("history");
    fixture("history.sh", &repo);
    let o = scan(&[repo.as_os_str(), OsStr::new("--threads"), OsStr::new("2")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let m = memory_of(&o);
    assert_eq!(m["budget"].as_u64(), Some(1 << 30), "1 GiB by default");
    assert_eq!(m["within_budget"].as_bool(), Some(true), "{m:#}");
    assert_eq!(m["plan"]["threads"].as_u64(), Some(2));
    assert_eq!(m["plan"]["threads_asked"].as_u64(), Some(2));
    assert!(m["plan"]["history_index"].as_u64() > Some(0), "{m:#}");
    assert!(m["plan"]["mapped_packs"].as_u64() > Some(0), "{m:#}");
    assert_eq!(o.doc["summary"]["incomplete"].as_u64(), Some(0));
    assert!(m["peak_in_flight"].as_u64() > Some(0), "{m:#}");

    // From the configuration, and --memory-budget over it; a range reads no whole-history
    // index.
    std::fs::write(
        repo.join(".keysnare.toml"),
        "[scan]\nmemory_budget = \"700MiB\"\n",
    )
    .unwrap();
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(memory_of(&o)["budget"].as_u64(), Some(700 * MIB));
    let o = scan(&[
        repo.as_os_str(),
        OsStr::new("--memory-budget"),
        OsStr::new("300M"),
        OsStr::new("--range"),
        OsStr::new("range-base..main"),
    ]);
    let m = memory_of(&o);
    assert_eq!(m["budget"].as_u64(), Some(300 * MIB));
    assert_eq!(m["plan"]["history_index"].as_u64(), Some(0), "{m:#}");
    assert_eq!(m["within_budget"].as_bool(), Some(true), "{m:#}");

    // A directory scan, and the -v line.
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-git")]);
    let m = memory_of(&o);
    assert_eq!(m["plan"]["mapped_packs"].as_u64(), Some(0), "{m:#}");
    let (code, stderr) = verbose_stderr(&[repo.as_os_str(), OsStr::new("--no-git")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("keysnare: memory: peak resident ")
            && stderr.contains(" of a 700.0 MiB budget (rules "),
        "{stderr}"
    );
}

/// Started by `sh` rather than by this test process, a scan does not inherit the test
/// process's peak (Linux keeps `ru_maxrss` across `exec`), so its own peak is reported.
#[test]
fn a_fresh_process_reports_its_own_peak_resident_size() {
    let t = Tree::new();
    let dir = t.path().join("tree");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(9804)),
    )
    .unwrap();
    let out = Std::new("sh")
        .args(["-c", "\"$@\"; exit $?", "sh"])
        .arg(assert_cmd::cargo::cargo_bin("keysnare"))
        .args(["scan", "--format", "json", "--progress", "never"])
        .arg(&dir)
        .env("KEYSNARE_FINGERPRINT_KEY", TEST_FINGERPRINT_KEY)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &doc["summary"]["memory"];
    let rss = m["peak_rss"].as_u64().expect("a peak on Unix");
    assert!(rss > MIB && rss < 1 << 30, "{m:#}");
    assert_eq!(m["within_budget"].as_bool(), Some(true), "{m:#}");
}

#[test]
fn a_file_or_blob_larger_than_one_may_take_is_skipped_and_listed() {
    let t = Tree::new();
    let big = big_env(40 * MIB as usize, 9801);
    let small = format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(9802));
    let repo = repo_with(
        &t,
        "budget",
        &[("big.env", big), ("small.env", small.clone())],
    );
    let blob = String::from_utf8(git_output(&repo, &["rev-parse", "HEAD:big.env"], None).stdout)
        .unwrap()
        .trim()
        .to_string();
    // 128 MiB: 48 for the rules, 48 for the one worker, 32 MiB of content in flight (in a
    // git scan too: the delta-base cache does not take the room a blob at the size cap
    // needs, and mapped packs take nothing).
    let tight = [OsStr::new("--memory-budget"), OsStr::new("128M")];
    let one = [OsStr::new("--threads"), OsStr::new("1")];
    let reason = |limit: u64| {
        format!(
            "larger than the memory budget lets one file or blob take (40.0 MiB > {limit}.0 MiB; raise --memory-budget)"
        )
    };

    // Files: the big one is never read.
    let mut args = vec![repo.as_os_str(), OsStr::new("--no-git")];
    args.extend(tight);
    args.extend(one);
    let o = scan(&args);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(names(o.paths()), BTreeSet::from(["small.env".to_string()]));
    let big_path = repo.join("big.env");
    assert_eq!(
        o.skipped(),
        vec![format!("{}: {}", big_path.display(), reason(32))]
    );
    let m = memory_of(&o);
    assert_eq!(m["plan"]["in_flight"].as_u64(), Some(32 * MIB), "{m:#}");

    // History, loose objects (read by id) and then packed (the delta-tree pass stops at
    // the big object; the rest is read by id): the blob is dropped from its header.
    for packed in [false, true] {
        if packed {
            git(&repo, &["gc", "-q", "--aggressive"]);
        }
        let mut args = vec![repo.as_os_str(), OsStr::new("--no-worktree")];
        args.extend(tight);
        args.extend(one);
        let o = scan(&args);
        assert_eq!(o.code, 1, "packed {packed}: {}", o.stderr);
        assert_eq!(o.paths(), BTreeSet::from(["small.env".to_string()]));
        assert_eq!(
            o.skipped(),
            vec![format!("blob {blob}: {}", reason(32))],
            "packed {packed}"
        );
        assert!(o.errors().is_empty(), "packed {packed}: {:?}", o.errors());
        memory_of(&o);
    }

    // With room for it, it is scanned and its key found.
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(
        o.paths(),
        BTreeSet::from(["big.env".to_string(), "small.env".to_string()])
    );
    assert!(o.skipped().is_empty(), "{:?}", o.skipped());
}

/// A blob that the memory budget skips leaves the scan incomplete: exit 2 when nothing
/// was found, and every format says so; findings elsewhere still exit 1, with the note.
#[test]
fn a_blob_the_memory_budget_skips_is_an_incomplete_scan() {
    let t = Tree::new();
    // The key is in the blob the budget skips: a scan that says nothing would miss it.
    let big = big_env(40 * MIB as usize, 9805);
    let repo = repo_with(
        &t,
        "incomplete",
        &[("big.env", big), ("README.md", "# clean\n".to_string())],
    );
    let blob = String::from_utf8(git_output(&repo, &["rev-parse", "HEAD:big.env"], None).stdout)
        .unwrap()
        .trim()
        .to_string();
    // 128 MiB: 48 for the rules, 48 for the one worker, 32 MiB of content in flight.
    let tight = ["--memory-budget", "128M", "--threads", "1", "--no-worktree"];
    let warning = "incomplete scan: 1 file or blob larger than the memory budget lets one take (32.0 MiB) was not scanned (the largest: 40.0 MiB); raise --memory-budget";
    let note = "; incomplete: 1 not scanned for want of memory (raise --memory-budget)";
    let mut args: Vec<&OsStr> = vec![repo.as_os_str()];
    args.extend(tight.iter().map(OsStr::new));

    // JSON: the skipped list, the summary's count, the warning.
    let o = scan(&args);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.places().is_empty(), "{:?}", o.places());
    assert!(o.errors().is_empty(), "{:?}", o.errors());
    assert_eq!(o.doc["summary"]["incomplete"].as_u64(), Some(1));
    assert_eq!(o.doc["summary"]["skipped"].as_u64(), Some(1));
    assert!(o.skipped()[0].starts_with(&format!("blob {blob}: larger than the memory budget")));
    let warnings = o.doc["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.starts_with(warning))),
        "{warnings:?}"
    );
    assert!(
        o.stderr.contains(&format!("keysnare: warning: {warning}")),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains(note), "{}", o.stderr);

    // Text: -v lists the blob; the summary line says the scan is incomplete.
    let (code, stderr) = verbose_stderr(&args);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "keysnare: skipped blob {blob}: larger than the memory budget"
        )),
        "{stderr}"
    );
    assert!(stderr.contains(note), "{stderr}");
    // -q leaves the warnings out, not the exit code.
    let out = keysnare()
        .args(["scan", "-q", "--progress", "never"])
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // SARIF: a tool execution notification; JUnit: a case in error and the skipped blob; JSON Lines, which
    // holds findings only: the exit code and stderr.
    let run = |format: &str| {
        let out = keysnare()
            .args(["scan", "--progress", "never", "--format", format])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{format}: {stderr}");
        assert!(stderr.contains(warning), "{format}: {stderr}");
        out.stdout
    };
    let doc = json(&run("sarif"));
    let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n["level"] == "warning"
            && n["message"]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with(warning))),
        "{notes:#?}"
    );
    let junit = String::from_utf8(run("junit")).unwrap();
    assert!(
        junit.contains(r#"tests="2" failures="0" errors="1""#)
            && junit.contains(r#"<error message="incomplete scan: 1 file or blob"#)
            && junit.contains(r#"<testcase classname="skipped.memory_budget""#)
            && !junit.contains("no secrets found"),
        "{junit}"
    );
    assert!(run("jsonl").is_empty());

    // A file skipped by the budget in a directory scan is the same.
    let mut files: Vec<&OsStr> = vec![repo.as_os_str(), OsStr::new("--no-git")];
    files.extend(tight[..4].iter().map(OsStr::new));
    let o = scan(&files);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert_eq!(o.doc["summary"]["incomplete"].as_u64(), Some(1));

    // A finding elsewhere decides the exit code; the scan is still noted as incomplete.
    std::fs::write(
        repo.join("small.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(9806)),
    )
    .unwrap();
    git(&repo, &["add", "small.env"]);
    git(&repo, &["commit", "-q", "-m", "key"]);
    let o = scan(&args);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from(["small.env".to_string()]));
    assert_eq!(o.doc["summary"]["incomplete"].as_u64(), Some(1));
    assert!(
        o.stderr.contains(warning) && o.stderr.contains(note),
        "{}",
        o.stderr
    );

    // With room for it, the scan is complete and finds the key in it.
    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(
        o.paths(),
        BTreeSet::from(["big.env".to_string(), "small.env".to_string()])
    );
    assert_eq!(o.doc["summary"]["incomplete"].as_u64(), Some(0));
    assert!(!o.stderr.contains("incomplete"), "{}", o.stderr);
}

/// A budget that runs fewer threads than asked says so, with the budget that runs them all.
#[test]
fn a_budget_that_runs_fewer_threads_than_asked_says_so() {
    let t = Tree::new();
    let dir = t.path().join("tree");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "# clean\n").unwrap();
    // 256 MiB: 48 for the rules and room for a file at the 64 MiB size cap leave 144 MiB,
    // 3 workers' reserves; 4 need 304 MiB.
    let args = [
        dir.as_os_str(),
        OsStr::new("--threads"),
        OsStr::new("4"),
        OsStr::new("--memory-budget"),
        OsStr::new("256M"),
    ];
    let warning = "the memory budget (256.0 MiB) runs 3 of the 4 worker threads asked for: each takes 48.0 MiB and room for one file or blob at the size cap; --memory-budget 304.0 MiB runs them all";
    let o = scan(&args);
    assert_eq!(
        o.code, 0,
        "fewer threads is not an incomplete scan: {}",
        o.stderr
    );
    let m = memory_of(&o);
    assert_eq!(m["plan"]["threads"].as_u64(), Some(3), "{m:#}");
    assert_eq!(m["plan"]["threads_asked"].as_u64(), Some(4), "{m:#}");
    assert!(
        o.stderr.contains(&format!("keysnare: warning: {warning}")),
        "{}",
        o.stderr
    );
    assert_eq!(o.doc["warnings"][0].as_str(), Some(warning));
    let (_, stderr) = verbose_stderr(&args);
    assert!(
        stderr.contains(", 3 workers (of 4 asked) 144.0 MiB, "),
        "{stderr}"
    );

    // The budget it names runs them all, without a warning.
    let o = scan(&[
        dir.as_os_str(),
        OsStr::new("--threads"),
        OsStr::new("4"),
        OsStr::new("--memory-budget"),
        OsStr::new("304M"),
    ]);
    assert_eq!(memory_of(&o)["plan"]["threads"].as_u64(), Some(4));
    assert!(!o.stderr.contains("warning"), "{}", o.stderr);
}

#[test]
fn a_budget_below_what_the_scan_needs_is_a_warning_and_the_scan_goes_on() {
    let t = Tree::new();
    let dir = t.path().join("tree");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.env"),
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(9803)),
    )
    .unwrap();
    let o = scan(&[
        dir.as_os_str(),
        OsStr::new("--memory-budget"),
        OsStr::new("64M"),
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(names(o.paths()), BTreeSet::from(["a.env".to_string()]));
    let m = memory_of(&o);
    assert_eq!(m["within_budget"].as_bool(), Some(false), "{m:#}");
    assert_eq!(m["plan"]["threads"].as_u64(), Some(1), "{m:#}");
    assert!(
        o.stderr.contains(
            "keysnare: warning: the memory budget (64.0 MiB) is less than this scan needs at least (112.0 MiB"
        ),
        "{}",
        o.stderr
    );

    // SARIF carries the plan and the warning.
    let out = keysnare()
        .args(["scan", "--format", "sarif", "--memory-budget", "64M"])
        .arg(&dir)
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(
        inv["properties"]["memory"]["budget"].as_u64(),
        Some(64 * MIB)
    );
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["level"] == "warning"
            && n["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("memory budget (64.0 MiB)"))),
        "{notes:#?}"
    );
}

/// A commit that a ref names, whose tree's header claims 4 GiB (what a fuzzed repository
/// did to the provenance walk): the tree is an error, the rest of the scan completes, and
/// the process never allocates what the header claims.
#[test]
fn a_tree_whose_header_claims_gigabytes_is_an_error_not_an_allocation() {
    let t = Tree::new();
    let aws = aws_key_id(9804);
    let repo = repo_with(&t, "tree-liar", &[("README.md", "# liar\n".to_string())]);
    // A packed tree: its entry header claims 4 GiB, its deflate data holds one entry.
    let mut content = b"100644 x\0".to_vec();
    content.extend_from_slice(&[0x11; 20]);
    let mut entry = entry_header(2, 4 << 30);
    entry.extend_from_slice(&zlib(&content));
    let raw_id = [0x7e; 20];
    write_pack(&repo, &[(raw_id, entry)]);
    let tree_id = hex(&raw_id);
    // A commit of that tree, and a child commit holding the key: the provenance walk reads
    // the parent's tree before it gets to the key.
    let body = format!(
        "tree {tree_id}\nauthor Eve <eve@fixture.test> 1700000000 +0000\ncommitter Eve <eve@fixture.test> 1700000000 +0000\n\nevil\n"
    );
    let mut commit = format!("commit {}\0", body.len()).into_bytes();
    commit.extend_from_slice(body.as_bytes());
    let evil = hex(&sha1(&commit));
    write_loose(&repo, &evil, &zlib(&commit));
    std::fs::write(repo.join("a.env"), format!("K={aws}\n")).unwrap();
    let out = |args: &[&str]| {
        let o = git_output(&repo, args, None);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    let blob = out(&["hash-object", "-w", "a.env"]);
    std::fs::remove_file(repo.join("a.env")).unwrap();
    let tree = {
        let mut c = std::process::Command::new("git");
        c.current_dir(&repo)
            .arg("mktree")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write as _;
        writeln!(child.stdin.take().unwrap(), "100644 blob {blob}\ta.env").unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string()
    };
    let child = out(&["commit-tree", &tree, "-p", &evil, "-m", "key"]);
    out(&["update-ref", "refs/heads/evil", &child]);

    let o = scan(&[repo.as_os_str(), OsStr::new("--no-worktree")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(o.paths(), BTreeSet::from(["a.env".to_string()]));
    let errors = o.errors();
    assert!(errors.iter().any(|e| e.contains(&tree_id)), "{errors:#?}");
    let m = memory_of(&o);
    assert!(m["peak_rss"].as_u64().is_none_or(|r| r < 1 << 30), "{m:#}");
    assert_eq!(m["within_budget"].as_bool(), Some(true), "{m:#}");
}
