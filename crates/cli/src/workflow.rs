//! The workflow around scans: baselines, ignore entries, the git pre-commit hook.
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use keysnare_types::{Finding, Fingerprint};

use crate::args::{BaselineArgs, BaselineCommand, ScanArgs};
use crate::{EXIT_CLEAN, Executed, execute, shown_path};

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
    let Executed { out, .. } = execute(&scan_args)?;
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

pub fn ignore(fingerprints: &[String], file: &Path, reason: Option<&str>) -> Result<i32> {
    let mut fps = Vec::new();
    for f in fingerprints {
        let fp = Fingerprint::from_hex(f.trim()).map_err(|_| {
            anyhow::anyhow!("{f:?} is not a fingerprint (32 hex digits, as printed in reports)")
        })?;
        fps.push(fp);
    }
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
    let mut added = 0;
    for fp in fps {
        if present.contains(&fp) {
            continue;
        }
        match reason {
            Some(r) => writeln!(out, "{fp}  # {}", r.replace('\n', " "))?,
            None => writeln!(out, "{fp}")?,
        }
        added += 1;
    }
    eprintln!("keysnare: {}: {added} entries added", shown_path(file));
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
