//! The keysnare command-line front end: parsed arguments → resolved configuration → run →
//! exit code. The algorithms live in the library crates; this crate only wires them.
#![deny(missing_docs)]

mod args;
/// `.keysnare.toml` is read by the engine; the importer checks what it writes with it.
mod config {
    pub(crate) use keysnare_engine::ConfigFile as Config;
}
mod fingerprint_key;
#[doc(hidden)]
pub mod fuzzing;
mod workflow;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Parser;

use keysnare_engine::{ReportFormat, ScanOutput, ScanSettings};
use keysnare_report::{Options, Report, Summary};
use keysnare_rules::{RuleSet, Source};
use keysnare_types::{Confidence, escape_control};

use args::{Cli, ColorChoice, Command, ListFormat, ProgressChoice, RulesCommand, ScanArgs};

/// Exit code: nothing found.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code: findings (default of `--exit-code`).
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: an error, or an incomplete scan, while nothing was found.
pub const EXIT_ERROR: i32 = 2;

/// Runs the command line in `std::env::args` and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules { command } => rules(command),
        Command::Baseline { command } => workflow::baseline(command),
        Command::Ignore(args) => workflow::ignore(&args),
        Command::Init { dir } => workflow::init(&dir),
        Command::InstallHook { repo, force } => workflow::install_hook(&repo, force),
        Command::Import {
            command:
                args::ImportCommand::Gitleaks {
                    config,
                    output,
                    force,
                },
        } => import_gitleaks(&config, output.as_deref(), force),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return EXIT_CLEAN;
            }
            eprintln!("keysnare: error: {}", shown_message(&format!("{e:#}")));
            EXIT_ERROR
        }
    }
}

/// A path as messages show it (see [`keysnare_types::shown_path`]).
pub(crate) use keysnare_types::shown_path;

