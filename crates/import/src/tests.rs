use std::path::Path;

use std::sync::Arc;

use keysnare_matcher::Matcher;

use super::*;

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
    gitleaks(".gitleaks.toml", GITLEAKS).unwrap()
}

/// `[scan] exclude` of a converted configuration.
fn exclude(text: &str) -> Vec<String> {
    let t: Table = toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    t["scan"]["exclude"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
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
        .map(ToString::to_string)
        .any(|w| all.iter().all(|needle| w.contains(needle)))
}

fn shown(imp: &Imported) -> String {
    imp.warnings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn realistic_config_loads_as_configuration_and_rules() {
    let imp = imported();
    assert_eq!(
        exclude(&imp.toml),
        vec!["vendor/", "*.min.js", "/docs/**/*.md", "*node_modules*"],
        "{}",
        imp.toml
    );
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
    let all = shown(&imp);
    assert!(warned(&imp, &["pem-file", "path-only"]), "{all}");
    assert!(warned(&imp, &["gizmo-key", "look-around"]), "{all}");
    assert!(warned(&imp, &["quoted-blob", "backreference"]), "{all}");
    assert!(warned(&imp, &["generic-api-key", "built-in pack"]), "{all}");
    assert!(warned(&imp, &["[extend]", "built-in pack"]), "{all}");
    assert!(!warned(&imp, &["node_modules"]), "{all}");
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
    let e = gitleaks("team/.gitleaks.toml", "title = \"x\"\n[[rules]\nid = 1\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("team/.gitleaks.toml:2"), "{e}");
    let e = gitleaks("g.toml", "rules = 3\n").unwrap_err().to_string();
    assert!(e.starts_with("g.toml:") && e.contains("[[rules]]"), "{e}");
}

#[test]
fn empty_config_gives_an_empty_loadable_file() {
    let imp = gitleaks("g.toml", "").unwrap();
    assert_eq!(imp.rules, 0);
    assert!(imp.warnings.is_empty());
    load(&imp.toml).unwrap();
    assert!(exclude(&imp.toml).is_empty(), "{}", imp.toml);
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
    let imp = gitleaks("g.toml", cfg).unwrap();
    assert_eq!(imp.rules, 2, "{:?}", imp.warnings);
    assert!(imp.toml.contains("\"gitleaks.dup-key-2\""), "{}", imp.toml);
}

#[test]
fn nested_repetitions_fall_back_to_smaller_bounds() {
    let cfg = "[[rules]]\nid = \"deep\"\nregex = '''deep_((?:[a-z0-9]+\\.)+[a-z]+)'''\n";
    let imp = gitleaks("g.toml", cfg).unwrap();
    assert_eq!(imp.rules, 1, "{:?}", imp.warnings);
    assert!(
        warned(&imp, &["deep", "(at most 64)"]),
        "{:?}",
        imp.warnings
    );
}

#[test]
fn regexes_are_written_as_valid_toml_strings() {
    let imp = gitleaks(
        "g.toml",
        "[[rules]]\nid = \"q\"\nregex = \"quo_'''([a-z]{8})\"\n",
    )
    .unwrap();
    assert_eq!(imp.rules, 1, "{:?}", imp.warnings);
    load(&imp.toml).unwrap();
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
    let imp = gitleaks("g.toml", cfg).unwrap();
    assert_eq!(imp.rules, 2);
    let set = RuleSet::load(&[Source::config("c", imp.toml.clone())]).unwrap();
    assert!(set.rule(1).allows_path(Path::new("a/testdata/x")));
    assert!(!set.rule(0).allows_path(Path::new("a/testdata/x")));
    assert!(exclude(&imp.toml).is_empty(), "{}", imp.toml);
    assert!(warned(&imp, &["not-here"]), "{:?}", imp.warnings);
    assert!(
        warned(&imp, &["global allowlist 1", "(?=x)", "look-around"]),
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
    let imp = gitleaks("g.toml", cfg).unwrap();
    assert!(imp.warnings.is_empty(), "{:?}", imp.warnings);
    assert!(imp.toml.contains("stopwords = [\"fake\"]"), "{}", imp.toml);
}

/// Rule files are user input: odd regexes, paths and values are warnings, never panics.
#[test]
fn hostile_configurations_are_warnings() {
    let odd = [
        "",
        "(",
        ")",
        "[",
        "\\",
        "\\Q",
        "{",
        "a{",
        "[[",
        "[a&&",
        "(?P<secret>",
        "é{2,}",
        "(?i)",
        "\\b{start}",
        "[^\\n]*",
        "(a|b|c){1000}",
        "x{99999999999}",
    ];
    for re in odd {
        let re = Value::String(re.to_string()).to_string();
        for secret_group in ["", "secretGroup = 9\n"] {
            let cfg = format!(
                "[[rules]]\nid = \"odd\"\nregex = {re}\n{secret_group}[allowlist]\npaths = [{re}]\nregexes = [{re}]\n"
            );
            let imp = gitleaks("g.toml", &cfg).unwrap();
            load(&imp.toml).unwrap();
        }
    }
    let deep = Value::String(format!("{}a{}", "(".repeat(5000), ")".repeat(5000))).to_string();
    let imp = gitleaks(
        "g.toml",
        &format!("[[rules]]\nid = \"deep\"\nregex = {deep}\n"),
    )
    .unwrap();
    assert_eq!(imp.rules, 0);
    assert!(warned(&imp, &["deep", "skipped"]), "{}", shown(&imp));
}

#[test]
fn without_secret_group_each_alternatives_group_holds_the_secret() {
    // gitleaks takes the first group that matched something, else the whole match.
    let config = r#"
[[rules]]
id = "acme-key"
description = "Acme key, in a setting or alone"
regex = '''acme_key\s{0,3}=\s{0,3}"([a-z0-9]{24})"|\b(ACMEK[A-Z0-9]{20})\b'''
keywords = ["acme_key", "acmek"]

[[rules]]
id = "zeta-token"
description = "Zeta token, with or without its setting"
regex = '''zeta_token=([a-z]{16})|\bztk_[0-9]{12}\b'''
keywords = ["zeta_token", "ztk_"]
secretGroup = 0
"#;
    let imp = gitleaks("gitleaks.toml", config).unwrap();
    assert!(imp.warnings.is_empty(), "{}", shown(&imp));
    let set = Arc::new(RuleSet::load(&[Source::config("imported", imp.toml.clone())]).unwrap());
    let acme = set.rule(set.position("gitleaks.acme-key").unwrap());
    assert_eq!(acme.secret_groups.len(), 2, "{}", imp.toml);

    let setting = hex_like(24).to_ascii_lowercase();
    let alone = format!("ACMEK{}", hex_like(20).to_ascii_uppercase());
    let text = format!("acme_key = \"{setting}\"\nkey: {alone}\n");
    assert_eq!(
        scan(&set, &text),
        [
            ("gitleaks.acme-key".to_string(), setting),
            ("gitleaks.acme-key".to_string(), alone)
        ]
    );
    // An alternative without a group: the whole match.
    let value = "qwhvkzmptrxnbjcy";
    let token = format!("ztk_{}", "582039174628");
    let text = format!("zeta_token={value}\n{token}\n");
    assert_eq!(
        scan(&set, &text),
        [
            ("gitleaks.zeta-token".to_string(), value.to_string()),
            ("gitleaks.zeta-token".to_string(), token)
        ]
    );
}
