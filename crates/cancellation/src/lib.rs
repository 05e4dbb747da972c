//! Stage 8, past the article: cancellation. A future does work only while
//! it is polled, so dropping it is all it takes to cancel it: nothing runs
//! it again, and its `Drop` releases what it held (a timer, a socket, a
//! place in a queue). What it had done up to its last `Pending` is kept or
//! lost by where it kept it: in itself, it goes with it; outside it (in a
//! buffer the caller owns), it stays.
//!
//! - [`select`] polls two futures and returns the first output; the other
//!   future is dropped, its `Drop` run, before `select` returns.
//! - [`timeout`] is a `select` of a future and stage 7's `sleep`.
//! - [`spawn_abortable`] spawns a task with an [`AbortHandle`]. A task can
//!   only be stopped where it stopped itself: between two polls nothing of
//!   it runs, so there is nothing to interrupt. `abort` marks the task and
//!   *wakes* it, and its next poll drops the future instead of polling it.
//!
//! [`frames`] shows where that loses data, and where not: a read that keeps
//! its partial frame in its own future loses it when a `timeout` drops it
//! ([`frames::read_frame`]); one whose buffer lives outside does not
//! ([`frames::FrameReader`]). And *futurelock*: a future that took its
//! place in a fair lock's queue, kept by `&mut` across the turns of a
//! `select` loop and no longer polled, holds up everyone behind it; the
//! demo shows one (on [`demo::fair_lock`]), and a probe that names it.
//!
//! Left out: tokio's `select!` macro (its random branch order, `biased;`,
//! patterns), cancellation tokens, and cancelling blocking work, which no
//! drop can stop: the book's chapter says what each adds. Stage 9 runs
//! tasks on several threads.
#![forbid(unsafe_code)]

pub mod demo;
pub mod frames;

use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mini_runtime::time::{Sleep, sleep};
use mini_runtime::{JoinHandle, spawn};
use pin_project_lite::pin_project;

/// One of two outputs: which future of a [`select`] finished first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first future's output.
    Left(A),
    /// The second future's output.
    Right(B),
}

/// Polls `a` and `b` until one is ready; its output is the `select`'s, and
/// the other future is dropped (cancelled) before `select` returns. `a` is
/// polled first, so when both are ready, `a` wins.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cancellation::{Either, select};
/// use mini_runtime::time::sleep;
///
/// let winner = mini_runtime::block_on(async {
///     select(sleep(Duration::from_secs(3600)), sleep(Duration::from_millis(1))).await
/// });
/// assert_eq!(winner, Either::Right(()));
/// ```
pub fn select<A: Future, B: Future>(a: A, b: B) -> Select<A, B> {
    Select {
        race: Race::Running { a, b },
    }
}

pin_project! {
    /// The future of [`select`]. Both futures live in it, pinned, until one
    /// is ready; then both are dropped in place.
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Select<A, B> {
        #[pin]
        race: Race<A, B>,
    }
}

pin_project! {
    /// Both futures, or neither once one has won.
    #[project = RaceProj]
    enum Race<A, B> {
        Running { #[pin] a: A, #[pin] b: B },
        Over,
    }
}

// ANCHOR: select
impl<A: Future, B: Future> Future for Select<A, B> {
    type Output = Either<A::Output, B::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut race = self.project().race;
        // exercise: poll a, then b; the first that is Ready wins, and both are dropped before Ready is returned
        let RaceProj::Running { a, b } = race.as_mut().project() else {
            panic!("Select polled after it returned Ready: a finished future must not be polled");
        };
        let output = match a.poll(cx) {
            Poll::Ready(a) => Either::Left(a),
            Poll::Pending => match b.poll(cx) {
                Poll::Ready(b) => Either::Right(b),
                Poll::Pending => return Poll::Pending,
            },
        };
        // `set` drops both futures where they are pinned: the loser's
        // `Drop` runs here, before anyone sees the winner's output.
        race.set(Race::Over);
        Poll::Ready(output)
        // end exercise
    }
}
// ANCHOR_END: select