/// A message for stderr: control characters escaped in each of its lines. Messages that
/// name inputs escape those names where they are written (so a line break in a name is
/// `\n`); this keeps what a library's error text holds off the terminal too.
fn shown_message(message: &str) -> String {
    message
        .split('\n')
        .map(keysnare_types::escape_control)
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// What running a scan produced, for the report or a baseline.
struct Executed {
    out: ScanOutput,
    rules: Arc<RuleSet>,
    format: ReportFormat,
    repo: Option<PathBuf>,
    /// The fingerprint key, and where it came from.
    key: fingerprint_key::Key,
    /// The project directory, where its fingerprint key is (or would be).
    project: PathBuf,
}

/// Resolves the arguments (`keysnare_engine::ScanSettings`), runs the scan, and reports
/// problems on stderr. The scan writes nothing: without a fingerprint key, its fingerprints
/// are unkeyed.
fn execute(args: &ScanArgs) -> Result<Executed> {
    let settings = ScanSettings::resolve(&args.flags())?;
    let repo = settings.repository().map(Path::to_path_buf);
    // Fingerprints are keyed (docs/SECURITY.md) when the project has a key: it lives at the
    // root of what is scanned, where .keysnareignore and .keysnare.toml are read, or of the
    // current directory's project when several paths are scanned.
    let project_root = match (&repo, settings.root.as_deref()) {
        (Some(repo), _) => repo.clone(),
        (None, Some(root)) => fingerprint_key::project_dir(root),
        (None, None) => fingerprint_key::project_dir(Path::new(".")),
    };
    let key = fingerprint_key::resolve(&project_root, fingerprint_key::KeyUse::Read)?;
    let mut cfg = settings.scan_config();
    cfg.fingerprint_key = key.key.clone();
    let progress =
        show_progress(args.progress).then(|| Arc::new(keysnare_types::Progress::default()));
    cfg.progress = progress.clone();
    let bar = progress.map(progress_bar);
    let out = match keysnare_engine::scan(&cfg, &settings.target, io::stdin().lock()) {
        Err(e @ keysnare_engine::Error::ShallowBoundary { .. }) => {
            bail!("{e}; or pass --allow-shallow to scan it anyway, counting those trees as added")
        }
        result => result?,
    };
    if let Some(bar) = bar {
        bar.finish();
    }

    for e in &out.errors {
        eprintln!(
            "keysnare: error: {}: {}",
            escape_control(e.path.as_deref().unwrap_or("<input>")),
            escape_control(&e.message)
        );
    }
    if !args.quiet {
        for w in &out.warnings {
            eprintln!("keysnare: warning: {w}");
        }
    }
    if args.verbose {
        for s in &out.skipped {
            eprintln!("{}", keysnare_report::skipped_line(s));
        }
        eprintln!("{}", keysnare_report::memory_line(&out.stats.memory));
        eprintln!("keysnare: fingerprints: {}", key.source.describe());
    }
    if !args.quiet
        && !out.findings.is_empty()
        && let Some(notice) = fingerprint_key::unkeyed_notice(&key.source)
    {
        eprintln!("keysnare: {notice}");
    }
    if !args.quiet
        && let Some(warning) = keysnare_report::memory_warning(&out.stats.memory)
    {
        eprintln!("keysnare: warning: {warning}");
    }
    Ok(Executed {
        out,
        rules: settings.rules,
        format: settings.options.format,
        repo,
        key,
        project: project_root,
    })
}

fn scan(args: ScanArgs) -> Result<i32> {
    let Executed {
        out,
        rules,
        format,
        repo,
        key,
        ..
    } = execute(&args)?;
    let mut summary = summary_of(&out);
    summary.git = repo.is_some();
    summary.fingerprint_key = Some(key.source.label().to_string());
    let report = Report {
        rules: &rules,
        findings: &out.findings,
        summary: &summary,
    };
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let opts = Options {
        show_secrets: args.show_secrets,
        verbose: args.verbose,
        color: match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        },
    };
    let sarif = if format == ReportFormat::Sarif {
        sarif_context(&args, repo.as_deref())
    } else {
        keysnare_report::SarifContext::default()
    };
    let writing = std::time::Instant::now();
    write_report(format, args.output.as_deref(), &report, &opts, &sarif)?;
    if args.verbose && !out.stats.phases.is_empty() {
        let mut phases = out.stats.phases.clone();
        phases.push(keysnare_types::Phase {
            name: "report",
            elapsed: writing.elapsed(),
        });
        eprintln!("keysnare: phases: {}", keysnare_types::phases_line(&phases));
    }
    if !args.quiet {
        eprintln!("{}", keysnare_report::summary_line(&report));
    }
    Ok(exit_code(&out, args.exit_code))
}

fn show_progress(choice: ProgressChoice) -> bool {
    match choice {
        ProgressChoice::Always => true,
        ProgressChoice::Never => false,
        ProgressChoice::Auto => io::stderr().is_terminal(),
    }
}

