//! Stage 4, the executor driven by `wake()` (the end of "Defining an
//! executor"): poll a task only when its waker says it can make progress,
//! and sleep the rest of the time.
//!
//! Stage 3 polled every future over and over because a bare `fn()` could not
//! say which future could make progress. Here every task gets a [`Waker`] of
//! its own (`waker.rs`): waking it puts the task in the executor's
//! inbox and unparks the executor thread. So [`run`] polls each task once at
//! the start and after that only tasks that were woken, once per batch of
//! wakes; with nothing woken it parks the thread and uses no CPU at all. Ten
//! sockets cost twenty polls instead of millions, and the CPU share of the
//! wait falls from 100 % to nearly nothing.
//!
//! From here on futures are [`std::future::Future`]s: `poll` takes
//! `self: Pin<&mut Self>` and a [`Context`] whose `waker()` is that `Waker`.
//!
//! Two mistakes that teaching executors often make are ruled out here:
//! - a lost wake-up: `queued` is cleared *before* a task is polled, so a wake
//!   during the poll queues it again; and a wake just before the executor
//!   parks leaves an unpark token, so the park returns at once;
//! - a hang: a task that returns Pending while nothing outside the executor
//!   holds its waker can never be woken, and any executor would wait for it
//!   forever. This one notices, after the poll or when the last waker is
//!   dropped unwoken, and panics naming the task ([`Stuck`]).
//!
//! The wakers are built with the safe [`std::task::Wake`] trait. The module
//! [`raw_waker`] builds the same waker by hand from a `RawWakerVTable`, the
//! one place in the workspace with `unsafe`; the tests run everything with both.
//!
//! Left out, as in the article: spawning tasks while running, polling on
//! several threads, and timers or I/O of its own (the socket brings its timer
//! thread). Stage 5 (futsocket) writes the socket's `Future` by hand.
#![deny(unsafe_code)]

pub mod demo;
#[allow(unsafe_code)]
pub mod raw_waker;
mod sync;
mod waker;

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

pub use busy_executor::trace::{Event, EventKind};
pub use busy_executor::{RunStats, trace};
use socket_sim::measure::Stopwatch;

use crate::sync::{Arc, fence, park};
use crate::waker::{Shared, TaskWaker};

/// Runs every future to completion on this thread; returns the outputs in
/// the order the futures were given.
///
/// # Panics
///
/// If a future panics (the panic goes on to the caller, after every future
/// is dropped), or if a task can never be woken ([`Stuck`]).
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
///
/// /// Pending once, having woken itself; then Ready.
/// struct YieldOnce(bool);
///
/// impl Future for YieldOnce {
///     type Output = &'static str;
///     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
///         if self.0 {
///             return Poll::Ready("done");
///         }
///         self.0 = true;
///         cx.waker().wake_by_ref();
///         Poll::Pending
///     }
/// }
///
/// let (outputs, stats) = waker_executor::run_with_stats(vec![YieldOnce(false), YieldOnce(true)]);
/// assert_eq!(outputs, ["done", "done"]);
/// assert_eq!((stats.polls, stats.wakes), (3, 1));
/// ```
pub fn run<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    Executor::new().run(futures).outputs
}

/// [`run`], also counting polls and wakes and measuring wall and CPU time.
pub fn run_with_stats<F: Future>(futures: Vec<F>) -> (Vec<F::Output>, RunStats) {
    let report = Executor::new().run(futures);
    (report.outputs, report.stats)
}

/// [`run_with_stats`], also recording every poll and wake as an [`Event`].
pub fn run_traced<F: Future>(futures: Vec<F>) -> (Vec<F::Output>, RunStats, Vec<Event>) {
    let report = Executor::new().traced().run(futures);
    (report.outputs, report.stats, report.trace.expect("a trace was asked for"))
}

/// Runs one future to completion on this thread and returns its output.
///
/// It is [`run`] with one future, with the same guarantees: the thread sleeps
/// until a wake, and a future that can never be woken is a panic, not a hang.
///
/// # Examples
///
/// ```
/// let answer = waker_executor::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    Executor::new().block_on(future)
}

/// How a run is set up: which wakers it hands out and whether it traces.
/// [`run`] and the other functions use the defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Executor {
    wakers: Wakers,
    trace: bool,
}

/// How the executor builds its wakers. Both behave the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Wakers {
    /// With the safe [`std::task::Wake`] trait: `Waker::from(Arc<TaskWaker>)`.
    #[default]
    Wake,
    /// By hand, from a `RawWakerVTable`: [`raw_waker::waker`].
    RawVtable,
}

/// What a run produced.
#[derive(Debug)]
pub struct Report<T> {
    /// The outputs, in the order the futures were given.
    pub outputs: Vec<T>,
    /// Polls, wakes, wall and CPU time.
    pub stats: RunStats,
    /// Every poll and wake, if the run was traced.
    pub trace: Option<Vec<Event>>,
}

impl Executor {
    /// The default set-up: `Wake` wakers, no trace.
    pub const fn new() -> Self {
        Executor { wakers: Wakers::Wake, trace: false }
    }

