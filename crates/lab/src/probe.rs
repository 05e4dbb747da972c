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
//!
//! Every probe also writes to one ledger per process: which watched tasks
//! are being polled, which were woken and wait for their poll, which can no
//! longer be woken. Two kinds of reader use it: a paused clock
//! ([`crate::clock`]) moves time on only when every probed run is [`idle`],
//! and a test that waits too long asks it what went wrong ([`hang`]), so
//! that it can say "task 0 was woken but never polled again" rather than
//! "it hung".

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

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
        LEDGER.probes.fetch_add(1, Ordering::SeqCst);
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
        LEDGER.last_poll.store(ticks(), Ordering::SeqCst);
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
            record: Finished(TaskRecord::new(task)),
            probe: Arc::clone(self),
            ready: false,
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        LEDGER.probes.fetch_sub(1, Ordering::SeqCst);
    }
}

pin_project! {
    /// A future whose polls and wakes a [`Probe`] counts: [`Probe::watch`].
    /// Dropped before it was ready, it records that too: it was cancelled.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Watched<F> {
        #[pin]
        future: F,
        record: Finished,
        probe: Arc<Probe>,
        ready: bool,
    }

    impl<F> PinnedDrop for Watched<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.ready {
                this.probe.dropped(this.record.0.task);
            }
        }
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let record = &this.record.0;
        // Ends the poll in the ledger when dropped, even by a panic in it.
        let polling = record.poll_starts();
        // Fresh at every poll and dropped with it, unless the future keeps it.
        let waker = Waker::from(CountingWaker::new(cx.waker(), record, this.probe));
        let began = Instant::now();
        let poll = this.future.poll(&mut Context::from_waker(&waker));
        drop(waker);
        this.probe
            .polled_since(record.task, poll.is_ready(), Some(began));
        if poll.is_ready() {
            record.finish();
        }
        *this.ready = poll.is_ready();
        drop(polling);
        poll
    }
}

/// The waker a watched future sees: counts a wake, then passes it on.
struct CountingWaker {
    inner: Waker,
    record: Arc<TaskRecord>,
    probe: Arc<Probe>,
}

