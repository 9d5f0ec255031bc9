//! Parsers for the files whose job is to hold a credential: credential stores (`.netrc`,
//! `.pgpass`, `.git-credentials`, Docker's `config.json`...) and the saved sessions of
//! clients (FileZilla, DBeaver, WinSCP, PuTTY keys...).
//!
//! Such a file is read as its format, not with a line regex: each parser knows which fields
//! hold a credential and reports every real value in them (not empty, not a template or a
//! reference), whatever its entropy, because the file exists to hold a credential.
//!
//! A parser is chosen by name ([`parser`]); rules name it (`parser = "pgpass"` in a rule file)
//! together with the paths (`files`) or keywords that select the inputs it reads. Binary
//! formats (PKCS#12 and Java keystores) are recognised by their first bytes instead
//! ([`Parser::sniffs`]).
//!
//! ```
//! let pgpass = keysnare_formats::parser("pgpass").unwrap();
//! let mut found = Vec::new();
//! pgpass.run(b"db.internal:5432:orders:app:Xk29-pLm4\n", &mut found);
//! assert_eq!(found.len(), 1);
//! assert_eq!(&b"db.internal:5432:orders:app:Xk29-pLm4\n"[found[0].span.clone()], b"Xk29-pLm4");
//! ```
//!
//! # Hostile input
//! Parsers run on untrusted bytes: they never panic, never recurse on input depth, and run in
//! time linear in the input (they are handed at most the scan's size cap).
#![deny(missing_docs)]

mod clients;
mod keystores;
mod stores;
mod util;

use std::ops::Range;

/// A credential value found by a parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Where the value is in the input, in bytes.
    pub span: Range<usize>,
    /// The field that holds it, as the format names it (`password`, `auth`, `Pass`,
    /// `client-key-data`...).
    pub field: String,
    /// The credential itself when the stored value encodes it: a base64 `user:password`
    /// (Docker's `auth`, FileZilla's `<Pass encoding="base64">`, a Kubernetes `Secret`'s
    /// `data:` value) decoded.
    pub decoded: Option<Vec<u8>>,
}

/// A parser for one format.
#[derive(Clone, Copy)]
pub struct Parser {
    name: &'static str,
    run: fn(&[u8], &mut Vec<Found>),
    sniff: Option<fn(&[u8]) -> bool>,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Parser").field(&self.name).finish()
    }
}

impl Parser {
    /// The parser's name, as rule files give it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Appends to `out` every credential value in `input`.
    ///
    /// # Performance
    /// Linear in `input`; allocates only for what it reports.
    pub fn run(&self, input: &[u8], out: &mut Vec<Found>) {
        (self.run)(input, out)
    }

    /// Whether the parser recognises its inputs by their first bytes (a binary format),
    /// so that rules need neither paths nor keywords to select them.
    pub fn is_sniffed(&self) -> bool {
        self.sniff.is_some()
    }

    /// Whether `input` starts like this parser's format (always false for a parser that
    /// does not sniff).
    ///
    /// # Performance
    /// Reads a few dozen bytes at the start of `input`.
    pub fn sniffs(&self, input: &[u8]) -> bool {
        self.sniff.is_some_and(|f| f(input))
    }
}

/// Parsers of binary formats, with the test of their first bytes.
type Sniffed = (&'static str, fn(&[u8], &mut Vec<Found>), fn(&[u8]) -> bool);

const SNIFFED: &[Sniffed] = &[
    ("pkcs12", keystores::pkcs12_key, keystores::is_pkcs12),
    (
        "pkcs12-encrypted",
        keystores::pkcs12_encrypted_key,
        keystores::is_pkcs12,
    ),
    (
        "java-keystore",
        keystores::java_keystore,
        keystores::is_java_keystore,
    ),
];

/// Every parser, by name.
fn all() -> impl Iterator<Item = Parser> {
    stores::PARSERS
        .iter()
        .chain(clients::PARSERS)
        .map(|&(name, run)| Parser {
            name,
            run,
            sniff: None,
        })
        .chain(SNIFFED.iter().map(|&(name, run, sniff)| Parser {
            name,
            run,
            sniff: Some(sniff),
        }))
}

/// The parser called `name`, if there is one.
pub fn parser(name: &str) -> Option<Parser> {
    all().find(|p| p.name == name)
}

/// The names of all parsers, sorted.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<_> = all().map(|p| p.name).collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique() {
        let names = super::names();
        let mut dedup = names.clone();
        dedup.dedup();
        assert_eq!(names, dedup);
    }
}
