//! The context scorer: decides whether a value assigned to a credential-like key is a
//! credential, from the key's name, the value's shape, the file's kind and the words around
//! it, rather than from entropy alone.
//!
//! A scored rule (`scored = true`) captures the key (`(?P<key>...)`) and the value
//! (`(?P<secret>...)`); every candidate gets a [`Score`]: a sum of weighted reasons, each
//! one a fact a reader can check ("key names a password", "value is a dictionary word"),
//! mapped to a confidence by [`confidence_of`]. A candidate below the lowest threshold is no
//! finding. The weights are set by hand from what the reasons mean; the thresholds were
//! chosen on one half of a labeled corpus of real repositories and checked on the other
//! (`benches/RESULTS.md`).

use keysnare_types::{Confidence, Score};

use crate::filters;

/// Scores at or above these are high, medium and low confidence; below low, no finding.
pub const HIGH: f32 = 5.0;
/// See [`HIGH`].
pub const MEDIUM: f32 = 3.0;
/// See [`HIGH`].
pub const LOW: f32 = 1.5;

/// The confidence of a score, or `None` below [`LOW`].
pub fn confidence_of(score: f32) -> Option<Confidence> {
    if score >= HIGH {
        Some(Confidence::High)
    } else if score >= MEDIUM {
        Some(Confidence::Medium)
    } else if score >= LOW {
        Some(Confidence::Low)
    } else {
        None
    }
}

/// What `[rules.lower]` takes off a scored rule's candidate: about one confidence level.
pub const LOWER_WEIGHT: f32 = 2.0;

/// The score a confidence level starts at.
fn threshold(c: Confidence) -> f32 {
    match c {
        Confidence::High => HIGH,
        Confidence::Medium => MEDIUM,
        Confidence::Low => LOW,
    }
}

/// One confidence level lower (low stays low).
pub(crate) fn lower(c: Confidence) -> Confidence {
    match c {
        Confidence::High => Confidence::Medium,
        Confidence::Medium | Confidence::Low => Confidence::Low,
    }
}

/// The reasons of a pattern rule's match that `[rules.lower]` lowered from `from` to `to`:
/// the pattern's own level, then the reason with what it took off.
pub(crate) fn lowered_score(from: Confidence, to: Confidence, reason: &str) -> Score {
    let (base, value) = (threshold(from), threshold(to));
    Score {
        value,
        reasons: vec![
            ("the rule's pattern matched".to_string(), base),
            (reason.to_string(), value - base),
        ],
    }
}

/// What kind of file an input is, from its path: it moves a candidate's score a little.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Configuration and deployment files (`.env`, YAML, INI, properties, compose files).
    Config,
    /// Tests, fixtures and mocks.
    Test,
    /// Documentation and examples (`.md`, `.rst`, `docs/`, `examples/`).
    Docs,
    /// Anything else: source code, or unknown.
    Source,
}

