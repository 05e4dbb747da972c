//! Probes: counting and tracing a run from outside the executor.
//!
//! An executor's code is its lesson; how many polls and wakes a run took,
//! and when, is measured by wrapping what the executor is given. [`Probe`]
//! holds the counts of one run (and its [`Trace`], if asked for);
//! [`Probe::watch`] wraps a `std` future so that each of its polls is
//! counted, and each poll hands the future a waker of its own that counts
//! each wake before passing it on to the executor's waker.
//!
//! That waker is made fresh at every poll, and the wrapper keeps nothing
//! between polls. So a future that keeps no waker holds no reference to the
//! executor's waker after its poll, through the probe or otherwise, and an
//! executor that asks whether anyone could still wake a task (stage 4's
//! stuck-task check) gets the same answer with or without the probe. The
//! price is one allocation per poll: time plain runs, never probed ones.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use pin_project_lite::pin_project;

use crate::measure::{Measurement, Stopwatch};
use crate::trace::{Event, EventKind, Trace};

/// Runs `run` with a new probe (tracing if `trace`), and returns what it gave
/// and what the probe saw: how an executor's stats are taken from outside.
pub fn observe<R>(trace: bool, run: impl FnOnce(&Arc<Probe>) -> R) -> (R, Observed) {
    let probe = Probe::new(trace);
    let output = run(&probe);
    (output, probe.observed())
}

/// The polls and wakes of one run, counted (and traced, if asked) from
/// any thread.
#[derive(Debug)]
pub struct Probe {
    stopwatch: Stopwatch,
    /// Counts only: Relaxed, since nothing is read through them.
    polls: AtomicU64,
    wakes: AtomicU64,
    trace: Option<Trace>,
}

/// What a [`Probe`] saw.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Calls to `poll`, over all tasks.
    pub polls: u64,
    /// Wakes of the wakers handed out through the probe.
    pub wakes: u64,
    /// Wall and CPU time since the probe was made.
    pub took: Measurement,
    /// Every poll and wake, if a trace was asked for.
    pub trace: Option<Vec<Event>>,
}

impl Probe {
    /// Starts counting now; with `trace`, also records every event.
    pub fn new(trace: bool) -> Arc<Self> {
        Arc::new(Probe {
            stopwatch: Stopwatch::start(),
            polls: AtomicU64::new(0),
            wakes: AtomicU64::new(0),
            trace: trace.then(Trace::new),
        })
    }

    /// Task `task` was polled, and answered Ready or Pending.
    pub fn polled(&self, task: usize, ready: bool) {
        self.polled_since(task, ready, None);
    }

    /// Task `task` was polled from `began` until now, and answered Ready or
    /// Pending: the trace keeps the poll as a span.
    pub fn polled_since(&self, task: usize, ready: bool, began: Option<Instant>) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if let Some(trace) = &self.trace {
            let kind = match ready {
                true => EventKind::Ready,
                false => EventKind::Pending,
            };
            trace.record_since(task, kind, began);
        }
    }

    /// A waker of task `task` was woken.
    pub fn woken(&self, task: usize) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
        if let Some(trace) = &self.trace {
            trace.record(task, EventKind::Wake);
        }
    }

    /// Task `task` was dropped before it was ready (only the trace keeps it).
    pub fn dropped(&self, task: usize) {
        if let Some(trace) = &self.trace {
            trace.record(task, EventKind::Dropped);
        }
    }

    /// The tasks woken at least `limit` ago and not polled since, and how
    /// long ago, if this probe traces: [`Trace::woken_not_polled`].
    pub fn woken_not_polled(
        &self,
        limit: std::time::Duration,
    ) -> Vec<(usize, std::time::Duration)> {
        self.trace
            .as_ref()
            .map_or_else(Vec::new, |trace| trace.woken_not_polled(limit))
    }

    /// The counts and times so far, and the trace if there is one.
    pub fn observed(&self) -> Observed {
        Observed {
            polls: self.polls.load(Ordering::Relaxed),
            wakes: self.wakes.load(Ordering::Relaxed),
            took: self.stopwatch.elapsed(),
            trace: self.trace.as_ref().map(Trace::events),
        }
    }

    /// `future`, as task `task`: its polls and its wakes reach this probe.
    pub fn watch<F: Future>(self: &Arc<Self>, task: usize, future: F) -> Watched<F> {
        Watched {
            future,
            task,
            probe: Arc::clone(self),
            ready: false,
        }
    }
}