impl CountingWaker {
    fn new(inner: &Waker, record: &Arc<TaskRecord>, probe: &Arc<Probe>) -> Arc<Self> {
        // SeqCst: see `Ledger`.
        record.live_wakers.fetch_add(1, Ordering::SeqCst);
        Arc::new(CountingWaker {
            inner: inner.clone(),
            record: Arc::clone(record),
            probe: Arc::clone(probe),
        })
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.record.woken();
        self.probe.woken(self.record.task);
        match Arc::try_unwrap(self) {
            // The last reference: the executor's waker is woken by value, as
            // it would have been without the probe.
            Ok(mut last) => std::mem::replace(&mut last.inner, Waker::noop().clone()).wake(),
            Err(shared) => shared.inner.wake_by_ref(),
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.record.woken();
        self.probe.woken(self.record.task);
        self.inner.wake_by_ref();
    }
}

impl Drop for CountingWaker {
    fn drop(&mut self) {
        // SeqCst: see `Ledger`. The time is written first, so that a reader
        // that sees no waker left also sees since when.
        self.record.changed.store(ticks(), Ordering::SeqCst);
        self.record.live_wakers.fetch_sub(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------
// The ledger: what the probes of this process see right now.
// ---------------------------------------------------------------------------

/// What every probe of the process writes to, and [`idle`] and [`hang`] read.
///
/// Every access is SeqCst. A reader takes several of these counts in turn
/// (and the paused clock then looks at the sockets): one total order of all
/// accesses is what makes "all of them zero" mean that nothing was under way
/// at one moment. This is bookkeeping for tests, never part of a measurement.
struct Ledger {
    /// Probes alive.
    probes: AtomicUsize,
    /// Watched polls under way.
    polling: AtomicUsize,
    /// Watched tasks woken and not polled since. Raised before a task is
    /// marked woken and lowered only after it was, so never below the truth.
    woken: AtomicUsize,
    /// [`Busy`] guards alive.
    busy: AtomicUsize,
    /// When the latest poll of any probe ended ([`ticks`]; 0: none yet).
    last_poll: AtomicU64,
    /// Every watched task, while it lives, for [`hang`].
    tasks: Mutex<Tasks>,
}

/// The watched tasks alive, each in a slot of its own until its `Watched`
/// is dropped: slots are reused, so that the list is as long as the most
/// tasks ever alive at once, and a finished task leaves nothing behind.
struct Tasks {
    slots: Vec<Option<Weak<TaskRecord>>>,
    free: Vec<usize>,
}

impl Tasks {
    fn alive(&self) -> Vec<Arc<TaskRecord>> {
        self.slots
            .iter()
            .flatten()
            .filter_map(Weak::upgrade)
            .collect()
    }
}

static LEDGER: Ledger = Ledger {
    probes: AtomicUsize::new(0),
    polling: AtomicUsize::new(0),
    woken: AtomicUsize::new(0),
    busy: AtomicUsize::new(0),
    last_poll: AtomicU64::new(0),
    tasks: Mutex::new(Tasks {
        slots: Vec::new(),
        free: Vec::new(),
    }),
};

fn tasks() -> std::sync::MutexGuard<'static, Tasks> {
    LEDGER
        .tasks
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
}

/// Time since the first use of the ledger, in nanoseconds, plus one (so that
/// 0 can mean "never").
fn ticks() -> u64 {
    static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
    EPOCH.elapsed().as_nanos() as u64 + 1
}

/// How long ago `tick` was; `None` for 0, "never".
fn ago(tick: u64) -> Option<Duration> {
    (tick != 0).then(|| Duration::from_nanos(ticks().saturating_sub(tick)))
}

/// One watched task, as the ledger sees it.
struct TaskRecord {
    task: usize,
    /// Its slot in the ledger's `tasks`.
    slot: usize,
    /// The thread that made it (the one that runs its executor, as a rule).
    thread: std::thread::ThreadId,
    /// `IDLE`, `WOKEN` (since its last poll began) or `DONE` (Ready, or dropped).
    state: AtomicU8,
    /// Its `CountingWaker`s alive: one per poll that handed out a waker
    /// still held somewhere (clones of one share it).
    live_wakers: AtomicUsize,
    polls: AtomicU64,
    /// When it was made, woken, or lost a waker, whichever came last ([`ticks`]).
    changed: AtomicU64,
}

const IDLE: u8 = 0;
const WOKEN: u8 = 1;
const DONE: u8 = 2;

impl TaskRecord {
    fn new(task: usize) -> Arc<Self> {
        let mut tasks = tasks();
        let slot = tasks.free.pop().unwrap_or(tasks.slots.len());
        let record = Arc::new(TaskRecord {
            task,
            slot,
            thread: std::thread::current().id(),
            state: AtomicU8::new(IDLE),
            live_wakers: AtomicUsize::new(0),
            polls: AtomicU64::new(0),
            changed: AtomicU64::new(ticks()),
        });
        match tasks.slots.get_mut(slot) {
            Some(free) => *free = Some(Arc::downgrade(&record)),
            None => tasks.slots.push(Some(Arc::downgrade(&record))),
        }
        record
    }

    fn woken(&self) {
        // SeqCst: see `Ledger`. Counted first, undone if the task was woken
        // already (or is done): the count is never below the truth.
        LEDGER.woken.fetch_add(1, Ordering::SeqCst);
        if self
            .state
            .compare_exchange(IDLE, WOKEN, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            self.changed.store(ticks(), Ordering::SeqCst);
        } else {
            LEDGER.woken.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// A poll begins; it ends when the guard is dropped.
    fn poll_starts(&self) -> Polling {
        // SeqCst: see `Ledger`. `polling` goes up before `woken` comes down,
        // so that a reader never sees both at zero in between.
        LEDGER.polling.fetch_add(1, Ordering::SeqCst);
        self.polls.fetch_add(1, Ordering::SeqCst);
        if self
            .state
            .compare_exchange(WOKEN, IDLE, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            LEDGER.woken.fetch_sub(1, Ordering::SeqCst);
        }
        Polling(())
    }

    fn finish(&self) {
        // SeqCst: see `Ledger`.
        if self.state.swap(DONE, Ordering::SeqCst) == WOKEN {
            LEDGER.woken.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A watched poll under way, in the ledger until this is dropped: at the end
/// of the poll, or while a panic in it unwinds.
struct Polling(());

impl Drop for Polling {
    fn drop(&mut self) {
        // SeqCst: see `Ledger`.
        LEDGER.polling.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A watched task's record, marked done when the `Watched` future is dropped.
struct Finished(Arc<TaskRecord>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.finish();
        let mut tasks = tasks();
        tasks.slots[self.0.slot] = None;
        tasks.free.push(self.0.slot);
    }
}

/// Whether every probed run of this process is idle: no watched poll under
/// way, no watched task woken and still waiting for its poll, no [`Busy`]
/// guard held. Then whatever would happen next must come from outside the
/// runs: from a clock, say, which [`crate::clock`] moves on only then.
pub fn idle() -> bool {
    // SeqCst: see `Ledger`. `woken` is read before `polling`, the reverse of
    // the order in which a poll raises one and lowers the other.
    LEDGER.busy.load(Ordering::SeqCst) == 0
        && LEDGER.woken.load(Ordering::SeqCst) == 0
        && LEDGER.polling.load(Ordering::SeqCst) == 0
}

/// Keeps [`idle`] false while it lives: for code that polls by hand, with
/// no probe to tell when it is done with a wake (stage 2's demo holds one
/// from a wake until it waits for the next).
#[must_use = "the process is busy only while the guard lives"]
#[derive(Debug)]
pub struct Busy(());

/// Marks the process busy until the guard is dropped: see [`Busy`].
pub fn busy() -> Busy {
    LEDGER.busy.fetch_add(1, Ordering::SeqCst);
    Busy(())
}

impl Drop for Busy {
    fn drop(&mut self) {
        LEDGER.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What the probes say went wrong, if anything, when nothing has been
/// polled for at least `stall` and a watched task has shown, for as long, a
/// sign of a hang: woken and never polled again, never polled at all, or
/// pending with no waker left to reach it. `None` while polls go on, or when
/// every pending task still has a waker somewhere and none was woken: that
/// may be a long wait, not a hang.
pub fn hang(stall: Duration) -> Option<String> {
    hung(stall).into_iter().next().map(|(_, why)| why)
}

/// Sets aside the pending tasks made on `thread` (the thread a test gave up
/// on, its run left asleep there): they count as done from here on, so that
/// they neither keep every later run from being [`idle`] nor have their
/// hang blamed on the tests after it.
pub fn set_aside(thread: std::thread::ThreadId) {
    for task in tasks().alive() {
        if task.thread == thread {
            task.finish();
        }
    }
}

/// Every watched task that shows a sign of a hang (see [`hang`]), and what.
fn hung(stall: Duration) -> Vec<(Arc<TaskRecord>, String)> {
    let since_poll = ago(LEDGER.last_poll.load(Ordering::SeqCst));
    if since_poll.is_some_and(|since| since < stall) {
        return Vec::new();
    }
    let mut hung = Vec::new();
    for task in tasks().alive() {
        // Nothing has been polled for `stall`; what has this task shown for as long?
        let Some(since) = ago(task.changed.load(Ordering::SeqCst)).filter(|&since| since >= stall)
        else {
            continue;
        };
        let (k, s) = (task.task, since.as_secs_f64());
        let why = match task.state.load(Ordering::SeqCst) {
            WOKEN => format!(
                "task {k} was woken {s:.1} s ago and never polled again, nor was any other \
                 task since: the wake did not reach the executor, or the executor did not \
                 wake up for it (does the waker queue the task and wake the executor's \
                 thread?)"
            ),
            IDLE if task.polls.load(Ordering::SeqCst) == 0 => format!(
                "task {k} was never polled in {s:.1} s: an executor polls every task once \
                 when it starts"
            ),
            IDLE if task.live_wakers.load(Ordering::SeqCst) == 0
                && LEDGER.polling.load(Ordering::SeqCst) == 0 =>
            {
                format!(
                    "task {k} is pending and no waker of it has been alive for {s:.1} s: \
                     nothing can ever wake it, and the executor did not say so"
                )
            }
            _ => continue,
        };
        hung.push((task, why));
    }
    hung
}

/// A line on what the probes see now, for a test that waited in vain:
/// "2 watched tasks pending, 1 of them woken, ...".
pub fn summary() -> String {
    let mut tasks = tasks().alive();
    tasks.retain(|task| task.state.load(Ordering::SeqCst) != DONE);
    if tasks.is_empty() {
        return "no watched task is pending".to_owned();
    }
    let woken = tasks
        .iter()
        .filter(|task| task.state.load(Ordering::SeqCst) == WOKEN)
        .count();
    let unreachable = tasks
        .iter()
        .filter(|task| task.live_wakers.load(Ordering::SeqCst) == 0)
        .count();
    let mut told = format!(
        "{} watched task(s) pending, {woken} of them woken and waiting for a poll, \
         {unreachable} with no waker alive",
        tasks.len()
    );
    match ago(LEDGER.last_poll.load(Ordering::SeqCst)) {
        Some(since) => {
            let _ = write!(
                told,
                "; the last poll ended {:.1} s ago",
                since.as_secs_f64()
            );
        }
        None => told.push_str("; nothing was polled yet"),
    }
    told
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::WakeCounter;

    /// The ledger is the process's: the tests that write to it take turns.
    static LEDGER_TESTS: Mutex<()> = Mutex::new(());

    #[test]
    fn a_probe_counts_polls_and_wakes_from_any_thread() {
        let _turn = LEDGER_TESTS
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
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
        let _turn = LEDGER_TESTS
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
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
        let _turn = LEDGER_TESTS
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
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

    /// Pending at every poll; keeps the waker of its first poll in `kept`
    /// if it has one, and asks `idle()` while it is being polled.
    struct Keeper {
        kept: Option<std::sync::mpsc::Sender<Waker>>,
        idle_while_polled: Arc<Mutex<Vec<bool>>>,
    }

    impl Future for Keeper {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.idle_while_polled.lock().unwrap().push(idle());
            if let Some(kept) = self.kept.take() {
                kept.send(cx.waker().clone()).unwrap();
            }
            Poll::Pending
        }
    }

    fn keeper(keep: bool) -> (Keeper, Option<std::sync::mpsc::Receiver<Waker>>) {
        let (sender, receiver) = std::sync::mpsc::channel();
        let keeper = Keeper {
            kept: keep.then_some(sender),
            idle_while_polled: Arc::default(),
        };
        (keeper, keep.then_some(receiver))
    }

    #[test]
    fn a_run_is_idle_only_between_polls_with_no_wake_waiting_for_its_poll() {
        let _turn = LEDGER_TESTS
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let probe = Probe::new(false);
        let (future, kept) = keeper(true);
        let seen = Arc::clone(&future.idle_while_polled);
        let mut watched = Box::pin(probe.watch(0, future));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(idle(), "made, not polled yet");
        assert!(watched.as_mut().poll(&mut cx).is_pending());
        assert!(idle(), "polled, waiting for a wake");
        let waker = kept.unwrap().recv().unwrap();
        waker.wake_by_ref();
        assert!(!idle(), "woken: its poll is to come");
        assert!(watched.as_mut().poll(&mut cx).is_pending());
        assert!(idle(), "the wake was answered");
        assert_eq!(
            *seen.lock().unwrap(),
            [false, false],
            "never idle during a poll"
        );
        let guard = busy();
        assert!(!idle(), "a Busy guard is alive");
        drop(guard);
        waker.wake();
        drop(watched);
        assert!(idle(), "a dropped task's wake waits for no poll");
    }

    #[test]
    fn a_poll_that_panics_ends_in_the_ledger_all_the_same() {
        let _turn = LEDGER_TESTS
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let probe = Probe::new(false);
        let broken = std::future::poll_fn(|_| -> Poll<()> { panic!("broken on purpose") });
        let mut watched = Box::pin(probe.watch(0, broken));
        let mut cx = Context::from_waker(Waker::noop());
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            watched.as_mut().poll(&mut cx)
        }));
        assert!(outcome.is_err());
        assert!(idle(), "a poll that panicked still counts as under way");
    }

    #[test]
    fn a_hang_is_named_after_what_the_task_shows() {
        let _turn = LEDGER_TESTS
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let stall = Duration::from_millis(30);
        let probe = Probe::new(false);
        let mut cx = Context::from_waker(Waker::noop());

        // Pending, its waker kept elsewhere, not woken: a wait, not a hang.
        let (future, kept) = keeper(true);
        let mut waiting = Box::pin(probe.watch(7, future));
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        let waker = kept.unwrap().recv().unwrap();
        std::thread::sleep(2 * stall);
        assert_eq!(hang(stall), None);

        // Woken, and then no poll for longer than `stall`.
        waker.wake_by_ref();
        std::thread::sleep(2 * stall);
        let why = hang(stall).expect("a woken task never polled again");
        assert!(why.starts_with("task 7 was woken"), "{why}");
        assert!(why.contains("never polled again"), "{why}");
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        assert_eq!(hang(stall), None, "polled again");

        // Pending with no waker kept anywhere.
        drop(waker);
        let (future, _) = keeper(false);
        let mut forgotten = Box::pin(probe.watch(8, future));
        assert!(forgotten.as_mut().poll(&mut cx).is_pending());
        std::thread::sleep(2 * stall);
        let why = hang(stall).expect("nothing can wake tasks 7 and 8");
        assert!(why.contains("no waker of it has been alive"), "{why}");

        // Made and never polled.
        drop((waiting, forgotten));
        let (future, _) = keeper(false);
        let never = probe.watch(9, future);
        std::thread::sleep(2 * stall);
        let why = hang(stall).expect("task 9 was never polled");
        assert!(why.starts_with("task 9 was never polled"), "{why}");
        drop(never);
        assert_eq!(hang(stall), None, "every task is dropped");
    }
}
