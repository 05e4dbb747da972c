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
        stderr.contains("mini-runtime: task 1 panicked (nobody awaits me); the runtime goes on"),
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
