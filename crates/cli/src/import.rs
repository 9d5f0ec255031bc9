//! `keysnare import gitleaks CONFIG.toml`: converts a gitleaks configuration into the text of
//! a `.keysnare.toml` (docs/IMPORT.md).
//!
//! What has an exact keysnare equivalent is converted; what has none is left out with a
//! warning that names the gitleaks rule (or allowlist) and the reason. Every converted rule
//! is checked by loading it with keysnare's own rule loader, and the final text is loaded
//! again before it is returned, so the output always loads.
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, bail};
use toml::{Table, Value};

use keysnare_rules::{RuleSet, Source};

/// The result of an import.
#[derive(Debug)]
pub struct Imported {
    /// The text of a `.keysnare.toml`: `[scan] exclude` and one `[[rules.custom]]` per
    /// converted rule. It loads cleanly.
    pub toml: String,
    /// One line per thing that was not converted, or converted with a change of meaning.
    pub warnings: Vec<String>,
    /// The number of converted rules.
    pub rules: usize,
}

/// Unbounded repetitions (`*`, `+`, `{n,}`) are bounded to at most this many repetitions.
const REPEAT_BOUND: usize = 256;
/// Smaller bounds tried, in order, when a pattern bounded with [`REPEAT_BOUND`] is too long
/// (nested repetitions multiply) or too large once compiled.
const FALLBACK_BOUNDS: [usize; 2] = [64, 16];
/// The name of the converted text in the loader's messages.
const LOADED_AS: &str = "imported";
/// How many path patterns one path regex may expand to (`(?:a|b)` groups multiply).
const MAX_PATH_EXPANSION: usize = 32;

