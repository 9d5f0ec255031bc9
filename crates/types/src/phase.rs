//! How long the phases of a scan took, for `-v` and the JSON summary.
use std::time::{Duration, Instant};

/// One phase of a scan and its wall time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    /// What the phase did: `enumerate`, `blob pass`, `graph`, `work tree`, `provenance`,
    /// `findings`, `report`.
    pub name: &'static str,
    /// Wall time.
    pub elapsed: Duration,
}

/// Times consecutive phases: each [`Phases::end`] closes the phase that began at the
/// previous one (or at [`Phases::start`]).
#[derive(Clone, Debug)]
pub struct Phases {
    since: Instant,
    done: Vec<Phase>,
}

impl Phases {
    /// Starts the first phase now.
    pub fn start() -> Phases {
        Phases {
            since: Instant::now(),
            done: Vec::new(),
        }
    }

    /// Ends the current phase as `name` and starts the next.
    pub fn end(&mut self, name: &'static str) {
        let now = Instant::now();
        self.done.push(Phase {
            name,
            elapsed: now - self.since,
        });
        self.since = now;
    }

    /// The phases ended so far, in order.
    pub fn into_phases(self) -> Vec<Phase> {
        self.done
    }
}

/// `blob pass 41.2 s, provenance 0.3 s`: the phases on one line.
pub fn phases_line(phases: &[Phase]) -> String {
    phases
        .iter()
        .map(|p| format!("{} {:.2} s", p.name, p.elapsed.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_each_other_and_print_in_order() {
        let mut p = Phases::start();
        p.end("enumerate");
        p.end("blob pass");
        let phases = p.into_phases();
        assert_eq!(
            phases.iter().map(|p| p.name).collect::<Vec<_>>(),
            ["enumerate", "blob pass"]
        );
        let line = phases_line(&[
            Phase {
                name: "blob pass",
                elapsed: Duration::from_millis(41_234),
            },
            Phase {
                name: "provenance",
                elapsed: Duration::from_millis(250),
            },
        ]);
        assert_eq!(line, "blob pass 41.23 s, provenance 0.25 s");
    }
}
