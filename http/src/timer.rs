//! hyper's timer, `hyper::rt::Timer`, on the stages' timers: hyper asks for
//! one to time out a client that is slow to send its request's head
//! (`header_read_timeout`), and it gets a sleep per request head it waits for.
//!
//! A timer hands out `Pin<Box<dyn hyper::rt::Sleep>>`, and a `Sleep` must be
//! `Send + Sync`: hyper is written for runtimes whose tasks move between
//! threads. Stage 9's sleeps are (its tasks move too); stage 7's are not,
//! as they hold their one-thread runtime by `Rc`. So stage 7's sleeps stay
//! in a table of their thread, and what hyper holds is their number.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use slab::Slab;

/// hyper's timer on stage 9's timers.
#[derive(Clone, Copy, Debug, Default)]
pub struct StealingTimer;

// ANCHOR: stealing
impl Timer for StealingTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(StealingSleep(work_stealing::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        self.sleep(deadline.saturating_duration_since(Instant::now()))
    }
}

/// Stage 9's sleep, as hyper's (a trait of hyper's on a type of the stage's
/// needs a type of our own between them).
struct StealingSleep(work_stealing::time::Sleep);

impl Future for StealingSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl Sleep for StealingSleep {}
// ANCHOR_END: stealing

/// hyper's timer on stage 7's timers.
#[derive(Clone, Copy, Debug, Default)]
pub struct MiniTimer;

thread_local! {
    /// The stage 7 sleeps of this thread that hyper holds, by number.
    static SLEEPS: RefCell<Slab<mini_runtime::time::Sleep>> = const { RefCell::new(Slab::new()) };
}

// ANCHOR: mini
impl Timer for MiniTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        let sleep = mini_runtime::time::sleep(duration);
        let key = SLEEPS.with_borrow_mut(|sleeps| sleeps.insert(sleep));
        let thread = thread::current().id();
        Box::pin(MiniSleep { key, thread })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        self.sleep(deadline.saturating_duration_since(Instant::now()))
    }
}

/// A stage 7 sleep in the table of thread `thread`: `Send + Sync`, as a
/// number and a thread's id are, though what it stands for is neither.
struct MiniSleep {
    key: usize,
    thread: ThreadId,
}

impl Future for MiniSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        assert_eq!(
            thread::current().id(),
            self.thread,
            "a stage 7 sleep is polled on the thread of its runtime only"
        );
        // The sleep's poll reaches stage 7's reactor, never this table.
        SLEEPS.with_borrow_mut(|sleeps| Pin::new(&mut sleeps[self.key]).poll(cx))
    }
}

impl Drop for MiniSleep {
    fn drop(&mut self) {
        // Stage 7 never moves a task to another thread, so the drop comes
        // on the sleep's own thread; were it sent elsewhere, its entry would
        // stay in its thread's table until that thread ends.
        if thread::current().id() == self.thread {
            let key = self.key;
            let sleep = SLEEPS.try_with(|sleeps| sleeps.borrow_mut().try_remove(key));
            drop(sleep); // cancels the timer, once the table is no longer borrowed
        }
    }
}

impl Sleep for MiniSleep {}
// ANCHOR_END: mini
