//! The fixture tree: secrets of many kinds in many file types, with exact rule ids, paths,
//! lines and columns; and the same tree without its secrets, which must scan clean.
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::util::*;

const DIGITS: &str = "0123456789";
const B64URL_BODY: &str = BASE64URL;

/// One planted secret: rule, generated value.
struct Plant {
    rule: &'static str,
    secret: String,
}

fn plants() -> Vec<Plant> {
    let p = |rule, secret: String| Plant { rule, secret };
    vec![
        p("aws.access-key-id", aws_key_id(100)),
        p("github.pat.classic", github_token(101)),
        p(
            "github.pat.fine-grained",
            format!(
                "{}{}_{}",
                "github_pat_",
                fake(ALNUM, 22, 102),
                fake(ALNUM, 59, 103)
            ),
        ),
        p(
            "gitlab.pat",
            format!("{}{}", "glpat-", fake(ALNUM, 20, 104)),
        ),
        p(
            "slack.token.bot",
            format!(
                "{}{}-{}-{}",
                "xoxb-",
                fake(DIGITS, 11, 105),
                fake(DIGITS, 12, 106),
                fake(ALNUM, 24, 107)
            ),
        ),
        p(
            "slack.webhook.incoming",
            format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                fake(UPPER_DIGITS, 9, 108),
                fake(UPPER_DIGITS, 9, 109),
                fake(ALNUM, 24, 110)
            ),
        ),
        p(
            "stripe.secret-key.live",
            format!("{}{}", "sk_li", "ve_").to_string() + &fake(ALNUM, 24, 111),
        ),
        p(
            "stripe.webhook-secret",
            format!("{}{}", "whsec_", fake(ALNUM, 32, 112)),
        ),
        p(
            "google.api-key",
            format!("{}{}", "AI", "za").to_string() + &fake(B64URL_BODY, 35, 113),
        ),
        p(
            "openai.api-key.project",
            format!("{}{}", "sk-proj-", fake(ALNUM, 48, 114)),
        ),
        p(
            "anthropic.api-key",
            format!("{}{}", "sk-ant-api03-", fake(ALNUM, 95, 115)),
        ),
        p(
            "huggingface.token.user",
            format!("{}{}", "hf_", fake(ALNUM, 34, 116)),
        ),
        p(
            "sendgrid.api-key",
            format!("SG.{}.{}", fake(ALNUM, 22, 117), fake(ALNUM, 43, 118)),
        ),
        p(
            "shopify.access-token",
            format!("{}{}", "shpat_", fake(LOWER_HEX, 32, 119)),
        ),
        p(
            "mailchimp.api-key",
            format!("{}-us12", fake(LOWER_HEX, 32, 120)),
        ),
        p(
            "telegram.bot-token",
            format!("{}:{}", fake(DIGITS, 10, 121), fake(ALNUM, 35, 122)),
        ),
        p(
            "newrelic.user-key",
            format!("{}{}", "NRAK-", fake(UPPER_DIGITS, 27, 123)),
        ),
        p(
            "sentry.user-token",
            format!("{}{}", "sntryu_", fake(LOWER_HEX, 64, 124)),
        ),
        p("datadog.api-key", fake(LOWER_HEX, 32, 125)),
        p(
            "square.access-token",
            format!("{}{}", "EA", "AA").to_string() + &fake(ALNUM, 60, 126),
        ),
    ]
}

/// A file of the fixture: its path and lines, with `{N}` standing for plant N.
struct Spec {
    path: PathBuf,
    lines: Vec<&'static str>,
    crlf: bool,
}

fn specs() -> Vec<Spec> {
    let s = |path: &str, lines: Vec<&'static str>| Spec {
        path: path.into(),
        lines,
        crlf: false,
    };
    let mut v = vec![
        s(
            ".env",
            vec![
                "# local settings",
                "AWS_ACCESS_KEY_ID={0}",
                "DD_API_KEY={18}",
                "DEBUG=true",
            ],
        ),
        s(
            "deploy/config.yml",
            vec![
                "services:",
                "  ci:",
                "    github_token: {1}",
                "    slack_bot: \"{4}\"",
                "  alerts:",
                "    webhook: {5}",
            ],
        ),
        s(
            "app/settings.json",
            vec![
                "{",
                "  \"gitlab\": {\"token\": \"{3}\"},",
                "  \"stripe\": {\"secret\": \"{6}\", \"webhook\": \"{7}\"},",
                "  \"name\": \"demo\"",
                "}",
            ],
        ),
        s(
            "src/client.py",
            vec![
                "import os",
                "",
                "OPENAI_KEY = \"{9}\"",
                "client = Anthropic(api_key='{10}')",
                "HF = os.environ.get('HF_TOKEN', '{11}')",
            ],
        ),
        s(
            "web/app.js",
            vec![
                "const sg = require('@sendgrid/mail');",
                "sg.setApiKey('{12}');",
                "const gh = '{2}';",
                "export const maps = { key: \"{8}\" };",
            ],
        ),
        s(
            "conf/beans.xml",
            vec![
                "<?xml version=\"1.0\"?>",
                "<beans>",
                "  <property name=\"shopifyToken\" value=\"{13}\"/>",
                "  <mailchimp apiKey=\"{14}\"/>",
                "</beans>",
            ],
        ),
        s(
            "conf/app.properties",
            vec![
                "app.name=demo",
                "telegram.bot.token={15}",
                "newrelic.key = {16}",
            ],
        ),
    ];
    v.push(Spec {
        path: "windows/notes.txt".into(),
        lines: vec!["first line", "sentry: {17}", "square = {19}"],
        crlf: true,
    });
    v
}

