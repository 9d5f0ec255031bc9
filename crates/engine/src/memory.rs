//! The memory budget of a scan: how it is split before the scan starts
//! ([`plan`]), and the process's peak resident size once it is done ([`PeakRss`]).
//!
//! The budget is heap. The pack files a git scan maps are page cache, which the kernel can
//! drop and read again: the plan reports their size but reserves nothing for them, and the
//! peak resident size (which counts their pages) is held to the budget plus their size.
//!
//! The reserves are sizes measured on the history benchmark (2.8 GiB of history, 147,000
//! objects, the default rules) and on rails/rails (1.24 million objects, 19 million tree
//! entries) with headroom, not worst cases proven by construction; the benchmark checks the
//! scan's peak resident size against the budget it reports.
use keysnare_git::OdbSize;
use keysnare_types::MemoryPlan;
use keysnare_walk::DEFAULT_MAX_FILE_SIZE;

/// The budget when none is given: 1 GiB, or [`DEFAULT_BUDGET_PER_THREAD`] per worker
/// thread when that is more (so that a many-core machine is not held to fewer threads),
/// raised for a large history by [`default_budget_for`].
pub const DEFAULT_MEMORY_BUDGET: u64 = 1 << 30;

/// The default budget's share per worker thread on machines with many cores.
pub const DEFAULT_BUDGET_PER_THREAD: u64 = 128 << 20;

/// Reserved for the compiled rules: the default pack's keyword automaton and regexes take
/// about 30 MiB once every rule has run.
pub const RULES_RESERVE: u64 = 48 << 20;

/// Reserved per worker thread: its matcher's regex caches and scratch (about 20 MiB), and
/// the delta-tree pass's inflate buffers (about 20 MiB).
pub const WORKER_RESERVE: u64 = 48 << 20;

/// Reserved per packed object while a full-history pass walks the packs: gix's delta tree
/// (about 170 bytes an object of the pack it walks, given back when the pack is done).
pub const DELTA_TREE_BYTES_PER_OBJECT: u64 = 176;

/// Reserved per packed object for what a full-history scan keeps to its end: the history
/// graph's id, edge bookkeeping and mark (33 bytes an object), its tree and commit records
/// (12 bytes a tree, 24 a commit and 4 a parent: about 11 bytes an object on rails/rails),
/// and the set of blob ids seen (up to 48 bytes a blob: about 12 an object).
pub const INDEX_BYTES_PER_OBJECT: u64 = 80;

/// Reserved per tree entry of the history graph: its edge (4 bytes). While the workers'
/// records become one array at the end of the pass, each edge is held twice; the delta
/// trees are gone by then, and the plan reserves the larger of the two moments.
pub const GRAPH_BYTES_PER_TREE_ENTRY: u64 = 4;

/// Pack bytes per tree entry, to estimate the graph's entries before the pass counts them
/// (pack indexes tell objects, not entries): rails/rails holds 19 million entries in a
/// 380 MB pack, 20 bytes each; 16 keeps headroom. Only an estimate: a tree stored as a
/// delta of another holds all its entries in a few bytes, and a pack of large blobs holds
/// few entries for its size (hence also [`MAX_TREE_ENTRIES_PER_OBJECT`]).
pub const PACK_BYTES_PER_TREE_ENTRY: u64 = 16;

/// The most tree entries per packed object the estimate assumes (rails/rails has 15), so a
/// pack of a few large blobs is not taken for millions of entries.
pub const MAX_TREE_ENTRIES_PER_OBJECT: u64 = 32;

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

