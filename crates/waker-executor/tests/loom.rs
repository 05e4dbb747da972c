//! Model checks of the executor's wake protocol with loom: every
//! interleaving of the executor thread and a waking thread, and every value
//! the memory model lets each atomic load return.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p waker-executor --test loom`
//! (a target dir of its own, since every crate is rebuilt with the flag).
//! Without `--cfg loom` this file is empty.
//!
//! Each model fails if a wake-up is lost: the run then ends in a `Stuck`
//! error (the task is pending and nothing can wake it) or in a deadlock,
//! which loom reports. Loom's `Arc::clone` is not a fence, so no hardware
//! hides an ordering bug here the way x86 does.
//!
//! One thing loom does hide: its `unpark` makes the unparked thread see
//! everything the unparking thread did, at once, even while the unparked
//! thread is running (std's makes it so only when `park` returns). Every
//! wake that queues a task unparks the executor, so in a model of the whole
//! executor, the executor always sees `queued` set by the time it could see
//! the waker's clone dropped, and the fence in `nobody_can_wake` could be
//! removed unseen. The last model takes the executor's thread out of it: it
//! polls once with `poll_task` and a rouser that does nothing, which is
//! where that fence, and nothing else, stands between a woken task and a
//! false "can never be woken".
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use loom::sync::Arc;
use loom::sync::atomic::AtomicBool;
use loom::thread;
use waker_executor::{Observed, Rouse, Shared, TaskWaker, Wakers, poll_task};

/// A leaf future that does not lock anything: it registers its waker once,
/// with a thread that wakes it, sets `flag` and wakes it again; each poll
/// checks `flag` and nothing else.
///
/// The first wake queues the task. The second may come while the task is
/// still queued, or while it is being polled: it then relies on the
/// executor's protocol to make `flag` visible to the poll, since it queues
/// nothing itself. The flag's own accesses are Relaxed on purpose: the only
/// ordering there is, is the one the executor provides.
struct SetByAnotherThread {
    flag: Arc<AtomicBool>,
    registered: bool,
}

impl Future for SetByAnotherThread {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.flag.load(Ordering::Relaxed) {
            return Poll::Ready("set");
        }
        if !self.registered {
            self.registered = true;
            let (waker, flag) = (cx.waker().clone(), Arc::clone(&self.flag));
            thread::spawn(move || {
                waker.wake_by_ref();
                flag.store(true, Ordering::Relaxed);
                waker.wake();
            });
        }
        Poll::Pending
    }
}

fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // Two preemptions find the bugs this file is about in seconds; more
    // only multiply the time. LOOM_MAX_PREEMPTIONS overrides it.
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(model);
}

#[test]
fn a_wake_during_the_poll_is_never_lost() {
    check(|| {
        let future = SetByAnotherThread {
            flag: Arc::new(AtomicBool::new(false)),
            registered: false,
        };
        match Observed::new().try_run(vec![future]) {
            Ok(report) => assert_eq!(report.outputs, ["set"]),
            Err(stuck) => panic!("lost wake-up: {stuck}"),
        }
    });
}

/// A future that hands its waker to another thread, which wakes it once by
/// value (so the waker is gone when the task is polled again).
struct WokenOnceFromAnotherThread {
    woken: Arc<AtomicBool>,
    sent: bool,
}

impl Future for WokenOnceFromAnotherThread {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.sent {
            // Polled again: only the wake queues it, so the wake happened.
            assert!(
                self.woken.load(Ordering::Relaxed),
                "polled again before the wake"
            );
            return Poll::Ready(());
        }
        self.sent = true;
        let (waker, woken) = (cx.waker().clone(), Arc::clone(&self.woken));
        thread::spawn(move || {
            woken.store(true, Ordering::Relaxed);
            waker.wake();
        });
        Poll::Pending
    }
}

#[test]
fn a_waker_held_by_another_thread_is_never_taken_for_stuck() {
    check(|| {
        let future = WokenOnceFromAnotherThread {
            woken: Arc::new(AtomicBool::new(false)),
            sent: false,
        };
        if let Err(stuck) = Observed::new().try_run(vec![future]) {
            panic!("a task with a live waker was reported: {stuck}");
        }
    });
}

#[test]
fn block_on_never_loses_a_wake_during_the_poll() {
    check(|| {
        let future = SetByAnotherThread {
            flag: Arc::new(AtomicBool::new(false)),
            registered: false,
        };
        assert_eq!(waker_executor::block_on(future), "set");
    });
}

/// Pending once, dropping its waker on another thread without waking it.
struct DropsItsWakerElsewhere {
    sent: bool,
}

impl Future for DropsItsWakerElsewhere {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.sent, "polled again, though nobody woke it");
        self.sent = true;
        let waker = cx.waker().clone();
        thread::spawn(move || drop(waker));
        Poll::Pending
    }
}

#[test]
fn block_on_reports_a_waker_dropped_unwoken_elsewhere_instead_of_sleeping_forever() {
    check(|| {
        let outcome = std::panic::catch_unwind(|| {
            waker_executor::block_on(DropsItsWakerElsewhere { sent: false })
        });
        let message = *outcome
            .expect_err("block_on returned")
            .downcast::<String>()
            .unwrap();
        assert!(message.contains("can never be woken"), "{message}");
    });
}

/// A rouser that does nothing and synchronises nothing: the model below
/// never sleeps, it only asks once whether the task can still be woken.
struct Silent;

impl Rouse for Silent {
    fn rouse(&self) {}
}

/// Hands a clone of its waker to another thread, which wakes the task and
/// then drops the clone.
struct WokenThenDroppedElsewhere;

impl Future for WokenThenDroppedElsewhere {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let waker = cx.waker().clone();
        thread::spawn(move || {
            waker.wake_by_ref();
            drop(waker);
        });
        Poll::Pending
    }
}

#[test]
fn a_task_woken_by_a_clone_since_dropped_is_never_taken_for_stuck() {
    check(|| {
        let shared = Shared::new(Silent);
        let waker = TaskWaker::new(0, Arc::clone(&shared));
        let mut future = std::pin::pin!(WokenThenDroppedElsewhere);
        let polled = poll_task(&waker, future.as_mut(), Wakers::Wake);
        // The wake left the task in the inbox: empty it, as a run's end does.
        shared.close();
        if let Err(stuck) = polled {
            panic!("the wake was not seen though the clone's drop was: {stuck}");
        }
    });
}