impl FileKind {
    /// The kind of the file at `path` (`/`-separated).
    pub fn of(path: &[u8]) -> FileKind {
        let lower = path.to_ascii_lowercase();
        let name = lower.rsplit(|&b| b == b'/').next().unwrap_or(&lower);
        let parts: Vec<&[u8]> = lower.split(|&b| b == b'/').collect();
        let dir_has = |words: &[&[u8]]| {
            parts[..parts.len().saturating_sub(1)]
                .iter()
                .any(|p| words.contains(p))
        };
        let ext = name
            .iter()
            .rposition(|&b| b == b'.')
            .map_or(&b""[..], |i| &name[i + 1..]);
        if dir_has(&[
            b"test",
            b"tests",
            b"spec",
            b"specs",
            b"fixtures",
            b"fixture",
            b"testdata",
            b"__tests__",
            b"mocks",
            b"__mocks__",
        ]) || name.starts_with(b"test_")
            || contains(name, b"_test.")
            || contains(name, b".test.")
            || contains(name, b".spec.")
            || contains(name, b"_spec.")
        {
            return FileKind::Test;
        }
        if matches!(ext, b"md" | b"rst" | b"adoc" | b"txt" | b"html" | b"ipynb")
            || dir_has(&[
                b"docs",
                b"doc",
                b"examples",
                b"example",
                b"samples",
                b"sample",
            ])
        {
            return FileKind::Docs;
        }
        if name.starts_with(b".env")
            || name.ends_with(b".env")
            || matches!(
                ext,
                b"yml"
                    | b"yaml"
                    | b"ini"
                    | b"cfg"
                    | b"conf"
                    | b"cnf"
                    | b"properties"
                    | b"toml"
                    | b"config"
                    | b"tfvars"
                    | b"env"
            )
            || name.starts_with(b"dockerfile")
        {
            return FileKind::Config;
        }
        FileKind::Source
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// What a key names, from its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Password,
    Secret,
    Token,
    Key,
}

/// Words of a key that name a credential, and what they name.
fn credential_word(word: &str) -> Option<KeyKind> {
    Some(match word {
        "password" | "passwd" | "passwort" | "pwd" | "pass" | "passphrase" | "pw" | "pword"
        | "passw" | "passcode" | "pswd" | "psw" => KeyKind::Password,
        "secret" | "secrets" | "credential" | "credentials" | "creds" | "cred" | "privatekey" => {
            KeyKind::Secret
        }
        "token" | "tokens" | "apikey" | "auth" | "authorization" | "bearer" | "accesskey"
        | "oauth" | "sessionkey" | "signingkey" | "masterkey" | "encryptionkey" => KeyKind::Token,
        "key" | "keys" => KeyKind::Key,
        _ => return None,
    })
}

/// Words that, after a credential word, make the key name something about the credential
/// (its length, its field, where it is kept) rather than the credential.
const ABOUT_WORDS: &[&str] = &[
    "field",
    "fields",
    "label",
    "name",
    "names",
    "type",
    "types",
    "len",
    "length",
    "min",
    "max",
    "minimum",
    "maximum",
    "policy",
    "policies",
    "hint",
    "prompt",
    "placeholder",
    "regex",
    "pattern",
    "format",
    "header",
    "headers",
    "param",
    "params",
    "parameter",
    "url",
    "uri",
    "urls",
    "endpoint",
    "path",
    "paths",
    "file",
    "filename",
    "files",
    "dir",
    "directory",
    "id",
    "ids",
    "count",
    "size",
    "timeout",
    "ttl",
    "expiry",
    "expires",
    "expire",
    "expiration",
    "expired",
    "enabled",
    "enable",
    "disabled",
    "required",
    "mode",
    "strategy",
    "class",
    "kind",
    "reset",
    "confirm",
    "confirmation",
    "forgot",
    "hash",
    "hashed",
    "hasher",
    "digest",
    "validator",
    "validation",
    "validate",
    "error",
    "errors",
    "message",
    "msg",
    "text",
    "title",
    "description",
    "desc",
    "help",
    "input",
    "form",
    "column",
    "attr",
    "attribute",
    "prop",
    "property",
    "index",
    "ref",
    "reference",
    "env",
    "var",
    "variable",
    "source",
    "store",
    "provider",
    "service",
    "manager",
    "generator",
    "strength",
    "complexity",
    "rules",
    "visible",
    "visibility",
    "show",
    "hide",
    "mask",
    "toggle",
    "icon",
    "button",
    "link",
    "page",
    "view",
    "template",
    "component",
    "handler",
    "callback",
    "event",
    "method",
    "function",
    "module",
    "version",
    "location",
    "position",
    "pos",
    "prefix",
    "suffix",
    "char",
    "chars",
    "hint",
    "storage",
    "cache",
    "lifetime",
    "duration",
    "interval",
    "valid",
    "invalid",
    "changed",
    "updated",
    "created",
    "at",
    "date",
    "time",
    "status",
    "state",
    "check",
    "checker",
    "verify",
    "verifier",
    "encoder",
    "decoder",
    "type",
    "algorithm",
    "algo",
    "bits",
    "block",
    "list",
    "map",
    "set",
    "table",
    "pair",
    "pairs",
    "id",
    "arn",
    "selector",
    "ref",
    "schema",
    "scope",
    "scopes",
    "sid",
    "sids",
    "sha",
    "md5",
    "checksum",
    "fingerprint",
    "uuid",
    "guid",
    "field",
    "bucket",
    "region",
    "zone",
    "host",
    "hostname",
    "port",
    "user",
    "username",
    "login",
    "email",
    "account",
    "owner",
    "encryption",
    "encrypt",
    "encrypted",
    "cipher",
    "filter",
    "filters",
    "limit",
    "ratelimit",
    "rate",
    "policy",
    "sha1",
    "sha2",
    "sha256",
    "sha512",
    "salt",
];

/// Last words of a key that still name the credential itself (`tokenValue`, `secret_b64`).
const TRAILING_VALUE_WORDS: &[&str] = &[
    "value",
    "val",
    "str",
    "string",
    "plain",
    "plaintext",
    "raw",
    "data",
    "b64",
    "base64",
    "hex",
    "literal",
    "bytes",
    "default",
    "prod",
    "production",
    "dev",
    "test",
    "staging",
    "live",
    "local",
];

/// Words anywhere in a key that make it name text shown to people, or a hash.
const UI_WORDS: &[&str] = &[
    "label",
    "title",
    "mandatory",
    "forgot",
    "invalid",
    "tooltip",
    "message",
    "msg",
    "hint",
    "placeholder",
    "error",
    "confirm",
    "repeat",
    "reset",
    "advice",
    "show",
    "remove",
    "enter",
    "sha",
    "sha1",
    "sha2",
    "sha256",
    "sha512",
    "md5",
    "hash",
    "hashed",
    "digest",
    "bcrypt",
    "crypt",
    "caption",
    "description",
    "tmpl",
    "template",
];

/// Words anywhere in a key that make it name something public or not secret.
const PUBLIC_WORDS: &[&str] = &[
    "public",
    "publickey",
    "publishable",
    "pub",
    "primary",
    "foreign",
    "sort",
    "partition",
    "cache",
    "idempotency",
    "hot",
    "hotkey",
    "keyboard",
    "keystroke",
    "keycode",
    "keydown",
    "keyup",
    "keypress",
    "lookup",
    "context",
    "start",
    "end",
    "next",
    "prev",
    "previous",
    "last",
    "first",
    "row",
    "dict",
    "map",
];

/// Words that programmers use for made-up values.
const MADE_UP: &[&str] = &[
    "foo",
    "bar",
    "baz",
    "qux",
    "quux",
    "foobar",
    "foobaz",
    "hello",
    "world",
    "helloworld",
    "test",
    "testing",
    "tester",
    "demo",
    "admin",
    "root",
    "user",
    "guest",
    "pass",
    "abc",
    "abcd",
    "xyz",
    "asdf",
    "qwerty",
    "letmein",
    "secret",
    "mysecret",
    "supersecret",
    "pwd",
    "passwd",
    "changeit",
    "default",
    "sample",
    "lorem",
    "ipsum",
    "todo",
    "fixme",
    "tbd",
    "asdasd",
    "qweqwe",
    "asdfgh",
    "zxcvbn",
    "pass",
    "mypass",
    "mypassword",
    "pwd",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "mongo",
    "mongodb",
    "oracle",
    "rabbitmq",
    "elastic",
    "kibana",
    "grafana",
    "jenkins",
    "docker",
    "ubuntu",
    "vagrant",
    "raspberry",
    "toor",
    "sa",
    "nginx",
    "apache",
    "tomcat",
    "minio",
    "minioadmin",
    "keycloak",
    // "password" in other languages (translation files).
    "passwort",
    "contrasena",
    "contrasenya",
    "wachtwoord",
    "senha",
    "parola",
    "passord",
    "salasana",
    "kodeord",
    "losenord",
    "haslo",
    "heslo",
    "jelszo",
    "sifre",
    "parool",
];

/// Splits a key into lower-case words: `DB_PASSWORD` → db, password; `jwtSecretKey` → jwt,
/// secret, key; `x-api-key` → x, api, key. `api key` and `access key` join into one word.
fn key_words(key: &[u8]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for &b in key {
        if b.is_ascii_alphanumeric() {
            if b.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
            cur.push(b.to_ascii_lowercase() as char);
        } else {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    // Split words that glue a credential word to others (`dbpasswd`, `authtoken`,
    // `passwordhash`), unless the word is an English one (`bypass`, `monkey`, `passage`).
    let words: Vec<String> = words.into_iter().flat_map(split_compound).collect();
    // Join the pairs that name one thing.
    let mut joined: Vec<String> = Vec::with_capacity(words.len());
    for w in words {
        if let Some(last) = joined.last_mut()
            && w == "key"
            && matches!(
                last.as_str(),
                "api" | "access" | "session" | "signing" | "master" | "encryption" | "private"
            )
        {
            last.push_str("key");
            continue;
        }
        joined.push(w);
    }
    joined
}

/// `dbpasswd` → db, passwd; `authtoken` → auth, token; `passwordhash` → password, hash.
fn split_compound(word: String) -> Vec<String> {
    const PARTS: &[&str] = &[
        "passphrase",
        "password",
        "passwd",
        "passwort",
        "secret",
        "token",
        "apikey",
        "pswd",
        "pwd",
        "pass",
        "key",
        "auth",
        "credentials",
        "credential",
        "creds",
    ];
    if credential_word(&word).is_some() || word.len() < 5 || is_word(word.as_bytes()) {
        return vec![word];
    }
    for part in PARTS {
        if let Some(i) = word.find(part) {
            let (head, rest) = word.split_at(i);
            let tail = &rest[part.len()..];
            // The pieces around it must be words or short prefixes (`db`, `my`, `x`).
            let piece_ok = |p: &str| p.is_empty() || p.len() <= 4 || is_word(p.as_bytes());
            if piece_ok(head) && piece_ok(tail) {
                return [head, part, tail]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect();
            }
        }
    }
    vec![word]
}

/// The English words a value may be (a lower-case list, one per line, in byte order; see
/// `data/README.md`).
const WORD_LIST: &str = include_str!("../data/words.txt");

mod words {
    include!(concat!(env!("OUT_DIR"), "/words.rs"));

    /// The `i`-th word of the list.
    pub(super) fn word(i: usize) -> &'static [u8] {
        let (start, len) = WORDS[i];
        &super::WORD_LIST.as_bytes()[start as usize..start as usize + usize::from(len)]
    }

    /// The number of words.
    pub(super) fn len() -> usize {
        WORDS.len()
    }
}

/// Whether `word` (lower case) is in the word list: a binary search of the list, indexed
/// at build time.
fn in_dictionary(word: &[u8]) -> bool {
    let (mut low, mut high) = (0, words::len());
    while low < high {
        let mid = low + (high - low) / 2;
        match words::word(mid).cmp(word) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Whether `value` (any case) is an English word, or two joined (`mypassword`,
/// `secretkey`).
fn is_word(value: &[u8]) -> bool {
    if value.len() < 3 || !value.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let known = |w: &[u8]| in_dictionary(w) || MADE_UP.iter().any(|m| m.as_bytes() == w);
    if known(&lower) {
        return true;
    }
    (2..lower.len().saturating_sub(2))
        .any(|i| (i >= 3 || &lower[..i] == b"my") && known(&lower[..i]) && known(&lower[i..]))
}

/// Values that are words of configuration, not secrets.
const NON_VALUES: &[&str] = &[
    "true",
    "false",
    "null",
    "nil",
    "none",
    "undefined",
    "yes",
    "no",
    "on",
    "off",
    "empty",
    "blank",
    "required",
    "optional",
    "string",
    "str",
    "bool",
    "boolean",
    "int",
    "integer",
    "number",
    "object",
    "array",
    "bytes",
    "default",
    "auto",
    "disabled",
    "enabled",
    "unset",
    "notset",
    "void",
    "nan",
    "any",
    "text",
    "hidden",
    "secret",
    "password",
    "token",
    "value",
];

/// A candidate as the scorer sees it.
pub(crate) struct Candidate<'a> {
    /// The key or field name (may be empty).
    pub key: &'a [u8],
    /// The value.
    pub value: &'a [u8],
    /// The byte before the value (a quote when the value is a quoted literal).
    pub before: Option<u8>,
    /// The line holding the value.
    pub line: &'a [u8],
    /// The kind of the file, when its path is known.
    pub file: Option<FileKind>,
}

/// Scores a candidate; `None` when it is certainly no credential (empty, a placeholder, a
/// reference).
pub(crate) fn score(c: &Candidate<'_>) -> Option<Score> {
    let v = c.value;
    if v.len() < 3 || filters::is_placeholder(v) {
        return None;
    }
    let mut reasons: Vec<(String, f32)> = Vec::new();
    let mut add = |r: &str, w: f32| reasons.push((r.to_string(), w));
    let looks_generated = |v: &[u8]| v.len() >= 12 && filters::entropy(v) >= 3.3;

    // The key.
    let words = key_words(c.key);
    // The strongest word decides: `SECRET_KEY` names a secret, `db_password_key` a password.
    let kind = words
        .iter()
        .filter_map(|w| credential_word(w))
        .min_by_key(|k| *k as u8);
    let position = words.iter().rposition(|w| credential_word(w).is_some());
    let first = words.iter().position(|w| credential_word(w).is_some());
    match kind {
        Some(KeyKind::Password) => add("key names a password", 2.5),
        Some(KeyKind::Secret) => add("key names a secret", 2.5),
        Some(KeyKind::Token) => add("key names a token or API key", 2.0),
        Some(KeyKind::Key) if looks_generated(v) => add("key names a key", 1.0),
        Some(KeyKind::Key) => add(
            "key names a key, and the value does not look generated",
            -0.5,
        ),
        None if c.key.is_empty() => {}
        None => add("key names no credential", -1.0),
    }
    if let Some(p) = first
        && words[p + 1..]
            .iter()
            .any(|w| ABOUT_WORDS.contains(&w.as_str()))
    {
        add(
            "key names something about a credential (its field, length, path...)",
            -4.0,
        );
    }
    // `token.array.slot`, `paren_token_span`: the credential word names an object whose
    // member or part is assigned, unless the last word says the value is the credential.
    if let (Some(p), Some(last)) = (position, words.last())
        && p + 1 < words.len()
        && !last.bytes().all(|b| b.is_ascii_digit())
        && !TRAILING_VALUE_WORDS.contains(&last.as_str())
    {
        add(
            "key names a part of a credential object, not the credential",
            -2.0,
        );
    }
    if words.iter().any(|w| PUBLIC_WORDS.contains(&w.as_str())) {
        add("key names something public or not secret", -3.0);
    }
    if words.iter().any(|w| UI_WORDS.contains(&w.as_str())) {
        add("key names text for people, a template or a hash", -3.0);
    }
    if words.last().is_some_and(|w| w == "key") && contains(&c.line.to_ascii_lowercase(), b"value=")
    {
        add("key= names a setting whose value= follows", -3.0);
    }

    // The value's shape.
    let quoted = matches!(c.before, Some(b'"' | b'\'' | b'`'));
    let lower = v.to_ascii_lowercase();
    let text = std::str::from_utf8(&lower).unwrap_or("");
    if NON_VALUES.contains(&text) {
        return None;
    }
    if v.iter().any(u8::is_ascii_whitespace) {
        add("value has spaces: a phrase", -4.0);
    }
    if v.starts_with(b"/")
        || v.starts_with(b"@/")
        || v.starts_with(b"./")
        || v.starts_with(b"../")
        || v.starts_with(b"~/")
        || contains(v, b"://")
    {
        add("value is a path or URL", -4.0);
    }
    if !quoted && (v[0] == b'$' || contains(v, b"(") || v.ends_with(b";")) {
        add("value is an expression or a statement", -4.0);
    }
    if !quoted && c.line.trim_ascii_end().ends_with(b";") {
        add("the line is a statement of code", -2.0);
    }
    if !c.key.is_empty() && {
        let mut call = c.key.to_vec();
        call.push(b'(');
        contains(c.line, &call)
    } {
        add("value is a function argument", -1.0);
    }
    if matches!(kind, Some(KeyKind::Key | KeyKind::Token)) && has_long_word(v) {
        add("value holds words (a name, not a generated token)", -1.5);
    }
    if !quoted && is_dotted_name(v) {
        add("value is a dotted name", -3.0);
    }
    if v[0] == b'$' || (v.len() > 2 && v[0] == b'%' && v[v.len() - 1] == b'%') {
        add("value is a variable reference", -4.0);
    }
    const STORE_REFERENCES: &[&[u8]] = &[
        b"vault:",
        b"op://",
        b"ssm:",
        b"arn:aws:",
        b"secretsmanager:",
        b"awssm:",
        b"gcpsm:",
        b"azurekv:",
        b"keyvault:",
        b"env:",
        b"file:",
        b"sops:",
        b"ref+",
        b"k8s:",
        b"kms:",
        b"enc(",
        b"h1:",
        b"sha1:",
        b"sha256:",
        b"sha512:",
        b"md5:",
    ];
    if STORE_REFERENCES.iter().any(|p| lower.starts_with(p)) {
        // A secret store's reference, an encrypted value or a checksum.
        return None;
    }
    let line_lower = c.line.to_ascii_lowercase();
    if contains(&line_lower, b"devstoreaccount1") || contains(&line_lower, b"usedevelopmentstorage")
    {
        // Azure's storage emulator, whose account key is published.
        return None;
    }
    if v.windows(3)
        .any(|w| w[0] == b'@' && w[1] == b'@' && w[2].is_ascii_alphabetic())
    {
        // A template marker (`@@NAME@@`, `django-insecure-@@key@@`).
        return None;
    }
    if v.starts_with(b"--") {
        // Another flag: the command line gave this one no value.
        return None;
    }
    if v[0] == b'-' && v.get(1).is_some_and(u8::is_ascii_alphabetic) {
        add("value is a command-line flag", -3.0);
    }
    if kind == Some(KeyKind::Password) && is_uuid(v) {
        // An identifier where a password is expected.
        return None;
    }
    if is_title_case(v) {
        add("value is a title or a label (Capitalised words)", -4.0);
    }
    if contains(v, b"***") || contains(v, b"...") || contains(v, "\u{2026}".as_bytes()) {
        add("value is masked or elided", -4.0);
    }
    if !v.is_ascii() {
        add("value holds non-ASCII text (usually prose)", -2.0);
    }
    if v.len() >= 8 && (filters::entropy(v) < 2.0 || has_sequence(&lower)) {
        add("value is a run or a sequence of characters", -3.0);
    }
    if has_file_extension(&lower) {
        add("value is a file name", -4.0);
    }
    if contains(v, b"%s") || contains(v, b"%d") || contains(v, b"{}") || contains(v, b"%v") {
        add("value is a format string", -3.0);
    }
    if v.iter().filter(|&&b| b == b',').count() >= 2 {
        add("value is a list", -2.0);
    }
    if is_password_hash(v) {
        add("value is a password hash, not the password", -2.0);
    }
    if c.key.len() >= 4 && contains(&lower, &c.key.to_ascii_lowercase()) {
        add("value contains the key's name", -3.0);
    }
    if quoted && is_dotted_name(v) {
        let dots = v.iter().filter(|&&b| b == b'.').count();
        add(
            "value is a dotted name",
            if dots >= 2 { -3.0 } else { -1.5 },
        );
    }
    if v.iter()
        .position(|&b| b == b'=')
        .is_some_and(|i| i + 2 < v.len())
        && (contains(v, b"/") || contains(v, b";"))
    {
        add("value is a query or a path with parameters", -2.0);
    }
    if is_word_and_digits(v) {
        add("value is a word and digits (a made-up password)", -2.0);
    }
    if is_word_path(v) {
        add(
            "value is words joined by separators (a name or a path)",
            -2.5,
        );
    } else if is_identifier(v) {
        add(
            "value is an identifier (camelCase, snake_case, CONSTANT)",
            -4.0,
        );
    } else if is_word(v) {
        add("value is a dictionary word", -2.5);
    }
    if let Some(p) = position
        && contains(&lower, words[p].as_bytes())
        && words[p].len() >= 3
    {
        add("value repeats the key", -2.0);
    }
    let digits = v.iter().all(u8::is_ascii_digit);
    if digits {
        add(
            "value is only digits",
            if v.len() < 6 { -2.5 } else { -1.0 },
        );
    }
    if is_version_or_number(v) && !digits {
        return None;
    }
    if quoted {
        add("a quoted literal", 1.0);
    } else {
        add("a literal value", 0.75);
    }
    if v.len() < 4 {
        add("value is very short", -1.5);
    } else if v.len() < 6 {
        add("value is short", -0.5);
    } else if v.len() >= 20 {
        add("value is long", 1.0);
    } else if v.len() >= 12 {
        add("value is of good length", 0.5);
    }
    let classes = [
        v.iter().any(u8::is_ascii_lowercase),
        v.iter().any(u8::is_ascii_uppercase),
        v.iter().any(u8::is_ascii_digit),
        v.iter().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if classes >= 3 && v.len() >= 8 {
        add("value mixes letters, digits and symbols", 1.0);
    }
    let h = filters::entropy(v);
    if v.len() >= 16 && h >= 3.5 {
        add("value looks random", 1.0);
    }

    // Where it is.
    const SAYS_EXAMPLE: &[&[u8]] = &[
        b"example",
        b"sample",
        b"dummy",
        b"fake",
        b"mock",
        b"placeholder",
        b"your",
        b"replace",
        b"changeme",
        b"todo",
    ];
    if SAYS_EXAMPLE.iter().any(|w| contains(&line_lower, w)) {
        add("line says example, dummy or placeholder", -1.0);
    }
    match c.file {
        Some(FileKind::Config) => add("a configuration file", 0.5),
        Some(FileKind::Test) => add("a test or fixture file", -0.25),
        Some(FileKind::Docs) => add("documentation or examples", -0.25),
        Some(FileKind::Source) | None => {}
    }
    let value = reasons.iter().map(|(_, w)| w).sum();
    Some(Score { value, reasons })
}

/// `reset_password.html`, `deploy.sh`, `key.pem`: a name with a file extension.
fn has_file_extension(lower: &[u8]) -> bool {
    const EXTENSIONS: &[&[u8]] = &[
        b".html",
        b".htm",
        b".sh",
        b".json",
        b".yml",
        b".yaml",
        b".xml",
        b".txt",
        b".pem",
        b".key",
        b".crt",
        b".cer",
        b".p12",
        b".pfx",
        b".jks",
        b".js",
        b".ts",
        b".py",
        b".rb",
        b".go",
        b".java",
        b".php",
        b".conf",
        b".cfg",
        b".ini",
        b".env",
        b".properties",
        b".toml",
        b".md",
        b".csv",
        b".log",
        b".gpg",
        b".asc",
        b".keystore",
        b".der",
        b".rs",
        b".c",
        b".h",
        b".cpp",
        b".kt",
        b".swift",
        b".cs",
        b".lock",
        b".rst",
        b".zip",
        b".tar",
        b".gz",
        b".png",
        b".jpg",
        b".svg",
        b".css",
        b".scss",
        b".vue",
        b".jsx",
        b".tsx",
        b".sql",
        b".pdf",
        b".exe",
        b".dll",
        b".so",
        b".jar",
        b".class",
        b".stderr",
        b".stdout",
    ];
    EXTENSIONS
        .iter()
        .any(|e| lower.ends_with(e) && lower.len() > e.len())
}

/// Whether `v` holds an English word of five letters or more (camelCase humps and
/// letter runs are read apart): `gitoxide.http.sslVersionMin`, `x-request-session`.
fn has_long_word(v: &[u8]) -> bool {
    v.split(|b| !b.is_ascii_alphabetic())
        .flat_map(split_camel)
        .any(|w| w.len() >= 5 && in_dictionary(&w.to_ascii_lowercase()))
}

/// `sha1$…$…`, `pbkdf2_sha256$…`, `$2a$10$…`, `$6$…`, `{SSHA}…`: a stored password hash.
fn is_password_hash(v: &[u8]) -> bool {
    (v.starts_with(b"$") && v.iter().filter(|&&b| b == b'$').count() >= 2)
        || (v.starts_with(b"{") && contains(&v[..v.len().min(12)], b"}"))
        || [&b"sha1$"[..], b"md5$", b"pbkdf2_", b"bcrypt$", b"argon2"]
            .iter()
            .any(|p| v.starts_with(p))
}

/// `admin123`, `test123`, `Welcome1!`: a dictionary word followed by digits or symbols.
fn is_word_and_digits(v: &[u8]) -> bool {
    let letters = v.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    letters >= 3
        && letters < v.len()
        && v[letters..].iter().all(|b| !b.is_ascii_alphabetic())
        && is_word(&v[..letters])
}

/// Whether `v` holds a run of four or more ascending characters (`1234`, `abcd`) that
/// makes up a third of it or more, or `0123456789`.
fn has_sequence(v: &[u8]) -> bool {
    let mut run = 1;
    let mut longest = 1;
    for w in v.windows(2) {
        if w[1] == w[0].wrapping_add(1) {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 1;
        }
    }
    longest >= 4 && longest * 3 >= v.len()
}

/// Words (dictionary words, or short ones) joined by `:`, `/`, `.`, `_` or `-`:
/// `admin:org`, `users/check_credentials`, `session.app`, `x-tenant-key`, `foo/bar`.
fn is_word_path(v: &[u8]) -> bool {
    let parts: Vec<&[u8]> = v
        .split(|b| matches!(b, b':' | b'/' | b'.' | b'_' | b'-' | b'+' | b','))
        .collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            p.is_empty()
                || (p.len() <= 4 && p.iter().all(u8::is_ascii_digit))
                || (p.iter().all(u8::is_ascii_alphabetic) && (p.len() <= 3 || is_word(p)))
                || {
                    let humps = split_camel(p);
                    humps.iter().filter(|h| is_word(h)).count() * 2 >= humps.len()
                        && p.iter().all(u8::is_ascii_alphabetic)
                }
        })
        && parts.iter().any(|p| p.len() >= 3 && is_word(p))
}

/// `API-Schluessel`, `Access Token`, `Client-Secret`: Capitalised words (or short
/// all-capital ones) joined by `-` or spaces, as labels are written.
fn is_title_case(v: &[u8]) -> bool {
    let parts: Vec<&[u8]> = v.split(|&b| b == b'-' || b == b' ').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.iter().all(u8::is_ascii_alphabetic)
                && ((p.len() <= 4 && p.iter().all(u8::is_ascii_uppercase))
                    || (p[0].is_ascii_uppercase() && p[1..].iter().all(u8::is_ascii_lowercase)))
        })
}

/// `camelCase`, `snake_case`, `kebab-case` with two or more words, or `CONSTANT_CASE`.
fn is_identifier(v: &[u8]) -> bool {
    if !v
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
    {
        return false;
    }
    if !v[0].is_ascii_alphabetic() {
        return false;
    }
    let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
    if digits * 3 > v.len() {
        return false;
    }
    let seps = v.iter().filter(|&&b| b == b'_' || b == b'-').count();
    if seps > 0 {
        // Words between separators, each at least two letters: `db_password`, `API_KEY`.
        return v.split(|&b| b == b'_' || b == b'-').all(|w| {
            (w.len() >= 2 && w.iter().filter(|b| b.is_ascii_alphabetic()).count() >= 2)
                || (!w.is_empty() && w.iter().all(u8::is_ascii_digit))
        }) && v
            .split(|&b| b == b'_' || b == b'-')
            .filter(|w| is_word(w))
            .count()
            >= 1;
    }
    // camelCase: a lower-case start, upper-case letters that start dictionary words.
    let humps: Vec<&[u8]> = split_camel(v);
    humps.len() >= 2 && humps.iter().filter(|h| is_word(h)).count() * 2 >= humps.len()
}

fn split_camel(v: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..v.len() {
        if v[i].is_ascii_uppercase() && v[i - 1].is_ascii_lowercase() {
            out.push(&v[start..i]);
            start = i;
        }
    }
    out.push(&v[start..]);
    out
}

/// `config.db.password`, `os.environ`, `settings.SECRET`: names joined by dots.
fn is_dotted_name(v: &[u8]) -> bool {
    contains(v, b".")
        && v[0].is_ascii_alphabetic()
        && v.split(|&b| b == b'.').all(|p| {
            !p.is_empty()
                && (p[0].is_ascii_alphabetic() || p.iter().all(u8::is_ascii_digit))
                && p.iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'[' | b']'))
        })
}

