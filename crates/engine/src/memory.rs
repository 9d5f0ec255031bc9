//! The memory budget of a scan: how it is split before the scan starts
//! ([`plan`]), and the process's peak resident size once it is done ([`PeakRss`]).
//!
//! The reserves are sizes measured on the history benchmark (2.8 GiB of history, 147,000
//! objects, the default rules) with headroom, not worst cases proven by construction; the
//! benchmark checks the scan's peak resident size against the budget it reports.
use keysnare_git::OdbSize;
use keysnare_types::MemoryPlan;

/// The budget when none is given: 1 GiB, or [`DEFAULT_BUDGET_PER_THREAD`] per worker
/// thread when that is more (so that a many-core machine is not held to fewer threads).
pub const DEFAULT_MEMORY_BUDGET: u64 = 1 << 30;

/// The default budget's share per worker thread on machines with many cores.
pub const DEFAULT_BUDGET_PER_THREAD: u64 = 128 << 20;

/// Reserved for the compiled rules: the default pack's keyword automaton and regexes take
/// about 30 MiB once every rule has run.
pub const RULES_RESERVE: u64 = 48 << 20;

/// Reserved per worker thread: its matcher's regex caches and scratch (about 20 MiB), and
/// the delta-tree pass's inflate buffers (about 20 MiB).
pub const WORKER_RESERVE: u64 = 48 << 20;

/// Reserved per packed object in a full-history scan: gix's delta tree (about 170 bytes
/// an object) and the scan's sets of blob ids.
pub const INDEX_BYTES_PER_OBJECT: u64 = 256;

/// The least in-flight allowance a plan keeps, whatever the budget.
pub const MIN_IN_FLIGHT: u64 = 16 << 20;

/// The largest delta-base cache a reading thread gets.
const MAX_PACK_CACHE: u64 = keysnare_git::DEFAULT_PACK_CACHE as u64;

/// What a scan will touch, for [`plan`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Workload {
    /// Worker threads asked for (0: one per core).
    pub threads: usize,
    /// The size cap: the plan keeps room for one blob of this size before it adds threads.
    pub max_file_size: u64,
    /// The object database, for git scans.
    pub odb: Option<OdbSize>,
    /// Whether every object is read (a full-history scan), so the per-object bookkeeping
    /// is needed.
    pub full_history: bool,
}