/// A progress bar on stderr fed from the scan's counters by a thread of its own.
struct ProgressBar {
    done: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressBar {
    fn finish(mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A bar redrawn in place on a terminal; elsewhere (`--progress always` in a CI log) one
/// plain line every two seconds.
fn progress_bar(counters: Arc<keysnare_types::Progress>) -> ProgressBar {
    use indicatif::{ProgressBar as Bar, ProgressDrawTarget, ProgressStyle};
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = Arc::clone(&done);
    let terminal = io::stderr().is_terminal();
    let thread = std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let bar = Bar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(8));
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {bar:30} {pos}/{len} objects, {msg} ({per_sec}, ETA {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let mut last_line = std::time::Instant::now();
        loop {
            let (n, total, bytes) = counters.snapshot();
            if terminal {
                bar.set_length(total.max(n));
                bar.set_position(n);
                bar.set_message(keysnare_types::human_bytes(bytes));
            } else if last_line.elapsed() >= std::time::Duration::from_secs(2) {
                last_line = std::time::Instant::now();
                eprintln!(
                    "keysnare: {n}/{} objects, {} read, {:.0}s",
                    total.max(n),
                    keysnare_types::human_bytes(bytes),
                    started.elapsed().as_secs_f64()
                );
            }
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(120));
        }
        bar.finish_and_clear();
    });
    ProgressBar {
        done,
        thread: Some(thread),
    }
}

fn import_gitleaks(config: &Path, output: Option<&Path>, force: bool) -> Result<i32> {
    let text = std::fs::read_to_string(config)
        .with_context(|| format!("cannot read {}", crate::shown_path(config)))?;
    let name = crate::shown_path(config);
    let imported = keysnare_import::gitleaks(&name, &text)?;
    // The converter loads its rules; the configuration's own parser checks the rest.
    config::Config::parse(Path::new(&name), imported.toml.clone())
        .map_err(|e| anyhow::anyhow!("{name}: the converted configuration does not parse: {e}"))?;
    for w in &imported.warnings {
        eprintln!("keysnare: import: {}", shown_message(&w.to_string()));
    }
    match output {
        Some(path) => {
            if path.exists() && !force {
                bail!(
                    "{} exists; use --force to replace it",
                    crate::shown_path(path)
                );
            }
            std::fs::write(path, &imported.toml)
                .with_context(|| format!("cannot write {}", crate::shown_path(path)))?;
            eprintln!(
                "keysnare: import: {} rules written to {} ({} warnings)",
                imported.rules,
                crate::shown_path(path),
                imported.warnings.len()
            );
        }
        None => {
            let mut out = io::stdout().lock();
            out.write_all(imported.toml.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(EXIT_CLEAN)
}

/// Findings decide the exit code; without findings, an unreadable input or an incomplete
/// scan (an input left unscanned for want of memory) makes it 2.
fn exit_code(out: &ScanOutput, findings_code: i32) -> i32 {
    if !out.findings.is_empty() {
        findings_code
    } else if !out.errors.is_empty() || out.incomplete() > 0 {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}

/// Where the scanned code lives, for SARIF: the root, and for a repository its web URL,
/// revision and branch.
fn sarif_context(args: &ScanArgs, repo: Option<&Path>) -> keysnare_report::SarifContext {
    let mut ctx = keysnare_report::SarifContext::default();
    let root = repo.or_else(|| {
        args.paths
            .first()
            .map(|p| p.as_path())
            .filter(|p| p.is_dir())
    });
    if let Some(root) = root {
        ctx.root = std::fs::canonicalize(root).ok();
        ctx.strip_prefixes.push(root.to_path_buf());
        ctx.strip_prefixes.extend(ctx.root.clone());
    }
    if let Some(path) = repo
        && let Ok(r) = keysnare_git::Repository::open(path)
    {
        if let Some(dir) = r.work_dir() {
            ctx.root = std::fs::canonicalize(dir).ok();
        }
        ctx.repository_uri = r.web_url();
        ctx.revision = r.head_commit();
        ctx.branch = r.head_branch();
    }
    ctx
}

fn write_report(
    format: ReportFormat,
    output: Option<&Path>,
    report: &Report<'_>,
    opts: &Options,
    sarif: &keysnare_report::SarifContext,
) -> Result<()> {
    let mut sink: Box<dyn Write> = match output {
        Some(path) => {
            Box::new(BufWriter::new(File::create(path).with_context(|| {
                format!("cannot create {}", crate::shown_path(path))
            })?))
        }
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let written = match format {
        ReportFormat::Text => keysnare_report::write_text(&mut sink, report, opts),
        ReportFormat::Json => keysnare_report::write_json(&mut sink, report, opts),
        ReportFormat::Jsonl => keysnare_report::write_jsonl(&mut sink, report, opts),
        ReportFormat::Sarif => keysnare_report::write_sarif(&mut sink, report, opts, sarif),
        ReportFormat::Junit => keysnare_report::write_junit(&mut sink, report, opts),
    };
    written.context("cannot write the report")
}

fn summary_of(out: &ScanOutput) -> Summary {
    Summary {
        files: out.stats.files,
        bytes: out.stats.bytes,
        blobs_scanned: out.stats.blobs_scanned,
        git: false,
        skipped: out.skipped.clone(),
        incomplete: out.incomplete(),
        errors: out
            .errors
            .iter()
            .map(|e| (e.path.clone().unwrap_or_default(), e.message.clone()))
            .collect(),
        warnings: out.warnings.clone(),
        ignored_findings: out.stats.ignored_findings,
        already_committed: out.stats.already_committed,
        elapsed: out.stats.elapsed,
        memory: Some(out.stats.memory.clone()),
        phases: out.stats.phases.clone(),
        fingerprint_key: None,
    }
}

fn rules(cmd: RulesCommand) -> Result<i32> {
    match cmd {
        RulesCommand::List { rules, format } => {
            let set = keysnare_engine::load_rules(&rules.flags(), None, Confidence::Low)?;
            let mut out = BufWriter::new(io::stdout().lock());
            match format {
                ListFormat::Table => list_table(&mut out, &set),
                ListFormat::Json => list_json(&mut out, &set),
            }
            .or_else(|e| {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
            Ok(EXIT_CLEAN)
        }
        RulesCommand::Check { files } => check(&files),
    }
}

fn list_table(w: &mut dyn Write, set: &RuleSet) -> io::Result<()> {
    let width = set
        .rules()
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let pw = set
        .rules()
        .iter()
        .map(|r| r.provider.len())
        .max()
        .unwrap_or(8)
        .max(8);
    writeln!(
        w,
        "{:<width$}  {:<pw$}  {:<8}  {:<10}  NAME",
        "ID", "PROVIDER", "SEVERITY", "CONFIDENCE"
    )?;
    for r in set.rules() {
        writeln!(
            w,
            "{:<width$}  {:<pw$}  {:<8}  {:<10}  {}",
            escape_control(&r.id),
            escape_control(&r.provider),
            r.severity,
            r.confidence,
            escape_control(&r.name)
        )?;
    }
    w.flush()
}

fn list_json(w: &mut dyn Write, set: &RuleSet) -> io::Result<()> {
    let rules: Vec<serde_json::Value> = set
        .rules()
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.name,
                "provider": r.provider,
                "description": r.description,
                "severity": r.severity,
                "confidence": r.confidence,
                "keywords": r.keywords.iter().map(|k| String::from_utf8_lossy(k)).collect::<Vec<_>>(),
                "min_entropy": r.min_entropy,
                "references": r.references,
                "remediation": r.remediation,
                "tags": r.tags,
                "source": format!("{}:{}", r.origin.file, r.origin.line),
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *w, &rules)?;
    writeln!(w)?;
    w.flush()
}

/// `rules check`: reads the given files (or none: the built-in pack), checks them
/// (`keysnare_matcher::check_rules`) and prints one line per problem, then a summary.
fn check(files: &[PathBuf]) -> Result<i32> {
    let mut sources = Vec::new();
    for f in files {
        match Source::read(f) {
            Ok(s) => sources.push(s),
            Err(e) => {
                eprintln!("{}", shown_message(&e.to_string()));
                return Ok(EXIT_ERROR);
            }
        }
    }
    let checked = match keysnare_matcher::check_rules(sources) {
        Ok(checked) => checked,
        Err(e) => {
            for d in e.diagnostics() {
                println!("{}", shown_message(&d.to_string()));
            }
            println!("rules check: {} problems", e.diagnostics().len());
            return Ok(EXIT_FINDINGS);
        }
    };
    for d in &checked.problems {
        println!("{}", shown_message(&d.to_string()));
    }
    if checked.problems.is_empty() {
        println!(
            "rules check: ok: {} rules in {} files; {} examples found, {} negative examples not found",
            checked.rules, checked.files, checked.examples, checked.negative_examples
        );
        Ok(EXIT_CLEAN)
    } else {
        println!(
            "rules check: {} problems in {} rules",
            checked.problems.len(),
            checked.rules
        );
        Ok(EXIT_FINDINGS)
    }
}
