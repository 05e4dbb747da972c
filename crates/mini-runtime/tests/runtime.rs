//! The runtime: tasks, their handles, timers, wakes from other threads,
//! and stage 4's guarantees (one poll per batch of wakes, stuck tasks named).

use lab::patience::{panic_message, within_patience};
use std::future::{Future, poll_fn};
use std::panic;
use std::process::Command;
use std::sync::mpsc;
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use mini_runtime::net::TcpListener;
use mini_runtime::{block_on, spawn, time::sleep};

#[test]
fn spawned_tasks_run_and_their_handles_give_their_outputs() {
    let outputs = within_patience(|| {
        block_on(async {
            let handles: Vec<_> = (0..10u64)
                .map(|i| {
                    spawn(async move {
                        sleep(Duration::from_millis(10 * (10 - i))).await;
                        i * i
                    })
                })
                .collect();
            let mut outputs = Vec::new();
            for handle in handles {
                outputs.push(handle.await);
            }
            outputs
        })
    });
    assert_eq!(outputs, (0..10).map(|i| i * i).collect::<Vec<u64>>());
}

#[test]
fn sleep_waits_its_time_on_one_thread_without_spinning() {
    let delay = Duration::from_millis(50);
    let start = Instant::now();
    let cpu = within_patience(move || {
        let before = lab::measure::process_cpu_time();
        block_on(sleep(delay));
        lab::measure::process_cpu_time() - before
    });
    let took = start.elapsed();
    assert!(took >= delay, "woke after {took:?}");
    assert!(
        cpu < delay / 2,
        "{cpu:?} of CPU for a {delay:?} sleep: the thread did not sleep"
    );
}