impl Workload {
    /// The heap a full-history scan of this database keeps for its bookkeeping: the larger
    /// of the pass (delta trees, graph so far) and its end (the graph's edges held twice).
    fn index(&self) -> u64 {
        let Some(odb) = self.odb.filter(|_| self.full_history) else {
            return 0;
        };
        let objects = odb.packed_objects;
        let entries = tree_entries(odb);
        let kept = objects.saturating_mul(INDEX_BYTES_PER_OBJECT);
        let pass = objects
            .saturating_mul(DELTA_TREE_BYTES_PER_OBJECT)
            .saturating_add(entries.saturating_mul(GRAPH_BYTES_PER_TREE_ENTRY));
        let end = entries.saturating_mul(2 * GRAPH_BYTES_PER_TREE_ENTRY);
        kept.saturating_add(pass.max(end))
    }

    /// The content room a plan keeps before it adds threads: one blob at the size cap.
    fn room(&self) -> u64 {
        self.max_file_size.max(MIN_IN_FLIGHT)
    }
}

/// The history graph's tree entries, estimated from the pack size (see
/// [`PACK_BYTES_PER_TREE_ENTRY`]).
fn tree_entries(odb: OdbSize) -> u64 {
    (odb.pack_bytes / PACK_BYTES_PER_TREE_ENTRY).min(
        odb.packed_objects
            .saturating_mul(MAX_TREE_ENTRIES_PER_OBJECT),
    )
}