pin_project! {
    /// A future whose polls and wakes a [`Probe`] counts: [`Probe::watch`].
    /// Dropped before it was ready, it records that too: it was cancelled.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Watched<F> {
        #[pin]
        future: F,
        task: usize,
        probe: Arc<Probe>,
        ready: bool,
    }

    impl<F> PinnedDrop for Watched<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.ready {
                this.probe.dropped(*this.task);
            }
        }
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let (task, probe) = (*this.task, Arc::clone(this.probe));
        // Fresh at every poll and dropped with it, unless the future keeps it.
        let waker = Waker::from(Arc::new(CountingWaker {
            inner: cx.waker().clone(),
            task,
            probe,
        }));
        let began = Instant::now();
        let poll = this.future.poll(&mut Context::from_waker(&waker));
        this.probe.polled_since(task, poll.is_ready(), Some(began));
        *this.ready = poll.is_ready();
        poll
    }
}

/// The waker a watched future sees: counts a wake, then passes it on.
struct CountingWaker {
    inner: Waker,
    task: usize,
    probe: Arc<Probe>,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.probe.woken(self.task);
        match Arc::try_unwrap(self) {
            Ok(last) => last.inner.wake(),
            Err(shared) => shared.inner.wake_by_ref(),
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.probe.woken(self.task);
        self.inner.wake_by_ref();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::WakeCounter;

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
        let observed = probe.observed();
        assert_eq!((observed.polls, observed.wakes), (4000, 4000));
        assert!(
            observed.trace.is_none(),
            "a trace was kept though none was asked for"
        );
    }

    /// Pending once, handing its waker to `keep` (or dropping it); then Ready.
    struct Once {
        polled: bool,
        keep: Option<std::sync::mpsc::Sender<Waker>>,
    }

    impl Future for Once {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if std::mem::replace(&mut self.polled, true) {
                return Poll::Ready(());
            }
            if let Some(keep) = &self.keep {
                keep.send(cx.waker().clone()).unwrap();
            }
            Poll::Pending
        }
    }

    #[test]
    fn a_watched_future_holds_no_waker_after_a_poll_unless_the_future_kept_one() {
        let (probe, counter) = (Probe::new(true), WakeCounter::new());
        let waker = counter.waker();
        let mut cx = Context::from_waker(&waker);

        let mut forgetful = Box::pin(probe.watch(
            0,
            Once {
                polled: false,
                keep: None,
            },
        ));
        assert!(forgetful.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            counter.live_wakers(),
            1,
            "only ours: the probe kept no clone of it"
        );

        let (keep, kept) = std::sync::mpsc::channel();
        let mut keeper = Box::pin(probe.watch(
            1,
            Once {
                polled: false,
                keep: Some(keep),
            },
        ));
        assert!(keeper.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            counter.live_wakers(),
            2,
            "the future's waker holds the executor's"
        );
        kept.recv().unwrap().wake();
        assert_eq!(
            (counter.wakes(), counter.live_wakers()),
            (1, 1),
            "the wake went through, the clone is gone"
        );
        assert!(keeper.as_mut().poll(&mut cx).is_ready());

        let observed = probe.observed();
        assert_eq!((observed.polls, observed.wakes), (3, 1));
        let kinds: Vec<_> = observed
            .trace
            .unwrap()
            .iter()
            .map(|event| (event.task, event.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (0, EventKind::Pending),
                (1, EventKind::Pending),
                (1, EventKind::Wake),
                (1, EventKind::Ready)
            ]
        );
    }

    #[test]
    fn a_watched_future_dropped_before_it_was_ready_is_recorded_as_dropped() {
        let probe = Probe::new(true);
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut cancelled = Box::pin(probe.watch(0, std::future::pending::<()>()));
        assert!(cancelled.as_mut().poll(&mut cx).is_pending());
        drop(cancelled);
        let mut finished = Box::pin(probe.watch(1, std::future::ready(())));
        assert!(finished.as_mut().poll(&mut cx).is_ready());
        drop(finished);
        let kinds: Vec<_> = probe
            .observed()
            .trace
            .unwrap()
            .iter()
            .map(|event| (event.task, event.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (0, EventKind::Pending),
                (0, EventKind::Dropped),
                (1, EventKind::Ready)
            ]
        );
    }
}
