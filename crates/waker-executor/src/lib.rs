//! Stage 4, the executor driven by `wake()` (the end of "Defining an
//! executor"): poll a task only when its waker says it can make progress,
//! and sleep the rest of the time.
//!
//! Stage 3 polled every future over and over because a bare `fn()` could not
//! say which future could make progress. From here on futures are
//! [`std::future::Future`]s: `poll` gets a [`Context`] whose `waker()` is a
//! [`Waker`](std::task::Waker), a handle that knows its task and can be woken from any thread.
//!
//! - [`block_on`] is the smallest executor that sleeps: one future, a waker
//!   that signals the condition variable this thread sleeps on, and a loop
//!   of poll, then sleep until woken.
//! - [`run`] is the article's `run2` for many futures: each task's waker
//!   (`waker.rs`) puts the task in an inbox and unparks the executor, which
//!   polls only what the inbox holds, once per batch of wakes, and parks
//!   when it is empty: twenty polls for ten sockets, and a CPU at rest.
//!
//! Two mistakes that teaching executors often make are ruled out, and
//! model-checked with loom (`tests/loom.rs`): a lost wake-up (a task's
//! `queued` flag is cleared *before* its poll, with a swap that reads the
//! waker's write), and a hang on a task that no waker can reach (none kept,
//! or the last one dropped unwoken: the executor panics naming it,
//! [`Stuck`]). One stuck task is out of its sight: a future that keeps its
//! own waker and arranges no wake ([`Stuck`] says why).
//!
//! The wakers are built with the safe [`std::task::Wake`] trait;
//! [`raw_waker`] builds the same from a `RawWakerVTable`. Polls and wakes
//! are counted from outside, by the `lab` crate's probes ([`Observed`],
//! [`run_with_stats`]). Left out, as in the article: spawning while running,
//! several threads, timers or I/O of its own. Stage 5 writes the socket's `Future`.
#![deny(unsafe_code)]

pub mod demo;
#[allow(unsafe_code)]
pub mod raw_waker;
mod sync;
mod waker;

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::{Pin, pin};
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

pub use busy_executor::RunStats;
pub use demo::{Observed, Report, run_traced, run_with_stats};
pub use lab::trace::{Event, EventKind};
pub use raw_waker::Wakers;

use crate::sync::{Arc, current, fence, park};
use crate::waker::BlockOnWaker;
pub use crate::waker::{Rouse, Schedule, Shared, TaskWaker};

// ANCHOR: block_on
/// Runs one future to completion on this thread and returns its output,
/// sleeping whenever the future is pending and nothing has woken it.
///
/// # Panics
///
/// If the future returns Pending and no waker of it is left: none was kept,
/// or the last one is dropped unwoken ([`Stuck`], task 0). A future that
/// keeps its own waker and arranges no wake is not seen: `block_on` then
/// sleeps forever ([`Stuck`] says why).
///
/// # Examples
///
/// ```
/// let answer = waker_executor::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let wakes = std::sync::Arc::new(BlockOnWaker::default());
    loop {
        let waker = wakes.waker();
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        drop(waker);
        // Sleep until woken; a wake during the poll was kept, and ends the
        // wait at once. No wake, and no waker left to make one: stuck.
        assert!(wakes.wait(), "{}", Stuck::new(0, Stuck::NO_WAKER_KEPT));
    }
}
// ANCHOR_END: block_on

/// Runs every future to completion on this thread; returns the outputs in
/// the order the futures were given.
///
/// # Panics
///
/// If a future panics (the panic goes on to the caller, after every future
/// is dropped), or if a task returns Pending and no waker of it is left
/// ([`Stuck`]). A task whose future keeps its own waker and arranges no wake
/// is not seen: `run` then sleeps forever ([`Stuck`] says why).
///
/// # Examples
///
/// ```
/// # lab::patience::within_patience(|| {
/// let outputs = waker_executor::run(vec![std::future::ready(1), std::future::ready(2)]);
/// assert_eq!(outputs, [1, 2]);
/// # });
/// ```
pub fn run<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    run_with(futures, Wakers::Wake).unwrap_or_else(|stuck| panic!("{stuck}"))
}

/// [`run`], with the wakers built as `wakers` says; a stuck task is an error.
pub(crate) fn run_with<F: Future>(
    futures: Vec<F>,
    wakers: Wakers,
) -> Result<Vec<F::Output>, Stuck> {
    let mut run = Run {
        tasks: Vec::with_capacity(futures.len()),
        outputs: futures.iter().map(|_| None).collect(),
        unfinished: futures.len(),
        wakers,
        shared: Shared::new(current()),
    };
    // Every task can make progress at the start: each is polled once, in
    // order, as if it had been woken.
    for (task, future) in futures.into_iter().enumerate() {
        run.tasks.push(Some(Box::pin(future)));
        run.poll_woken(TaskWaker::new(task, Arc::clone(&run.shared)))?;
    }
    run.until_finished()?;
    Ok(mem::take(&mut run.outputs)
        .into_iter()
        .map(|output| output.expect("every task finished"))
        .collect())
}

/// One run: the tasks not yet finished, and the outputs so far.
struct Run<F: Future> {
    /// The future of every task by index, pinned in a box of its own (a
    /// future that is not `Unpin` must not move once polled); `None` once it
    /// finished.
    tasks: Vec<Option<Pin<Box<F>>>>,
    outputs: Vec<Option<F::Output>>,
    unfinished: usize,
    wakers: Wakers,
    shared: Arc<Shared>,
}

