use std::sync::{Condvar, Mutex, MutexGuard};

/// The bytes of content that the workers of a scan may hold at once: a counting semaphore
/// over bytes, shared by every worker that reads a file or a blob.
///
/// A worker takes a [`Permit`] for a blob's size before it reads (or, where the blob is
/// already decoded, before it scans) and gives it back when done; when the bytes in hand
/// would go over the capacity it waits until others finish. A blob larger than the whole
/// capacity gets no permit: it is skipped and reported. Each worker holds one permit at a
/// time, so waiting cannot deadlock.
///
/// ```
/// use keysnare_types::MemoryGate;
///
/// let gate = MemoryGate::new(100);
/// let a = gate.acquire(60).expect("fits");
/// assert!(gate.acquire(101).is_none(), "larger than the capacity: never");
/// drop(a);
/// let _b = gate.acquire(100).expect("fits once the first is back");
/// assert_eq!(gate.peak(), 100);
/// ```
#[derive(Debug)]
pub struct MemoryGate {
    capacity: u64,
    state: Mutex<GateState>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    in_use: u64,
    peak: u64,
    /// Workers waiting for room.
    waiting: u32,
}

/// Bytes taken from a [`MemoryGate`], given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    gate: &'a MemoryGate,
    bytes: u64,
}

impl MemoryGate {
    /// A gate that lets `capacity` bytes be held at once.
    pub fn new(capacity: u64) -> MemoryGate {
        MemoryGate {
            capacity,
            state: Mutex::new(GateState::default()),
            freed: Condvar::new(),
        }
    }

    /// The bytes that may be held at once; also the largest single permit.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Takes `bytes`, waiting while they do not fit beside what others hold; `None` when
    /// `bytes` is more than the whole capacity.
    pub fn acquire(&self, bytes: u64) -> Option<Permit<'_>> {
        if bytes > self.capacity {
            return None;
        }
        let mut s = self.lock();
        while s.in_use + bytes > self.capacity {
            s.waiting += 1;
            s = self.freed.wait(s).unwrap_or_else(|e| e.into_inner());
            s.waiting -= 1;
        }
        s.in_use += bytes;
        s.peak = s.peak.max(s.in_use);
        Some(Permit { gate: self, bytes })
    }

    /// The most bytes held at once so far.
    pub fn peak(&self) -> u64 {
        self.lock().peak
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The state is three counters, consistent after every update: a panic elsewhere while
        // the lock was held leaves nothing half-done.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut s = self.gate.lock();
        s.in_use -= self.bytes;
        drop(s);
        self.gate.freed.notify_all();
    }
}

/// How a scan splits its memory budget, worked out before it starts.
///
/// The budget is heap: the parts it can size in advance are reserved first (the compiled
/// rules, the per-object bookkeeping and history graph of a full-history pass, and each
/// worker thread's scratch and delta-base cache). What is left is the **in-flight**
/// allowance: the bytes of file and blob content the workers may hold at once, enforced by
/// a [`MemoryGate`]. It is also the per-blob memory cap: a blob under the size cap but
/// larger than it is skipped and reported, and the scan is incomplete. When the reserves
/// alone leave too little, the plan runs fewer worker threads than asked; when even one
/// does not fit, it keeps a minimal allowance and says it is over budget.
///
/// The pack files a git scan maps are page cache, which the kernel can drop and read
/// again: they are reported ([`MemoryPlan::mapped`]) but take nothing from the budget.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryPlan {
    /// The budget, in bytes.
    pub budget: u64,
    /// Reserved for the compiled rules (keyword automata, regexes).
    pub rules: u64,
    /// Reserved for the full-history pass's per-object bookkeeping (delta tree, blob sets)
    /// and the history graph.
    pub index: u64,
    /// Pack files mapped while read: file-backed pages, counted in the resident size but
    /// not in the budget (the kernel can drop them and read them again).
    pub mapped: u64,
    /// Reserved for the worker threads' scratch: regex caches, inflate buffers, matcher
    /// state.
    pub workers: u64,
    /// The delta-base caches of the threads that read objects by id.
    pub caches: u64,
    /// Bytes of content the workers may hold at once, and the largest one blob may take.
    pub in_flight: u64,
    /// Worker threads the plan allows.
    pub threads: usize,
    /// Worker threads asked for (one per core when none were named).
    pub asked: usize,
    /// Delta-base cache per reading thread, in bytes.
    pub pack_cache: u64,
}