    /// Hands out wakers built as `wakers` says.
    pub const fn wakers(self, wakers: Wakers) -> Self {
        Executor { wakers, ..self }
    }

    /// Records every poll and wake in [`Report::trace`].
    pub const fn traced(self) -> Self {
        Executor { trace: true, ..self }
    }

    /// [`run`] with this set-up.
    ///
    /// # Panics
    ///
    /// As [`run`].
    pub fn run<F: Future>(self, futures: Vec<F>) -> Report<F::Output> {
        self.try_run(futures).unwrap_or_else(|stuck| panic!("{stuck}"))
    }

    /// [`block_on`] with this set-up.
    pub fn block_on<F: Future>(self, future: F) -> F::Output {
        self.run(vec![future]).outputs.pop().expect("one future, one output")
    }

    /// [`run`], but a task that can never be woken is an error, not a panic.
    /// The futures are all dropped when it returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future;
    /// use std::task::Poll;
    /// use waker_executor::Executor;
    ///
    /// // Pending, without handing its waker to anyone: nothing will ever wake it.
    /// let forgetful = future::poll_fn(|_cx| Poll::<()>::Pending);
    /// let stuck = Executor::new().try_run(vec![forgetful]).unwrap_err();
    /// assert_eq!(stuck.task, 0);
    /// assert!(stuck.to_string().contains("can never be woken"));
    /// ```
    pub fn try_run<F: Future>(self, futures: Vec<F>) -> Result<Report<F::Output>, Stuck> {
        let stopwatch = Stopwatch::start();
        let shared = Arc::new(Shared::new(self.trace));
        // However the run ends (done, stuck, unwinding from a panic), wakes
        // that come after it must find it closed.
        let _close = CloseOnDrop(&shared);

        let mut run = Run::new(futures.len(), Arc::clone(&shared), self.wakers);
        run.start(futures)?;
        run.until_finished()?;

        let took = stopwatch.elapsed();
        let stats =
            RunStats { polls: run.polls, wakes: shared.wakes.load(Ordering::Relaxed), wall: took.wall, cpu: took.cpu };
        let outputs = run.outputs.into_iter().map(|output| output.expect("every task finished")).collect();
        Ok(Report { outputs, stats, trace: shared.trace.as_ref().map(trace::Trace::events) })
    }
}

/// One run: the tasks not yet finished, and the outputs so far.
struct Run<F: Future> {
    /// The future of every task by index, pinned in a box of its own (a
    /// future may not move once polled); `None` once it finished.
    tasks: Vec<Option<Pin<Box<F>>>>,
    outputs: Vec<Option<F::Output>>,
    unfinished: usize,
    polls: u64,
    shared: Arc<Shared>,
    wakers: Wakers,
    /// Whether polls are traced: `shared.trace.is_some()`, kept here so that
    /// a poll reads nothing that the wakers' threads write.
    tracing: bool,
}

impl<F: Future> Run<F> {
    fn new(tasks: usize, shared: Arc<Shared>, wakers: Wakers) -> Self {
        Run {
            tasks: (0..tasks).map(|_| None).collect(),
            outputs: (0..tasks).map(|_| None).collect(),
            unfinished: 0,
            polls: 0,
            tracing: shared.trace.is_some(),
            shared,
            wakers,
        }
    }

    /// Polls every task once, in input order, before anything is queued.
    ///
    /// Two tricks make futures that are ready at once cheap: they never go
    /// through the inbox (this first poll is inline), and the box and the
    /// waker of one are re-used for the next, so a run of ready futures
    /// allocates once.
    fn start(&mut self, futures: Vec<F>) -> Result<(), Stuck> {
        let mut spare_box: Option<Pin<Box<F>>> = None;
        let mut spare_waker: Option<(Arc<TaskWaker>, Waker)> = None;
        for (task, future) in futures.into_iter().enumerate() {
            let mut future = match spare_box.take() {
                Some(mut spare) => {
                    // Drops the finished future in place, then moves this one in.
                    spare.set(future);
                    spare
                }
                None => Box::pin(future),
            };
            let (waker, cx_waker) = match spare_waker.take() {
                Some((waker, cx_waker)) => {
                    waker.reuse_for(task);
                    (waker, cx_waker)
                }
                None => self.new_waker(task),
            };
            match self.poll(task, future.as_mut(), &waker, &cx_waker)? {
                Poll::Ready(()) => {
                    spare_box = Some(future);
                    if only_the_executor_holds(&waker) {
                        spare_waker = Some((waker, cx_waker));
                    }
                }
                Poll::Pending => {
                    self.tasks[task] = Some(future);
                    self.unfinished += 1;
                }
            }
        }
        Ok(())
    }

