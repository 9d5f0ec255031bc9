//! Detection quality on realistic files: one test per generic credential family (each
//! finds exactly its planted secrets, at the right rule, path and line, and nothing on the
//! file's other lines) and one test per false-positive defence (the file's look-alikes are
//! not reported, while one real-looking secret in the same case is).
//!
//! Cases live in `fixtures/quality/<families|defences>/<case>/`: every file there ending in
//! `.tmpl` is a template, written to a temporary tree at the same relative path without the
//! suffix (`dotenv/.env.tmpl` becomes `.env`). Templates hold no secrets: markers stand for
//! values generated at run time, so the repository scans itself clean.
//!
//! Markers (`@@...@@`):
//! - `@@pw:LEN:SEED@@`: a password (letters, digits and `!*+-_.`, at least one of each kind);
//! - `@@alnum:LEN:SEED@@`, `@@hex:LEN:SEED@@`, `@@b64:LEN:SEED@@`, `@@b64url:LEN:SEED@@`,
//!   `@@lower:LEN:SEED@@`, `@@upper:LEN:SEED@@`, `@@crypt:LEN:SEED@@` (`./A-Za-z0-9`),
//!   `@@salt:LEN:SEED@@` (WordPress salt characters), `@@djsk:LEN:SEED@@` (Django's): random strings of that alphabet;
//! - `@@b32:LEN:SEED@@`: upper-case letters and digits 2-7; `@@uuid:0:SEED@@`: a UUID v4;
//! - `@@basic:USER:SEED@@`: base64 of `USER:` and a password, as Docker and npm store them;
//! - `@@AKIA@@`, `@@AWS_DOC_ID@@` / `@@AWS_DOC_SECRET@@`, `@@AWS_DOC_ID2@@` /
//!   `@@AWS_DOC_SECRET2@@`: a token prefix and AWS's published documentation key pairs,
//!   assembled from pieces so no source file holds them whole.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::*;

