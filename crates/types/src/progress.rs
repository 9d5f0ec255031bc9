use std::sync::atomic::{AtomicU64, Ordering};

/// Counters a long scan updates and a progress display reads. All relaxed atomics: cheap to
/// bump from every worker, read at the display's own pace.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    bytes: AtomicU64,
}

impl Progress {
    /// Adds `n` units to the expected total (objects or files).
    pub fn add_total(&self, n: u64) {
        self.total.fetch_add(n, Ordering::Relaxed);
    }

    /// Records `n` units done and `bytes` bytes read.
    pub fn advance(&self, n: u64, bytes: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// `(done, total, bytes)` as of now.
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }
}
