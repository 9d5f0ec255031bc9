//! The workflow around scans: baselines, ignore entries, the git pre-commit hook.
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use keysnare_types::{Finding, Fingerprint};

use crate::args::{BaselineArgs, BaselineCommand, IgnoreArgs, Lookup, ScanArgs};
use crate::fingerprint_key::{self, Key, KeySource, KeyUse};
use crate::{EXIT_CLEAN, Executed, execute, shown_path};

/// The key to write fingerprints down with, for the project in `project`: read, or the
/// project's key file created now (and said, even to a quiet run: it is to be committed).
fn keep_key(project: &Path) -> Result<Key> {
    let key = fingerprint_key::resolve(project, KeyUse::Keep)?;
    if let Some(notice) = fingerprint_key::created_notice(&key.source) {
        eprintln!("keysnare: {notice}");
    }
    Ok(key)
}

/// `init`: creates the project's fingerprint key, or says why there is nothing to do.
pub fn init(dir: &Path) -> Result<i32> {
    if !dir.is_dir() {
        bail!("{}: not a folder", dir.display());
    }
    let project = fingerprint_key::project_dir(dir);
    if std::env::var_os(fingerprint_key::ENV).is_some_and(|k| !k.is_empty()) {
        eprintln!(
            "keysnare: {} is set: fingerprints are made with it, whatever the project's key file; nothing created (unset it to create {})",
            fingerprint_key::ENV,
            fingerprint_key::shown(&project.join(fingerprint_key::FILE_NAME))
        );
        return Ok(EXIT_CLEAN);
    }
    let key = keep_key(&project)?;
    if let KeySource::Project {
        path,
        created: false,
    } = &key.source
    {
        eprintln!(
            "keysnare: {} exists: it is this project's fingerprint key (left alone)",
            fingerprint_key::shown(path)
        );
    }
    Ok(EXIT_CLEAN)
}

/// One baseline line: `FINGERPRINT RULE_ID PATH`. No secret, line number or date, so the
/// line only changes when the finding does.
fn baseline_line(f: &Finding) -> String {
    let path = f
        .locations
        .first()
        .map(|l| l.provenance.display_path().into_owned())
        .unwrap_or_default();
    format!(
        "{} {} {}",
        f.fingerprint,
        f.rule_id,
        path.replace('\n', " ")
    )
}

const BASELINE_HEADER: &str = "\
# keysnare baseline: findings accepted when it was written. `keysnare scan --baseline FILE`
# reports only findings not listed here. One finding per line, sorted by fingerprint:
# FINGERPRINT RULE_ID PATH [notes]. Refresh with `keysnare baseline update`.
# Tip: `FILE merge=union` in .gitattributes lets branches that add entries merge cleanly.
";

pub fn baseline(cmd: BaselineCommand) -> Result<i32> {
    let (args, update) = match cmd {
        BaselineCommand::Create(a) => (a, false),
        BaselineCommand::Update(a) => (a, true),
    };
    write_baseline(&args, update)
}