const PW_SYMBOLS: &str = "!*+-_.";
const CRYPT: &str = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const SALT: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%&()*+,-.:;<=>?@[]^_`{|}~";
const DJANGO: &str = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
const UPPER_ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/quality")
}

/// A password of `len` characters: random letters, digits and a few symbols, with at least
/// one upper-case letter, lower-case letter, digit and symbol.
fn password(len: usize, seed: u64) -> String {
    let alphabet = format!("{ALNUM}{PW_SYMBOLS}");
    let mut s = fake(&alphabet, len - 4, seed);
    s.insert_str(len / 3, &fake(PW_SYMBOLS, 1, seed + 1));
    s.insert_str(len / 2, &fake("ABCDEFGHJKLMNPQRSTUVWXYZ", 1, seed + 2));
    s.insert_str(len / 4, &fake("23456789", 1, seed + 3));
    s.push_str(&fake("abcdefghijkmnopqrstuvwxyz", 1, seed + 4));
    s
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The value a marker's body (`kind:len:seed`, without the `@@`) stands for.
fn marker_value(body: &str) -> String {
    match body {
        "AKIA" => return ["AK", "IA"].concat(),
        "AWS_DOC_ID" => return [["AK", "IA"].concat().as_str(), "IOSFODNN7", "EXAMPLE"].concat(),
        "AWS_DOC_SECRET" => {
            return ["wJalrXUtnFEMI", "/K7MDENG/", "bPxRfiCY", "EXAMPLE", "KEY"].concat();
        }
        "AWS_DOC_ID2" => return [["AK", "IA"].concat().as_str(), "I44QH8DHB", "EXAMPLE"].concat(),
        "AWS_DOC_SECRET2" => {
            return ["je7MtGbClwBF", "/2Zp9Utk/", "h3yCo8nvb", "EXAMPLE", "KEY"].concat();
        }
        _ => {}
    }
    let parts: Vec<&str> = body.split(':').collect();
    assert_eq!(parts.len(), 3, "marker @@{body}@@: kind:len:seed");
    let seed: u64 = parts[2].parse().expect("marker seed");
    if parts[0] == "uuid" {
        let h = fake(LOWER_HEX, 32, seed);
        return format!(
            "{}-{}-4{}-a{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..]
        );
    }
    if parts[0] == "basic" {
        let pair = format!("{}:{}", parts[1], password(16, seed));
        return base64(pair.as_bytes());
    }
    let len: usize = parts[1].parse().expect("marker length");
    let alphabet = match parts[0] {
        "pw" => return password(len, seed),
        "alnum" => ALNUM,
        "hex" => LOWER_HEX,
        "b64" => BASE64,
        "b64url" => BASE64URL,
        "lower" => LOWER_ALNUM,
        "upper" => UPPER_ALNUM,
        "b32" => UPPER_DIGITS,
        "crypt" => CRYPT,
        "salt" => SALT,
        "djsk" => DJANGO,
        other => panic!("unknown marker kind {other:?} in @@{body}@@"),
    };
    fake(alphabet, len, seed)
}

/// Replaces every marker of `text`; the markers met and their values.
fn render(text: &str, values: &mut BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(mut start) = rest.find("@@") {
        // `name@@@hex:40:1@@`: a literal `@` right before a marker.
        while rest[start + 2..].starts_with('@') {
            start += 1;
        }
        let Some(len) = rest[start + 2..].find("@@") else {
            break;
        };
        let body = &rest[start + 2..start + 2 + len];
        let marker = format!("@@{body}@@");
        let value = values
            .entry(marker)
            .or_insert_with(|| marker_value(body))
            .clone();
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &rest[start + 4 + len..];
    }
    out.push_str(rest);
    out
}

/// One template of a case: its path in the rendered tree and its text.
struct Template {
    rel: String,
    text: String,
}

fn templates(case: &str) -> Vec<Template> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<Template>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Some(rel) = p
                .strip_prefix(root)
                .expect("under root")
                .to_str()
                .and_then(|r| r.strip_suffix(".tmpl"))
            {
                out.push(Template {
                    rel: rel.to_string(),
                    text: std::fs::read_to_string(&p).expect("template is UTF-8"),
                });
            }
        }
    }
    let root = fixtures().join(case);
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    assert!(!out.is_empty(), "no templates in {}", root.display());
    out
}

/// An expected finding: its rule, and the marker whose value the secret holds (the secret
/// starts on the marker's line).
struct Expect {
    rule: &'static str,
    marker: &'static str,
}

fn ex(rule: &'static str, marker: &'static str) -> Expect {
    Expect { rule, marker }
}

/// A reported location: rule, path, line, secret, confidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    rule: String,
    path: String,
    line: u64,
    secret: String,
}

type Confidences = BTreeMap<(String, String), String>;

fn scan(dir: &Path, confidence: Option<&str>) -> (Vec<Found>, Confidences) {
    let mut cmd = keysnare();
    cmd.current_dir(dir).args([
        "scan",
        "--no-git",
        ".",
        "--format",
        "json",
        "--show-secrets",
        "--progress",
        "never",
    ]);
    if let Some(c) = confidence {
        cmd.args(["--confidence", c]);
    }
    let out = cmd.output().expect("run keysnare");
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "exit {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out.stdout);
    assert_eq!(doc["summary"]["errors"], 0, "{doc:#}");
    let mut found = Vec::new();
    let mut confidence_of = BTreeMap::new();
    for f in doc["findings"].as_array().expect("findings") {
        let rule = f["rule_id"].as_str().expect("rule_id").to_string();
        // Confidence is a finding's own: a strong value raises a generic rule's.
        confidence_of.insert(
            (
                rule.clone(),
                f["secret"].as_str().expect("secret").to_string(),
            ),
            f["confidence"].as_str().expect("confidence").to_string(),
        );
        for l in f["locations"].as_array().expect("locations") {
            found.push(Found {
                rule: rule.clone(),
                path: l["path"].as_str().expect("path").to_string(),
                line: l["line"].as_u64().expect("line"),
                secret: f["secret"].as_str().expect("secret").to_string(),
            });
        }
    }
    found.sort();
    (found, confidence_of)
}

fn show(found: &[Found]) -> String {
    found
        .iter()
        .map(|f| format!("  {} {}:{} {:?}\n", f.rule, f.path, f.line, f.secret))
        .collect()
}

/// Renders `case`, scans it at `--confidence low` and checks that exactly `expected` is
/// found (rule, path, line; the secret holds the marker's value); then scans it at the
/// default confidence and checks that exactly the expected findings of medium or high
/// confidence are reported.
fn check(case: &str, expected: &[Expect]) {
    let tree = Tree::new();
    let mut values = BTreeMap::new();
    let templates = templates(case);
    for t in &templates {
        tree.write(&t.rel, render(&t.text, &mut values));
    }
    let mut want = Vec::new();
    for e in expected {
        let value = values
            .get(e.marker)
            .unwrap_or_else(|| panic!("{case}: marker {} is in no template", e.marker));
        let anchor = e.marker;
        let (path, line) = templates
            .iter()
            .find_map(|t| {
                t.text
                    .lines()
                    .position(|l| l.contains(anchor))
                    .map(|i| (t.rel.clone(), i as u64 + 1))
            })
            .unwrap_or_else(|| panic!("{case}: {anchor} is in no template"));
        want.push((e.rule.to_string(), path, line, value.clone()));
    }
    want.sort();

    let (found, confidence_of) = scan(tree.path(), Some("low"));
    let got: Vec<_> = found
        .iter()
        .map(|f| (f.rule.clone(), f.path.clone(), f.line))
        .collect();
    let want_places: Vec<_> = want
        .iter()
        .map(|(r, p, l, _)| (r.clone(), p.clone(), *l))
        .collect();
    assert_eq!(
        got,
        want_places,
        "{case} at --confidence low: found\n{}",
        show(&found)
    );
    for (f, (_, _, _, value)) in found.iter().zip(&want) {
        assert!(
            f.secret.contains(value.as_str()),
            "{case}: {} at {}:{} reported {:?}, which does not hold the planted {:?}",
            f.rule,
            f.path,
            f.line,
            f.secret,
            value
        );
    }

    let (found_default, _) = scan(tree.path(), None);
    let want_default: Vec<_> = found
        .iter()
        .filter(|f| {
            confidence_of
                .get(&(f.rule.clone(), f.secret.clone()))
                .map(String::as_str)
                != Some("low")
        })
        .cloned()
        .collect();
    assert_eq!(
        found_default,
        want_default,
        "{case} at the default confidence: found\n{}",
        show(&found_default)
    );
}

// ---------------------------------------------------------------------------------------
// The templates themselves

/// Every template, unrendered, scans clean even at `--confidence low`: the repository's own
/// scan never reports the fixtures, and markers are not mistaken for secrets.
#[test]
fn templates_scan_clean_at_low_confidence() {
    let (found, _) = scan(&fixtures(), Some("low"));
    assert!(
        found.is_empty(),
        "fixtures/quality reports:\n{}",
        show(&found)
    );
}

#[test]
fn markers_render_deterministically() {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    let text = "x=@@pw:16:1@@ y=@@hex:32:2@@ z=@@pw:16:1@@ d=@@basic:deploy:3@@";
    let one = render(text, &mut a);
    assert_eq!(one, render(text, &mut b));
    assert!(!one.contains("@@"));
    let pw = &a["@@pw:16:1@@"];
    assert_eq!(pw.len(), 16);
    assert!(pw.chars().any(|c| c.is_ascii_digit()));
    assert!(pw.chars().any(|c| c.is_ascii_uppercase()));
    assert!(pw.chars().any(|c| c.is_ascii_lowercase()));
}

// ---------------------------------------------------------------------------------------
// Generic credential families

#[test]
fn family_dotenv() {
    check(
        "families/dotenv",
        &[
            ex("generic.assigned-config", "@@pw:18:11@@"),
            ex("generic.assigned-quoted", "@@pw:20:12@@"),
            ex("generic.assigned-config", "@@alnum:32:13@@"),
            ex("generic.assigned-quoted", "@@hex:40:14@@"),
        ],
    );
}

#[test]
fn family_shell_exports() {
    check(
        "families/shell",
        &[
            ex("generic.assigned-quoted", "@@pw:16:21@@"),
            ex("generic.assigned-quoted", "@@alnum:40:22@@"),
        ],
    );
}

#[test]
fn family_yaml() {
    check(
        "families/yaml",
        &[
            ex("generic.assigned-config", "@@pw:18:31@@"),
            ex("generic.assigned-quoted", "@@pw:16:32@@"),
            ex("generic.assigned-quoted", "@@alnum:40:33@@"),
            ex("generic.assigned-config", "@@b64url:43:34@@"),
        ],
    );
}

#[test]
fn family_json() {
    check(
        "families/json",
        &[
            ex("generic.assigned-quoted", "@@pw:18:42@@"),
            ex("generic.assigned-quoted", "@@alnum:32:43@@"),
            ex("generic.assigned-quoted", "@@b64:40:44@@"),
        ],
    );
}

#[test]
fn family_toml() {
    check(
        "families/toml",
        &[
            ex("generic.assigned-quoted", "@@pw:16:51@@"),
            ex("generic.assigned-quoted", "@@hex:48:52@@"),
            ex("generic.assigned-quoted", "@@alnum:36:53@@"),
        ],
    );
}

#[test]
fn family_ini() {
    check(
        "families/ini",
        &[
            ex("generic.assigned-config", "@@pw:16:61@@"),
            ex("generic.assigned-quoted", "@@pw:16:62@@"),
            ex("generic.assigned-config", "@@b64url:43:63@@"),
            // A `.my.cnf` is read by its parser, which wins over the scored rule.
            ex("store.my-cnf", "@@pw:14:64@@"),
        ],
    );
}

#[test]
fn family_java_properties() {
    check(
        "families/properties",
        &[
            ex("generic.assigned-config", "@@pw:16:71@@"),
            ex("generic.assigned-config", "@@pw:16:72@@"),
            ex("generic.assigned-config", "@@alnum:39:73@@"),
            ex("generic.assigned-config", "@@b64:64:74@@"),
        ],
    );
}

#[test]
fn family_xml_elements() {
    check(
        "families/xml-elements",
        &[
            ex("store.maven-settings", "@@pw:16:81@@"),
            ex("store.maven-settings", "@@pw:20:82@@"),
            ex("generic.assigned-xml", "@@hex:40:83@@"),
        ],
    );
}

#[test]
fn family_xml_attributes_and_name_value_pairs() {
    check(
        "families/xml-attributes",
        &[
            ex("generic.connection-string-password", "@@pw:16:91@@"),
            ex("generic.assigned-name-value", "@@pw:16:92@@"),
            ex("generic.assigned-name-value", "@@alnum:32:90@@"),
            ex("generic.assigned-quoted", "@@pw:16:94@@"),
        ],
    );
}

#[test]
fn family_jetbrains_server_config() {
    check(
        "families/jetbrains",
        &[ex("client.jetbrains", "@@pw:16:101@@")],
    );
}

#[test]
fn family_winscp_ini() {
    check(
        "families/winscp",
        &[ex("client.winscp", "@@upper:56:111@@")],
    );
}

#[test]
fn family_vscode_sftp_json() {
    check(
        "families/vscode",
        &[ex("client.sftp-config", "@@pw:16:121@@")],
    );
}

#[test]
fn family_filezilla() {
    check(
        "families/filezilla",
        &[
            ex("generic.filezilla-password", "@@b64:24:131@@"),
            ex("generic.filezilla-password", "@@b64:24:132@@"),
        ],
    );
}

#[test]
fn family_source_code_strings() {
    check(
        "families/code",
        &[
            // A Python dict entry is also JSON, and `name = "value"` at the start of a line
            // is also TOML: the longer line-anchored match of those rules is reported.
            ex("generic.assigned-quoted", "@@pw:16:141@@"),
            ex("generic.assigned-quoted", "@@pw:18:142@@"),
            ex("generic.assigned-quoted", "@@alnum:40:143@@"),
            ex("generic.assigned-quoted", "@@alnum:48:151@@"),
            ex("generic.assigned-quoted", "@@hex:32:152@@"),
            ex("generic.assigned-quoted", "@@pw:16:153@@"),
            ex("generic.assigned-quoted", "@@pw:16:161@@"),
            ex("generic.assigned-quoted", "@@alnum:40:162@@"),
            ex("generic.assigned-quoted", "@@pw:16:171@@"),
            ex("generic.assigned-quoted", "@@b64url:40:172@@"),
        ],
    );
}

#[test]
fn family_command_lines() {
    check(
        "families/cli",
        &[
            ex("auth.mysql-cli-password", "@@pw:14:181@@"),
            ex("auth.docker-login-password", "@@pw:20:182@@"),
            ex("auth.sshpass-password", "@@pw:16:183@@"),
            ex("generic.command-flag", "@@alnum:32:184@@"),
            ex("auth.curl-user", "@@pw:16:185@@"),
            ex("generic.command-prefix-env", "@@pw:16:186@@"),
        ],
    );
}

#[test]
fn family_urls_and_dsns() {
    check(
        "families/urls",
        &[
            ex("urls.postgres-password", "@@alnum:20:191@@"),
            ex("urls.redis-password", "@@alnum:24:192@@"),
            ex("urls.amqp-password", "@@alnum:18:193@@"),
            ex("urls.mongodb-password", "@@alnum:22:194@@"),
            ex("urls.mysql-password", "@@alnum:16:195@@"),
        ],
    );
}

#[test]
fn family_git_credentials() {
    check(
        "families/git-credentials",
        &[
            ex("urls.http-basic-auth", "@@alnum:32:201@@"),
            ex("urls.http-basic-auth", "@@pw:20:202@@"),
        ],
    );
}

#[test]
fn family_netrc() {
    check(
        "families/netrc",
        &[
            ex("generic.netrc-password", "@@pw:16:211@@"),
            ex("generic.netrc-password", "@@pw:16:212@@"),
        ],
    );
}

#[test]
fn family_pgpass() {
    check(
        "families/pgpass",
        &[
            ex("generic.pgpass-password", "@@pw:18:221@@"),
            ex("generic.pgpass-password", "@@pw:16:222@@"),
        ],
    );
}

#[test]
fn family_npmrc() {
    check(
        "families/npmrc",
        &[
            ex("npm.npmrc-auth", "@@b64url:36:231@@"),
            ex("npm.npmrc-auth", "@@basic:ci-bot:232@@"),
        ],
    );
}

#[test]
fn family_docker_config_auths() {
    check(
        "families/docker-config",
        &[ex("docker.config-auth", "@@basic:ci-bot:241@@")],
    );
}

#[test]
fn family_htpasswd() {
    check(
        "families/htpasswd",
        &[
            ex("generic.htpasswd-hash", "@@crypt:53:251@@"),
            ex("generic.htpasswd-hash", "@@crypt:22:253@@"),
        ],
    );
}

#[test]
fn family_etc_shadow() {
    check(
        "families/shadow",
        &[
            ex("generic.crypt-password-hash", "@@crypt:86:262@@"),
            ex("generic.crypt-password-hash", "@@crypt:43:264@@"),
        ],
    );
}

#[test]
fn family_rails_secrets() {
    check(
        "families/rails",
        &[
            ex("generic.rails-secret-key-base", "@@hex:128:271@@"),
            ex("generic.rails-master-key", "@@hex:32:273@@"),
        ],
    );
}

/// `config/master.key` holds the bare 32 hex digits that decrypt `credentials.yml.enc`:
/// no keyword names it; a file rule reads it by its path.
#[test]
fn family_rails_master_key_file() {
    check(
        "families/rails-master-key",
        &[ex("generic.rails-master-key-file", "@@hex:32:272@@")],
    );
}

#[test]
fn family_django_secret_key() {
    check(
        "families/django",
        &[ex("generic.django-secret-key", "@@djsk:50:281@@")],
    );
}

#[test]
fn family_wordpress_config() {
    check(
        "families/wordpress",
        &[
            ex("generic.wordpress-db-password", "@@pw:16:291@@"),
            ex("generic.wordpress-salt", "@@salt:64:292@@"),
            ex("generic.wordpress-salt", "@@salt:64:293@@"),
            ex("generic.wordpress-salt", "@@salt:64:294@@"),
            ex("generic.wordpress-salt", "@@salt:64:295@@"),
            ex("generic.wordpress-salt", "@@salt:64:296@@"),
            ex("generic.wordpress-salt", "@@salt:64:297@@"),
            ex("generic.wordpress-salt", "@@salt:64:298@@"),
            ex("generic.wordpress-salt", "@@salt:64:299@@"),
        ],
    );
}

#[test]
fn family_java_keystore_passwords() {
    check(
        "families/keystore",
        &[
            ex("generic.keystore-password", "@@pw:16:301@@"),
            ex("generic.keystore-password", "@@pw:16:302@@"),
            ex("generic.keystore-password", "@@pw:16:303@@"),
            ex("generic.keystore-password", "@@pw:16:304@@"),
        ],
    );
}

#[test]
fn family_putty_private_key() {
    check(
        "families/putty",
        &[ex("client.putty-key", "@@b64:44:313@@")],
    );
}

// ---------------------------------------------------------------------------------------
// False-positive defences: each case's look-alikes are not reported (at `--confidence
// low`), and the one real-looking secret planted next to them is.

