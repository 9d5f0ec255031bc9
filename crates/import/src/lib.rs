//! Converts a gitleaks configuration into a keysnare configuration (`.keysnare.toml`):
//! `[scan] exclude` from the global allowlist's paths and one `[[rules.custom]]` table per
//! gitleaks rule that can be converted (docs/IMPORT.md).
//!
//! What has an exact keysnare equivalent is converted; what has none is left out with a
//! [`Warning`] that names the gitleaks rules (or allowlist) and the reason, one warning for
//! all the rules that share a reason. Go regexes are parsed with `regex-syntax` and printed
//! in the syntax of keysnare's engine ([`goregex`]); path regexes become globs where an
//! exact form exists ([`paths`]). Every converted rule is loaded with keysnare's own rule
//! loader, and the whole output once more before it is returned, so the output loads.
//!
//! ```
//! let gitleaks = r#"
//! [[rules]]
//! id = "acme-token"
//! description = "Acme token"
//! regex = '''acme_[a-z0-9]{24}'''
//! keywords = ["acme_"]
//! "#;
//! let imported = keysnare_import::gitleaks("gitleaks.toml", gitleaks).unwrap();
//! assert_eq!(imported.rules, 1);
//! assert!(imported.warnings.is_empty());
//! assert!(imported.toml.contains("id = \"gitleaks.acme-token\""));
//! ```
#![deny(missing_docs)]

mod goregex;
mod paths;
mod write;

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use toml::{Table, Value};

use keysnare_rules::{RuleSet, Source};

use goregex::{GoRegex, Secret};
use paths::PathPatterns;

/// The result of an import.
#[derive(Debug)]
pub struct Imported {
    /// The text of a `.keysnare.toml`: `[scan] exclude` and one `[[rules.custom]]` per
    /// converted rule. It loads cleanly.
    pub toml: String,
    /// What was not converted, or converted with a change of meaning.
    pub warnings: Vec<Warning>,
    /// The number of converted rules.
    pub rules: usize,
    /// `(gitleaks id, keysnare id)` of each converted rule, in order.
    pub converted: Vec<(String, String)>,
}

/// Something not converted, or converted with a change of meaning, and what it concerns:
/// one or more gitleaks rules, an allowlist, or the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    subjects: Vec<String>,
    message: String,
}

impl Warning {
    /// What the warning is about: `rule ID`, `global allowlist [allowlist]`, `[extend]`...
    pub fn subjects(&self) -> &[String] {
        &self.subjects
    }

    /// The reason, the same for every subject.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subjects.as_slice() {
            [] => write!(f, "{}", self.message),
            [one] => write!(f, "{one}: {}", self.message),
            many => {
                let rules: Option<Vec<&str>> =
                    many.iter().map(|s| s.strip_prefix("rule ")).collect();
                match rules {
                    Some(ids) => write!(
                        f,
                        "{} rules ({}): {}",
                        ids.len(),
                        ids.join(", "),
                        self.message
                    ),
                    None => write!(f, "{}: {}", many.join(", "), self.message),
                }
            }
        }
    }
}

/// A file that is not a gitleaks configuration.
#[derive(Debug)]
pub struct Error {
    message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

fn error(message: String) -> Error {
    Error { message }
}

/// Warnings as they are found, one subject each; grouped by reason at the end.
#[derive(Default)]
struct Warnings(Vec<(String, String)>);

impl Warnings {
    fn push(&mut self, subject: impl Into<String>, message: impl Into<String>) {
        self.0.push((subject.into(), message.into()));
    }