pub struct Built {
    pub tree: Tree,
    /// (rule, path, line, column)
    pub expected: BTreeSet<(String, String, u64, u64)>,
}

pub fn build(with_secrets: bool) -> Built {
    let plants = plants();
    let tree = Tree::new();
    let mut expected = BTreeSet::new();
    for spec in specs() {
        let mut text = String::new();
        for (i, line) in spec.lines.iter().enumerate() {
            let mut line = line.to_string();
            for (n, p) in plants.iter().enumerate() {
                let key = format!("{{{n}}}");
                if let Some(col) = line.find(&key) {
                    let value = if with_secrets { p.secret.as_str() } else { "" };
                    line = line.replace(&key, value);
                    expected.insert((
                        p.rule.to_string(),
                        spec.path.display().to_string(),
                        i as u64 + 1,
                        col as u64 + 1,
                    ));
                }
            }
            text.push_str(&line);
            text.push_str(if spec.crlf { "\r\n" } else { "\n" });
        }
        tree.write(&spec.path, text);
    }
    // A binary file with a key inside, between NULs and invalid UTF-8.
    let key = aws_key_id(200);
    let mut bin = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00".to_vec();
    if with_secrets {
        bin.extend_from_slice(key.as_bytes());
        // Line 3 starts after "\x1a\n": "\x00\x00\x00" is 3 chars, the lone "\r" 1,
        // "IHDR" 4, the invalid "\xff" and "\xfe" one each, "\x00" 1: column 12.
        expected.insert(("aws.access-key-id".into(), "assets/logo.png".into(), 3, 12));
    }
    bin.extend_from_slice(b"\x00\x00\x01\x02IEND");
    tree.write("assets/logo.png", bin);
    // A file whose name is not UTF-8.
    let name = OsStr::from_bytes(b"caf\xe9.env");
    let gh = github_token(201);
    if with_secrets {
        tree.write(name, format!("TOKEN={gh}\n"));
        expected.insert(("github.pat.classic".into(), "caf\u{fffd}.env".into(), 1, 7));
    } else {
        tree.write(name, "TOKEN=\n");
    }
    Built { tree, expected }
}

fn scan_json(t: &Tree) -> (i32, serde_json::Value) {
    let out = keysnare()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    (out.status.code().unwrap(), json(&out.stdout))
}

#[test]
fn fixture_tree_findings_are_exact() {
    let built = build(true);
    let (code, doc) = scan_json(&built.tree);
    assert_eq!(code, 1);
    let mut got = BTreeSet::new();
    for f in doc["findings"].as_array().unwrap() {
        for l in f["locations"].as_array().unwrap() {
            got.insert((
                f["rule_id"].as_str().unwrap().to_string(),
                l["path"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
            ));
        }
    }
    let kinds: BTreeSet<&String> = built.expected.iter().map(|e| &e.0).collect();
    assert!(kinds.len() >= 20, "only {} rule kinds planted", kinds.len());
    let missing: Vec<_> = built.expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&built.expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
}

#[test]
fn fixture_tree_without_secrets_is_clean() {
    let built = build(false);
    let (code, doc) = scan_json(&built.tree);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0, "{doc:#}");
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["files"], 10);
}

#[test]
fn end_positions_and_crlf() {
    let built = build(true);
    let (_, doc) = scan_json(&built.tree);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "square.access-token")
        .unwrap();
    assert_eq!(f["path"], "windows/notes.txt");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(3), Some(10))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(3), Some(10 + 64))
    );
    assert!(!f["line_text"].as_str().unwrap().contains('\r'));
}