fn write_baseline(args: &BaselineArgs, update: bool) -> Result<i32> {
    let scan_args = ScanArgs::for_baseline(args);
    let Executed {
        mut out, project, ..
    } = execute(&scan_args)?;
    // The scan wrote nothing; the baseline is written under the project's key, created now
    // when there is none.
    let key = keep_key(&project)?;
    for f in &mut out.findings {
        f.fingerprint = Fingerprint::of(key.key.as_ref(), &f.rule_id, &f.secret);
    }
    // Existing entries keep their line (and any notes after the path) when still found.
    let mut existing: BTreeMap<Fingerprint, String> = BTreeMap::new();
    if update {
        let text = std::fs::read_to_string(&args.output)
            .with_context(|| format!("cannot read baseline {}", shown_path(&args.output)))?;
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let first = t.split_whitespace().next().unwrap_or("");
            let fp = Fingerprint::from_hex(first).map_err(|_| {
                anyhow::anyhow!(
                    "{}:{}: expected a finding fingerprint at the start of the line",
                    shown_path(&args.output),
                    n + 1
                )
            })?;
            existing.insert(fp, t.to_string());
        }
    }
    let mut lines: BTreeMap<Fingerprint, String> = BTreeMap::new();
    // Entries written before fingerprints were keyed are rewritten under the key, with
    // their notes.
    let mut rekeyed: BTreeSet<Fingerprint> = BTreeSet::new();
    for f in &out.findings {
        let line = match existing.get(&f.fingerprint) {
            Some(line) => line.clone(),
            None => {
                let legacy = Fingerprint::unkeyed(&f.rule_id, &f.secret);
                match existing.get(&legacy) {
                    Some(line) if legacy != f.fingerprint => {
                        rekeyed.insert(legacy);
                        let rest = line.split_once(char::is_whitespace).map_or("", |(_, r)| r);
                        format!("{} {}", f.fingerprint, rest.trim_start())
                            .trim_end()
                            .to_string()
                    }
                    _ => baseline_line(f),
                }
            }
        };
        lines.insert(f.fingerprint, line);
    }
    // Entries found again, under their fingerprint or rewritten under the key.
    let kept = lines.keys().filter(|k| existing.contains_key(k)).count() + rekeyed.len();
    let added = lines.len() - kept;
    let dropped = existing.len() - kept;
    let mut text = String::from(BASELINE_HEADER);
    for line in lines.values() {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&args.output, text)
        .with_context(|| format!("cannot write baseline {}", shown_path(&args.output)))?;
    if update {
        let rewritten = if rekeyed.is_empty() {
            String::new()
        } else {
            format!(", {} rewritten under the fingerprint key", rekeyed.len())
        };
        eprintln!(
            "keysnare: {}: {} findings ({added} added, {dropped} gone and dropped{rewritten})",
            shown_path(&args.output),
            lines.len()
        );
    } else {
        eprintln!(
            "keysnare: {}: {} findings recorded",
            shown_path(&args.output),
            lines.len()
        );
    }
    Ok(EXIT_CLEAN)
}

/// `ignore`: finds the finding each fingerprint names (printed under the key, or unkeyed by
/// a scan of a project without one) and appends its keyed fingerprint to the ignore file.
pub fn ignore(args: &IgnoreArgs) -> Result<i32> {
    let mut wanted: Vec<Fingerprint> = Vec::new();
    for f in &args.fingerprints {
        let fp = Fingerprint::from_hex(f.trim()).map_err(|_| {
            anyhow::anyhow!("{f:?} is not a fingerprint (32 hex digits, as printed in reports)")
        })?;
        if !wanted.contains(&fp) {
            wanted.push(fp);
        }
    }
    let file = args.file.as_path();
    // The ignore file is read at the root of a scanned folder: its findings are looked up
    // there, first in its files, then (a repository) in its history.
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut found: BTreeMap<Fingerprint, Finding> = BTreeMap::new();
    let mut project = fingerprint_key::project_dir(dir);
    let mut searched = Vec::new();
    for lookup in [Lookup::Files, Lookup::History] {
        if wanted.iter().all(|fp| found.contains_key(fp)) {
            break;
        }
        if lookup == Lookup::History && !keysnare_git::Repository::is_repository(dir) {
            break;
        }
        let executed = execute(&ScanArgs::for_ignore(dir, args, lookup))?;
        project = executed.project;
        searched.push(match lookup {
            Lookup::Files => "files",
            Lookup::History => "history",
        });
        for f in executed.out.findings {
            let unkeyed = Fingerprint::unkeyed(&f.rule_id, &f.secret);
            for fp in [f.fingerprint, unkeyed] {
                if wanted.contains(&fp) && !found.contains_key(&fp) {
                    found.insert(fp, f.clone());
                }
            }
        }
    }
    let missing: Vec<String> = wanted
        .iter()
        .filter(|fp| !found.contains_key(fp))
        .map(Fingerprint::to_string)
        .collect();
    if !missing.is_empty() {
        bail!(
            "no finding in {} ({}) has the fingerprint {}, under the fingerprint key or unkeyed; nothing was written. Was it printed by a scan of another folder, with other --rules or --config, or under another key?",
            fingerprint_key::shown(dir),
            searched.join(", then "),
            missing.join(", ")
        );
    }
    let key = keep_key(&project)?;
    let current = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", shown_path(file))),
    };
    let present: std::collections::HashSet<Fingerprint> = current
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|w| Fingerprint::from_hex(w).ok())
        .collect();
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("cannot write {}", shown_path(file)))?;
    if !current.is_empty() && !current.ends_with('\n') {
        writeln!(out)?;
    }
    let mut added = BTreeSet::new();
    let mut rekeyed = 0;
    for given in &wanted {
        let Some(f) = found.get(given) else {
            continue;
        };
        let fp = Fingerprint::of(key.key.as_ref(), &f.rule_id, &f.secret);
        if present.contains(&fp) || !added.insert(fp) {
            continue;
        }
        rekeyed += usize::from(fp != *given);
        match &args.reason {
            Some(r) => writeln!(out, "{fp}  # {}", r.replace('\n', " "))?,
            None => writeln!(out, "{fp}")?,
        }
    }
    let rewritten = if rekeyed == 0 {
        String::new()
    } else {
        format!(" ({rekeyed} given unkeyed, written under the fingerprint key)")
    };
    eprintln!(
        "keysnare: {}: {} entries added{rewritten}",
        shown_path(file),
        added.len()
    );
    Ok(EXIT_CLEAN)
}

