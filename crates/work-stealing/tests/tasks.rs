//! How tasks end: the runtime's end reaches every pending task wherever it
//! is kept; a panic in a task's drop is caught, never an abort or a dead
//! worker, and a handle polled once too often panics saying so; a task woken
//! during its own poll never makes another worker wait for that poll; and
//! a handle does not hide a task that can never be woken. Every wait is
//! bounded.

use std::future::{Future, poll_fn};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lab::patience::{PATIENCE, panic_message, within_patience};
use work_stealing::time::sleep;
use work_stealing::{Runtime, spawn, yield_now};

/// Counts its drops in the counter it holds.
struct Flag(Arc<AtomicUsize>);

impl Drop for Flag {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_task_awaiting_another_and_the_one_it_awaits_are_both_dropped_with_the_runtime() {
    // A awaits B's handle, B sleeps: B's join keeps A's waker, A's future
    // keeps B's handle. Neither is in a queue or, once the reactor lets go
    // of B's timer, anywhere the runtime looks but its list of tasks.
    let dropped = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&dropped);
    within_patience(move || {
        let runtime = Runtime::new(2);
        runtime.block_on(async move {
            let (b_flag, a_flag) = (Flag(Arc::clone(&counted)), Flag(counted));
            let b = spawn(async move {
                let _flag = b_flag;
                sleep(Duration::from_secs(3600)).await;
            });
            let awaiting = Arc::new(AtomicBool::new(false));
            let a_awaits = Arc::clone(&awaiting);
            drop(spawn(async move {
                let _flag = a_flag;
                let mut b = b;
                poll_fn(|cx| {
                    let poll = Pin::new(&mut b).poll(cx);
                    a_awaits.store(true, Ordering::SeqCst); // B's join holds A's waker
                    poll
                })
                .await
            }));
            while !awaiting.load(Ordering::SeqCst) {
                yield_now().await;
            }
        });
        drop(runtime);
    });
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        2,
        "a task kept only by another task's handle outlived its runtime"
    );
}

#[test]
fn a_waker_kept_outside_the_runtime_does_not_keep_its_task_past_the_runtime() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let (sent, kept) = mpsc::channel();
    let flag = Flag(Arc::clone(&dropped));
    within_patience(move || {
        let runtime = Runtime::new(1);
        runtime.block_on(async move {
            drop(spawn(async move {
                let _flag = flag;
                let mut sent = Some(sent);
                poll_fn(|cx| {
                    if let Some(sent) = sent.take() {
                        sent.send(cx.waker().clone()).unwrap();
                    }
                    Poll::<()>::Pending
                })
                .await
            }));
        });
        let waker = kept
            .recv_timeout(PATIENCE)
            .expect("the task sends its waker");
        drop(runtime);
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            1,
            "dropped with its runtime"
        );
        waker.wake(); // its runtime is gone: the wake queues nothing
    });
}

#[test]
fn a_handle_polled_after_it_returned_ready_panics_saying_so() {
    let message = within_patience(|| {
        let runtime = Runtime::new(1);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async {
                let mut handle = spawn(async { 7 });
                assert_eq!((&mut handle).await, 7);
                poll_fn(|cx| Pin::new(&mut handle).poll(cx)).await
            })
        }));
        panic_message(outcome.expect_err("polled again, the handle panics")).to_owned()
    });
    assert_eq!(message, "a JoinHandle was polled after it returned Ready");
}

#[test]
fn a_future_whose_drop_panics_still_gives_its_output_and_its_worker_goes_on() {
    /// Ready at once, and panics when dropped (after it was Ready, then).
    struct PanicsOnDrop;
    impl Future for PanicsOnDrop {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
            Poll::Ready(7)
        }
    }
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("dropped, and panicked");
        }
    }
    let (output, after) = within_patience(|| {
        let runtime = Runtime::new(1);
        let output = runtime.block_on(async { spawn(PanicsOnDrop).await });
        // One worker: had the drop's panic ended it, this would never run.
        let after = runtime.block_on(async { spawn(async { "the worker still runs" }).await });
        (output, after)
    });
    assert_eq!(
        output, 7,
        "the output is the handle's before the future is dropped"
    );
    assert_eq!(after, "the worker still runs");
}

#[test]
fn a_task_woken_during_its_own_poll_never_keeps_another_worker_waiting() {
    // T wakes itself, spawns U and then, in the same poll, waits for U to
    // run. T's wake must not queue T while it is being polled (a worker
    // that took it would wait for T's poll, or poll T too): the other
    // worker takes U.
    let ran = within_patience(|| {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            spawn(async {
                let u_ran = Arc::new(AtomicBool::new(false));
                let mut spawned = None;
                poll_fn(|cx| {
                    if spawned.is_none() {
                        cx.waker().wake_by_ref();
                        let u_ran = Arc::clone(&u_ran);
                        spawned = Some(spawn(async move { u_ran.store(true, Ordering::SeqCst) }));
                    }
                    let start = Instant::now();
                    while !u_ran.load(Ordering::SeqCst) && start.elapsed() < PATIENCE / 2 {
                        std::hint::spin_loop();
                    }
                    Poll::Ready(u_ran.load(Ordering::SeqCst))
                })
                .await
            })
            .await
        })
    });
    assert!(
        ran,
        "U never ran while T's poll went on: the other worker waited for T's poll"
    );
}

#[test]
fn a_task_that_can_never_be_woken_is_named_even_while_its_handle_is_awaited() {
    let message = within_patience(|| {
        let runtime = Runtime::new(1);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async { spawn(poll_fn(|_| Poll::<()>::Pending)).await })
        }));
        panic_message(outcome.expect_err("the handle says its task is gone")).to_owned()
    });
    assert_eq!(
        message,
        "its task was dropped unfinished: its runtime is gone, or nothing could wake it"
    );
}

#[test]
fn a_handle_awaited_when_its_runtime_is_dropped_says_its_runtime_is_gone() {
    let handle = within_patience(|| {
        let runtime = Runtime::new(1);
        // Spawned, and handed out of `block_on` unawaited.
        let handle = runtime
            .block_on(async {
                let handle = spawn(sleep(Duration::from_secs(3600)));
                yield_now().await;
                (handle,)
            })
            .0;
        drop(runtime);
        handle
    });
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut handle = handle;
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = Pin::new(&mut handle).poll(&mut cx);
    }));
    let message = panic_message(outcome.expect_err("its runtime dropped the task"));
    assert_eq!(
        message,
        "its task was dropped unfinished: its runtime is gone, or nothing could wake it"
    );
}