impl MemoryPlan {
    /// Everything the plan reserves and allows from the budget, in bytes (the mapped packs
    /// are not part of it).
    pub fn planned(&self) -> u64 {
        self.rules + self.index + self.workers + self.caches + self.in_flight
    }

    /// Whether the plan fits in the budget.
    pub fn fits(&self) -> bool {
        self.planned() <= self.budget
    }

    /// Whether the budget runs fewer worker threads than were asked for.
    pub fn threads_cut(&self) -> bool {
        self.threads < self.asked
    }
}

/// What a scan planned and used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryUse {
    /// The plan the scan ran with.
    pub plan: MemoryPlan,
    /// The most content bytes the workers held at once.
    pub peak_in_flight: u64,
    /// The process's peak resident set size, where the platform tells it (Unix) and the
    /// scan raised it.
    pub peak_rss: Option<u64>,
}

impl MemoryUse {
    /// The most the resident size may reach within the plan: the budget, and the mapped
    /// packs' pages, which the resident size counts too.
    pub fn resident_limit(&self) -> u64 {
        self.plan.budget.saturating_add(self.plan.mapped)
    }

    /// Whether the process went over its budget: the plan did not fit, or the peak
    /// resident size went past the budget and the mapped packs.
    pub fn over_budget(&self) -> bool {
        !self.plan.fits() || self.peak_rss.is_some_and(|r| r > self.resident_limit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn holders_never_exceed_the_capacity() {
        let gate = Arc::new(MemoryGate::new(1000));
        let held = Arc::new(AtomicU64::new(0));
        let most = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8u64)
            .map(|t| {
                let (gate, held, most) = (gate.clone(), held.clone(), most.clone());
                std::thread::spawn(move || {
                    for i in 0..200u64 {
                        let n = 100 + (t * 37 + i * 13) % 600;
                        let _p = gate.acquire(n).expect("fits");
                        let now = held.fetch_add(n, Ordering::SeqCst) + n;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        held.fetch_sub(n, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= 1000);
        assert!(gate.peak() <= 1000 && gate.peak() >= 100);
        assert_eq!(gate.lock().in_use, 0, "every permit was given back");
    }

    #[test]
    fn mapped_packs_are_outside_the_budget_but_inside_the_resident_limit() {
        let plan = MemoryPlan {
            budget: 1000,
            rules: 100,
            index: 300,
            mapped: 400,
            workers: 200,
            caches: 100,
            in_flight: 300,
            threads: 2,
            asked: 4,
            pack_cache: 50,
        };
        assert_eq!(
            plan.planned(),
            1000,
            "the mapped packs are not planned heap"
        );
        assert!(plan.fits() && plan.threads_cut());
        let used = |peak_rss| MemoryUse {
            plan: plan.clone(),
            peak_in_flight: 0,
            peak_rss,
        };
        assert_eq!(used(None).resident_limit(), 1400);
        // Resident pages of the packs count in the peak, not against the budget.
        assert!(!used(Some(1400)).over_budget());
        assert!(used(Some(1401)).over_budget());
        let over = MemoryPlan {
            in_flight: 301,
            ..plan.clone()
        };
        assert!(!over.fits());
    }

    #[test]
    fn a_waiting_worker_goes_on_when_bytes_come_back() {
        let gate = Arc::new(MemoryGate::new(10));
        let p = gate.acquire(8).unwrap();
        let g = gate.clone();
        let waiter = std::thread::spawn(move || g.acquire(5).map(|p| p.bytes));
        // Until the waiter is inside `acquire`, waiting for room (or, wrongly, done).
        while gate.lock().waiting == 0 && !waiter.is_finished() {
            std::thread::yield_now();
        }
        assert!(!waiter.is_finished(), "5 more bytes do not fit beside 8");
        assert_eq!(gate.lock().waiting, 1);
        drop(p);
        assert_eq!(waiter.join().unwrap(), Some(5));
        assert_eq!(gate.lock().waiting, 0);
    }
}
