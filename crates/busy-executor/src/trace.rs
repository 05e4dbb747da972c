//! What an executor did and when: counts of polls and wakes, and, when asked
//! for, a trace of them per task, which the walkthrough draws as a timeline.
//!
//! Defined here, with the first executor, and used by the executors after it,
//! so that all of them are measured the same way.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use socket_sim::measure::Stopwatch;

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
        let stats = RunStats {
            polls: self.polls.into_inner(),
            wakes: self.wakes.into_inner(),
            wall: took.wall,
            cpu: took.cpu,
        };
        (stats, self.trace)
    }
}

/// The events of one run, in the order they happened.
///
/// A busy executor polls millions of times; to keep the trace small, a run
/// of identical events of one task within [`Trace::RESOLUTION`] is kept as
/// one event with a count.
#[derive(Debug)]
pub struct Trace {
    start: Instant,
    recorded: Mutex<Recorded>,
}

#[derive(Debug, Default)]
struct Recorded {
    events: Vec<Event>,
    /// For each task, the index in `events` of its latest event.
    latest: Vec<Option<usize>>,
}

/// Something an executor did to one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// When, since the trace started (for a run of events: the first).
    pub at: Duration,
    /// The task: its index in the executor's input.
    pub task: usize,
    /// What happened.
    pub kind: EventKind,
    /// How many identical events in a row this one stands for.
    pub count: u64,
}

/// The kinds of [`Event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Polled; it answered Pending.
    Pending,
    /// Polled; it answered Ready.
    Ready,
    /// One of its wakers was woken.
    Wake,
}

impl Trace {
    /// Events of one task closer together than this are counted as one.
    pub const RESOLUTION: Duration = Duration::from_millis(1);

    /// An empty trace whose clock starts now.
    pub fn new() -> Self {
        Trace { start: Instant::now(), recorded: Mutex::default() }
    }

    /// Records that `kind` happened to `task` just now.
    pub fn record(&self, task: usize, kind: EventKind) {
        let at = self.start.elapsed();
        let mut recorded = self.recorded.lock().unwrap();
        let Recorded { events, latest } = &mut *recorded;
        if latest.len() <= task {
            latest.resize(task + 1, None);
        }
        if let Some(index) = latest[task] {
            let previous = &mut events[index];
            if previous.kind == kind
                && kind != EventKind::Ready
                && at - previous.at < Self::RESOLUTION
            {
                previous.count += 1;
                return;
            }
        }
        latest[task] = Some(events.len());
        events.push(Event { at, task, kind, count: 1 });
    }

    /// The events so far, in the order they were recorded.
    pub fn events(&self) -> Vec<Event> {
        self.recorded.lock().unwrap().events.clone()
    }
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_one_kind_are_counted_and_other_tasks_do_not_break_them() {
        let trace = Trace::new();
        for _ in 0..3 {
            trace.record(0, EventKind::Pending);
            trace.record(1, EventKind::Pending);
        }
        trace.record(0, EventKind::Ready);
        trace.record(1, EventKind::Wake);
        trace.record(1, EventKind::Ready);
        let events: Vec<_> =
            trace.events().iter().map(|event| (event.task, event.kind, event.count)).collect();
        assert_eq!(
            events,
            [
                (0, EventKind::Pending, 3),
                (1, EventKind::Pending, 3),
                (0, EventKind::Ready, 1),
                (1, EventKind::Wake, 1),
                (1, EventKind::Ready, 1),
            ]
        );
    }

    #[test]
    fn events_further_apart_than_the_resolution_stay_apart() {
        let trace = Trace::new();
        trace.record(0, EventKind::Wake);
        std::thread::sleep(Trace::RESOLUTION * 2);
        trace.record(0, EventKind::Wake);
        let events = trace.events();
        assert_eq!(events.len(), 2);
        assert!(events[1].at - events[0].at >= Trace::RESOLUTION);
    }

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