    // ANCHOR: until_finished
    /// Polls woken tasks until every task is finished, sleeping whenever
    /// none is woken.
    fn until_finished(&mut self) -> Result<(), Stuck> {
        // exercise: take the inbox in one lock; fail on an orphaned pending task; park if nothing was woken, else poll each woken task once
        let mut woken = Vec::new();
        while self.unfinished > 0 {
            let orphaned = {
                let mut inbox = self.shared.inbox.lock().unwrap();
                mem::swap(&mut woken, &mut inbox.woken);
                mem::take(&mut inbox.orphaned)
            };
            if let Some(&task) = orphaned.iter().find(|&&task| self.tasks[task].is_some()) {
                return Err(Stuck { task, cause: Cause::LastWakerDropped });
            }
            if woken.is_empty() {
                // Sleep until a wake unparks us. `park` may also return for
                // no reason at all: the loop then finds the inbox empty and
                // parks again, without polling anything.
                park();
                continue;
            }
            for waker in woken.drain(..) {
                self.poll_woken(waker)?;
            }
        }
        Ok(())
        // end exercise
    }
    // ANCHOR_END: until_finished

    // ANCHOR: poll_woken
    /// Polls the task of `waker`, which was woken, unless it finished in the meantime.
    fn poll_woken(&mut self, waker: Arc<TaskWaker>) -> Result<(), Stuck> {
        let task = waker.task();
        let Some(mut future) = self.tasks[task].take() else {
            return Ok(()); // a late wake of a finished task
        };
        // Cleared before the poll, not after: a wake from now on queues the
        // task again. And with a swap, not a store: a wake that found
        // `queued` set left its work to this poll, and only a read of its
        // `swap(true, Release)` (this Acquire) makes that work visible here.
        // A plain store reads nothing, so the poll could miss the work.
        waker.queued.swap(false, Ordering::Acquire);
        let cx_waker = self.wakers.make(&waker);
        match self.poll(task, future.as_mut(), &waker, &cx_waker)? {
            Poll::Ready(()) => self.unfinished -= 1,
            Poll::Pending => self.tasks[task] = Some(future),
        }
        Ok(())
    }
    // ANCHOR_END: poll_woken

    /// Polls `future`, the future of `task`, once. Ready keeps the output;
    /// Pending with nobody left to wake the task is an error.
    fn poll(
        &mut self,
        task: usize,
        future: Pin<&mut F>,
        waker: &Arc<TaskWaker>,
        cx_waker: &Waker,
    ) -> Result<Poll<()>, Stuck> {
        self.polls += 1;
        let poll = future.poll(&mut Context::from_waker(cx_waker));
        if self.tracing {
            let trace = self.shared.trace.as_ref().expect("tracing");
            trace.record(task, if poll.is_ready() { EventKind::Ready } else { EventKind::Pending });
        }
        match poll {
            Poll::Ready(output) => {
                self.outputs[task] = Some(output);
                waker.finished.store(true, Ordering::Release);
                Ok(Poll::Ready(()))
            }
            // The future kept no waker and did not wake itself: nothing will.
            Poll::Pending if only_the_executor_holds(waker) && !waker.queued.load(Ordering::Acquire) => {
                Err(Stuck { task, cause: Cause::NoWakerKept })
            }
            Poll::Pending => Ok(Poll::Pending),
        }
    }

    /// A `TaskWaker` for `task`, with the `Waker` that the task's `Context` shows.
    fn new_waker(&self, task: usize) -> (Arc<TaskWaker>, Waker) {
        let waker = Arc::new(TaskWaker::new(task, Arc::clone(&self.shared)));
        let cx_waker = self.wakers.make(&waker);
        (waker, cx_waker)
    }
}

/// Whether nobody but the executor holds `waker`: its own `Arc` and the one
/// `Waker` it made for the `Context` are the only references.
fn only_the_executor_holds(waker: &Arc<TaskWaker>) -> bool {
    let unshared = Arc::strong_count(waker) == 2;
    // Pairs with the Release of a clone's drop on another thread, so that
    // whatever that thread did with its clone happened before what we do now.
    fence(Ordering::Acquire);
    unshared
}

impl Wakers {
    /// A `Waker` for `waker`, built the chosen way.
    fn make(self, waker: &Arc<TaskWaker>) -> Waker {
        match self {
            Wakers::Wake => sync::waker_from(Arc::clone(waker)),
            Wakers::RawVtable => raw_waker::waker(Arc::clone(waker)),
        }
    }
}

/// Marks a run closed when dropped, however the run ended, and empties its
/// inbox: a queued `TaskWaker` there holds the `Shared` that holds the inbox,
/// a cycle that would never be freed.
struct CloseOnDrop<'a>(&'a Shared);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        let woken = std::mem::take(&mut self.0.inbox.lock().unwrap().woken);
        drop(woken); // outside the lock: each drop may take it again
    }
}

/// A task that returned Pending and can never be woken, so that the run
/// could never finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The task: its index in the executor's input.
    pub task: usize,
    cause: Cause,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    /// Its poll returned Pending without keeping a clone of its waker or waking it.
    NoWakerKept,
    /// Its last waker was dropped without being woken.
    LastWakerDropped,
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let task = self.task;
        match self.cause {
            Cause::NoWakerKept => {
                write!(f, "task {task} returned Pending but nothing holds its waker: it can never be woken")
            }
            Cause::LastWakerDropped => write!(
                f,
                "task {task} is pending and the last waker that could wake it was dropped unwoken: it can never be woken"
            ),
        }
    }
}

impl std::error::Error for Stuck {}