/// The threads `threads` asks for (0: one per core).
fn wanted_threads(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// The budget when none is given, for `threads` worker threads (0: one per core).
pub fn default_budget(threads: usize) -> u64 {
    DEFAULT_MEMORY_BUDGET.max(wanted_threads(threads) as u64 * DEFAULT_BUDGET_PER_THREAD)
}

/// Splits `budget` for `work`: reserves for the rules, the
/// object bookkeeping, the mapped packs and each worker thread, delta-base caches for git
/// reads, and the rest as the in-flight allowance. Threads are cut down until each has its
/// reserve and the allowance can hold a blob at the size cap (or, when even one thread
/// cannot have that, its minimum).
pub fn plan(budget: u64, work: &Workload) -> MemoryPlan {
    let wanted = wanted_threads(work.threads);
    let rules = RULES_RESERVE;
    let (index, mapped) = match work.odb {
        Some(o) => (
            if work.full_history {
                o.packed_objects * INDEX_BYTES_PER_OBJECT
            } else {
                0
            },
            o.pack_bytes,
        ),
        None => (0, 0),
    };
    let available = budget.saturating_sub(rules + index + mapped);
    let mut threads = wanted.max(1);
    let room = work.max_file_size.max(MIN_IN_FLIGHT);
    while threads > 1 && (threads as u64) * WORKER_RESERVE + room > available {
        threads -= 1;
    }
    let workers = threads as u64 * WORKER_RESERVE;
    let left = available.saturating_sub(workers);
    // Git reads by id keep a delta-base cache per thread: a quarter of what is left, split,
    // and never out of the least content allowance.
    let pack_cache = if work.odb.is_some() {
        (left / 4)
            .min(left.saturating_sub(MIN_IN_FLIGHT))
            .div_euclid(threads as u64)
            .min(MAX_PACK_CACHE)
    } else {
        0
    };
    let caches = pack_cache * threads as u64;
    let in_flight = left.saturating_sub(caches).max(MIN_IN_FLIGHT);
    MemoryPlan {
        budget,
        rules,
        index,
        mapped,
        workers,
        caches,
        in_flight,
        threads,
        pack_cache,
    }
}

/// The process's peak resident set size as a scan raises it.
///
/// The peak comes from `getrusage` (`ru_maxrss`). On Linux that value outlives `exec`: a
/// process started by a larger one begins with the larger one's peak. A reading taken when
/// the scan starts tells the two apart: a higher reading later is this process's own peak;
/// an equal one only says the scan stayed under a peak set before it, and is not reported.
#[derive(Clone, Copy, Debug)]
pub struct PeakRss {
    start: Option<u64>,
}

impl PeakRss {
    /// Takes the reading the scan's peak is compared with.
    pub fn start() -> PeakRss {
        PeakRss { start: max_rss() }
    }

    /// The peak resident set size in bytes, if it rose since [`PeakRss::start`]; `None`
    /// when it did not, or where the platform does not tell it (not Unix).
    pub fn peak(&self) -> Option<u64> {
        let now = max_rss()?;
        (now > self.start?).then_some(now)
    }
}

/// `ru_maxrss` of the process, in bytes.
#[cfg(unix)]
#[allow(unsafe_code)]
fn max_rss() -> Option<u64> {
    // SAFETY: `rusage` is plain integers, so all zeroes is a valid value; `getrusage`
    // writes into the one the pointer points at and reads nothing through it.
    let usage = unsafe {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return None;
        }
        usage.assume_init()
    };
    let max = u64::try_from(usage.ru_maxrss).ok()?;
    // Apple's systems count bytes; Linux and the BSDs count KiB.
    if cfg!(target_vendor = "apple") {
        Some(max)
    } else {
        max.checked_mul(1024)
    }
}