    fn grouped(self) -> Vec<Warning> {
        let mut order: Vec<Warning> = Vec::new();
        let mut by_message: HashMap<String, usize> = HashMap::new();
        for (subject, message) in self.0 {
            match by_message.get(&message) {
                Some(&i) => {
                    if !order[i].subjects.contains(&subject) {
                        order[i].subjects.push(subject);
                    }
                }
                None => {
                    by_message.insert(message.clone(), order.len());
                    order.push(Warning {
                        subjects: vec![subject],
                        message,
                    });
                }
            }
        }
        order
    }
}

/// Unbounded repetitions (`*`, `+`, `{n,}`) are bounded to at most this many repetitions.
const REPEAT_BOUND: u32 = 1024;
/// Smaller bounds tried, in order, when a pattern bounded with [`REPEAT_BOUND`] is too long
/// (nested repetitions multiply) or too large once compiled.
const FALLBACK_BOUNDS: [u32; 3] = [256, 64, 16];
/// The name of the converted text in the loader's messages.
const LOADED_AS: &str = "imported";

/// Converts the gitleaks configuration `text` (named `source_name` in messages) into the
/// text of a `.keysnare.toml`.
///
/// An error only when `text` is not TOML or is not shaped like a gitleaks configuration
/// (`rules` not an array of tables); anything that cannot be converted is a warning.
pub fn gitleaks(source_name: &str, text: &str) -> Result<Imported, Error> {
    let doc: Table = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        error(format!(
            "{source_name}{}: not a valid gitleaks configuration: {}",
            line.map(|l| format!(":{l}")).unwrap_or_default(),
            e.message().trim()
        ))
    })?;
    let mut w = Warnings::default();

    for key in doc.keys() {
        match key.as_str() {
            "title"
            | "description"
            | "minVersion"
            | "betterleaksMinVersion"
            | "extend"
            | "rules"
            | "allowlist"
            | "allowlists" => {}
            "prefilter" | "filter" => w.push(format!("top-level `{key}`"), FILTER_NOT_CONVERTED),
            _ => w.push(
                format!("top-level key `{key}`"),
                "not a gitleaks setting that keysnare knows; ignored",
            ),
        }
    }
    if let Some(ext) = doc.get("extend") {
        extend_warnings(ext, &mut w);
    }

    // Global allowlists: `[allowlist]` (before gitleaks 8.25) and `[[allowlists]]`.
    let mut globals = Vec::new();
    for (label, table) in tables_of(&doc, "allowlist", "allowlists", "global allowlist")
        .map_err(|e| error(format!("{source_name}: {e}")))?
    {
        if let Some(al) = convert_allowlist(&label, table, true, &mut w) {
            globals.push((label, al));
        }
    }

    let rules = match doc.get("rules") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (n, item) in items.iter().enumerate() {
                match item {
                    Value::Table(t) => out.push(t),
                    _ => {
                        return Err(error(format!(
                            "{source_name}: rules[{n}] is not a table: expected [[rules]] tables"
                        )));
                    }
                }
            }
            out
        }
        Some(_) => {
            return Err(error(format!(
                "{source_name}: `rules` is not an array of tables: expected [[rules]] tables"
            )));
        }
    };
    let mut drafts: Vec<Draft> = rules
        .iter()
        .enumerate()
        .filter_map(|(n, t)| convert_rule(n, t, &mut w))
        .collect();

    // Apply the global allowlists.
    let mut exclude: Vec<String> = Vec::new();
    for (label, al) in globals {
        match &al.target_rules {
            None => {
                for p in &al.paths {
                    exclude.extend(p.gitignore.iter().cloned());
                }
                if !al.regexes.is_empty() || !al.stopwords.is_empty() {
                    w.push(
                        label.clone(),
                        "its regexes and stopwords were added to the allowlist of every imported rule; keysnare has no allowlist for all rules, so its built-in rules are not affected (accept such findings by fingerprint in .keysnareignore)",
                    );
                }
                for d in &mut drafts {
                    d.allow.add(&al, false);
                }
            }
            Some(targets) => {
                for t in targets {
                    let mut found = false;
                    for d in drafts.iter_mut().filter(|d| &d.gl_id == t) {
                        d.allow.add(&al, true);
                        found = true;
                    }
                    if !found {
                        w.push(
                            label.clone(),
                            format!(
                                "targetRules names {t:?}, which is not a converted rule of this file; not applied to it"
                            ),
                        );
                    }
                }
            }
        }
    }
    dedup_keep_order(&mut exclude);

    // keysnare ids, unique.
    let mut used = BTreeSet::new();
    for d in &mut drafts {
        let base = keysnare_id(&d.gl_id);
        let mut id = base.clone();
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        d.id = id;
    }

    // Allowlist regexes keysnare's regex engine rejects are dropped one by one, so that the
    // rule itself is kept.
    let mut regex_ok: HashMap<String, Result<(), String>> = HashMap::new();
    for d in &mut drafts {
        for (list, what) in [
            (&mut d.allow.regexes, "allowlist regex"),
            (&mut d.allow.matches, "allowlist match regex"),
        ] {
            let mut kept = Vec::new();
            for (original, converted) in std::mem::take(list) {
                let verdict = regex_ok
                    .entry(converted.clone())
                    .or_insert_with(|| probe_allowlist_regex(&converted));
                match verdict {
                    Ok(()) => kept.push((original, converted)),
                    Err(msg) => w.push(
                        format!("rule {}", d.gl_id),
                        format!("{what} {original:?} not converted: {msg}"),
                    ),
                }
            }
            *list = kept;
        }
        d.allow.dedup();
    }

    // Each rule alone: keysnare's loader decides, and its diagnostic is quoted.
    let mut checked = Vec::new();
    for mut d in drafts {
        let subject = format!("rule {}", d.gl_id);
        match check_rule(&mut d) {
            Ok(()) => {
                if let Some(bound) = d.bound {
                    // One warning for all bounded rules; a smaller bound is named with its rule.
                    let who = if bound == REPEAT_BOUND {
                        subject.clone()
                    } else {
                        format!("{subject} (at most {bound})")
                    };
                    w.push(
                        who,
                        format!(
                            "unbounded repetitions (`*`, `+`, `{{n,}}`) were bounded to at most {REPEAT_BOUND} repetitions (fewer where a rule says so: nested repetitions multiply), because keysnare patterns must have a bounded maximum length; a longer secret is cut short or missed"
                        ),
                    );
                }
                if d.keywords_replaced {
                    w.push(
                        subject,
                        "its keywords are not part of every match of its regex, and keysnare only finds matches that hold a keyword (gitleaks only needs one somewhere in the file); the converted rule takes its keywords from the regex's literals instead, so it can report matches in files without the gitleaks keywords",
                    );
                }
                checked.push(d);
            }
            Err(msg) => w.push(
                subject,
                format!("skipped: keysnare rejects the converted pattern: {msg}"),
            ),
        }
    }

    // The whole file, loaded again; a rule that still fails (it should not) is dropped.
    let header = write::header(source_name, doc.get("title").and_then(Value::as_str));
    let toml_text = loop {
        let text = write::render(&header, &exclude, &checked);
        match load(&text) {
            Ok(_) => break text,
            Err(e) => {
                let mut bad: HashMap<String, Vec<String>> = HashMap::new();
                for d in e.diagnostics() {
                    if let Some(id) = &d.rule_id {
                        bad.entry(id.clone())
                            .or_default()
                            .push(one_line(&d.message));
                    }
                }
                if bad.is_empty() {
                    return Err(error(format!(
                        "{source_name}: the converted configuration does not load: {e}"
                    )));
                }
                checked.retain(|d| match bad.get(&d.id) {
                    Some(msgs) => {
                        w.push(
                            format!("rule {}", d.gl_id),
                            format!(
                                "skipped: keysnare rejects the converted rule: {}",
                                msgs.join("; ")
                            ),
                        );
                        false
                    }
                    None => true,
                });
            }
        }
    };
    Ok(Imported {
        toml: toml_text,
        warnings: w.grouped(),
        rules: checked.len(),
        converted: checked
            .iter()
            .map(|d| (d.gl_id.clone(), d.id.clone()))
            .collect(),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn load(text: &str) -> Result<RuleSet, keysnare_rules::Error> {
    RuleSet::load(&[Source::config(LOADED_AS, text)])
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The loader's messages on one line.
fn messages(e: &keysnare_rules::Error) -> String {
    e.diagnostics()
        .iter()
        .map(|d| one_line(&d.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn dedup_keep_order<T: Eq + std::hash::Hash + Clone>(items: &mut Vec<T>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|x| seen.insert(x.clone()));
}

fn extend_warnings(ext: &Value, w: &mut Warnings) {
    let Value::Table(t) = ext else {
        w.push("[extend]", "not a table; ignored");
        return;
    };
    if t.get("useDefault").and_then(Value::as_bool) == Some(true) {
        w.push(
            "[extend] useDefault = true",
            "not converted: keysnare's built-in pack plays the role of gitleaks' default rules (it is on unless --no-default-rules)",
        );
    }
    if let Some(p) = t.get("path") {
        let shown = p
            .as_str()
            .map_or_else(|| p.to_string(), |s| format!("{s:?}"));
        w.push(
            format!("[extend] path = {shown}"),
            "not followed: import that file on its own, or rely on keysnare's built-in pack, which plays the role of gitleaks' default rules",
        );
    }
    if let Some(list) = t.get("disabledRules") {
        w.push(
            format!("[extend] disabledRules = {list}"),
            "not converted: gitleaks rule ids are not keysnare rule ids; list the keysnare ids to turn off in [rules] disable (`keysnare rules list` shows them)",
        );
    }
    for key in t.keys() {
        if !matches!(key.as_str(), "useDefault" | "path" | "disabledRules") {
            w.push(format!("[extend] key `{key}`"), "not known; ignored");
        }
    }
}

/// The tables of `single` (one table) and `many` (an array of tables) of `t`, labelled.
fn tables_of<'a>(
    t: &'a Table,
    single: &str,
    many: &str,
    label: &str,
) -> Result<Vec<(String, &'a Table)>, String> {
    let mut out = Vec::new();
    match t.get(single) {
        None => {}
        Some(Value::Table(x)) => out.push((format!("{label} [{single}]"), x)),
        Some(_) => return Err(format!("{label}: `{single}` is not a table")),
    }
    match t.get(many) {
        None => {}
        Some(Value::Array(items)) => {
            for (n, item) in items.iter().enumerate() {
                match item {
                    Value::Table(x) => out.push((format!("{label} {}", n + 1), x)),
                    _ => return Err(format!("{label}: {many}[{n}] is not a table")),
                }
            }
        }
        Some(_) => return Err(format!("{label}: `{many}` is not an array of tables")),
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Reading fields

/// A string field; a value of another type is a warning and counts as absent.
fn get_str(t: &Table, key: &str, ctx: &str, w: &mut Warnings) -> Option<String> {
    match t.get(key)? {
        Value::String(s) => Some(s.clone()),
        other => {
            w.push(
                ctx,
                format!(
                    "`{key}` should be a string, not {}; ignored",
                    other.type_str()
                ),
            );
            None
        }
    }
}

/// A list of strings; other values are a warning and are left out.
fn get_str_list(t: &Table, key: &str, ctx: &str, w: &mut Warnings) -> Vec<String> {
    match t.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                other => {
                    w.push(
                        ctx,
                        format!(
                            "an entry of `{key}` is {}, not a string; ignored",
                            other.type_str()
                        ),
                    );
                    None
                }
            })
            .collect(),
        Some(other) => {
            w.push(
                ctx,
                format!(
                    "`{key}` should be an array of strings, not {}; ignored",
                    other.type_str()
                ),
            );
            Vec::new()
        }
    }
}

fn get_number(t: &Table, key: &str, ctx: &str, w: &mut Warnings) -> Option<f64> {
    match t.get(key)? {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        other => {
            w.push(
                ctx,
                format!(
                    "`{key}` should be a number, not {}; ignored",
                    other.type_str()
                ),
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// Allowlists

/// A gitleaks allowlist, converted.
#[derive(Default)]
struct AllowIn {
    /// (gitleaks regex, keysnare regex), `regexTarget` unset or `"secret"`.
    regexes: Vec<(String, String)>,
    /// (gitleaks regex, keysnare regex), `regexTarget = "match"`.
    matches: Vec<(String, String)>,
    stopwords: Vec<String>,
    /// Path regexes with an exact equivalent.
    paths: Vec<PathPatterns>,
    /// `targetRules` of a global allowlist.
    target_rules: Option<Vec<String>>,
}

/// A rule's allowlist in keysnare's form.
#[derive(Default, Clone)]
pub(crate) struct AllowOut {
    pub regexes: Vec<(String, String)>,
    pub matches: Vec<(String, String)>,
    pub stopwords: Vec<String>,
    /// Globs.
    pub paths: Vec<String>,
}

impl AllowOut {
    /// Adds the criteria of `al`; its paths only when `with_paths` (a global allowlist's paths
    /// become `[scan] exclude` unless it targets rules).
    fn add(&mut self, al: &AllowIn, with_paths: bool) {
        self.regexes.extend(al.regexes.iter().cloned());
        self.matches.extend(al.matches.iter().cloned());
        self.stopwords.extend(al.stopwords.iter().cloned());
        if with_paths {
            for p in &al.paths {
                self.paths.extend(p.globs.iter().cloned());
            }
        }
    }

    fn dedup(&mut self) {
        dedup_keep_order(&mut self.regexes);
        dedup_keep_order(&mut self.matches);
        dedup_keep_order(&mut self.stopwords);
        dedup_keep_order(&mut self.paths);
    }

    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty()
            && self.matches.is_empty()
            && self.stopwords.is_empty()
            && self.paths.is_empty()
    }
}

/// A Go regex for an allowlist (not bounded: allowlist regexes need no bound).
fn allowlist_regex(r: &str) -> Result<String, String> {
    GoRegex::parse(r).map(|g| g.render(None, None).text)
}

/// Converts one gitleaks allowlist. `None` when it is skipped as a whole.
fn convert_allowlist(ctx: &str, t: &Table, global: bool, w: &mut Warnings) -> Option<AllowIn> {
    for key in t.keys() {
        let known = matches!(
            key.as_str(),
            "description"
                | "condition"
                | "commits"
                | "paths"
                | "regexTarget"
                | "regexes"
                | "stopwords"
        ) || (global && key == "targetRules");
        if !known {
            w.push(ctx, format!("key `{key}` is not known; ignored"));
        }
    }
    let commits = get_str_list(t, "commits", ctx, w);
    let paths = get_str_list(t, "paths", ctx, w);
    let regexes = get_str_list(t, "regexes", ctx, w);
    let stopwords: Vec<String> = get_str_list(t, "stopwords", ctx, w)
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let kinds: Vec<&str> = [
        ("commits", commits.is_empty()),
        ("paths", paths.is_empty()),
        ("regexes", regexes.is_empty()),
        ("stopwords", stopwords.is_empty()),
    ]
    .into_iter()
    .filter(|(_, empty)| !empty)
    .map(|(k, _)| k)
    .collect();

    match get_str(t, "condition", ctx, w) {
        None => {}
        Some(c) if c.eq_ignore_ascii_case("or") => {}
        // With one kind of criterion, AND and OR mean the same.
        Some(c) if c.eq_ignore_ascii_case("and") && kinds.len() <= 1 => {}
        Some(c) if c.eq_ignore_ascii_case("and") => {
            w.push(
                ctx,
                format!(
                    "skipped: condition = \"AND\" requires {} to match together, but a keysnare allowlist drops a finding when any one of its criteria matches; converting it would hide more findings",
                    kinds.join(" and ")
                ),
            );
            return None;
        }
        Some(c) => {
            w.push(
                ctx,
                format!("skipped: condition = {c:?} is neither \"OR\" nor \"AND\""),
            );
            return None;
        }
    }

    let mut al = AllowIn::default();
    if !commits.is_empty() {
        w.push(
            ctx,
            "commits not converted: keysnare allowlists have no commit criterion; accept those findings by fingerprint in .keysnareignore or a --baseline file",
        );
    }
    if !regexes.is_empty() {
        let target = get_str(t, "regexTarget", ctx, w);
        let mut converted = Vec::new();
        for r in regexes {
            match allowlist_regex(&r) {
                Ok(c) => converted.push((r, c)),
                Err(e) => w.push(ctx, format!("regex {r:?} not converted: {e}")),
            }
        }
        match target.as_deref() {
            None | Some("secret") => al.regexes = converted,
            Some("match") => al.matches = converted,
            Some("line") => w.push(
                ctx,
                "regexes with regexTarget = \"line\" not converted: keysnare's allowlist regexes are matched against the secret or the whole match, not the line",
            ),
            Some(other) => w.push(
                ctx,
                format!(
                    "regexes not converted: regexTarget = {other:?} is not \"secret\", \"match\" or \"line\""
                ),
            ),
        }
    }
    al.stopwords = stopwords;
    let mut inexact = Vec::new();
    for p in paths {
        match paths::convert(&p) {
            Some(pp) => al.paths.push(pp),
            None => inexact.push(p),
        }
    }
    if !inexact.is_empty() {
        w.push(
            ctx,
            format!(
                "paths {inexact:?} not converted: no exact .gitignore or glob equivalent (a repeated class such as `[a-z]+`, a repeated group, a word boundary or `.*` inside a path component has none)"
            ),
        );
    }
    if global {
        let targets = get_str_list(t, "targetRules", ctx, w);
        if !targets.is_empty() {
            al.target_rules = Some(targets);
        }
    }
    Some(al)
}

// ---------------------------------------------------------------------------------------
// Rules

/// A converted rule, before it is checked.
pub(crate) struct Draft {
    pub gl_id: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub provider: String,
    /// The parsed gitleaks regex (`None` for a probe rule written with its pattern).
    regex: Option<GoRegex>,
    /// The capture groups that hold the secret.
    secret: Secret,
    pub pattern: String,
    /// The repetition bound used, when unbounded repetitions were replaced.
    bound: Option<u32>,
    pub keywords: Vec<String>,
    /// The gitleaks keywords were dropped for keywords derived from the pattern.
    keywords_replaced: bool,
    pub min_entropy: f64,
    /// `high`, or `medium` for a generic rule: gitleaks drops a finding of a rule whose id
    /// says `generic` when another rule reports the same secret, and keysnare keeps the
    /// more severe of two equally confident findings of one secret.
    pub severity: &'static str,
    pub tags: Vec<String>,
    pub allow: AllowOut,
}

impl Draft {
    /// Converts the gitleaks regex with unbounded repetitions bounded to `bound`.
    fn set_pattern(&mut self, bound: u32) {
        let Some(regex) = &self.regex else {
            return;
        };
        let r = regex.render(Some(bound), Some(self.secret));
        self.pattern = r.text;
        self.bound = r.bounded.then_some(bound);
    }
}

const RULE_KEYS: &[&str] = &[
    "id",
    "description",
    "regex",
    "secretGroup",
    "entropy",
    "path",
    "keywords",
    "tags",
    "allowlist",
    "allowlists",
    "required",
    "skipReport",
];

/// Betterleaks' `filter` and `prefilter` expressions, top-level or in a rule.
const FILTER_NOT_CONVERTED: &str = "`filter` and `prefilter` not converted: they are expressions in Betterleaks' own language; express what they drop as rule allowlists, `min_entropy` or `[scan] exclude` paths";

/// Keys of Betterleaks rules, reported once for all the rules that have them.
const BETTERLEAKS_KEYS: &[(&str, &str)] = &[
    (
        "validate",
        "`validate` not converted: keysnare does not send secrets to their issuers to check them",
    ),
    ("filter", FILTER_NOT_CONVERTED),
    (
        "specificity",
        "`specificity` not converted: when rules report the same secret, keysnare keeps the most confident finding",
    ),
];

fn convert_rule(n: usize, t: &Table, w: &mut Warnings) -> Option<Draft> {
    let Some(gl_id) = get_str(t, "id", &format!("rules[{n}]"), w) else {
        w.push(format!("rules[{n}]"), "skipped: it has no `id`");
        return None;
    };
    let ctx = format!("rule {gl_id}");
    for key in t.keys() {
        if let Some((_, msg)) = BETTERLEAKS_KEYS.iter().find(|(k, _)| k == key) {
            w.push(ctx.clone(), *msg);
        } else if !RULE_KEYS.contains(&key.as_str()) {
            w.push(ctx.clone(), format!("key `{key}` is not known; ignored"));
        }
    }
    let regex = get_str(t, "regex", &ctx, w);
    let path = get_str(t, "path", &ctx, w);
    let Some(regex) = regex else {
        if path.is_some() {
            w.push(
                ctx,
                "skipped: path-only rule (`path` without `regex`): keysnare rules match file contents, not file names",
            );
        } else {
            w.push(
                ctx,
                "skipped: no `regex`; in gitleaks such a rule changes the default rule of that id, and keysnare's built-in pack plays the role of gitleaks' default rules",
            );
        }
        return None;
    };
    if t.get("skipReport").and_then(Value::as_bool) == Some(true) {
        w.push(
            ctx,
            "skipped: skipReport = true (such a rule only serves the composite rules that require it, and keysnare has no composite rules)",
        );
        return None;
    }
    if path.is_some() {
        w.push(
            ctx.clone(),
            "`path` not converted: keysnare rules apply to every file, so the converted rule may report matches in other files too",
        );
    }
    if t.contains_key("required") {
        w.push(
            ctx.clone(),
            "`required` (composite rule) not converted: the rule is converted alone, without the rules it requires nearby, and may report more",
        );
    }

    let parsed = match GoRegex::parse(&regex) {
        Ok(p) => p,
        Err(e) => {
            w.push(ctx, format!("skipped: its regex does not parse: {e}"));
            return None;
        }
    };
    let groups = u32::try_from(parsed.groups).unwrap_or(u32::MAX);
    let secret = match t.get("secretGroup") {
        // gitleaks reads 0 as not set.
        None | Some(Value::Integer(0)) => parsed.first_matched(),
        Some(Value::Integer(g)) if *g > 0 => {
            let g = u32::try_from(*g).unwrap_or(u32::MAX);
            if groups == 0 {
                // gitleaks takes the whole match when the regex has no group.
                Secret::Whole
            } else if g > groups {
                w.push(
                    ctx,
                    format!(
                        "skipped: secretGroup = {g} but the regex has {groups} capture group(s), so gitleaks never reports it"
                    ),
                );
                return None;
            } else {
                Secret::Group(g)
            }
        }
        Some(other) => {
            w.push(
                ctx,
                format!("skipped: secretGroup should be a non-negative integer, not {other}"),
            );
            return None;
        }
    };

    let keywords: Vec<String> = get_str_list(t, "keywords", &ctx, w)
        .into_iter()
        .filter(|k| !k.is_empty())
        .collect();
    let min_entropy = get_number(t, "entropy", &ctx, w).unwrap_or(0.0);
    let tags: Vec<String> = get_str_list(t, "tags", &ctx, w);
    let description = get_str(t, "description", &ctx, w)
        .map(|d| d.trim().to_string())
        .unwrap_or_default();
    let provider = tags
        .iter()
        .map(|t| t.trim())
        .find(|t| !t.is_empty())
        .unwrap_or("custom")
        .to_string();

    let mut allow = AllowOut::default();
    let rule_lists = match tables_of(t, "allowlist", "allowlists", "allowlist") {
        Ok(l) => l,
        Err(e) => {
            w.push(ctx.clone(), format!("{e}; ignored"));
            Vec::new()
        }
    };
    for (label, table) in rule_lists {
        if let Some(al) = convert_allowlist(&format!("{ctx}: {label}"), table, false, w) {
            allow.add(&al, true);
        }
    }

    let severity = if gl_id.to_ascii_lowercase().contains("generic") {
        "medium"
    } else {
        "high"
    };
    let mut d = Draft {
        name: short_name(&description, &gl_id),
        description: if description.is_empty() {
            format!("Converted from the gitleaks rule {gl_id:?}.")
        } else {
            description
        },
        gl_id,
        id: String::new(),
        provider,
        regex: Some(parsed),
        secret,
        pattern: String::new(),
        bound: None,
        keywords,
        keywords_replaced: false,
        min_entropy,
        severity,
        tags,
        allow,
    };
    d.set_pattern(REPEAT_BOUND);
    Some(d)
}

/// Loads the rule alone. When the bounded pattern is too long or too large, tries smaller
/// bounds; when its keywords do not cover every match, takes keywords from the pattern.
/// The loader's messages when it still fails.
fn check_rule(d: &mut Draft) -> Result<(), String> {
    let mut fallbacks = FALLBACK_BOUNDS.iter();
    loop {
        let text = write::render("", &[], std::slice::from_ref(d));
        let Err(e) = load(&text) else {
            return Ok(());
        };
        let has = |needle: &str| e.diagnostics().iter().any(|x| x.message.contains(needle));
        let length_problem =
            d.bound.is_some() && (has("bound its repetitions") || has("too large once compiled"));
        if length_problem && let Some(&b) = fallbacks.next() {
            d.set_pattern(b);
            continue;
        }
        if has("do not cover every match") && !d.keywords.is_empty() {
            d.keywords.clear();
            d.keywords_replaced = true;
            continue;
        }
        return Err(messages(&e));
    }
}

/// Loads a probe rule with `regex` as its only allowlist regex.
fn probe_allowlist_regex(regex: &str) -> Result<(), String> {
    let rule = |pattern: &str, allow: Option<&str>| {
        let d = Draft {
            gl_id: "probe".into(),
            id: "probe.allowlist".into(),
            name: "probe".into(),
            description: "probe".into(),
            provider: "probe".into(),
            regex: None,
            secret: Secret::Group(1),
            pattern: pattern.to_string(),
            bound: None,
            keywords: vec!["probe".into()],
            keywords_replaced: false,
            min_entropy: 0.0,
            severity: "high",
            tags: Vec::new(),
            allow: AllowOut {
                regexes: allow
                    .map(|a| vec![(a.to_string(), a.to_string())])
                    .unwrap_or_default(),
                ..AllowOut::default()
            },
        };
        write::render("", &[], std::slice::from_ref(&d))
    };
    let Err(e) = load(&rule("(?P<secret>probe)", Some(regex))) else {
        return Ok(());
    };
    // The loader names the syntax problem of a rule's pattern: ask it that way too.
    match load(&rule(&format!("(?P<secret>probe)(?:{regex}){{0,1}}"), None)) {
        Err(p)
            if p.diagnostics()
                .iter()
                .any(|d| d.message.contains("parse error")) =>
        {
            Err(messages(&p))
        }
        _ => Err(messages(&e)),
    }
}

/// `gitleaks.` + the gitleaks id lowercased, `_` and other separators made `-`, so that it
/// fits `[a-z0-9]+([.-][a-z0-9]+)*`.
fn keysnare_id(gl_id: &str) -> String {
    let mut out = String::new();
    let mut sep: Option<char> = None;
    for c in gl_id.chars() {
        if c.is_ascii_alphanumeric() {
            if let Some(s) = sep.take()
                && !out.is_empty()
            {
                out.push(s);
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '.' {
            sep = Some('.');
        } else if sep.is_none() {
            sep = Some('-');
        }
    }
    if out.is_empty() {
        out.push_str("rule");
    }
    format!("gitleaks.{out}")
}

/// A short name from the description: one line, at most about 80 characters.
fn short_name(description: &str, fallback: &str) -> String {
    let one = one_line(description);
    if one.is_empty() {
        return fallback.to_string();
    }
    if one.chars().count() <= 80 {
        return one;
    }
    let cut: String = one.chars().take(77).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i >= 40 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{cut}...")
}

#[cfg(test)]
mod tests;