#[test]
fn a_dropped_sleep_cancels_its_timer_and_the_runtime_does_not_wait_for_it() {
    let start = Instant::now();
    within_patience(|| {
        block_on(async {
            let long = sleep(Duration::from_secs(60));
            let mut long = Box::pin(long);
            // Polled once (registered), then dropped.
            poll_fn(|cx| {
                assert!(long.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            drop(long);
            sleep(Duration::from_millis(5)).await;
        })
    });
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_wake_from_another_thread_reaches_the_sleeping_runtime() {
    let value = within_patience(|| {
        block_on(async {
            let (sender, receiver) = mpsc::channel();
            let mut sent = false;
            poll_fn(move |cx| {
                if let Ok(value) = receiver.try_recv() {
                    return Poll::Ready(value);
                }
                if !sent {
                    sent = true;
                    let (waker, sender) = (cx.waker().clone(), sender.clone());
                    thread::spawn(move || {
                        thread::sleep(Duration::from_millis(20));
                        sender.send(7).unwrap();
                        waker.wake();
                    });
                }
                Poll::Pending
            })
            .await
        })
    });
    assert_eq!(value, 7);
}

#[test]
fn a_thousand_wakes_in_one_poll_give_one_more_poll() {
    let polls = within_patience(|| {
        block_on(async {
            spawn(async {
                let mut polls = 0;
                poll_fn(|cx| {
                    polls += 1;
                    if polls == 1 {
                        (0..1000).for_each(|_| cx.waker().wake_by_ref());
                        return Poll::Pending;
                    }
                    Poll::Ready(())
                })
                .await;
                polls
            })
            .await
        })
    });
    assert_eq!(polls, 2);
}

#[test]
fn a_task_that_can_never_be_woken_is_named() {
    let message = within_patience(|| {
        panic::catch_unwind(|| {
            block_on(async {
                let _first = spawn(sleep(Duration::from_millis(1)));
                let forgotten = spawn(poll_fn(|_cx| Poll::<()>::Pending));
                forgotten.await;
            })
        })
        .map_err(panic_message)
        .unwrap_err()
    });
    assert_eq!(
        message,
        "task 2 returned Pending but nothing holds its waker: it can never be woken"
    );
}

#[test]
fn a_task_that_panics_resumes_its_panic_where_its_handle_is_awaited() {
    let message = within_patience(|| {
        panic::catch_unwind(|| {
            block_on(async {
                let handle = spawn(async { panic!("task gave up") });
                handle.await
            })
        })
        .map_err(panic_message)
        .unwrap_err()
    });
    assert_eq!(message, "task gave up");
}

const CHILD: &str = "MINI_RUNTIME_PANIC_CHILD";

#[test]
fn a_task_that_panics_with_its_handle_dropped_is_reported_and_the_runtime_goes_on() {
    if std::env::var_os(CHILD).is_some() {
        let done = block_on(async {
            drop(spawn(async { panic!("nobody awaits me") }));
            sleep(Duration::from_millis(5)).await;
            spawn(async { "still running" }).await
        });
        eprintln!("child: {done}");
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_task_that_panics_with_its_handle_dropped_is_reported_and_the_runtime_goes_on",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "task 1 panicked (nobody awaits me), and its handle is gone; the runtime goes on"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("child: still running"), "{stderr}");
}

#[test]
fn spawn_outside_block_on_says_so_and_block_on_inside_block_on_too() {
    let message = panic_message(panic::catch_unwind(|| drop(spawn(async {}))).unwrap_err());
    assert_eq!(message, "mini_runtime::spawn called outside block_on");
    let message =
        panic_message(panic::catch_unwind(|| block_on(async { block_on(async {}) })).unwrap_err());
    assert_eq!(message, "mini_runtime::block_on called inside block_on");
    // The runtime of the failed call is gone: a new one starts.
    assert_eq!(block_on(async { 1 }), 1);
}

#[test]
fn tasks_still_pending_when_the_main_future_is_done_are_dropped() {
    struct Flag(std::rc::Rc<std::cell::Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = Flag(dropped.clone());
    block_on(async move {
        drop(spawn(async move {
            let _flag = flag;
            sleep(Duration::from_secs(60)).await;
        }));
        sleep(Duration::from_millis(1)).await;
    });
    assert!(dropped.get(), "the pending task was not dropped");
}

#[test]
fn a_handle_dropped_after_a_poll_lets_go_of_the_waker_it_kept() {
    // The main task polls the handle of a long sleep once (the handle then
    // keeps the main task's waker), drops it, and waits for nothing: only a
    // handle that let go of that waker lets the runtime see that nothing
    // can wake the main task.
    let message = within_patience(|| {
        panic::catch_unwind(|| {
            block_on(async {
                let mut handle = spawn(sleep(Duration::from_secs(3600)));
                poll_pending_once(&mut handle).await;
                drop(handle);
                poll_fn(|_cx| Poll::<()>::Pending).await
            })
        })
        .map_err(panic_message)
        .unwrap_err()
    });
    assert_eq!(
        message,
        "task 0 returned Pending but nothing holds its waker: it can never be woken"
    );
}

#[test]
fn a_task_whose_last_waker_is_dropped_unwoken_is_named() {
    let message = within_patience(|| {
        panic::catch_unwind(|| {
            block_on(async {
                // The clone goes to a thread that drops it once task 2 has
                // run, after task 1's poll: so the poll's own check sees the
                // clone held, and only the drop can tell that it is gone.
                let (go, wait) = mpsc::channel::<()>();
                let mut wait = Some(wait);
                let dropped_elsewhere = spawn(poll_fn(move |cx| {
                    let (waker, wait) = (cx.waker().clone(), wait.take().expect("polled once"));
                    thread::spawn(move || {
                        let _ = wait.recv();
                        drop(waker);
                    });
                    Poll::<()>::Pending
                }));
                drop(spawn(async move { go.send(()).unwrap() }));
                dropped_elsewhere.await;
            })
        })
        .map_err(panic_message)
        .unwrap_err()
    });
    assert_eq!(
        message,
        "task 1 is pending and the last waker that could wake it was dropped unwoken: it can never be woken"
    );
}

#[test]
fn a_join_handle_polled_after_it_returned_ready_says_so() {
    let message = within_patience(|| {
        panic::catch_unwind(|| {
            block_on(async {
                let mut handle = spawn(async { 7 });
                assert_eq!((&mut handle).await, 7);
                (&mut handle).await
            })
        })
        .map_err(panic_message)
        .unwrap_err()
    });
    assert_eq!(message, "a JoinHandle was polled after it returned Ready");
}

/// What polling `future` in a new `block_on` said, as it panicked.
fn polled_in_a_new_runtime<F: Future>(future: F) -> String {
    let future = panic::AssertUnwindSafe(future);
    panic::catch_unwind(move || drop(block_on(future)))
        .map_err(panic_message)
        .expect_err("polled after its runtime was gone, and it did not panic")
}

const GONE: &str = "its runtime is gone: the block_on it belonged to has returned";

#[test]
// Each run returns what the next polls: a future, on purpose.
#[allow(clippy::async_yields_async)]
fn a_handle_sleep_or_socket_polled_after_its_runtime_is_gone_says_so_instead_of_hanging() {
    let said = within_patience(|| {
        // A task still pending when its block_on returned.
        let handle = block_on(async { spawn(sleep(Duration::from_secs(3600))) });
        // A sleep registered with a runtime that has returned.
        let nap = block_on(async {
            let mut nap = Box::pin(sleep(Duration::from_secs(3600)));
            poll_pending_once(&mut nap).await;
            nap
        });
        // A listener bound in a runtime that has returned.
        let listener = block_on(async { TcpListener::bind(([127, 0, 0, 1], 0).into()).unwrap() });
        [
            polled_in_a_new_runtime(handle),
            polled_in_a_new_runtime(nap),
            polled_in_a_new_runtime(async move { listener.accept().await.map(drop) }),
        ]
    });
    assert_eq!(said, [GONE; 3]);
}

/// A waker whose drop binds a listener: it touches the runtime, so it must
/// never be dropped while the runtime's state is borrowed.
struct BindsWhenDropped(std::task::Waker);

impl std::task::Wake for BindsWhenDropped {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.wake_by_ref();
    }
}

impl Drop for BindsWhenDropped {
    fn drop(&mut self) {
        drop(TcpListener::bind(([127, 0, 0, 1], 0).into()).unwrap());
    }
}

/// Polls `future` once, with the task's waker, and checks it is Pending.
async fn poll_pending_once<F: Future + Unpin>(future: &mut F) {
    poll_fn(|cx| {
        assert!(
            std::pin::Pin::new(&mut *future).poll(cx).is_pending(),
            "ready at once"
        );
        Poll::Ready(())
    })
    .await
}

/// Polls `future` once with a `BindsWhenDropped` waker, and checks it is
/// Pending: the runtime now holds that waker.
async fn poll_pending_once_with_a_binding_waker<F: Future + Unpin>(future: &mut F) {
    poll_fn(|cx| {
        let binding = BindsWhenDropped(cx.waker().clone());
        let binding = std::task::Waker::from(std::sync::Arc::new(binding));
        let mut binding_cx = std::task::Context::from_waker(&binding);
        let polled = std::pin::Pin::new(&mut *future).poll(&mut binding_cx);
        assert!(polled.is_pending(), "ready at once");
        Poll::Ready(())
    })
    .await
}

/// Polls `future` once with a `BindsWhenDropped` waker, then goes on
/// polling it with the task's own, so that the runtime drops the first.
async fn poll_first_with_a_binding_waker<F: Future + Unpin>(mut future: F) -> F::Output {
    poll_pending_once_with_a_binding_waker(&mut future).await;
    future.await
}

#[test]
fn a_waker_whose_drop_touches_the_runtime_is_never_dropped_under_its_borrow() {
    within_patience(|| {
        block_on(async {
            // A timer's waker, replaced by the task's.
            poll_first_with_a_binding_waker(Box::pin(sleep(Duration::from_millis(5)))).await;
            // A handle's waiter, replaced.
            let task = spawn(sleep(Duration::from_millis(5)));
            poll_first_with_a_binding_waker(task).await;
            // A listener's waiter, dropped with the listener.
            let listener = TcpListener::bind(([127, 0, 0, 1], 0).into()).unwrap();
            let mut accept = Box::pin(listener.accept());
            poll_pending_once_with_a_binding_waker(&mut accept).await;
            drop(accept);
            drop(listener);
            assert_eq!(mini_runtime::io_registrations(), 0);
        })
    });
}

thread_local! {
    /// A handle that a waker polls when woken, and what that poll gave.
    static HANDLE: std::cell::RefCell<Option<mini_runtime::JoinHandle<u32>>> = const { std::cell::RefCell::new(None) };
    static POLLED: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
}

/// A waker that polls the handle in `HANDLE` when woken, as an executor
/// that polls inside `wake` would.
struct PollsTheHandle;

impl std::task::Wake for PollsTheHandle {
    fn wake(self: std::sync::Arc<Self>) {
        HANDLE.with(|handle| {
            let mut handle = handle.borrow_mut();
            let handle = handle.as_mut().expect("the handle is there");
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            if let Poll::Ready(output) = std::pin::Pin::new(handle).poll(&mut cx) {
                POLLED.with(|polled| polled.set(Some(output)));
            }
        });
    }
}

#[test]
fn a_task_wakes_the_one_awaiting_its_handle_only_once_the_handle_can_be_polled() {
    let polled = within_patience(|| {
        block_on(async {
            let mut handle = spawn(async {
                mini_runtime::yield_now().await;
                5
            });
            let waker = std::task::Waker::from(std::sync::Arc::new(PollsTheHandle));
            let pending =
                std::pin::Pin::new(&mut handle).poll(&mut std::task::Context::from_waker(&waker));
            assert!(pending.is_pending());
            HANDLE.with(|slot| *slot.borrow_mut() = Some(handle));
            // The task finishes within the next few polls, and wakes
            // `PollsTheHandle`, which polls the handle there and then.
            while POLLED.with(std::cell::Cell::get).is_none() {
                mini_runtime::yield_now().await;
            }
            POLLED.with(std::cell::Cell::get)
        })
    });
    assert_eq!(polled, Some(5));
}