#[test]
fn defence_placeholders_and_references() {
    check(
        "defences/placeholders",
        &[ex("generic.assigned-config", "@@pw:16:1001@@")],
    );
}

#[test]
fn defence_words_and_identifiers() {
    check(
        "defences/words",
        &[ex("generic.assigned-quoted", "@@alnum:40:1101@@")],
    );
}

#[test]
fn defence_lock_file_hashes_and_checksums() {
    check(
        "defences/lockfiles",
        &[ex("npm.npmrc-auth", "@@b64url:36:1215@@")],
    );
}

#[test]
fn defence_uuids() {
    check(
        "defences/uuids",
        &[ex("generic.assigned-quoted", "@@pw:16:1307@@")],
    );
}

#[test]
fn defence_git_commit_shas() {
    check(
        "defences/git-shas",
        &[ex("generic.assigned-config", "@@alnum:40:1404@@")],
    );
}

#[test]
fn defence_version_strings() {
    check(
        "defences/versions",
        &[ex("generic.assigned-config", "@@alnum:32:1501@@")],
    );
}

#[test]
fn defence_base64_images_and_fonts() {
    check(
        "defences/data-uris",
        &[ex("generic.assigned-quoted", "@@alnum:39:1607@@")],
    );
}

#[test]
fn defence_minified_bundle() {
    check(
        "defences/minified",
        &[ex("generic.assigned-quoted", "@@alnum:40:1801@@")],
    );
}

#[test]
fn defence_provider_documentation_examples() {
    check(
        "defences/aws-docs",
        &[
            ex("aws.access-key-id", "@@b32:16:1701@@"),
            ex("aws.secret-access-key.paired", "@@b64:40:1702@@"),
        ],
    );
}
