//! Entry points for the fuzz targets (`fuzz/`) and their regression tests: each takes
//! arbitrary bytes and runs one parser or scanner on them. None may panic, hang or grow
//! without bound; errors are fine.
use std::path::Path;
use std::sync::{Arc, OnceLock};

use keysnare_matcher::{KeywordPath, Locator, Matcher, line_snippet, reference};
use keysnare_rules::{RuleSet, Source};

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A rule file (and the same text as a configuration's custom rules): loaded, and when it
/// loads, compiled and run over its own text.
pub fn rule_file(data: &[u8]) {
    let src = text(data);
    for source in [
        Source::text("fuzz.toml", src.clone()),
        Source::config("fuzz.keysnare.toml", src.clone()),
    ] {
        if let Ok(set) = RuleSet::load(&[source]) {
            let _ = set.compile_all();
            let _ = set.lint();
            let mut m = Matcher::new(Arc::new(set));
            let mut found = Vec::new();
            m.scan(data, &mut found);
        }
    }
}

fn default_pack() -> Arc<RuleSet> {
    static PACK: OnceLock<Arc<RuleSet>> = OnceLock::new();
    Arc::clone(
        PACK.get_or_init(|| Arc::new(RuleSet::default_pack().expect("the default pack loads"))),
    )
}

/// Arbitrary bytes through the matcher with the whole default pack (low-confidence rules
/// included), then lines, columns and snippets of what it found.
pub fn matcher(data: &[u8]) {
    let mut m = Matcher::new(default_pack());
    let mut found = Vec::new();
    m.scan(data, &mut found);
    let mut locator = Locator::new(data);
    for f in &found {
        assert!(f.span.start <= f.span.end && f.span.end <= data.len());
        assert!(f.secret.start >= f.span.start && f.secret.end <= f.span.end);
        let start = locator.position(f.secret.start);
        let end = locator.position(f.secret.end);
        assert!(start <= end);
        let _ = line_snippet(&locator, data, f.secret, 256);
    }
}

/// Inputs longer than this are cut for [`windowed`]: its reference side runs every rule over
/// the whole input.
pub const WINDOWED_MAX_INPUT: usize = 64 * 1024;

/// Arbitrary bytes scanned two ways with the whole default pack: as every scan does
/// (keywords, then regexes in windows around them) and with every rule's regex over the
/// whole input (`keysnare_matcher::reference`). Both must find the same matches: a
/// difference is a match the prefilter lost, or one it made up. The first byte's low bit
/// chooses the keyword search (the quick path or the full automaton), so both are held to
/// it.
pub fn windowed(data: &[u8]) {
    windowed_matches(data);
}

/// [`windowed`], returning how many matches both sides found.
pub fn windowed_matches(data: &[u8]) -> usize {
    let data = &data[..data.len().min(WINDOWED_MAX_INPUT)];
    let rules = default_pack();
    let mut m = Matcher::new(Arc::clone(&rules));
    m.set_keyword_path(match data.first() {
        Some(b) if b & 1 == 1 => KeywordPath::Full,
        _ => KeywordPath::Quick,
    });
    let windowed = reference::windowed(&mut m, data);
    let whole = reference::whole_input(&rules, data);
    assert_eq!(
        windowed, whole,
        "windowed matching (left) and every regex over the whole input (right) differ"
    );
    whole.len()
}

/// A `.keysnare.toml` configuration.
pub fn config(data: &[u8]) {
    let _ = keysnare_engine::ConfigFile::parse(Path::new("fuzz.keysnare.toml"), text(data));
}

/// The same text as a `.keysnareignore`, a baseline and a `.gitleaksignore`.
pub fn ignore_files(data: &[u8]) {
    let src = text(data);
    let root = Path::new("/fuzz-root");
    if let Ok(x) =
        keysnare_engine::Exclusions::new(root, Some((&root.join(".keysnareignore"), &src)), &[])
    {
        let _ = x.excludes_path(&root.join("a/b.txt"), false);
    }
    let _ = keysnare_engine::Exclusions::baseline_text("fuzz.baseline", &src);
    let _ = keysnare_engine::parse_gitleaks_ignore(&src);
}

/// A small repository made once per process with `git` (commits, a tag, a pack, loose
/// objects, an index), copied for each input; `None` when `git` is not available.
fn template_repository() -> Option<&'static Path> {
    static TEMPLATE: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("keysnare-fuzz-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).ok()?;
            let git = |args: &[&str]| {
                std::process::Command::new("git")
                    .args(args)
                    .current_dir(&dir)
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .env("GIT_CONFIG_GLOBAL", "/dev/null")
                    .env("GIT_AUTHOR_NAME", "Fuzz")
                    .env("GIT_AUTHOR_EMAIL", "fuzz@fuzz.test")
                    .env("GIT_COMMITTER_NAME", "Fuzz")
                    .env("GIT_COMMITTER_EMAIL", "fuzz@fuzz.test")
                    .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
                    .env("GIT_COMMITTER_DATE", "@1700000000 +0000")
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
            };
            git(&["init", "-q", "-b", "main"])?;
            let key = format!("{}{}", ["AK", "IA"].concat(), "QZ7XK2M4N6P8R3T5");
            for i in 0..6 {
                let body = format!("line {i}\nkey = {key}\n{}\n", "text ".repeat(50 * i));
                std::fs::write(dir.join(format!("f{}.txt", i % 3)), body).ok()?;
                git(&["add", "."])?;
                git(&["commit", "-q", "-m", &format!("c{i}")])?;
                if i == 3 {
                    git(&["tag", "v1"])?;
                    git(&["gc", "-q"])?;
                }
            }
            std::fs::write(dir.join("staged.txt"), format!("k={key}\n")).ok()?;
            git(&["add", "staged.txt"])?;
            Some(dir)
        })
        .as_deref()
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                files_under(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

/// A copy of the template repository with one of its `.git` files damaged as `data` says
/// (byte 0: which file; bytes 1..5: where; byte 5: overwrite, truncate or insert; the rest:
/// the bytes), then scanned: whole history, and the staged index.
pub fn git_repository(data: &[u8]) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let Some(template) = template_repository() else {
        return;
    };
    if data.len() < 6 {
        return;
    }
    let dir = template.with_extension(format!("run{}", RUN.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    if copy_tree(template, &dir).is_err() {
        return;
    }
    let mut files = Vec::new();
    files_under(&dir.join(".git"), &mut files);
    files.retain(|p| !p.to_string_lossy().contains("/hooks/"));
    if !files.is_empty() {
        let file = &files[usize::from(data[0]) % files.len()];
        if let Ok(mut bytes) = std::fs::read(file) {
            let at = u32::from_le_bytes([data[1], data[2], data[3], data[4]]) as usize
                % (bytes.len() + 1);
            let payload = &data[6..];
            match data[5] % 3 {
                0 => {
                    let end = (at + payload.len()).min(bytes.len());
                    bytes.splice(at..end, payload.iter().copied());
                }
                1 => bytes.truncate(at),
                _ => {
                    bytes.splice(at..at, payload.iter().copied());
                }
            }
            let _ = std::fs::write(file, bytes);
        }
    }
    let mut cfg = keysnare_engine::ScanConfig::new(default_pack());
    cfg.threads = 1;
    for scope in [
        keysnare_engine::GitScope::History { worktree: false },
        keysnare_engine::GitScope::Staged,
    ] {
        let _ = keysnare_engine::scan_repository(&cfg, &dir, &scope);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
