//! The converted configuration as TOML, built as a `toml_edit` document: the library
//! chooses how each string is quoted, and comments go in the tables' decoration.
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, Value, value};

use crate::Draft;

/// A comment line's text: no control characters.
fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The comment at the top of the output.
pub(crate) fn header(source_name: &str, title: Option<&str>) -> String {
    let mut h = format!(
        "# Converted from the gitleaks configuration {} by `keysnare import gitleaks`.\n",
        comment_safe(source_name)
    );
    if let Some(t) = title {
        h.push_str(&format!("# gitleaks title: {}\n", comment_safe(t)));
    }
    h.push_str(
        "# Review the import's warnings; docs/IMPORT.md says what is and is not converted.\n",
    );
    h
}

fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Array {
    let mut a: Array = items.into_iter().map(|s| Value::from(s.as_str())).collect();
    if a.len() > 1 {
        for v in a.iter_mut() {
            v.decor_mut().set_prefix("\n  ");
        }
        a.set_trailing(",\n");
        a.set_trailing_comma(false);
    }
    a
}

/// The configuration: `[scan] exclude`, then one `[[rules.custom]]` per rule.
pub(crate) fn render(header: &str, exclude: &[String], drafts: &[Draft]) -> String {
    let mut doc = DocumentMut::new();
    let mut scan = Table::new();
    scan.insert("exclude", value(strings(exclude)));
    if !header.is_empty() {
        scan.decor_mut().set_prefix(format!("{header}\n"));
    }
    doc.insert("scan", Item::Table(scan));

    let mut custom = ArrayOfTables::new();
    for d in drafts {
        custom.push(rule_table(d));
    }
    if !custom.is_empty() {
        let mut rules = Table::new();
        rules.set_implicit(true);
        rules.insert("custom", Item::ArrayOfTables(custom));
        doc.insert("rules", Item::Table(rules));
    }
    doc.to_string()
}

fn rule_table(d: &Draft) -> Table {
    let mut t = Table::new();
    t.decor_mut()
        .set_prefix(format!("\n# gitleaks rule {}\n", comment_safe(&d.gl_id)));
    t.insert("id", value(&d.id));
    t.insert("name", value(&d.name));
    t.insert("provider", value(&d.provider));
    t.insert("description", value(&d.description));
    t.insert("pattern", value(&d.pattern));
    if !d.keywords.is_empty() {
        t.insert("keywords", value(strings(&d.keywords)));
    }
    if d.min_entropy != 0.0 {
        t.insert("min_entropy", value(d.min_entropy));
    }
    t.insert("severity", value(d.severity));
    t.insert("confidence", value("medium"));
    t.insert("references", value(Array::new()));
    let mut remediation = String::from("Revoke and rotate this credential with its issuer.");
    if !d.description.is_empty() {
        remediation.push(' ');
        remediation.push_str(&d.description);
        if !d.description.ends_with(['.', '!', '?']) {
            remediation.push('.');
        }
    }
    t.insert("remediation", value(remediation));
    if !d.tags.is_empty() {
        t.insert("tags", value(strings(&d.tags)));
    }
    if !d.allow.is_empty() {
        let mut al = Table::new();
        if !d.allow.regexes.is_empty() {
            al.insert(
                "regexes",
                value(strings(d.allow.regexes.iter().map(|(_, r)| r))),
            );
        }
        if !d.allow.matches.is_empty() {
            al.insert(
                "matches",
                value(strings(d.allow.matches.iter().map(|(_, r)| r))),
            );
        }
        if !d.allow.stopwords.is_empty() {
            al.insert("stopwords", value(strings(&d.allow.stopwords)));
        }
        if !d.allow.paths.is_empty() {
            al.insert("paths", value(strings(&d.allow.paths)));
        }
        t.insert("allowlist", Item::Table(al));
    }
    t
}
