//! The shared vocabulary of keysnare.
//!
//! Every other crate speaks in these types: a [`BlobId`] names content (git's blob id, also
//! for plain files, so the same bytes on disk and in history are scanned once), a [`Match`]
//! is one rule matching one blob at one byte span, and a [`Finding`] is one secret found by
//! one rule, with every [`Location`] where it occurs. A finding is identified by its
//! [`Fingerprint`], a hash of the rule id and the secret, never of a path, line or commit.
//! Text from inputs (paths, lines, commit messages) goes to terminals through
//! [`escape_control`].
//!
//! ```
//! use keysnare_types::{BlobId, Fingerprint, FingerprintKey};
//!
//! // The same id `git hash-object` prints for a file holding "hello\n".
//! let id = BlobId::of(b"hello\n");
//! assert_eq!(id.to_string(), "ce013625030ba8dba906f756967f9e9ca394464a");
//!
//! // A fingerprint depends on the rule and the secret only, under the scan's key.
//! let key = FingerprintKey::new(b"a project's key".to_vec());
//! let a = key.fingerprint("demo.rule", b"s3cr3t");
//! assert_eq!(a, key.fingerprint("demo.rule", b"s3cr3t"));
//! assert_ne!(a, key.fingerprint("other.rule", b"s3cr3t"));
//! ```
#![deny(missing_docs)]

mod escape;
mod finding;
mod id;
mod memory;
mod phase;
mod progress;
mod size;
mod skip;

pub use escape::{escape_control, shown_path};
pub use finding::{
    Checksum, ChecksumKind, CommitInfo, Confidence, Decoded, Finding, Location, Match, Position,
    Provenance, Score, Severity, Span,
};
pub use id::{BlobId, Fingerprint, FingerprintKey, ParseIdError};
pub use memory::{MemoryGate, MemoryPlan, MemoryUse, Permit};
pub use phase::{Phase, Phases, phases_line};
pub use progress::Progress;
pub use size::human_bytes;
pub use skip::{SkipReason, Skipped};

/// A unit of work: content and the id that names it.
#[derive(Clone, Debug)]
pub struct Blob {
    /// Git's blob id of `data`.
    pub id: BlobId,
    /// The content.
    pub data: Vec<u8>,
}

impl Blob {
    /// Wraps `data`, computing its blob id.
    ///
    /// # Performance
    /// Hashes the whole content once (SHA-1, hardware accelerated where the CPU allows).
    pub fn new(data: Vec<u8>) -> Blob {
        Blob {
            id: BlobId::of(&data),
            data,
        }
    }
}
