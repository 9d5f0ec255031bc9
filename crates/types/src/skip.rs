//! Why an input was not scanned, or not scanned to its end: one type with the data, one
//! text, one stable name for tools.
use std::fmt;

use crate::human_bytes;

/// An input that was not scanned, or not scanned to its end, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The input: a path, or `blob ID` for a git object that no path names yet.
    pub path: String,
    /// Why.
    pub reason: SkipReason,
}

/// Why a file or blob was not read, or was read only in part.
///
/// The engine records these with the data each needs, and reporters render them: what a
/// person reads is made in one place, [`Display`](fmt::Display), which every report and
/// `-v` share; what a tool reads is [`kind`](SkipReason::kind) and the variant's numbers.
///
/// ```
/// use keysnare_types::SkipReason;
///
/// let r = SkipReason::TooLarge { size: 80 << 20, limit: 64 << 20 };
/// assert_eq!(r.to_string(), "larger than --max-file-size (80.0 MiB > 64.0 MiB)");
/// assert_eq!(r.kind(), "too_large");
/// assert!(r.is_reported() && !r.is_incomplete());
/// assert!(!SkipReason::Symlink.is_reported());
/// assert!(SkipReason::MemoryBudget { size: 80 << 20, limit: 16 << 20 }.is_incomplete());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Larger than the size cap.
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The cap in force.
        limit: u64,
    },
    /// A FIFO, socket or device file: never opened.
    NotRegular,
    /// A symbolic link: never followed.
    Symlink,
    /// Scanned, but holding more matches than the per-blob cap: only the first are kept.
    TooManyMatches {
        /// Matches found.
        found: usize,
        /// Matches kept (the cap).
        kept: usize,
    },
    /// Under the size cap, but larger than the memory budget lets one worker hold.
    MemoryBudget {
        /// The file's size in bytes.
        size: u64,
        /// The bytes one worker may hold at most.
        limit: u64,
    },
    /// Scanned until the per-blob time limit: the matches found until then are kept.
    TimeLimit {
        /// The limit, in seconds.
        seconds: u64,
    },
}

impl SkipReason {
    /// A stable name of the reason for tools (JSON `kind`, SARIF and JUnit): `too_large`,
    /// `memory_budget`, `time_limit`, `too_many_matches`, `symlink` or `not_regular`. Names
    /// are never changed or reused; a new reason gets a new one.
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::TooLarge { .. } => "too_large",
            SkipReason::MemoryBudget { .. } => "memory_budget",
            SkipReason::TimeLimit { .. } => "time_limit",
            SkipReason::TooManyMatches { .. } => "too_many_matches",
            SkipReason::Symlink => "symlink",
            SkipReason::NotRegular => "not_regular",
        }
    }

    /// Whether reports list inputs skipped for this reason: every reason but a symbolic
    /// link, which the walk never follows by design (`-v` lists those too).
    pub fn is_reported(&self) -> bool {
        !matches!(self, SkipReason::Symlink)
    }

    /// Whether skipping the input leaves the scan incomplete: it was not scanned for want
    /// of memory ([`SkipReason::MemoryBudget`]), not by a limit the user set (the size cap,
    /// `--max-findings`, `--max-scan-time`) or by design (links, devices). An incomplete scan
    /// that found nothing exits as an error would.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, SkipReason::MemoryBudget { .. })
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::TooLarge { size, limit } => write!(
                f,
                "larger than --max-file-size ({} > {})",
                human_bytes(*size),
                human_bytes(*limit)
            ),
            SkipReason::MemoryBudget { size, limit } => write!(
                f,
                "larger than the memory budget lets one file or blob take ({} > {}; raise --memory-budget)",
                human_bytes(*size),
                human_bytes(*limit)
            ),
            SkipReason::NotRegular => f.write_str("not a regular file (FIFO, socket or device)"),
            SkipReason::Symlink => f.write_str("symbolic link (not followed)"),
            SkipReason::TimeLimit { seconds } => write!(
                f,
                "scanning took longer than --max-scan-time ({seconds} s); what was found until then is reported"
            ),
            SkipReason::TooManyMatches { found, kept } => write!(
                f,
                "{found} matches; only the first {kept} are reported (--max-findings)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports and `-v` print these texts; JSON consumers read them (docs/JSON.md).
    #[test]
    fn every_reason_reads_as_before() {
        let cases = [
            (
                SkipReason::TooLarge {
                    size: 80 << 20,
                    limit: 64 << 20,
                },
                "larger than --max-file-size (80.0 MiB > 64.0 MiB)",
            ),
            (
                SkipReason::MemoryBudget {
                    size: 3 << 30,
                    limit: 1536,
                },
                "larger than the memory budget lets one file or blob take (3.0 GiB > 1.5 KiB; raise --memory-budget)",
            ),
            (
                SkipReason::NotRegular,
                "not a regular file (FIFO, socket or device)",
            ),
            (SkipReason::Symlink, "symbolic link (not followed)"),
            (
                SkipReason::TimeLimit { seconds: 60 },
                "scanning took longer than --max-scan-time (60 s); what was found until then is reported",
            ),
            (
                SkipReason::TooManyMatches {
                    found: 1500,
                    kept: 1000,
                },
                "1500 matches; only the first 1000 are reported (--max-findings)",
            ),
        ];
        for (reason, text) in cases {
            assert_eq!(reason.to_string(), text);
            assert_eq!(reason.is_reported(), reason != SkipReason::Symlink);
            let budget = matches!(reason, SkipReason::MemoryBudget { .. });
            assert_eq!(reason.is_incomplete(), budget, "{reason:?}");
        }
    }

    /// Tools match on these names (docs/JSON.md): each reason has its own, spelled as
    /// documented.
    #[test]
    fn every_reason_has_its_documented_kind() {
        let kinds = [
            (SkipReason::TooLarge { size: 2, limit: 1 }, "too_large"),
            (
                SkipReason::MemoryBudget { size: 2, limit: 1 },
                "memory_budget",
            ),
            (SkipReason::TimeLimit { seconds: 1 }, "time_limit"),
            (
                SkipReason::TooManyMatches { found: 2, kept: 1 },
                "too_many_matches",
            ),
            (SkipReason::Symlink, "symlink"),
            (SkipReason::NotRegular, "not_regular"),
        ];
        for (reason, kind) in &kinds {
            assert_eq!(reason.kind(), *kind);
        }
        let distinct: std::collections::BTreeSet<_> = kinds.iter().map(|(r, _)| r.kind()).collect();
        assert_eq!(distinct.len(), kinds.len());
    }
}
