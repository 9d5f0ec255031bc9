use std::fmt;
use std::ops::Range;

use bstr::{BString, ByteSlice};
use serde::{Deserialize, Serialize};

use crate::{BlobId, Fingerprint};

/// How bad a leak of a credential is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; little access.
    Low,
    /// Read access or narrow scope.
    Medium,
    /// Write access to code, data or messaging.
    High,
    /// Account-wide cloud access, private keys, payments.
    Critical,
}

impl Severity {
    /// The lowercase name used in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How sure a match is a real credential. Ordered from least to most sure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A generic heuristic.
    Low,
    /// Recognised by context, such as a key name next to a value.
    Medium,
    /// A format with a unique prefix or a checksum.
    High,
}

impl Confidence {
    /// The lowercase name used in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A checksum that a provider builds into its tokens, which a rule can verify offline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChecksumKind {
    /// GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and npm (`npm_`) tokens: a 4-byte
    /// prefix, 30 base62 characters, and the CRC32 of those 30 characters in 6 base62
    /// digits (`0-9A-Za-z`, zero-padded).
    #[serde(rename = "github-crc32")]
    GithubCrc32,
    /// PyPI API tokens: `pypi-` and a base64url version-2 macaroon issued for `pypi.org`
    /// or `test.pypi.org`, whose binary structure (fields, lengths, a 32-byte signature)
    /// must parse.
    #[serde(rename = "pypi-macaroon")]
    PypiMacaroon,
    /// HTTP Basic credentials (RFC 7617): base64 of `user-id:password`, which must decode
    /// to printable text with a colon and a non-empty password that is not a placeholder.
    #[serde(rename = "basic-auth")]
    BasicAuth,
    /// NATS nkeys (seeds and public keys): RFC 4648 base32 without padding of the prefix
    /// byte(s) and the 32-byte key, followed by their CRC-16/XMODEM in little-endian order.
    #[serde(rename = "nkey-crc16")]
    NkeyCrc16,
}

/// What verifying a secret's checksum found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Checksum {
    /// The checksum is right: the provider made this token (or it was built to pass).
    Valid,
    /// The checksum is wrong: not a token the provider issued (test data, a typo, a
    /// made-up example). Such matches have low confidence.
    Invalid,
}

impl Checksum {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Checksum::Valid => "valid",
            Checksum::Invalid => "invalid",
        }
    }
}

/// A half-open byte range in a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span is empty.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether the two spans share at least one byte.
    pub const fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// As a range, for slicing.
    pub const fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// A 1-based line and column. Columns count characters (each invalid UTF-8 byte counts as
/// one); a `\r` before a `\n` belongs to no line's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// One rule matching one blob at one place.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// Index of the rule in the rule set that was scanned with.
    pub rule: usize,
    /// The whole match.
    pub span: Span,
    /// The secret inside it.
    pub secret: Span,
    /// Shannon entropy of the secret, in bits per byte.
    pub entropy: f32,
    /// For a secret found inside encoded text: the encoding and the decoded secret. Then
    /// `span` and `secret` are the encoded text's place in the blob.
    pub decoded: Option<Box<Decoded>>,
    /// For a rule that verifies a checksum: what the verification found.
    pub checksum: Option<Checksum>,
    /// How sure this match is real: its rule's confidence, raised for a strong value
    /// (`strong_value_confidence`), low when the secret fails its rule's checksum.
    pub confidence: Confidence,
    /// For a rule whose matches the context scorer judges (`scored`): the score and the
    /// reasons that made it.
    pub score: Option<Box<Score>>,
}

/// How the context scorer judged a candidate: a sum of weighted reasons (the key's name,
/// the value's shape, the file's kind, the words around it), mapped to a confidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The sum of the reasons' weights.
    pub value: f32,
    /// Each reason and its weight, in the order they were weighed.
    pub reasons: Vec<(String, f32)>,
}

impl Score {
    /// The reasons as one line: `key names a password (+2.5); a quoted literal (+1)`.
    pub fn explain(&self) -> String {
        let parts: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, w)| format!("{r} ({w:+})"))
            .collect();
        parts.join("; ")
    }
}

/// A secret found by decoding part of a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// How the text was encoded: `base64`, or `base64 in base64` for two layers.
    pub encoding: String,
    /// The decoded secret.
    pub secret: Vec<u8>,
}