/// Runs `future` for at most `duration`: its output, or [`Elapsed`] if
/// stage 7's timer is due first, and then `future` is dropped unfinished.
/// A `select` of the future and a `sleep`, nothing more.
///
/// # Panics
///
/// When polled outside `mini_runtime::block_on`.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        race: select(future, sleep(duration)),
    }
}

pin_project! {
    /// The future of [`timeout`].
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Timeout<F> {
        #[pin]
        race: Select<F, Sleep>,
    }
}

// ANCHOR: timeout
impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // exercise: the race of the future against the sleep: the future's output if it wins, Elapsed if the sleep does
        match self.project().race.poll(cx) {
            Poll::Ready(Either::Left(output)) => Poll::Ready(Ok(output)),
            Poll::Ready(Either::Right(())) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
        // end exercise
    }
}
// ANCHOR_END: timeout

/// A [`timeout`] ran out: the future was dropped before it was ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the time ran out before the future was ready")
    }
}

impl Error for Elapsed {}

/// Spawns `future` as a task of stage 7's runtime that can be aborted: its
/// handle gives `Ok(output)`, or `Err(Aborted)` if [`AbortHandle::abort`]
/// came first. The task itself is all stage 7's; only its future knows it
/// can be aborted.
///
/// # Panics
///
/// Outside `mini_runtime::block_on`.
pub fn spawn_abortable<F>(future: F) -> (JoinHandle<Result<F::Output, Aborted>>, AbortHandle)
where
    F: Future + 'static,
{
    let abort = Rc::new(AbortState::default());
    let (future, state) = (Some(future), Rc::clone(&abort));
    (spawn(Abortable { future, state }), AbortHandle(abort))
}

/// What an abortable task and its [`AbortHandle`]s share.
#[derive(Default)]
struct AbortState {
    /// Set by `abort`, for good.
    aborted: Cell<bool>,
    /// The task's waker, from its latest poll: `abort` wakes it.
    waker: Cell<Option<Waker>>,
}

/// Aborts the task of [`spawn_abortable`]; clones abort the same task.
#[derive(Clone)]
pub struct AbortHandle(Rc<AbortState>);

impl AbortHandle {
    /// Marks the task aborted and wakes it: at its next poll its future is
    /// dropped, unfinished, and its handle gives `Err(Aborted)`. A task that
    /// has finished is not changed, and its handle gives its output.
    pub fn abort(&self) {
        self.0.aborted.set(true);
        // The wake is the whole trick: nothing else can make the task run.
        if let Some(waker) = self.0.waker.take() {
            waker.wake();
        }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        // The last handle (beside the task's own share): nobody can abort
        // now, so nobody needs the waker.
        if Rc::strong_count(&self.0) == 2 {
            drop(self.0.waker.take());
        }
    }
}

pin_project! {
    /// A spawned future that an [`AbortHandle`] can stop.
    struct Abortable<F> {
        #[pin]
        future: Option<F>,
        state: Rc<AbortState>,
    }
}

// ANCHOR: abortable
impl<F: Future> Future for Abortable<F> {
    type Output = Result<F::Output, Aborted>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // exercise: if aborted, drop the future and give Err(Aborted); else leave this poll's waker for abort, and poll the future
        if this.state.aborted.get() {
            this.future.set(None); // cancelled: its `Drop` runs now
            return Poll::Ready(Err(Aborted));
        }
        // Kept only while a handle can abort: a waker that nobody can use
        // would hide a task that can never be woken from the stuck checks.
        if Rc::strong_count(this.state) > 1 {
            this.state.waker.set(Some(cx.waker().clone()));
        }
        let future = this.future.as_mut().as_pin_mut();
        let output = future
            .expect("an Abortable is polled until Ready, never after")
            .poll(cx);
        // end exercise
        if output.is_ready() {
            this.state.waker.take(); // nothing left to wake
        }
        output.map(Ok)
    }
}
// ANCHOR_END: abortable

/// The task was aborted before it finished: [`AbortHandle::abort`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aborted;

impl fmt::Display for Aborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the task was aborted before it finished")
    }
}

impl Error for Aborted {}