#[cfg(not(unix))]
fn max_rss() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    fn workloads() -> impl Strategy<Value = Workload> {
        let odb = (0..5_000_000u64, 0..8 * GIB).prop_map(|(packed_objects, pack_bytes)| OdbSize {
            packed_objects,
            pack_bytes,
        });
        (
            1..64usize,
            0..2 * GIB,
            proptest::option::of(odb),
            any::<bool>(),
        )
            .prop_map(|(threads, max_file_size, odb, full_history)| Workload {
                threads,
                max_file_size,
                odb,
                full_history: full_history && odb.is_some(),
            })
    }

    /// What a scan needs at least: the rules, the history index and mapped packs, one
    /// worker, the least content in flight (what the warning of an unfit plan names).
    fn least(p: &MemoryPlan) -> u64 {
        p.rules + p.index + p.mapped + WORKER_RESERVE + MIN_IN_FLIGHT
    }

    /// Budgets anywhere, and budgets near the least the workload needs (where threads are
    /// cut and reserves meet), half of each.
    fn budgets(work: Workload) -> impl Strategy<Value = (Workload, u64)> {
        let near = least(&plan(0, &work));
        prop_oneof![0..64 * GIB, near.saturating_sub(64 * MIB)..near + 512 * MIB]
            .prop_map(move |budget| (work, budget))
    }

    fn cases() -> impl Strategy<Value = (Workload, u64)> {
        workloads().prop_flat_map(budgets)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn threads_are_at_least_one_and_at_most_those_asked_for(
            (work, budget) in cases(),
        ) {
            let p = plan(budget, &work);
            prop_assert!(p.threads >= 1 && p.threads <= work.threads, "{p:?}");
        }

        #[test]
        fn a_budget_that_holds_the_least_a_scan_needs_is_never_exceeded(
            (work, budget) in cases(),
        ) {
            let p = plan(budget, &work);
            prop_assert_eq!(p.budget, budget);
            if least(&p) <= budget {
                prop_assert!(p.fits() && p.planned() <= budget, "{:?}: {}", p, p.planned());
            } else {
                // Below it, the scan runs with the least it needs and says it is over.
                prop_assert!(!p.fits() && p.threads == 1, "{:?}", p);
                prop_assert_eq!(p.planned(), least(&p) + p.caches);
            }
        }

        #[test]
        fn more_budget_never_runs_fewer_threads(
            (work, budget) in cases(),
            more in prop_oneof![0..32 * GIB, 0..256 * MIB],
        ) {
            let (small, large) = (plan(budget, &work), plan(budget + more, &work));
            prop_assert!(small.threads <= large.threads, "{:?} / {:?}", small, large);
        }

        #[test]
        fn threads_are_cut_only_to_keep_room_for_a_blob_at_the_size_cap(
            (work, budget) in cases(),
        ) {
            let p = plan(budget, &work);
            // Content room before the delta-base caches take their share.
            let room = p.in_flight + p.caches;
            let blob = work.max_file_size.max(MIN_IN_FLIGHT);
            if p.threads > 1 {
                prop_assert!(room >= blob, "{:?}", p);
            }
            if p.threads < work.threads {
                // One more thread would not have left that room.
                prop_assert!(room < blob + WORKER_RESERVE, "{:?}", p);
            }
            if work.odb.is_none() && p.threads > 1 {
                prop_assert!(p.in_flight >= work.max_file_size, "{:?}", p);
            }
        }

        #[test]
        fn only_git_reads_get_delta_caches_and_at_most_a_quarter_of_the_room(
            (work, budget) in cases(),
        ) {
            let p = plan(budget, &work);
            prop_assert_eq!(p.caches, p.pack_cache * p.threads as u64);
            prop_assert!(p.pack_cache <= MAX_PACK_CACHE, "{:?}", p);
            if work.odb.is_none() {
                prop_assert_eq!(p.caches, 0);
            }
            prop_assert!(p.caches <= (p.in_flight + p.caches) / 4, "{:?}", p);
        }

        #[test]
        fn only_full_history_reserves_the_history_index(
            (work, budget) in cases(),
        ) {
            let p = plan(budget, &work);
            prop_assert_eq!(p.index > 0, work.full_history && work.odb.is_some_and(|o| o.packed_objects > 0));
            prop_assert_eq!(p.mapped, work.odb.map_or(0, |o| o.pack_bytes));
        }
    }

    /// A git scan whose budget is a little over the least it needs: the delta-base caches
    /// took a quarter of what was left, then the least content allowance was put back on
    /// top, and the plan went over a budget that held it.
    #[test]
    fn delta_caches_do_not_take_the_least_content_allowance() {
        let work = Workload {
            max_file_size: 0,
            threads: 1,
            odb: Some(OdbSize {
                packed_objects: 0,
                pack_bytes: 0,
            }),
            full_history: false,
        };
        let least = RULES_RESERVE + WORKER_RESERVE + MIN_IN_FLIGHT;
        for budget in [least, least + MIB, least + MIN_IN_FLIGHT / 3] {
            let p = plan(budget, &work);
            assert!(p.fits() && p.planned() == budget, "{p:?}: {}", p.planned());
            assert!(p.in_flight >= MIN_IN_FLIGHT, "{p:?}");
        }
    }

    #[test]
    fn the_default_budget_keeps_every_thread_at_the_default_size_cap() {
        let mut last = 0;
        for threads in 1..=256 {
            let budget = default_budget(threads);
            assert!(
                budget >= DEFAULT_MEMORY_BUDGET && budget >= last,
                "{threads}: {budget}"
            );
            last = budget;
            let work = Workload {
                max_file_size: 64 * MIB,
                threads,
                odb: None,
                full_history: false,
            };
            let p = plan(budget, &work);
            assert_eq!(p.threads, threads, "{p:?}");
            assert!(p.fits() && p.in_flight >= 64 * MIB, "{p:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_peak_is_the_memory_this_process_touched_in_bytes() {
        let rss = PeakRss::start();
        let before = max_rss().expect("getrusage");
        // Touch more than the peak so far, so the peak has to rise to at least this.
        let size = usize::try_from(before + 64 * MIB).expect("a size this machine can hold");
        let mut held = vec![0u8; size];
        for i in (0..size).step_by(4096) {
            held[i] = 1;
        }
        std::hint::black_box(&mut held);
        let peak = rss.peak().expect("the peak rose");
        assert!(peak >= size as u64, "{peak} < {size}");
    }
}
