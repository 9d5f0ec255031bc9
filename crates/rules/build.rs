//! Embeds the default rule pack (`rules/*.toml` at the workspace root) into the crate, and
//! with it the pack already parsed and analysed: start-up then parses no TOML and no regex
//! (the pre-commit hook's budget is a few tens of milliseconds). The parsing and analysis
//! are the crate's own modules, compiled into this script too, so both paths run the same
//! code; a file that does not load here is left to the run-time loader, which reports its
//! problems as for any rule file.
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

#[allow(dead_code)]
#[path = "src/encoded.rs"]
mod encoded;
#[allow(dead_code)]
#[path = "src/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "src/fields.rs"]
mod fields;
#[allow(dead_code)]
#[path = "src/file.rs"]
mod file;
#[allow(dead_code)]
#[path = "src/index.rs"]
mod index;
#[allow(dead_code)]
#[path = "src/keywords.rs"]
mod keywords;
#[allow(dead_code)]
#[path = "src/rule.rs"]
mod rule;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = manifest.join("../../rules");
    println!("cargo::rerun-if-changed={}", dir.display());
    // The pack is the point of this crate: a missing or empty `rules/` fails the build
    // rather than embedding no rules.
    let mut files: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) => panic!("cannot read the rule pack at {}: {e}", dir.display()),
    };
    if files.is_empty() {
        panic!("the rule pack at {} holds no .toml file", dir.display());
    }
    files.sort();
    let mut out = String::from("/// The default rule pack: `(file name, contents)`.\n");
    out.push_str("pub static DEFAULT_RULE_FILES: &[(&str, &str)] = &[\n");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let copies = out_dir.join("rules");
    fs::create_dir_all(&copies).expect("create rule copies folder");
    let mut prebuilt = Vec::new();
    let mut ids = std::collections::HashSet::new();
    let mut duplicate = false;
    for f in &files {
        println!("cargo::rerun-if-changed={}", f.display());
        let name = f.file_name().expect("file").to_string_lossy().into_owned();
        // The text embedded is the text analysed: a copy read once, so that the two can
        // never differ (even when the file changes during the build).
        let text = fs::read_to_string(f)
            .unwrap_or_else(|e| panic!("cannot read rule file {}: {e}", f.display()));
        let copy = copies.join(&name);
        fs::write(&copy, &text).expect("write rule file copy");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            copy.display().to_string()
        )
        .unwrap();
        let rules = analyse(&format!("default:{name}"), &text);
        for r in rules.iter().flatten() {
            duplicate |= !ids.insert(r.id.clone());
        }
        prebuilt.push(rules);
    }
    out.push_str("];\n\n");
    out.push_str(
        "/// The same files parsed and analysed at build time, `None` for a file that did not load.\n",
    );
    out.push_str("pub(crate) static PREBUILT: &[Option<&[crate::prebuilt::Prebuilt]>] = &[\n");
    for rules in &prebuilt {
        match rules {
            Some(rules) if !duplicate => {
                out.push_str("    Some(&[\n");
                for r in rules {
                    out.push_str("        ");
                    fields::emit_prebuilt(r, &mut out);
                    out.push_str(",\n");
                }
                out.push_str("    ]),\n");
            }
            _ => out.push_str("    None,\n"),
        }
    }
    out.push_str("];\n\n");
    out.push_str(
        "/// The keyword index of the whole pack, `None` when a file did not load at build time.\n",
    );
    out.push_str("pub(crate) static INDEX: Option<crate::index::Index> = ");
    if duplicate || prebuilt.iter().any(Option::is_none) {
        out.push_str("None;\n");
    } else {
        let rules: Vec<&rule::Rule> = prebuilt.iter().flatten().flatten().collect();
        let index = index::Index::build(rules.iter().map(|r| {
            let fragments = r.fragments.iter().map(|(e, f)| (f.as_slice(), e.bit()));
            (r.keywords.as_slice(), fragments.collect())
        }));
        let bytes = out_dir.join("index_patterns.bin");
        fs::write(&bytes, &index.bytes[..]).expect("write index patterns");
        out.push_str("Some(");
        index.emit(&bytes.display().to_string(), &mut out);
        out.push_str(");\n");
    }
    let dest = out_dir.join("default_rules.rs");
    fs::write(dest, out).expect("write generated file");
}

/// The file's rules, or `None` when any of them does not load.
fn analyse(name: &str, text: &str) -> Option<Vec<rule::Rule>> {
    let raws = file::parse(name, text, false).ok()?;
    raws.into_iter()
        .map(|(line, raw)| {
            let origin = rule::Origin {
                file: name.to_string(),
                line,
            };
            rule::compile(raw, origin, true).ok()
        })
        .collect()
}
