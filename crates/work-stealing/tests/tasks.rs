//! How tasks end: the runtime's end reaches every pending task wherever it
//! is kept; a task's future is dropped before its handle gives the output,
//! and a panic in that drop goes to the handle, never an abort or a dead
//! worker; a handle polled once too often panics saying so, and a dropped
//! handle lets go of its waiter's waker; a task woken
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
fn a_future_whose_drop_panics_gives_that_panic_to_its_handle_and_its_worker_goes_on() {
    /// Ready at once, and panics when dropped (after it was Ready, then).
    struct PanicsOnDrop;
    impl Future for PanicsOnDrop {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Ready(())
        }
    }
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("dropped, and panicked");
        }
    }
    let (message, after) = within_patience(|| {
        let runtime = Runtime::new(1);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async { spawn(PanicsOnDrop).await })
        }));
        let message = panic_message(outcome.expect_err("the drop's panic reaches the handle"));
        // One worker: had the drop's panic ended it, this would never run.
        let after = runtime.block_on(async { spawn(async { "the worker still runs" }).await });
        (message.to_owned(), after)
    });
    assert_eq!(message, "dropped, and panicked");
    assert_eq!(after, "the worker still runs");
}

#[test]
fn a_tasks_future_is_dropped_before_its_handle_gives_the_output() {
    /// Ready at once; its drop takes a while, then says that it ran.
    struct SlowDrop(Arc<AtomicBool>);
    impl Future for SlowDrop {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Ready(())
        }
    }
    impl Drop for SlowDrop {
        fn drop(&mut self) {
            std::thread::sleep(Duration::from_millis(50));
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = within_patience(|| {
        let runtime = Runtime::new(2);
        let dropped = Arc::new(AtomicBool::new(false));
        // Awaited on this thread, while a worker runs the task.
        let slow = SlowDrop(Arc::clone(&dropped));
        runtime.block_on(async { spawn(slow).await });
        dropped.load(Ordering::SeqCst)
    });
    assert!(
        dropped,
        "the handle gave the output while its future was still being dropped"
    );
}

#[test]
fn a_handle_dropped_after_a_poll_lets_go_of_the_waker_it_kept() {
    // The main future polls the handle of a long sleep once (the handle then
    // keeps the main future's waker), drops it, and waits for nothing: only
    // a handle that let go of that waker lets block_on see that nothing can
    // wake it.
    let message = within_patience(|| {
        let runtime = Runtime::new(1);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async {
                let mut handle = spawn(sleep(Duration::from_secs(3600)));
                poll_fn(|cx| {
                    assert!(Pin::new(&mut handle).poll(cx).is_pending(), "ready at once");
                    Poll::Ready(())
                })
                .await;
                drop(handle);
                poll_fn(|_| Poll::<()>::Pending).await
            })
        }));
        panic_message(outcome.expect_err("block_on names the stuck future")).to_owned()
    });
    assert_eq!(
        message,
        "task 0 returned Pending but nothing holds its waker: it can never be woken"
    );
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
        "U never ran while T's poll went on: the other worker did not take U from \
         T's worker's queue (was T queued during its poll, so that it waited for \
         that poll? or does it not steal?)"
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
