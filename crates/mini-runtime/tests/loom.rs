//! Model checks, with loom, of wakes that come from another thread while
//! the runtime polls or is about to wait. Without `--cfg loom` this file is
//! empty.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p mini-runtime --test loom`.
//! In such a build the runtime parks where it would wait in `mio::Poll::poll`
//! and a wake unparks it where it would write to the `mio::Waker` (see
//! `src/sync.rs`); stage 4's `TaskWaker`, its `queued` flag, its inbox and
//! its `Arc` are loom's, since loom rebuilds every crate. A lost wake-up
//! shows as a deadlock, which loom reports, or as a task polled before it
//! can see what its waker was woken for.
//!
//! Loom explores every interleaving within a bound of two preemptions
//! (`LOOM_MAX_PREEMPTIONS` sets another): the bugs these models are about
//! need one or two. What loom cannot show: its `unpark` hands over all the
//! unparking thread did, at once, which std's does only when `park`
//! returns; stage 4's `tests/loom.rs` says what that hides, and checks it
//! without a park.
#![cfg(loom)]

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use loom::sync::Arc;
use loom::sync::atomic::AtomicBool;
use loom::thread;
use mini_runtime::{block_on, spawn};

fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(model);
}

#[test]
fn a_wake_from_another_thread_always_reaches_the_waiting_runtime() {
    check(|| {
        let done = Arc::new(AtomicBool::new(false));
        let mut handed = false;
        let result = block_on(poll_fn(move |cx| {
            if done.load(Ordering::Relaxed) {
                return Poll::Ready("woken");
            }
            if !handed {
                handed = true;
                let (waker, done) = (cx.waker().clone(), Arc::clone(&done));
                thread::spawn(move || {
                    done.store(true, Ordering::Relaxed);
                    waker.wake();
                });
            }
            Poll::Pending
        }));
        assert_eq!(result, "woken");
    });
}

/// A leaf future that registers its waker once, with a thread that wakes
/// it, sets `flag` (Relaxed: the only order is the one the runtime gives)
/// and wakes it again; each poll checks `flag` and nothing else. The
/// second wake may come while the task is queued or being polled, and
/// queues nothing itself: only the runtime's protocol makes `flag` visible
/// to the poll after it.
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

#[test]
fn a_wake_racing_a_spawned_tasks_poll_is_never_lost() {
    check(|| {
        let output = block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            spawn(SetByAnotherThread {
                flag,
                registered: false,
            })
            .await
        });
        assert_eq!(output, "set");
    });
}