/// A commit, as a finding's provenance shows it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitInfo {
    /// Full commit id (hex).
    pub id: String,
    /// Author name.
    pub author_name: BString,
    /// Author email.
    pub author_email: BString,
    /// Author date: seconds since the Unix epoch.
    pub time: i64,
    /// Author date: offset from UTC in seconds.
    pub offset: i32,
    /// First line of the message.
    pub summary: BString,
    /// Where the commit comes in the scan's walk of history, parents before children: of
    /// two commits that hold a secret, the one with the smaller number brought it in first.
    pub order: u64,
    /// Whether a ref (a branch, a tag, `HEAD`, a stash) reaches the commit; false for
    /// commits amended or rebased away and dropped stashes, which the object database
    /// keeps until git collects them.
    pub reachable: bool,
}

/// Where a blob came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Provenance {
    /// A file on disk, by the path it was reached through.
    File {
        /// The path as given or walked (bytes, not lossily converted).
        path: BString,
    },
    /// Standard input.
    Stdin,
    /// Git history: the commit that first introduced the blob at `path`.
    Commit {
        /// Repository-relative path.
        path: BString,
        /// The introducing commit.
        commit: Box<CommitInfo>,
    },
    /// A blob of the object database that no commit reachable from a ref holds (amended
    /// away, dropped stash, dangling).
    Unreachable,
    /// The staged content (the index) of a repository-relative path.
    Staged {
        /// Repository-relative path.
        path: BString,
    },
}

impl Provenance {
    /// The path to show for this origin (`<stdin>` for standard input, `<unreachable>` for
    /// blobs no commit holds).
    pub fn display_path(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Provenance::File { path }
            | Provenance::Commit { path, .. }
            | Provenance::Staged { path } => path.to_str_lossy(),
            Provenance::Stdin => "<stdin>".into(),
            Provenance::Unreachable => "<unreachable>".into(),
        }
    }

    /// The path, when the origin has one.
    pub fn path(&self) -> Option<&BString> {
        match self {
            Provenance::File { path }
            | Provenance::Commit { path, .. }
            | Provenance::Staged { path } => Some(path),
            Provenance::Stdin | Provenance::Unreachable => None,
        }
    }

    /// The commit, for history provenance.
    pub fn commit(&self) -> Option<&CommitInfo> {
        match self {
            Provenance::Commit { commit, .. } => Some(commit),
            _ => None,
        }
    }
}

/// One place where a finding's secret occurs.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// Where the blob came from.
    pub provenance: Provenance,
    /// The blob holding the match.
    pub blob: BlobId,
    /// Byte span of the whole match in the blob.
    pub span: Span,
    /// Byte span of the secret in the blob.
    pub secret_span: Span,
    /// Start of the secret.
    pub start: Position,
    /// End of the secret (exclusive: the position just after its last character).
    pub end: Position,
    /// The line holding the start of the secret, without its line terminator; on long
    /// lines only the neighbourhood of the secret.
    pub line_text: BString,
    /// The parts of `line_text` that are secrets: this finding's and any other found on the
    /// same line (sorted, not overlapping), so reports can redact them all.
    pub line_secrets: Vec<Span>,
    /// For a secret found inside encoded text, the encoding (`base64`); `span` and
    /// `secret_span` then cover the encoded text.
    pub encoding: Option<String>,
}

/// One secret found by one rule, with every place it occurs.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Rule id, such as `github.pat.classic`.
    pub rule_id: String,
    /// The secret bytes.
    pub secret: BString,
    /// Hash of rule id and secret.
    pub fingerprint: Fingerprint,
    /// Shannon entropy of the secret, in bits per byte.
    pub entropy: f32,
    /// How sure the finding is real: the rule's confidence, raised for a strong value
    /// (`strong_value_confidence`), or low when the secret fails the rule's checksum.
    pub confidence: Confidence,
    /// For a rule that verifies a checksum: what the verification found.
    pub checksum: Option<Checksum>,
    /// For a scored rule: the score of the finding's first match and its reasons.
    pub score: Option<Score>,
    /// Every occurrence, sorted by path then position.
    pub locations: Vec<Location>,
}
