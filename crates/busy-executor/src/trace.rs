//! What an executor did and when: counts of polls and wakes ([`Probe`]) and,
//! when asked for, a [`Trace`] of them per task, which the walkthrough draws
//! as a timeline.

use std::sync::atomic::{AtomicU64, Ordering};

use socket_sim::measure::Stopwatch;
pub use socket_sim::trace::{Event, EventKind, Trace};

use crate::RunStats;

/// Counts the polls and wakes of one run, and traces them if asked to.
///
/// All methods take `&self` and may be called from any thread: wakes come
/// from wherever a waker is woken.
#[derive(Debug)]
pub struct Probe {
    stopwatch: Stopwatch,
    polls: AtomicU64,
    wakes: AtomicU64,
    trace: Option<Trace>,
}

impl Probe {
    /// Starts counting now; with `trace`, also records every event.
    pub fn new(trace: bool) -> Self {
        Probe {
            stopwatch: Stopwatch::start(),
            polls: AtomicU64::new(0),
            wakes: AtomicU64::new(0),
            trace: trace.then(Trace::new),
        }
    }

    /// Task `task` was polled, and answered Ready or Pending.
    pub fn polled(&self, task: usize, ready: bool) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if let Some(trace) = &self.trace {
            trace.record(task, if ready { EventKind::Ready } else { EventKind::Pending });
        }
    }

    /// A waker of task `task` was woken.
    pub fn woken(&self, task: usize) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
        if let Some(trace) = &self.trace {
            trace.record(task, EventKind::Wake);
        }
    }

    /// The counts and times so far, and the trace if there is one.
    pub fn finish(self) -> (RunStats, Option<Trace>) {
        let took = self.stopwatch.elapsed();
        let stats =
            RunStats { polls: self.polls.into_inner(), wakes: self.wakes.into_inner(), wall: took.wall, cpu: took.cpu };
        (stats, self.trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_counts_polls_and_wakes_from_any_thread() {
        let probe = Probe::new(false);
        std::thread::scope(|scope| {
            for task in 0..4 {
                let probe = &probe;
                scope.spawn(move || {
                    for _ in 0..1000 {
                        probe.polled(task, false);
                        probe.woken(task);
                    }
                });
            }
        });
        let (stats, trace) = probe.finish();
        assert_eq!((stats.polls, stats.wakes), (4000, 4000));
        assert!(trace.is_none(), "a trace was kept though none was asked for");
    }
}