/// Converts the gitleaks configuration `text` (named `source_name` in messages) into the
/// text of a `.keysnare.toml`.
///
/// An error only when `text` is not TOML or is not shaped like a gitleaks configuration
/// (`rules` not an array of tables); anything that cannot be converted is a warning.
pub fn import_gitleaks(source_name: &str, text: &str) -> anyhow::Result<Imported> {
    let doc: Table = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        anyhow!(
            "{source_name}{}: not a valid gitleaks configuration: {}",
            line.map(|l| format!(":{l}")).unwrap_or_default(),
            e.message().trim()
        )
    })?;
    let mut w = Vec::new();

    for key in doc.keys() {
        if !matches!(
            key.as_str(),
            "title"
                | "description"
                | "minVersion"
                | "extend"
                | "rules"
                | "allowlist"
                | "allowlists"
        ) {
            w.push(format!(
                "top-level key `{key}` is not a gitleaks setting that keysnare knows; ignored"
            ));
        }
    }
    if let Some(ext) = doc.get("extend") {
        extend_warnings(ext, &mut w);
    }

    // Global allowlists: `[allowlist]` (before gitleaks 8.25) and `[[allowlists]]`.
    let mut globals = Vec::new();
    for (label, table) in tables_of(&doc, "allowlist", "allowlists", "global allowlist")
        .map_err(|e| anyhow!("{source_name}: {e}"))?
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
                        bail!("{source_name}: rules[{n}] is not a table: expected [[rules]] tables")
                    }
                }
            }
            out
        }
        Some(_) => {
            bail!("{source_name}: `rules` is not an array of tables: expected [[rules]] tables")
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
                    w.push(format!(
                        "{label}: its regexes and stopwords were added to the allowlist of every imported rule; keysnare has no allowlist for all rules, so its built-in rules are not affected (accept such findings by fingerprint in .keysnareignore)"
                    ));
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
                        w.push(format!(
                            "{label}: targetRules names {t:?}, which is not a converted rule of this file; not applied to it"
                        ));
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
        let mut kept = Vec::new();
        for (original, converted) in std::mem::take(&mut d.allow.regexes) {
            let verdict = regex_ok
                .entry(converted.clone())
                .or_insert_with(|| probe_allowlist_regex(&converted));
            match verdict {
                Ok(()) => kept.push((original, converted)),
                Err(msg) => w.push(format!(
                    "rule {}: allowlist regex {original:?} not converted: {msg}",
                    d.gl_id
                )),
            }
        }
        d.allow.regexes = kept;
        dedup_keep_order(&mut d.allow.stopwords);
        dedup_keep_order(&mut d.allow.paths);
    }

    // Each rule alone: keysnare's loader decides, and its diagnostic is quoted.
    let mut checked = Vec::new();
    for mut d in drafts {
        match check_rule(&mut d) {
            Ok(()) => {
                if let Some(bound) = d.bound {
                    w.push(format!(
                        "rule {}: unbounded repetitions (`*`, `+`, `{{n,}}`) were bounded to at most {bound} repetitions, because keysnare patterns must have a bounded maximum length; a longer secret is cut short or missed",
                        d.gl_id
                    ));
                }
                checked.push(d);
            }
            Err(msg) => w.push(format!(
                "rule {}: skipped: keysnare rejects the converted pattern: {msg}",
                d.gl_id
            )),
        }
    }

    // The whole file, loaded again; a rule that still fails (it should not) is dropped.
    let header = header_comment(source_name, doc.get("title"));
    let toml_text = loop {
        let text = render(&header, &exclude, &checked);
        match load(&text) {
            Ok(_) => break text,
            Err(e) => {
                let mut bad: HashMap<String, Vec<String>> = HashMap::new();
                for d in e.diagnostics() {
                    if let Some(id) = &d.rule_id {
                        let one_line = d.message.split_whitespace().collect::<Vec<_>>().join(" ");
                        bad.entry(id.clone()).or_default().push(one_line);
                    }
                }
                if bad.is_empty() {
                    bail!("{source_name}: the converted configuration does not load: {e}");
                }
                checked.retain(|d| match bad.get(&d.id) {
                    Some(msgs) => {
                        w.push(format!(
                            "rule {}: skipped: keysnare rejects the converted rule: {}",
                            d.gl_id,
                            msgs.join("; ")
                        ));
                        false
                    }
                    None => true,
                });
            }
        }
    };
    crate::config::Config::parse(Path::new(LOADED_AS), toml_text.clone())
        .map_err(|e| anyhow!("{source_name}: the converted configuration does not parse: {e}"))?;
    Ok(Imported {
        toml: toml_text,
        warnings: w,
        rules: checked.len(),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn load(text: &str) -> Result<RuleSet, keysnare_rules::Error> {
    RuleSet::load(&[Source::config(LOADED_AS, text)])
}

/// The loader's messages on one line.
fn messages(e: &keysnare_rules::Error) -> String {
    e.diagnostics()
        .iter()
        .map(|d| d.message.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("; ")
}

fn dedup_keep_order<T: Eq + std::hash::Hash + Clone>(items: &mut Vec<T>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|x| seen.insert(x.clone()));
}

fn extend_warnings(ext: &Value, w: &mut Vec<String>) {
    let Value::Table(t) = ext else {
        w.push("[extend] is not a table; ignored".into());
        return;
    };
    if t.get("useDefault").and_then(Value::as_bool) == Some(true) {
        w.push(
            "[extend] useDefault = true is not converted: keysnare's built-in pack plays the role of gitleaks' default rules (it is on unless --no-default-rules)"
                .into(),
        );
    }
    if let Some(p) = t.get("path") {
        let shown = p
            .as_str()
            .map_or_else(|| p.to_string(), |s| format!("{s:?}"));
        w.push(format!(
            "[extend] path = {shown} is not followed: import that file on its own, or rely on keysnare's built-in pack, which plays the role of gitleaks' default rules"
        ));
    }
    if let Some(list) = t.get("disabledRules") {
        w.push(format!(
            "[extend] disabledRules = {list} is not converted: gitleaks rule ids are not keysnare rule ids; list the keysnare ids to turn off in [rules] disable (`keysnare rules list` shows them)"
        ));
    }
    for key in t.keys() {
        if !matches!(key.as_str(), "useDefault" | "path" | "disabledRules") {
            w.push(format!("[extend] key `{key}` is not known; ignored"));
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
fn get_str(t: &Table, key: &str, ctx: &str, w: &mut Vec<String>) -> Option<String> {
    match t.get(key)? {
        Value::String(s) => Some(s.clone()),
        other => {
            w.push(format!(
                "{ctx}: `{key}` should be a string, not {}; ignored",
                other.type_str()
            ));
            None
        }
    }
}

/// A list of strings; other values are a warning and are left out.
fn get_str_list(t: &Table, key: &str, ctx: &str, w: &mut Vec<String>) -> Vec<String> {
    match t.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                other => {
                    w.push(format!(
                        "{ctx}: an entry of `{key}` is {}, not a string; ignored",
                        other.type_str()
                    ));
                    None
                }
            })
            .collect(),
        Some(other) => {
            w.push(format!(
                "{ctx}: `{key}` should be an array of strings, not {}; ignored",
                other.type_str()
            ));
            Vec::new()
        }
    }
}

fn get_number(t: &Table, key: &str, ctx: &str, w: &mut Vec<String>) -> Option<f64> {
    match t.get(key)? {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        other => {
            w.push(format!(
                "{ctx}: `{key}` should be a number, not {}; ignored",
                other.type_str()
            ));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// Allowlists

/// A gitleaks allowlist, converted.
#[derive(Default)]
struct AllowIn {
    /// (gitleaks regex, keysnare regex), regexTarget secret only.
    regexes: Vec<(String, String)>,
    stopwords: Vec<String>,
    /// Path regexes with an exact equivalent.
    paths: Vec<PathPatterns>,
    /// `targetRules` of a global allowlist.
    target_rules: Option<Vec<String>>,
}

/// A rule's allowlist in keysnare's form.
#[derive(Default, Clone)]
struct AllowOut {
    regexes: Vec<(String, String)>,
    stopwords: Vec<String>,
    /// Globs.
    paths: Vec<String>,
}

impl AllowOut {
    /// Adds the criteria of `al`; its paths only when `with_paths` (a global allowlist's paths
    /// become `[scan] exclude` unless it targets rules).
    fn add(&mut self, al: &AllowIn, with_paths: bool) {
        self.regexes.extend(al.regexes.iter().cloned());
        self.stopwords.extend(al.stopwords.iter().cloned());
        if with_paths {
            for p in &al.paths {
                self.paths.extend(p.globs.iter().cloned());
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.regexes.is_empty() && self.stopwords.is_empty() && self.paths.is_empty()
    }
}

/// Converts one gitleaks allowlist. `None` when it is skipped as a whole.
fn convert_allowlist(ctx: &str, t: &Table, global: bool, w: &mut Vec<String>) -> Option<AllowIn> {
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
            w.push(format!("{ctx}: key `{key}` is not known; ignored"));
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
            w.push(format!(
                "{ctx}: skipped: condition = \"AND\" requires {} to match together, but a keysnare allowlist drops a finding when any one of its criteria matches; converting it would hide more findings",
                kinds.join(" and ")
            ));
            return None;
        }
        Some(c) => {
            w.push(format!(
                "{ctx}: skipped: condition = {c:?} is neither \"OR\" nor \"AND\""
            ));
            return None;
        }
    }

    let mut al = AllowIn::default();
    if !commits.is_empty() {
        w.push(format!(
            "{ctx}: commits = {commits:?} not converted: keysnare allowlists have no commit criterion; accept those findings by fingerprint in .keysnareignore or a --baseline file"
        ));
    }
    if !regexes.is_empty() {
        match get_str(t, "regexTarget", ctx, w).as_deref() {
            None | Some("secret") => {
                al.regexes = regexes
                    .into_iter()
                    .map(|r| {
                        let converted = convert_regex(&r, None, None).out;
                        (r, converted)
                    })
                    .collect();
            }
            Some(target @ ("match" | "line")) => w.push(format!(
                "{ctx}: regexes {regexes:?} not converted: regexTarget = {target:?}, but keysnare's allowlist regexes are matched against the secret only"
            )),
            Some(other) => w.push(format!(
                "{ctx}: regexes not converted: regexTarget = {other:?} is not \"secret\", \"match\" or \"line\""
            )),
        }
    }
    al.stopwords = stopwords;
    for p in paths {
        match convert_path_regex(&p) {
            Some(pp) => al.paths.push(pp),
            None => w.push(format!(
                "{ctx}: path {p:?} not converted: no exact .gitignore or glob equivalent of this regex (exact forms: `(^|/)dir/`, `^dir/`, `(^|/)name$`, `\\.ext$`, `(?:a|b)` alternatives of literals)"
            )),
        }
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
struct Draft {
    gl_id: String,
    id: String,
    name: String,
    description: String,
    provider: String,
    regex: String,
    /// The capture group made `(?P<secret>...)`; 0 to wrap the whole pattern.
    secret_group: usize,
    pattern: String,
    /// The repetition bound used, when unbounded repetitions were replaced.
    bound: Option<usize>,
    keywords: Vec<String>,
    min_entropy: f64,
    tags: Vec<String>,
    allow: AllowOut,
}

impl Draft {
    /// Converts the gitleaks regex with unbounded repetitions bounded to `bound`.
    fn set_pattern(&mut self, bound: usize) {
        let c = convert_regex(&self.regex, Some(bound), Some(self.secret_group));
        self.pattern = if self.secret_group == 0 {
            format!("(?P<secret>{})", c.out)
        } else {
            c.out
        };
        self.bound = c.replaced.then_some(bound);
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

fn convert_rule(n: usize, t: &Table, w: &mut Vec<String>) -> Option<Draft> {
    let Some(gl_id) = get_str(t, "id", &format!("rules[{n}]"), w) else {
        w.push(format!("rules[{n}]: skipped: it has no `id`"));
        return None;
    };
    let ctx = format!("rule {gl_id}");
    for key in t.keys() {
        if !RULE_KEYS.contains(&key.as_str()) {
            w.push(format!("{ctx}: key `{key}` is not known; ignored"));
        }
    }
    let regex = get_str(t, "regex", &ctx, w);
    let path = get_str(t, "path", &ctx, w);
    let Some(regex) = regex else {
        if path.is_some() {
            w.push(format!(
                "{ctx}: skipped: path-only rule (`path` without `regex`): keysnare rules match file contents, not file names"
            ));
        } else {
            w.push(format!(
                "{ctx}: skipped: no `regex`; in gitleaks such a rule changes the default rule of that id, and keysnare's built-in pack plays the role of gitleaks' default rules"
            ));
        }
        return None;
    };
    if t.get("skipReport").and_then(Value::as_bool) == Some(true) {
        w.push(format!(
            "{ctx}: skipped: skipReport = true (gitleaks only uses it inside composite rules, which keysnare does not have)"
        ));
        return None;
    }
    if let Some(p) = &path {
        w.push(format!(
            "{ctx}: path = {p:?} not converted: keysnare rules apply to every file, so the converted rule may report matches in other files too"
        ));
    }
    if t.contains_key("required") {
        w.push(format!(
            "{ctx}: `required` (composite rule) not converted: the rule is converted alone, without the rules it requires nearby, and may report more"
        ));
    }

    let groups = convert_regex(&regex, None, None).groups;
    let secret_group = match t.get("secretGroup") {
        None => usize::from(groups > 0),
        Some(Value::Integer(g)) if *g >= 0 => {
            let g = *g as usize;
            if groups == 0 {
                // gitleaks takes the whole match when the regex has no group.
                0
            } else if g > groups {
                w.push(format!(
                    "{ctx}: skipped: secretGroup = {g} but the regex has {groups} capture group(s), so gitleaks never reports it"
                ));
                return None;
            } else {
                g.max(1)
            }
        }
        Some(other) => {
            w.push(format!(
                "{ctx}: skipped: secretGroup should be a non-negative integer, not {other}"
            ));
            return None;
        }
    };

    let keywords: Vec<String> = get_str_list(t, "keywords", &ctx, w)
        .into_iter()
        .filter(|k| !k.is_empty())
        .collect();
    let literal_text = unescape_punct(&regex).to_ascii_lowercase();
    for k in &keywords {
        if !literal_text.contains(&k.to_ascii_lowercase()) {
            w.push(format!(
                "{ctx}: keyword {k:?} does not appear literally in the regex; keysnare only reports matches that contain one of the rule's keywords (gitleaks only needs it somewhere in the file), so check that every match contains one"
            ));
        }
    }
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
            w.push(format!("{ctx}: {e}; ignored"));
            Vec::new()
        }
    };
    for (label, table) in rule_lists {
        if let Some(al) = convert_allowlist(&format!("{ctx}: {label}"), table, false, w) {
            allow.add(&al, true);
        }
    }

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
        regex,
        secret_group,
        pattern: String::new(),
        bound: None,
        keywords,
        min_entropy,
        tags,
        allow,
    };
    d.set_pattern(REPEAT_BOUND);
    Some(d)
}

/// Loads the rule alone; when the bounded pattern is too long or too large, tries smaller
/// bounds. The loader's messages when it still fails.
fn check_rule(d: &mut Draft) -> Result<(), String> {
    let mut fallbacks = FALLBACK_BOUNDS.iter();
    loop {
        let text = render("", &[], std::slice::from_ref(d));
        let Err(e) = load(&text) else {
            return Ok(());
        };
        let length_problem = d.bound.is_some()
            && e.diagnostics().iter().any(|x| {
                x.message.contains("bound its repetitions")
                    || x.message.contains("too large once compiled")
            });
        match fallbacks.next() {
            Some(&b) if length_problem => d.set_pattern(b),
            _ => return Err(messages(&e)),
        }
    }
}

/// Loads a probe rule with `regex` as its only allowlist regex.
fn probe_allowlist_regex(regex: &str) -> Result<(), String> {
    let text = format!(
        "[[rules.custom]]\nid = \"probe.allowlist\"\nname = \"probe\"\nprovider = \"probe\"\npattern = '(?P<secret>probe)'\nseverity = \"low\"\n[rules.custom.allowlist]\nregexes = [{}]\n",
        regex_str(regex)
    );
    let Err(e) = load(&text) else {
        return Ok(());
    };
    // The loader only names the syntax problem of a rule's pattern: ask it that way.
    let as_pattern = format!(
        "[[rules.custom]]\nid = \"probe.allowlist\"\nname = \"probe\"\nprovider = \"probe\"\npattern = {}\nkeywords = [\"probe\"]\nseverity = \"low\"\n",
        regex_str(&format!("(?P<secret>probe)(?:{regex}){{0,1}}"))
    );
    match load(&as_pattern) {
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
    let one = description.split_whitespace().collect::<Vec<_>>().join(" ");
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

/// The regex with `\` removed before ASCII punctuation: literal text to look keywords up in.
fn unescape_punct(re: &str) -> String {
    let mut out = String::with_capacity(re.len());
    let mut chars = re.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&n) = chars.peek()
            && n.is_ascii_punctuation()
        {
            continue;
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Go regexes → keysnare patterns

struct Converted {
    out: String,
    /// Number of capture groups.
    groups: usize,
    /// Whether an unbounded repetition was replaced.
    replaced: bool,
}

/// Rewrites a gitleaks (Go RE2) regex into the syntax of keysnare's regex engine (Rust
/// `regex`, bytes, Unicode off):
/// - with `bound`, `*`, `+` and `{n,}` become `{0,b}`, `{1,b}` and `{n,max(n,b)}`;
/// - with `secret`, capture group number `secret` becomes `(?P<secret>...)` (another group
///   named `secret` is renamed);
/// - `\Q...\E` becomes escaped literals, `\<` and `\>` (literals in Go, word boundaries in
///   Rust) become `<` and `>`, a `{` or `}` that is not a repetition is escaped, and
///   character classes are re-written with `[`, `]`, `^`, `-`, `&`, `~` and `\` escaped when
///   they are literals (Rust reads `[` as a nested class and `&&`, `--`, `~~` as set
///   operations).
///
/// Anything else passes through unchanged; what Rust's engine rejects (look-around,
/// backreferences, Unicode classes) is reported by the rule loader.
fn convert_regex(src: &str, bound: Option<usize>, secret: Option<usize>) -> Converted {
    let cs: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 16);
    let mut groups = 0;
    let mut replaced = false;
    let mut i = 0;
    while i < cs.len() {
        match cs[i] {
            '\\' => {
                if cs.get(i + 1) == Some(&'Q') {
                    i += 2;
                    while i < cs.len() && !(cs[i] == '\\' && cs.get(i + 1) == Some(&'E')) {
                        push_literal(&mut out, cs[i]);
                        i += 1;
                    }
                    i = (i + 2).min(cs.len());
                } else {
                    let (text, len) = escape_at(&cs, i);
                    out.push_str(&text);
                    i += len;
                }
            }
            '[' => {
                let (text, len) = class_at(&cs, i);
                out.push_str(&text);
                i += len;
            }
            '(' => {
                let (opener, name, capture) = group_at(&cs, i);
                i += opener.chars().count();
                if capture {
                    groups += 1;
                    if secret == Some(groups) {
                        out.push_str("(?P<secret>");
                    } else if name.as_deref() == Some("secret") && secret.is_some() {
                        out.push_str("(?P<gitleaks_secret>");
                    } else {
                        out.push_str(&opener);
                    }
                } else {
                    out.push_str(&opener);
                }
            }
            '*' | '+' => {
                let min = usize::from(cs[i] == '+');
                i += 1;
                match bound {
                    Some(b) => {
                        let _ = write!(out, "{{{min},{b}}}");
                        replaced = true;
                    }
                    None => out.push(cs[i - 1]),
                }
                if cs.get(i) == Some(&'?') {
                    out.push('?');
                    i += 1;
                }
            }
            '{' => match repeat_at(&cs, i) {
                Some((min, max, len)) => {
                    i += len;
                    match (max, bound) {
                        (Some(Some(max)), _) => {
                            let _ = write!(out, "{{{min},{max}}}");
                        }
                        (Some(None), Some(b)) => {
                            let _ = write!(out, "{{{min},{}}}", min.max(b));
                            replaced = true;
                        }
                        (Some(None), None) => {
                            let _ = write!(out, "{{{min},}}");
                        }
                        (None, _) => {
                            let _ = write!(out, "{{{min}}}");
                        }
                    }
                    if cs.get(i) == Some(&'?') {
                        out.push('?');
                        i += 1;
                    }
                }
                None => {
                    out.push_str("\\{");
                    i += 1;
                }
            },
            '}' => {
                out.push_str("\\}");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Converted {
        out,
        groups,
        replaced,
    }
}

/// A literal character outside a class, escaped when it is a metacharacter.
fn push_literal(out: &mut String, c: char) {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

/// The escape sequence at `cs[i] == '\\'`: its Rust text and its length in `cs`.
fn escape_at(cs: &[char], i: usize) -> (String, usize) {
    let Some(&n) = cs.get(i + 1) else {
        return ("\\".into(), 1);
    };
    match n {
        '<' | '>' => (n.to_string(), 2),
        'p' | 'P' | 'x' if cs.get(i + 2) == Some(&'{') => {
            let end = cs[i + 2..]
                .iter()
                .position(|&c| c == '}')
                .map_or(cs.len(), |p| i + 2 + p + 1);
            (cs[i..end].iter().collect(), end - i)
        }
        'p' | 'P' => {
            let end = (i + 3).min(cs.len());
            (cs[i..end].iter().collect(), end - i)
        }
        'x' => {
            let mut end = i + 2;
            while end < cs.len() && end < i + 4 && cs[end].is_ascii_hexdigit() {
                end += 1;
            }
            (cs[i..end].iter().collect(), end - i)
        }
        _ => (format!("\\{n}"), 2),
    }
}

/// The group opener at `cs[i] == '('`: its Rust text, its name, whether it captures.
fn group_at(cs: &[char], i: usize) -> (String, Option<String>, bool) {
    if cs.get(i + 1) != Some(&'?') {
        return ("(".into(), None, true);
    }
    let named_start = match (cs.get(i + 2), cs.get(i + 3)) {
        (Some('P'), Some('<')) => Some(i + 4),
        (Some('<'), Some(c)) if *c != '=' && *c != '!' => Some(i + 3),
        _ => None,
    };
    if let Some(start) = named_start
        && let Some(p) = cs[start..].iter().position(|&c| c == '>')
    {
        let name: String = cs[start..start + p].iter().collect();
        let text: String = cs[i..start + p + 1].iter().collect();
        return (text, Some(name), true);
    }
    ("(?".into(), None, false)
}

/// A repetition `{n}`, `{n,}` or `{n,m}` at `cs[i] == '{'`: (n, None for `{n}` else
/// Some(m or None), length). `None` when it is a literal `{` (as Go reads it).
#[allow(clippy::type_complexity)]
fn repeat_at(cs: &[char], i: usize) -> Option<(usize, Option<Option<usize>>, usize)> {
    let close = i + cs[i..].iter().position(|&c| c == '}')?;
    let inner: String = cs[i + 1..close].iter().collect();
    let num = |s: &str| -> Option<usize> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let len = close - i + 1;
    match inner.split_once(',') {
        None => Some((num(&inner)?, None, len)),
        Some((a, "")) => Some((num(a)?, Some(None), len)),
        Some((a, b)) => Some((num(a)?, Some(Some(num(b)?)), len)),
    }
}

/// The character class at `cs[i] == '['`, re-written for Rust: its text and length.
fn class_at(cs: &[char], i: usize) -> (String, usize) {
    let mut out = String::from("[");
    let mut j = i + 1;
    if cs.get(j) == Some(&'^') {
        out.push('^');
        j += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = cs.get(j) else {
            // Unterminated: pass the rest through for the loader to report.
            let raw: String = cs[i..].iter().collect();
            return (raw, cs.len() - i);
        };
        if c == ']' && !first {
            out.push(']');
            return (out, j + 1 - i);
        }
        first = false;
        if c == '[' && cs.get(j + 1) == Some(&':') {
            let rest: String = cs[j..].iter().collect();
            if let Some(p) = rest.find(":]") {
                let posix = &rest[..p + 2];
                out.push_str(posix);
                j += posix.chars().count();
                continue;
            }
        }
        let (lo, next) = class_atom(cs, j);
        if cs.get(next) == Some(&'-') && cs.get(next + 1).is_some_and(|&c| c != ']') {
            let (hi, after) = class_atom(cs, next + 1);
            out.push_str(&lo);
            out.push('-');
            out.push_str(&hi);
            j = after;
        } else {
            out.push_str(&lo);
            j = next;
        }
    }
}

/// One character (or escape) of a class: its Rust text and the index after it.
fn class_atom(cs: &[char], j: usize) -> (String, usize) {
    let c = cs[j];
    if c == '\\' {
        let (text, len) = escape_at(cs, j);
        return (text, j + len);
    }
    if "\\[]^-&~".contains(c) {
        (format!("\\{c}"), j + 1)
    } else {
        (c.to_string(), j + 1)
    }
}

// ---------------------------------------------------------------------------------------
// Path regexes → .gitignore patterns and globs

/// Equivalents of one gitleaks path regex.
#[derive(Debug, PartialEq, Eq)]
struct PathPatterns {
    /// `.gitignore` patterns, relative to the scanned root (`[scan] exclude`).
    gitignore: Vec<String>,
    /// Globs for a rule's allowlist `paths` (`*` does not cross `/`).
    globs: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// `^`: at the start of the path.
    Root,
    /// `(^|/)`: at the start of a path component.
    Component,
    /// Anywhere.
    Anywhere,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// The body ends with `/`: everything under that folder.
    Dir,
    /// `$`: at the end of the path.
    Exact,
    /// `(/|$)`: at the end of a path component.
    Component,
    /// Not anchored.
    Open,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok {
    Lit(char),
    /// `[^/]*`
    Star,
    /// `.*`
    AnyStar,
}

/// Converts a gitleaks path regex (matched unanchored against a `/`-separated relative
/// path) when it has an exact equivalent; `None` otherwise.
fn convert_path_regex(re: &str) -> Option<PathPatterns> {
    let mut body = re;
    let mut anchor = Anchor::Anywhere;
    if let Some(r) = strip_prefix_any(body, &["(?:^|/)", "(^|/)", "(?:/|^)", "(/|^)"]) {
        body = r;
        anchor = Anchor::Component;
    } else if let Some(r) = body.strip_prefix('^') {
        body = r;
        anchor = Anchor::Root;
    }
    let mut end = End::Open;
    if let Some(r) = strip_suffix_any(body, &["(?:/|$)", "(/|$)", "(?:$|/)", "($|/)"]) {
        body = r;
        end = End::Component;
    } else if let Some(r) = body.strip_suffix('$')
        && !ends_with_escape(r)
    {
        body = r;
        end = End::Exact;
    }
    let seqs = path_tokens(body)?;
    let mut gitignore = Vec::new();
    let mut globs = Vec::new();
    for seq in seqs {
        let (g, gl) = path_patterns(anchor, end, seq)?;
        gitignore.extend(g);
        globs.extend(gl);
    }
    Some(PathPatterns { gitignore, globs })
}

fn strip_prefix_any<'a>(s: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|p| s.strip_prefix(p))
}

fn strip_suffix_any<'a>(s: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    suffixes.iter().find_map(|p| s.strip_suffix(p))
}

/// Whether `s` ends with an odd number of backslashes (its next character is escaped).
fn ends_with_escape(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// The bodies a path regex stands for (one per combination of `(?:a|b)` alternatives).
fn path_tokens(body: &str) -> Option<Vec<Vec<Tok>>> {
    let cs: Vec<char> = body.chars().collect();
    let mut seqs: Vec<Vec<Tok>> = vec![Vec::new()];
    let mut i = 0;
    let starts = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| cs.get(i + k) == Some(&c))
    };
    while i < cs.len() {
        let alts: Vec<Vec<Tok>> = if starts(i, "[^/]*") {
            i += 5;
            vec![vec![Tok::Star]]
        } else if starts(i, "(.*?)") || starts(i, "(?:.*?)") {
            i += if cs[i + 1] == '?' { 7 } else { 5 };
            vec![vec![Tok::AnyStar]]
        } else if starts(i, "(.*)") || starts(i, "(?:.*)") {
            i += if cs[i + 1] == '?' { 6 } else { 4 };
            vec![vec![Tok::AnyStar]]
        } else if starts(i, ".*?") {
            i += 3;
            vec![vec![Tok::AnyStar]]
        } else if starts(i, ".*") {
            i += 2;
            vec![vec![Tok::AnyStar]]
        } else if cs[i] == '(' {
            let start = if starts(i, "(?:") {
                i + 3
            } else if cs.get(i + 1) == Some(&'?') {
                return None;
            } else {
                i + 1
            };
            let close = start + cs[start..].iter().position(|&c| c == ')')?;
            if ends_with_escape(&cs[start..close].iter().collect::<String>()) {
                return None;
            }
            let inner: String = cs[start..close].iter().collect();
            i = close + 1;
            let mut alts = Vec::new();
            for alt in inner.split('|') {
                alts.push(path_literal(alt)?);
            }
            alts
        } else if cs[i] == '\\' {
            let n = *cs.get(i + 1)?;
            i += 2;
            if !n.is_ascii_punctuation() {
                return None;
            }
            vec![vec![Tok::Lit(n)]]
        } else if is_plain_path_char(cs[i]) {
            i += 1;
            vec![vec![Tok::Lit(cs[i - 1])]]
        } else {
            return None;
        };
        if cs.get(i).is_some_and(|c| "*+?{".contains(*c)) {
            return None;
        }
        let mut next = Vec::new();
        for s in &seqs {
            for a in &alts {
                let mut x = s.clone();
                x.extend(a.iter().copied());
                next.push(x);
            }
        }
        if next.len() > MAX_PATH_EXPANSION {
            return None;
        }
        seqs = next;
    }
    for s in &seqs {
        for t in s {
            if let Tok::Lit(c) = t
                && !is_safe_path_literal(*c)
            {
                return None;
            }
        }
    }
    Some(seqs)
}

/// One alternative of a group: literal characters only.
fn path_literal(s: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let n = chars.next()?;
            if !n.is_ascii_punctuation() {
                return None;
            }
            out.push(Tok::Lit(n));
        } else if is_plain_path_char(c) {
            out.push(Tok::Lit(c));
        } else {
            return None;
        }
    }
    Some(out)
}

/// A character that a Go regex reads as itself.
fn is_plain_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/-_~@%,=:'\"".contains(c) || (!c.is_ascii() && !c.is_whitespace())
}

/// A literal that means itself in `.gitignore` patterns and globs alike.
fn is_safe_path_literal(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/-_.~@%,=:+".contains(c) || (!c.is_ascii() && !c.is_whitespace())
}

/// The `.gitignore` patterns and globs of one body; `None` when not exact.
fn path_patterns(
    mut anchor: Anchor,
    mut end: End,
    mut seq: Vec<Tok>,
) -> Option<(Vec<String>, Vec<String>)> {
    // A leading `.*` matches anything before: the body is not anchored.
    while seq.first() == Some(&Tok::AnyStar) {
        seq.remove(0);
        anchor = Anchor::Anywhere;
    }
    // `dir/.*` and `dir/.*$`: everything under `dir/`.
    if matches!(end, End::Open | End::Exact)
        && seq.len() >= 2
        && seq[seq.len() - 1] == Tok::AnyStar
        && seq[seq.len() - 2] == Tok::Lit('/')
    {
        seq.pop();
        end = End::Dir;
    }
    let ends_with_slash = seq.last() == Some(&Tok::Lit('/'));
    match end {
        End::Open if ends_with_slash => end = End::Dir,
        End::Open => return None,
        End::Dir => {}
        End::Exact | End::Component if ends_with_slash => return None,
        End::Exact | End::Component => {}
    }
    if seq.is_empty() || seq[0] == Tok::Lit('/') {
        return None;
    }
    // `.*` inside: only `/.*` followed by a last component, at the end of the path
    // (`docs/.*\.md$` is `docs/**/*.md`).
    for (k, t) in seq.iter().enumerate() {
        if *t == Tok::AnyStar {
            let after = &seq[k + 1..];
            let ok = end == End::Exact
                && k > 0
                && seq[k - 1] == Tok::Lit('/')
                && !after.is_empty()
                && after
                    .iter()
                    .all(|t| *t != Tok::AnyStar && *t != Tok::Lit('/'));
            if !ok {
                return None;
            }
        }
    }
    let body: String = seq
        .iter()
        .map(|t| match t {
            Tok::Lit(c) => c.to_string(),
            Tok::Star => "*".to_string(),
            Tok::AnyStar => "**/*".to_string(),
        })
        .collect();
    let inner_slash = body.trim_end_matches('/').contains('/');
    let (gitignore, globs) = match anchor {
        Anchor::Root => {
            let globs = match end {
                End::Dir => vec![format!("{body}**")],
                End::Exact => vec![body.clone()],
                End::Component => vec![body.clone(), format!("{body}/**")],
                End::Open => return None,
            };
            (vec![format!("/{body}")], globs)
        }
        Anchor::Component => {
            let g = if inner_slash {
                format!("**/{body}")
            } else {
                body.clone()
            };
            let globs = match end {
                End::Dir => vec![format!("**/{body}**")],
                End::Exact => vec![format!("**/{body}")],
                End::Component => vec![format!("**/{body}"), format!("**/{body}/**")],
                End::Open => return None,
            };
            (vec![g], globs)
        }
        Anchor::Anywhere => {
            if end != End::Exact || inner_slash {
                return None;
            }
            let name = if body.starts_with('*') {
                body.clone()
            } else {
                format!("*{body}")
            };
            (vec![name.clone()], vec![format!("**/{name}")])
        }
    };
    Some((gitignore, globs))
}

// ---------------------------------------------------------------------------------------
// Writing TOML

/// A TOML basic string, escaped by toml's own serializer.
fn basic(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// A regex as a TOML string: literal `'''...'''` when it can be one, else a basic string.
fn regex_str(s: &str) -> String {
    let literal_ok = !s.is_empty()
        && !s.contains("'''")
        && !s.ends_with('\'')
        && !s.chars().any(|c| c.is_control() && c != '\t');
    if literal_ok {
        format!("'''{s}'''")
    } else {
        basic(s)
    }
}

fn array(items: &[String]) -> String {
    match items.len() {
        0 => "[]".into(),
        1 => format!("[{}]", items[0]),
        _ => {
            let mut s = String::from("[\n");
            for it in items {
                let _ = writeln!(s, "  {it},");
            }
            s.push(']');
            s
        }
    }
}

/// A comment line's text: no control characters.
fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn header_comment(source_name: &str, title: Option<&Value>) -> String {
    let mut h = format!(
        "# Converted from the gitleaks configuration {} by `keysnare import gitleaks`.\n",
        comment_safe(source_name)
    );
    if let Some(Value::String(t)) = title {
        let _ = writeln!(h, "# gitleaks title: {}", comment_safe(t));
    }
    h.push_str(
        "# Review the import's warnings; docs/IMPORT.md says what is and is not converted.\n",
    );
    h
}

fn render(header: &str, exclude: &[String], drafts: &[Draft]) -> String {
    let mut out = String::from(header);
    if !header.is_empty() {
        out.push('\n');
    }
    out.push_str("[scan]\n");
    let ex: Vec<String> = exclude.iter().map(|e| basic(e)).collect();
    let _ = writeln!(out, "exclude = {}", array(&ex));
    for d in drafts {
        let _ = writeln!(out, "\n# gitleaks rule {}", comment_safe(&d.gl_id));
        out.push_str("[[rules.custom]]\n");
        let _ = writeln!(out, "id = {}", basic(&d.id));
        let _ = writeln!(out, "name = {}", basic(&d.name));
        let _ = writeln!(out, "provider = {}", basic(&d.provider));
        let _ = writeln!(out, "description = {}", basic(&d.description));
        let _ = writeln!(out, "pattern = {}", regex_str(&d.pattern));
        if !d.keywords.is_empty() {
            let k: Vec<String> = d.keywords.iter().map(|k| basic(k)).collect();
            let _ = writeln!(out, "keywords = {}", array(&k));
        }
        if d.min_entropy != 0.0 {
            let _ = writeln!(out, "min_entropy = {}", Value::Float(d.min_entropy));
        }
        out.push_str("severity = \"high\"\nconfidence = \"medium\"\nreferences = []\n");
        let mut remediation = String::from("Revoke and rotate this credential with its issuer.");
        if !d.description.is_empty() {
            remediation.push(' ');
            remediation.push_str(&d.description);
            if !d.description.ends_with(['.', '!', '?']) {
                remediation.push('.');
            }
        }
        let _ = writeln!(out, "remediation = {}", basic(&remediation));
        if !d.tags.is_empty() {
            let t: Vec<String> = d.tags.iter().map(|t| basic(t)).collect();
            let _ = writeln!(out, "tags = {}", array(&t));
        }
        if !d.allow.is_empty() {
            out.push_str("[rules.custom.allowlist]\n");
            if !d.allow.regexes.is_empty() {
                let r: Vec<String> = d.allow.regexes.iter().map(|(_, r)| regex_str(r)).collect();
                let _ = writeln!(out, "regexes = {}", array(&r));
            }
            if !d.allow.stopwords.is_empty() {
                let s: Vec<String> = d.allow.stopwords.iter().map(|s| basic(s)).collect();
                let _ = writeln!(out, "stopwords = {}", array(&s));
            }
            if !d.allow.paths.is_empty() {
                let p: Vec<String> = d.allow.paths.iter().map(|p| basic(p)).collect();
                let _ = writeln!(out, "paths = {}", array(&p));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use keysnare_matcher::Matcher;

    use super::*;
    use crate::config::Config;

    /// A realistic gitleaks configuration written for these tests (no real token formats).
    const GITLEAKS: &str = r#"
title = "Acme gitleaks configuration"

[extend]
useDefault = true

[allowlist]
description = "global allow list"
paths = [
  '''(^|/)vendor/''',
  '''\.min\.js$''',
  '''^docs/.*\.md$''',
  '''node_modules''',
]
stopwords = ["notreal"]

[[rules]]
id = "acme_session_token"
description = "Acme session token"
regex = '''(acme_session)\s{0,3}=\s{0,3}"([0-9A-Za-z]{32})"'''
secretGroup = 2
tags = ["Acme"]

[[rules]]
id = "Widget_Token"
description = "Widget service token"
regex = '''widget_tok_[0-9a-f]+'''
keywords = ["widget_tok_"]
entropy = 3.0
tags = ["Widget", "token"]

[[rules]]
id = "pem-file"
description = "A private key file"
path = '''\.pem$'''

[[rules]]
id = "gizmo-key"
description = "Gizmo key (written with a look-ahead)"
regex = '''gizmo_(?=[a-z])([a-z0-9]{24})'''
keywords = ["gizmo_"]

[[rules]]
id = "quoted-blob"
description = "Quoted blob (written with a backreference)"
regex = '''blob_key\s*=\s*(['"])([a-z]{16})\1'''
keywords = ["blob_key"]

[[rules]]
id = "zorg.secret"
description = "Zorg secret"
regex = '''zorg_secret\s*[:=]\s*"(?P<val>[A-Za-z0-9]{20,})"'''
keywords = ["zorg_secret"]

  [[rules.allowlists]]
  description = "test values"
  regexes = ['''TESTONLY''']
  stopwords = ["sample"]
  paths = ['''(^|/)fixtures/''']

  [[rules.allowlists]]
  regexTarget = "match"
  regexes = ['''zorg_secret\s*=\s*"local''']

  [[rules.allowlists]]
  commits = ["0123456789abcdef0123456789abcdef01234567"]

  [[rules.allowlists]]
  condition = "AND"
  regexes = ['''^A''']
  paths = ['''(^|/)tmp/''']

[[rules]]
id = "generic-api-key"
  [rules.allowlist]
  stopwords = ["ourcompany"]
"#;

    fn imported() -> Imported {
        import_gitleaks(".gitleaks.toml", GITLEAKS).unwrap()
    }

    fn hex_like(n: usize) -> String {
        "0123456789abcdefABCDEFghijklmnopqrstuvwxyz"
            .chars()
            .cycle()
            .take(n)
            .collect()
    }

    /// (rule id, secret) of every match in `text`.
    fn scan(set: &Arc<RuleSet>, text: &str) -> Vec<(String, String)> {
        let mut m = Matcher::new(Arc::clone(set));
        let mut found = Vec::new();
        m.scan(text.as_bytes(), &mut found);
        found
            .iter()
            .map(|x| {
                (
                    set.rule(x.rule).id.clone(),
                    text[x.secret.range()].to_string(),
                )
            })
            .collect()
    }

    fn warned(imp: &Imported, all: &[&str]) -> bool {
        imp.warnings
            .iter()
            .any(|w| all.iter().all(|needle| w.contains(needle)))
    }

    #[test]
    fn realistic_config_loads_as_configuration_and_rules() {
        let imp = imported();
        let cfg = Config::parse(Path::new(".keysnare.toml"), imp.toml.clone())
            .unwrap_or_else(|e| panic!("{e}\n{}", imp.toml));
        assert_eq!(
            cfg.exclude,
            vec!["vendor/", "*.min.js", "/docs/**/*.md"],
            "{}",
            imp.toml
        );
        assert!(cfg.has_custom_rules);
        let set = RuleSet::load(&[Source::config(".keysnare.toml", imp.toml.clone())])
            .unwrap_or_else(|e| panic!("{e}\n{}", imp.toml));
        let ids: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "gitleaks.acme-session-token",
                "gitleaks.widget-token",
                "gitleaks.zorg.secret"
            ]
        );
        assert_eq!(imp.rules, 3);
        let widget = set.rule(1);
        assert_eq!(widget.provider, "Widget");
        assert_eq!(widget.name, "Widget service token");
        assert_eq!(widget.keywords, vec![b"widget_tok_".to_vec()]);
        assert!((widget.min_entropy - 3.0).abs() < 1e-6);
        assert!(widget.remediation.starts_with("Revoke and rotate"));
        assert_eq!(set.rule(0).provider, "Acme");
        assert_eq!(
            set.rule(2).provider,
            "custom",
            "no tags: the provider is `custom`"
        );
        // Both with the built-in pack: no id clashes.
        let mut sources = Source::default_pack();
        sources.push(Source::config(".keysnare.toml", imp.toml.clone()));
        RuleSet::load(&sources).unwrap();
    }

    #[test]
    fn converted_rules_match_constructed_lines() {
        let set = Arc::new(RuleSet::load(&[Source::config("imported", imported().toml)]).unwrap());
        // secretGroup = 2: the secret is the value, not the key name.
        let session = hex_like(32);
        let found = scan(&set, &format!("acme_session = \"{session}\"\n"));
        assert_eq!(
            found,
            vec![("gitleaks.acme-session-token".to_string(), session)]
        );

        // No group: the whole match is the secret; `+` was bounded.
        let widget = format!("widget_tok_{}", "0123456789abcdef");
        let found = scan(&set, &format!("token: {widget}\n"));
        assert_eq!(found, vec![("gitleaks.widget-token".to_string(), widget)]);
        // Below the entropy threshold.
        assert!(scan(&set, "token: widget_tok_010101010101010101010101\n").is_empty());

        // Named group renamed to `secret`; `{20,}` bounded.
        let zorg = format!("Zq{}", hex_like(24));
        let found = scan(&set, &format!("zorg_secret = \"{zorg}\"\n"));
        assert_eq!(found, vec![("gitleaks.zorg.secret".to_string(), zorg)]);
        // The rule's allowlist: regex, stop-word; the global stop-word.
        for dropped in [
            format!("Zq{}TESTONLY", hex_like(20)),
            format!("Sample{}", hex_like(20)),
            format!("Zq{}notreal", hex_like(20)),
        ] {
            assert!(
                scan(&set, &format!("zorg_secret = \"{dropped}\"\n")).is_empty(),
                "{dropped} is allowlisted"
            );
        }
        // The rule's allowlist path, as a glob.
        let zorg_rule = set.rule(set.position("gitleaks.zorg.secret").unwrap());
        assert!(zorg_rule.allows_path(Path::new("fixtures/a.txt")));
        assert!(zorg_rule.allows_path(Path::new("src/fixtures/deep/a.txt")));
        assert!(!zorg_rule.allows_path(Path::new("src/myfixtures/a.txt")));
        // The AND allowlist was skipped, so its regex does not drop anything.
        let starts_with_a = format!("A{}", hex_like(22));
        assert_eq!(
            scan(&set, &format!("zorg_secret = \"{starts_with_a}\"\n")).len(),
            1
        );
    }

    #[test]
    fn skipped_things_are_warned_with_their_ids() {
        let imp = imported();
        let all = imp.warnings.join("\n");
        assert!(warned(&imp, &["pem-file", "path-only"]), "{all}");
        assert!(warned(&imp, &["gizmo-key", "look-around"]), "{all}");
        assert!(warned(&imp, &["quoted-blob", "backreference"]), "{all}");
        assert!(warned(&imp, &["generic-api-key", "built-in pack"]), "{all}");
        assert!(warned(&imp, &["[extend]", "built-in pack"]), "{all}");
        assert!(warned(&imp, &["node_modules", "not converted"]), "{all}");
        assert!(
            warned(&imp, &["zorg.secret", "regexTarget = \"match\""]),
            "{all}"
        );
        assert!(warned(&imp, &["zorg.secret", "commits"]), "{all}");
        assert!(
            warned(&imp, &["zorg.secret", "condition = \"AND\""]),
            "{all}"
        );
        assert!(warned(&imp, &["Widget_Token", "bounded"]), "{all}");
        assert!(warned(&imp, &["zorg.secret", "bounded"]), "{all}");
        assert!(
            !warned(&imp, &["acme_session_token"]),
            "a rule converted exactly has no warning: {all}"
        );
        // Skipped rules are not in the output.
        assert!(!imp.toml.contains("gizmo"), "{}", imp.toml);
        assert!(!imp.toml.contains("pem-file"), "{}", imp.toml);
    }

    #[test]
    fn invalid_toml_is_an_error_naming_the_file_and_line() {
        let e = import_gitleaks("team/.gitleaks.toml", "title = \"x\"\n[[rules]\nid = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("team/.gitleaks.toml:2"), "{e}");
        let e = import_gitleaks("g.toml", "rules = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("g.toml:") && e.contains("[[rules]]"), "{e}");
    }

    #[test]
    fn empty_config_gives_an_empty_loadable_file() {
        let imp = import_gitleaks("g.toml", "").unwrap();
        assert_eq!(imp.rules, 0);
        assert!(imp.warnings.is_empty());
        Config::parse(Path::new("c.toml"), imp.toml.clone()).unwrap();
        assert!(imp.toml.contains("exclude = []"), "{}", imp.toml);
    }

    #[test]
    fn ids_fit_keysnare_syntax_and_stay_unique() {
        assert_eq!(keysnare_id("Widget_Token"), "gitleaks.widget-token");
        assert_eq!(keysnare_id("aws.key"), "gitleaks.aws.key");
        assert_eq!(keysnare_id("--Foo__Bar..baz!"), "gitleaks.foo-bar.baz");
        assert_eq!(keysnare_id("ünï"), "gitleaks.n");
        assert_eq!(keysnare_id("__"), "gitleaks.rule");
        let cfg = r#"
[[rules]]
id = "dup_key"
regex = '''dupkey_([a-z]{8})'''
[[rules]]
id = "dup-key"
regex = '''dupkey_([a-z]{8})'''
"#;
        let imp = import_gitleaks("g.toml", cfg).unwrap();
        assert_eq!(imp.rules, 2, "{:?}", imp.warnings);
        assert!(imp.toml.contains("\"gitleaks.dup-key-2\""), "{}", imp.toml);
    }

    #[test]
    fn secret_group_is_renamed_and_checked() {
        let c = convert_regex(r"(a)(?P<secret>b)(?:c)(?<d>e)", Some(REPEAT_BOUND), Some(3));
        assert_eq!(c.out, r"(a)(?P<gitleaks_secret>b)(?:c)(?P<secret>e)");
        assert_eq!(c.groups, 3);
        let imp = import_gitleaks(
            "g.toml",
            "[[rules]]\nid = \"two\"\nregex = '''two_(a)([a-z]{8})'''\nsecretGroup = 3\n",
        )
        .unwrap();
        assert_eq!(imp.rules, 0);
        assert!(
            warned(&imp, &["two", "secretGroup = 3"]),
            "{:?}",
            imp.warnings
        );
    }

    #[test]
    fn go_syntax_is_rewritten_for_the_rust_engine() {
        let conv = |s: &str| convert_regex(s, Some(256), None).out;
        assert_eq!(conv(r"a*b+c?"), r"a{0,256}b{1,256}c?");
        assert_eq!(conv(r"a*?b+?"), r"a{0,256}?b{1,256}?");
        assert_eq!(conv(r"a{2,}b{3}c{1,4}"), r"a{2,256}b{3}c{1,4}");
        assert_eq!(conv(r"a{300,}"), r"a{300,300}");
        assert_eq!(conv(r"x{,3}y{z}"), r"x\{,3\}y\{z\}");
        assert_eq!(conv(r"\<tag\>"), r"<tag>");
        assert_eq!(conv(r"\Qa.b*\E+"), r"a\.b\*{1,256}");
        assert_eq!(conv(r"[a-z&&~]"), r"[a-z\&\&\~]");
        assert_eq!(conv(r"[[:alpha:][]"), r"[[:alpha:]\[]");
        assert_eq!(conv(r"[]a-]"), r"[\]a\-]");
        assert_eq!(conv(r"[^\w.\-]"), r"[^\w.\-]");
        assert_eq!(conv(r"[+--]"), r"[+-\-]");
        assert_eq!(conv(r"\x41\x{42}\pL"), r"\x41\x{42}\pL");
        let unbounded = convert_regex(r"a*", None, None);
        assert_eq!(unbounded.out, "a*");
        assert!(!unbounded.replaced);
        // Every rewritten form is accepted by keysnare's loader.
        for p in [
            r"[a-z\&\&\~]",
            r"[[:alpha:]\[]",
            r"[\]a\-]",
            r"[+-\-]",
            r"x\{,3\}",
        ] {
            probe_allowlist_regex(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        }
    }

    #[test]
    fn nested_repetitions_fall_back_to_smaller_bounds() {
        let cfg = "[[rules]]\nid = \"deep\"\nregex = '''deep_((?:[a-z0-9]+\\.)+[a-z]+)'''\n";
        let imp = import_gitleaks("g.toml", cfg).unwrap();
        assert_eq!(imp.rules, 1, "{:?}", imp.warnings);
        assert!(warned(&imp, &["deep", "at most 64"]), "{:?}", imp.warnings);
    }

    #[test]
    fn path_regexes_convert_only_when_exact() {
        let conv = |s: &str| convert_path_regex(s).map(|p| (p.gitignore, p.globs));
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            conv(r"(^|/)vendor/"),
            Some((v(&["vendor/"]), v(&["**/vendor/**"])))
        );
        assert_eq!(
            conv(r"(?:^|/)vendor/"),
            Some((v(&["vendor/"]), v(&["**/vendor/**"])))
        );
        assert_eq!(
            conv(r"\.min\.js$"),
            Some((v(&["*.min.js"]), v(&["**/*.min.js"])))
        );
        assert_eq!(
            conv(r"^third_party/"),
            Some((v(&["/third_party/"]), v(&["third_party/**"])))
        );
        assert_eq!(
            conv(r"(^|/)a/b\.txt$"),
            Some((v(&["**/a/b.txt"]), v(&["**/a/b.txt"])))
        );
        assert_eq!(
            conv(r"(?:^|/)build(?:/|$)"),
            Some((v(&["build"]), v(&["**/build", "**/build/**"])))
        );
        assert_eq!(
            conv(r"\.(?:png|jpg)$"),
            Some((v(&["*.png", "*.jpg"]), v(&["**/*.png", "**/*.jpg"])))
        );
        assert_eq!(
            conv(r"(.*?)(pdf|zip)$"),
            Some((v(&["*pdf", "*zip"]), v(&["**/*pdf", "**/*zip"])))
        );
        assert_eq!(conv(r"^docs/.*$"), Some((v(&["/docs/"]), v(&["docs/**"]))));
        assert_eq!(
            conv(r"(^|/)gen/[^/]*\.go$"),
            Some((v(&["**/gen/*.go"]), v(&["**/gen/*.go"])))
        );
        for inexact in [
            "node_modules",
            r"vendor/",
            r"(^|/)vendor",
            r"(?i)\.png$",
            r"gitleaks.toml",
            r"go\.(mod|sum)",
            r"\.jpe?g$",
            r"a/.*/b$",
            r"docs/x\.md$",
            r"\*\.txt$",
            r"^$",
            r"^/abs$",
        ] {
            assert_eq!(conv(inexact), None, "{inexact}");
        }
    }

    #[test]
    fn regexes_are_written_as_valid_toml_strings() {
        for s in [
            r"plain\d{3}",
            "has'''triple",
            "ends with quote'",
            "tab\tand\nnewline",
            r#"quote " and back\slash"#,
        ] {
            let doc = format!("x = {}\n", regex_str(s));
            let t: Table = toml::from_str(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(t["x"].as_str(), Some(s), "{doc}");
        }
        assert_eq!(regex_str(r"a\d"), r"'''a\d'''");
        let imp = import_gitleaks(
            "g.toml",
            "[[rules]]\nid = \"q\"\nregex = \"quo_'''([a-z]{8})\"\n",
        )
        .unwrap();
        assert_eq!(imp.rules, 1, "{:?}", imp.warnings);
        Config::parse(Path::new("c.toml"), imp.toml).unwrap();
    }

    #[test]
    fn global_allowlists_with_target_rules_and_bad_regexes() {
        let cfg = r#"
[[rules]]
id = "one"
regex = '''one_([a-z0-9]{12})'''
[[rules]]
id = "two"
regex = '''two_([a-z0-9]{12})'''

[[allowlists]]
targetRules = ["two", "not-here"]
paths = ['''(^|/)testdata/''']
regexes = ['''(?=x)''', '''^zzz''']
commits = ["abc"]
"#;
        let imp = import_gitleaks("g.toml", cfg).unwrap();
        assert_eq!(imp.rules, 2);
        let set = RuleSet::load(&[Source::config("c", imp.toml.clone())]).unwrap();
        assert!(set.rule(1).allows_path(Path::new("a/testdata/x")));
        assert!(!set.rule(0).allows_path(Path::new("a/testdata/x")));
        assert!(imp.toml.contains("exclude = []"), "{}", imp.toml);
        assert!(warned(&imp, &["not-here"]), "{:?}", imp.warnings);
        assert!(
            warned(&imp, &["two", "(?=x)", "look-around"]),
            "{:?}",
            imp.warnings
        );
        assert!(
            warned(&imp, &["global allowlist 1", "commits"]),
            "{:?}",
            imp.warnings
        );
        assert!(set.rule(1).allows_secret(b"zzz123456789"));
    }

    #[test]
    fn single_kind_and_condition_is_converted() {
        let cfg = r#"
[[rules]]
id = "and-one"
regex = '''andone_([a-z0-9]{12})'''
  [[rules.allowlists]]
  condition = "AND"
  stopwords = ["fake"]
"#;
        let imp = import_gitleaks("g.toml", cfg).unwrap();
        assert!(imp.warnings.is_empty(), "{:?}", imp.warnings);
        assert!(imp.toml.contains("stopwords = [\"fake\"]"), "{}", imp.toml);
    }
}