const HOOK: &str = "\
#!/bin/sh
# Installed by `keysnare install-hook`: blocks commits that add credentials.
# To accept a finding: add `keysnare:allow` to its line, or its fingerprint to
# .keysnareignore (`keysnare ignore FINGERPRINT`). To skip once: git commit --no-verify.
if ! command -v keysnare >/dev/null 2>&1; then
  echo \"keysnare pre-commit hook: keysnare is not on PATH; install it or remove $0\" >&2
  exit 1
fi
exec keysnare scan --staged --progress never
";

/// Writes the pre-commit hook where git runs hooks from: `core.hooksPath` when it is set
/// (relative to the work tree's root), else the common git directory's `hooks`, which all
/// linked work trees share.
pub fn install_hook(repo: &Path, force: bool) -> Result<i32> {
    let where_ = keysnare_git::hooks_dir(repo).map_err(|e| anyhow::anyhow!("{e}"))?;
    if where_.bare {
        bail!(
            "{}: a bare repository: nothing is committed there, so git never runs its pre-commit hook; install the hook in a clone",
            shown_path(repo)
        );
    }
    let hooks = &where_.dir;
    let configured = where_.configured.as_ref().map_or(String::new(), |c| {
        format!(" (core.hooksPath is {})", shown_path(c))
    });
    let hook = hooks.join("pre-commit");
    if (hook.exists() || hook.is_symlink()) && !force {
        bail!(
            "{} exists and git runs it{configured}; keysnare leaves it alone (use --force to replace it, or call `keysnare scan --staged` from it)",
            shown_path(&hook)
        );
    }
    std::fs::create_dir_all(hooks)
        .with_context(|| format!("cannot create {}{configured}", shown_path(hooks)))?;
    if hook.is_symlink() {
        // --force replaces a link (a hook manager's) with the hook, not the file it names.
        std::fs::remove_file(&hook)
            .with_context(|| format!("cannot replace {}", shown_path(&hook)))?;
    }
    // The hook's scans print fingerprints to accept with `keysnare ignore`: the project
    // gets its key now, so that they are keyed.
    keep_key(repo)?;
    std::fs::write(&hook, HOOK).with_context(|| format!("cannot write {}", shown_path(&hook)))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", shown_path(&hook)))?;
    }
    eprintln!("keysnare: installed {}{configured}", shown_path(&hook));
    Ok(EXIT_CLEAN)
}
