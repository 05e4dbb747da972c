//! A record of what an executor did and when: each poll (and what it
//! answered) and each wake, per task.
//!
//! Probes ([`crate::probe`]) record into a [`Trace`] when asked to, and the
//! walkthrough draws the events as a timeline.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::threads;

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
    /// For a poll, when it began, if whoever recorded it said so (else
    /// `at`); for a run of polls, when the first began.
    pub began: Duration,
    /// For a run of events, when the last of them happened (else `at`).
    pub until: Duration,
    /// The thread it happened on ([`crate::threads::name`] names it): for a
    /// poll the thread that polled, for a wake the thread that woke.
    pub thread: usize,
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
    /// Dropped before it was ready: cancelled.
    Dropped,
}

impl EventKind {
    /// Whether a run of these can be counted as one event: not the end of a
    /// future (Ready, Dropped), which happens once.
    fn repeats(self) -> bool {
        matches!(self, EventKind::Pending | EventKind::Wake)
    }
}

impl Trace {
    /// Events of one task closer together than this are counted as one.
    pub const RESOLUTION: Duration = Duration::from_millis(1);

    /// An empty trace whose clock starts now.
    pub fn new() -> Self {
        Trace {
            start: Instant::now(),
            recorded: Mutex::default(),
        }
    }

    /// Records that `kind` happened to `task` just now.
    pub fn record(&self, task: usize, kind: EventKind) {
        self.record_since(task, kind, None);
    }

    /// Records that `kind` happened to `task` just now, and, for a poll,
    /// that it `began` then.
    pub fn record_since(&self, task: usize, kind: EventKind, began: Option<Instant>) {
        let at = self.start.elapsed();
        let began = began.map_or(at, |began| began.saturating_duration_since(self.start));
        let thread = threads::current();
        let mut recorded = self.recorded.lock().unwrap();
        let Recorded { events, latest } = &mut *recorded;
        if latest.len() <= task {
            latest.resize(task + 1, None);
        }
        if let Some(index) = latest[task] {
            let previous = &mut events[index];
            let same = previous.kind == kind && previous.thread == thread;
            if same && kind.repeats() && at - previous.at < Self::RESOLUTION {
                previous.count += 1;
                previous.until = at;
                return;
            }
        }
        latest[task] = Some(events.len());
        events.push(Event {
            at,
            began,
            until: at,
            thread,
            task,
            kind,
            count: 1,
        });
    }

    /// The events so far, in the order they were recorded.
    pub fn events(&self) -> Vec<Event> {
        self.recorded.lock().unwrap().events.clone()
    }

    /// The tasks whose latest event is a wake at least `limit` old: woken,
    /// and not polled since. A task that something keeps but no longer
    /// polls (a future held by `&mut` across the turns of a `select` loop)
    /// looks like this, and so does one whose executor is stuck.
    pub fn woken_not_polled(&self, limit: Duration) -> Vec<(usize, Duration)> {
        let now = self.start.elapsed();
        let recorded = self.recorded.lock().unwrap();
        let latest = recorded.latest.iter().enumerate();
        let latest = latest.filter_map(|(task, index)| Some((task, recorded.events[(*index)?])));
        latest
            .filter(|(_, event)| event.kind == EventKind::Wake && now - event.at >= limit)
            .map(|(task, event)| (task, now - event.at))
            .collect()
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
        let events: Vec<_> = trace
            .events()
            .iter()
            .map(|event| (event.task, event.kind, event.count))
            .collect();
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
    fn a_task_whose_latest_event_is_an_old_wake_is_woken_not_polled() {
        let trace = Trace::new();
        trace.record(0, EventKind::Pending);
        trace.record(0, EventKind::Wake);
        trace.record(1, EventKind::Pending);
        trace.record(1, EventKind::Wake);
        trace.record(1, EventKind::Ready);
        trace.record(2, EventKind::Pending);
        std::thread::sleep(Duration::from_millis(20));
        // Only task 0: woken, and not polled since. Task 1 was polled after
        // its wake; task 2 was never woken.
        let stalled = trace.woken_not_polled(Duration::from_millis(20));
        assert_eq!(
            stalled.iter().map(|(task, _)| *task).collect::<Vec<_>>(),
            [0]
        );
        assert!(stalled[0].1 >= Duration::from_millis(20));
        // Within the limit, nothing is stalled yet.
        assert!(trace.woken_not_polled(Duration::from_secs(3600)).is_empty());
    }

    #[test]
    fn drops_and_readies_are_never_counted_as_one() {
        let trace = Trace::new();
        trace.record(0, EventKind::Dropped);
        trace.record(0, EventKind::Dropped);
        assert_eq!(trace.events().len(), 2);
    }
}
