//! Model checks, with loom, of a wake that comes from another thread while
//! the runtime is about to wait: every interleaving, every value the memory
//! model allows. Without `--cfg loom` this file is empty.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p mini-runtime --test loom`.
//! In such a build the runtime parks where it would wait in `mio::Poll::poll`
//! and a wake unparks it where it would write to the `mio::Waker` (see
//! `src/sync.rs`); a lost wake-up shows as a deadlock, which loom reports.
#![cfg(loom)]

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;

use loom::sync::atomic::AtomicBool;
use loom::thread;

#[test]
fn a_wake_from_another_thread_always_reaches_the_waiting_runtime() {
    loom::model(|| {
        let done = Arc::new(AtomicBool::new(false));
        let mut handed = false;
        let result = mini_runtime::block_on(poll_fn(move |cx| {
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