/// `6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f`.
fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// `1.2.3`, `v2`, `3.14`, `-1`, `^1.4.6`, `~2.0.x`, `>=3.1`, `1.0.0-beta.20240101`.
fn is_version_or_number(v: &[u8]) -> bool {
    let semver = {
        let d = v.iter().take_while(|b| b.is_ascii_digit()).count();
        d > 0
            && v.get(d) == Some(&b'.')
            && v.get(d + 1).is_some_and(u8::is_ascii_digit)
            && v.iter().filter(|&&b| b == b'.').count() >= 2
    };
    if semver {
        return true;
    }
    let start = v
        .iter()
        .position(|b| !matches!(b, b'^' | b'~' | b'>' | b'<' | b'=' | b'v' | b'-'))
        .unwrap_or(v.len());
    let v = &v[start..];
    !v.is_empty()
        && v[0].is_ascii_digit()
        && v.iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'x' | b'*' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index the build script made finds every word of the list, and nothing else.
    #[test]
    fn the_word_index_finds_every_word_and_only_words() {
        let listed: Vec<&str> = WORD_LIST.lines().filter(|w| !w.is_empty()).collect();
        assert_eq!(listed.len(), words::len());
        for w in &listed {
            assert!(in_dictionary(w.as_bytes()), "{w}");
            let mut longer = w.as_bytes().to_vec();
            longer.push(b'q');
            assert_eq!(
                in_dictionary(&longer),
                listed
                    .binary_search(&&*String::from_utf8_lossy(&longer))
                    .is_ok()
            );
        }
        for not in ["", "a", "zzzzzz", "aaaaa", "passw0rd", "Secret"] {
            assert!(!in_dictionary(not.as_bytes()), "{not}");
        }
        assert!(is_word(b"Secret") && is_word(b"mypassword"));
    }

    fn scored(key: &str, value: &str, quoted: bool, line: &str) -> Option<Score> {
        score(&Candidate {
            key: key.as_bytes(),
            value: value.as_bytes(),
            before: quoted.then_some(b'\''),
            line: line.as_bytes(),
            file: None,
        })
    }

    fn conf(key: &str, value: &str, quoted: bool) -> Option<Confidence> {
        scored(key, value, quoted, "").and_then(|s| confidence_of(s.value))
    }

    #[test]
    fn key_words_split() {
        assert_eq!(key_words(b"DB_PASSWORD"), ["db", "password"]);
        assert_eq!(key_words(b"jwtSecretKey"), ["jwt", "secret", "key"]);
        assert_eq!(key_words(b"x-api-key"), ["x", "apikey"]);
        assert_eq!(key_words(b"passwordField"), ["password", "field"]);
    }

    #[test]
    fn passwords_by_context() {
        // A short lower-case password in a config's password key is reported.
        assert!(conf("password", "qzvtkmwp", true) >= Some(Confidence::Medium));
        assert!(conf("MYSQL_ROOT_PASSWORD", "k3vq9zt2", false) >= Some(Confidence::Low));
        assert!(conf("secret", "R23FLMIHSPXL67WA", true) >= Some(Confidence::Medium));
        assert!(
            conf("api_key", "b2c9fb7a1a8f541d6089140692faf70a", false) >= Some(Confidence::Medium)
        );
        assert!(conf("api_key", "Xq7mPz2Lw9kR4vN8tB3c", true) >= Some(Confidence::High));
        // Words, phrases, identifiers, templates and metadata keys are not.
        assert_eq!(conf("password", "ignored", true), None);
        assert_eq!(conf("password", "Invalid Password", true), None);
        assert_eq!(conf("password", "db_password", true), None);
        assert_eq!(conf("password", "passwordConfirmation", true), None);
        assert_eq!(conf("password", "${DB_PASSWORD}", false), None);
        assert_eq!(conf("password_length", "12345678", false), None);
        assert_eq!(conf("token_url", "Xk29pLm4Qz8v", true), None);
        assert_eq!(conf("password", "true", false), None);
    }

    #[test]
    fn reasons_are_given() {
        let s = scored("DB_PASSWORD", "qzvtkmwp", true, "DB_PASSWORD='qzvtkmwp'").unwrap();
        let text = s.explain();
        assert!(text.contains("key names a password (+2.5)"), "{text}");
        assert!(text.contains("a quoted literal (+1)"), "{text}");
        let s = scored("password", "hunter", true, "password: 'hunter' # example").unwrap();
        assert!(
            s.explain().contains("value is a dictionary word"),
            "{}",
            s.explain()
        );
        assert!(s.explain().contains("line says example"), "{}", s.explain());
    }

    #[test]
    fn file_kinds() {
        assert_eq!(FileKind::of(b"deploy/.env.production"), FileKind::Config);
        assert_eq!(FileKind::of(b"config/database.yml"), FileKind::Config);
        assert_eq!(FileKind::of(b"src/test/java/AppTest.java"), FileKind::Test);
        assert_eq!(FileKind::of(b"web/login.spec.ts"), FileKind::Test);
        assert_eq!(FileKind::of(b"docs/setup.md"), FileKind::Docs);
        assert_eq!(FileKind::of(b"src/main.rs"), FileKind::Source);
    }
}