impl<F: Future> Run<F> {
    // ANCHOR: until_finished
    /// Polls woken tasks until every task is finished, sleeping whenever
    /// none is woken.
    fn until_finished(&mut self) -> Result<(), Stuck> {
        // exercise: take what the inbox holds (an orphaned task is an error); park if nothing was woken, else poll each woken task once
        let mut woken = Vec::new();
        while self.unfinished > 0 {
            self.shared.take(&mut woken)?;
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

    /// Polls the task of `waker`, which was woken, unless it finished already.
    fn poll_woken(&mut self, waker: Arc<TaskWaker>) -> Result<(), Stuck> {
        let task = waker.task;
        let Some(future) = self.tasks[task].as_mut() else {
            return Ok(()); // a late wake of a finished task
        };
        if let Poll::Ready(output) = poll_task(&waker, future.as_mut(), self.wakers)? {
            waker.finish();
            self.outputs[task] = Some(output);
            self.tasks[task] = None;
            self.unfinished -= 1;
        }
        Ok(())
    }
}

// ANCHOR: poll_task
/// Polls `future`, the task of `waker`, once: the task was just taken from
/// the inbox, or is new. Every executor from here on polls its tasks so.
///
/// # Errors
///
/// The task returned Pending and nothing but the executor holds its waker:
/// nothing can ever wake it.
pub fn poll_task<S: Schedule, F: Future + ?Sized>(
    waker: &Arc<TaskWaker<S>>,
    future: Pin<&mut F>,
    wakers: Wakers,
) -> Result<Poll<F::Output>, Stuck> {
    // exercise: clear the task's queued flag so that it reads the waker's write; poll with a waker of the task; a Pending task nobody can wake is stuck
    // Cleared before the poll, not after: a wake from now on queues the
    // task again. And with a swap, not a store: a wake that found `queued`
    // set left its work to this poll, and only a read of the flag (this
    // Acquire, of the wake's Release) makes that work visible here. A
    // plain store reads nothing, so the poll could miss the work.
    waker.queued.swap(false, Ordering::Acquire);
    let cx_waker = wakers.make(waker);
    let poll = future.poll(&mut Context::from_waker(&cx_waker));
    drop(cx_waker);
    if poll.is_pending() && nobody_can_wake(waker) {
        return Err(Stuck::new(waker.task, Stuck::NO_WAKER_KEPT));
    }
    Ok(poll)
    // end exercise
}
// ANCHOR_END: poll_task

// ---------------------------------------------------------------------------
// Stuck tasks: what no teaching executor checks, and every one should.
//
// A task that returned Pending can only be polled again if something wakes
// it, and only a holder of one of its wakers can. The executor holds a
// task's `TaskWaker` only while polling it (or while it is queued), so:
// - right after a Pending poll, if the executor's own reference is the
//   only one and the task did not queue itself, nobody can wake it;
// - later, when the last `Waker` clone is dropped unwoken, `TaskWaker`'s
//   `Drop` tells the executor (the inbox's orphans), which would otherwise
//   park forever.
// Neither sees a task that keeps its own waker and arranges no wake: the
// waker is held (by the task itself), so no executor can tell it from a
// task that will be woken.
// ---------------------------------------------------------------------------

/// Whether nobody but the executor holds `waker` (its own `Arc` is the only
/// reference) and the task is not queued: then nothing can ever wake it.
pub fn nobody_can_wake<S: Schedule>(waker: &Arc<TaskWaker<S>>) -> bool {
    // A Relaxed load, std's `strong_count`; a model counts on its own (`sync.rs`).
    #[cfg(not(loom))]
    let unshared = Arc::strong_count(waker) == 1;
    #[cfg(loom)]
    let unshared = raw_waker::unshared(waker);
    // Pairs with the Release of a clone's drop on another thread, so that
    // whatever that thread did with its clone (a wake) is visible below.
    fence(Ordering::Acquire);
    unshared && !waker.queued.load(Ordering::Acquire)
}

impl<F: Future> Drop for Run<F> {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// A task that returned Pending and can never be woken, so that the run
/// could never finish: its poll kept no waker (nothing but the executor
/// holds one, and the task did not wake itself), or the last waker that
/// something kept was dropped without being woken.
///
/// What this cannot catch: a future that keeps a clone of its own waker and
/// arranges for no one to wake it. The task holds the waker that would wake
/// the task, a cycle; the waker is alive, and an executor cannot tell a
/// waker the task keeps for itself from one that a timer or another thread
/// keeps to wake it later, so it waits, forever. (Tokio's and futures'
/// executors look for no stuck task at all: they wait forever in every case.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The task: its index in the executor's input (stage 4), or its
    /// number among the runtime's tasks (stage 7).
    pub task: usize,
    /// Why: what was seen of its wakers.
    why: &'static str,
}

impl Stuck {
    /// Its poll returned Pending without keeping a clone of its waker or waking it.
    const NO_WAKER_KEPT: &str = "returned Pending but nothing holds its waker";
    /// Its last waker was dropped without being woken.
    const LAST_WAKER_DROPPED: &str =
        "is pending and the last waker that could wake it was dropped unwoken";

    const fn new(task: usize, why: &'static str) -> Stuck {
        Stuck { task, why }
    }
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} {}: it can never be woken", self.task, self.why)
    }
}

impl std::error::Error for Stuck {}