/// The threads `threads` asks for (0: one per core).
fn wanted_threads(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// The budget when none is given and nothing is known of the workload, for `threads`
/// worker threads (0: one per core): also the least of [`default_budget_for`].
pub fn default_budget(threads: usize) -> u64 {
    DEFAULT_MEMORY_BUDGET.max(wanted_threads(threads) as u64 * DEFAULT_BUDGET_PER_THREAD)
}

/// The budget when none is given, for `work` on a machine with `machine` bytes of memory
/// (when known; see [`machine_memory`]): [`default_budget`], raised when a large history's
/// bookkeeping would leave the threads asked for too little, to what runs them all with a
/// blob at the size cap in flight (at most the default cap), but not past the machine's
/// memory. On a repository whose bookkeeping fits the machine, the default plan therefore
/// runs every thread asked for.
pub fn default_budget_for(work: &Workload, machine: Option<u64>) -> u64 {
    let floor = default_budget(work.threads);
    let threads = wanted_threads(work.threads).max(1) as u64;
    // Room for a blob at the default size cap: a larger cap (or a header claiming gigabytes
    // under it) does not raise the default; the plan cuts threads for it, as before.
    let room = work.room().min(DEFAULT_MAX_FILE_SIZE.max(MIN_IN_FLIGHT));
    let all = RULES_RESERVE
        .saturating_add(work.index())
        .saturating_add(threads.saturating_mul(WORKER_RESERVE))
        .saturating_add(room);
    floor.max(machine.map_or(all, |m| all.min(m)))
}

/// The machine's physical memory in bytes, where the platform tells it (Unix).
#[cfg(unix)]
#[allow(unsafe_code)]
pub fn machine_memory() -> Option<u64> {
    // SAFETY: `sysconf` reads a system value and touches no memory of ours.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let (pages, page) = (u64::try_from(pages).ok()?, u64::try_from(page).ok()?);
    pages.checked_mul(page).filter(|&m| m > 0)
}

/// The machine's physical memory in bytes, where the platform tells it (Unix).
#[cfg(not(unix))]
pub fn machine_memory() -> Option<u64> {
    None
}

/// Splits `budget` for `work`: reserves for the rules, the object bookkeeping and history
/// graph, and each worker thread, delta-base caches for git reads, and the rest as the
/// in-flight allowance. Threads are cut down until each has its reserve and the allowance
/// can hold a blob at the size cap (or, when even one thread cannot have that, its
/// minimum). The mapped packs are reported and take nothing (page cache, not heap).
pub fn plan(budget: u64, work: &Workload) -> MemoryPlan {
    let wanted = wanted_threads(work.threads);
    let rules = RULES_RESERVE;
    let index = work.index();
    let mapped = work.odb.map_or(0, |o| o.pack_bytes);
    let available = budget.saturating_sub(rules.saturating_add(index));
    let mut threads = wanted.max(1);
    let room = work.room();
    while threads > 1 && (threads as u64) * WORKER_RESERVE + room > available {
        threads -= 1;
    }
    let workers = threads as u64 * WORKER_RESERVE;
    let left = available.saturating_sub(workers);
    // Git reads by id keep a delta-base cache per thread: a quarter of what is left, split,
    // and never out of the room for a blob at the size cap (or the least content allowance).
    let pack_cache = if work.odb.is_some() {
        (left / 4)
            .min(left.saturating_sub(room))
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
        asked: wanted.max(1),
        pack_cache,
    }
}

/// The least budget that runs every thread `plan` was asked for: what a warning about cut
/// threads tells the user to give.
pub fn budget_for_all_threads(plan: &MemoryPlan, work: &Workload) -> u64 {
    (plan.rules + plan.index)
        .saturating_add((plan.asked as u64).saturating_mul(WORKER_RESERVE))
        .saturating_add(work.room())
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

    /// What a scan needs at least: the rules, the history index, one worker, the least
    /// content in flight (what the warning of an unfit plan names).
    fn least(p: &MemoryPlan) -> u64 {
        p.rules + p.index + WORKER_RESERVE + MIN_IN_FLIGHT
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
            prop_assert_eq!(p.asked, work.threads);
            prop_assert_eq!(p.threads_cut(), p.threads < work.threads);
        }

        #[test]
        fn mapped_packs_take_nothing_from_the_budget(
            (work, budget) in cases(),
            other_pack_bytes in 0..64 * GIB,
        ) {
            // Outside a full-history scan the pack size is only reported: any other size
            // plans the same.
            let work = Workload { full_history: false, ..work };
            let other = Workload {
                odb: work.odb.map(|o| OdbSize { pack_bytes: other_pack_bytes, ..o }),
                ..work
            };
            let (p, q) = (plan(budget, &work), plan(budget, &other));
            prop_assert_eq!(q.mapped, other.odb.map_or(0, |o| o.pack_bytes));
            prop_assert_eq!(MemoryPlan { mapped: p.mapped, ..q }, p);
        }

        #[test]
        fn the_default_budget_runs_every_thread_asked_for(
            work in workloads(),
            cap in prop_oneof![0..=DEFAULT_MAX_FILE_SIZE, 0..2 * GIB],
            machine in proptest::option::of(0..256 * GIB),
        ) {
            let work = Workload { max_file_size: cap, ..work };
            let budget = default_budget_for(&work, machine);
            let floor = default_budget(work.threads);
            prop_assert!(budget >= floor, "{budget}");
            let p = plan(budget, &work);
            let room = work.room().min(DEFAULT_MAX_FILE_SIZE);
            let all = RULES_RESERVE
                + work.index()
                + work.threads as u64 * WORKER_RESERVE
                + room;
            // Raised for the history, never for a size cap above the default.
            prop_assert!(budget <= floor.max(all), "{budget}");
            if machine.is_none_or(|m| m >= all) && work.max_file_size <= DEFAULT_MAX_FILE_SIZE {
                // The repository fits the machine: every thread, and a blob at the size cap.
                prop_assert_eq!(p.threads, work.threads, "{:?}", p);
                prop_assert!(p.fits() && p.in_flight >= work.max_file_size, "{:?}", p);
            } else if let Some(m) = machine {
                // Never past the machine's memory, unless the fixed default is already.
                prop_assert!(budget <= m.max(floor), "{budget}");
            }
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
                // The delta-base caches never take that room.
                prop_assert!(p.in_flight >= blob, "{:?}", p);
            }
            if p.threads < work.threads {
                // One more thread would not have left that room.
                prop_assert!(room < blob + WORKER_RESERVE, "{:?}", p);
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

    /// rails/rails, measured: a 379,687,134-byte pack and a 34,787,936-byte index,
    /// 1,242,388 objects (292,555 blobs, 788,586 trees with 19 million entries, 160,769
    /// commits).
    const RAILS: OdbSize = OdbSize {
        packed_objects: 1_242_388,
        pack_bytes: 379_687_134 + 34_787_936,
    };

    /// A stand-in for ansible/ansible (292,416 blobs, 4.9 GiB of them), whose pack was not
    /// at hand: 1.5 million objects in 600 MB, a little larger than rails. With 8 threads,
    /// the plan that counted mapped packs as heap ran 1 thread here under the default budget
    /// and let a blob take 16 MiB, as the issue measured on ansible.
    const ANSIBLE_STAND_IN: OdbSize = OdbSize {
        packed_objects: 1_500_000,
        pack_bytes: 600_000_000,
    };

    fn full_history(odb: OdbSize, threads: usize) -> Workload {
        Workload {
            threads,
            max_file_size: 64 * MIB,
            odb: Some(odb),
            full_history: true,
        }
    }

    #[test]
    fn a_large_history_keeps_8_and_16_threads_under_the_default_budget() {
        for odb in [RAILS, ANSIBLE_STAND_IN] {
            for threads in [8, 16] {
                let work = full_history(odb, threads);
                // The fixed default (1 GiB for 8 threads, 2 GiB for 16) and the one raised
                // for the workload alike.
                for budget in [default_budget(threads), default_budget_for(&work, None)] {
                    let p = plan(budget, &work);
                    assert_eq!(p.threads, threads, "{odb:?}: {p:?}");
                    assert!(!p.threads_cut() && p.fits(), "{odb:?}: {p:?}");
                    assert!(p.in_flight >= 64 * MIB, "{odb:?}: {p:?}");
                    assert_eq!(p.mapped, odb.pack_bytes, "reported, not reserved");
                }
            }
        }
    }

    #[test]
    fn the_history_index_counts_the_graph_and_the_delta_tree() {
        // rails/rails, measured: the graph about 120 MiB, gix's delta tree about 170 bytes
        // an object, the blob-id set at least 20 bytes a blob.
        let p = plan(GIB, &full_history(RAILS, 2));
        let measured = 120 * MIB + RAILS.packed_objects * 170 + 292_555 * 20;
        assert!(p.index >= measured, "{} < {measured}", p.index);
        // The tree entries estimated from the pack size hold the 19 million counted.
        assert!(tree_entries(RAILS) >= 19_000_000, "{}", tree_entries(RAILS));
        // A pack of a few large blobs is not taken for millions of tree entries.
        let blobs = OdbSize {
            packed_objects: 1_000,
            pack_bytes: 8 * GIB,
        };
        assert_eq!(tree_entries(blobs), 1_000 * MAX_TREE_ENTRIES_PER_OBJECT);
    }

    #[test]
    fn a_history_larger_than_the_fixed_default_raises_the_default_not_the_threads() {
        // Ten times rails: its bookkeeping alone is over the fixed default of 2 threads.
        let big = OdbSize {
            packed_objects: RAILS.packed_objects * 10,
            pack_bytes: RAILS.pack_bytes * 10,
        };
        let work = full_history(big, 2);
        let fixed = plan(default_budget(2), &work);
        assert!(!fixed.fits(), "{fixed:?}");
        let budget = default_budget_for(&work, Some(64 * GIB));
        let p = plan(budget, &work);
        assert!(
            p.threads == 2 && p.fits() && p.in_flight >= 64 * MIB,
            "{p:?}"
        );
        // On a machine that cannot hold it, the default stops at the machine's memory and
        // the plan runs fewer threads (and says so: `threads_cut`).
        let work = full_history(big, 16);
        let small = 4 * GIB + GIB / 2;
        let p = plan(default_budget_for(&work, Some(small)), &work);
        assert_eq!(p.budget, small);
        assert!(p.threads_cut() && p.threads > 1 && p.fits(), "{p:?}");
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
