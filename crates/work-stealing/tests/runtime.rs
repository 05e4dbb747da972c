//! The runtime: tasks on the workers, their handles and panics, timers,
//! fairness, and the end of the runtime. Every wait is bounded.

use std::collections::HashSet;
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use lab::patience::{PATIENCE, panic_message, within_patience};
use work_stealing::time::sleep;
use work_stealing::{Runtime, current_worker, spawn, yield_now};

#[test]
fn spawned_tasks_run_on_the_workers_and_their_handles_give_their_outputs() {
    let (outputs, workers) = within_patience(|| {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            assert_eq!(current_worker(), None, "block_on's thread is not a worker");
            let handles: Vec<_> = (0..100u64)
                .map(|i| {
                    spawn(async move {
                        yield_now().await;
                        (i * i, current_worker().expect("a task runs on a worker"))
                    })
                })
                .collect();
            let mut outputs = Vec::new();
            let mut workers = HashSet::new();
            for handle in handles {
                let (square, worker) = handle.await;
                outputs.push(square);
                workers.insert(worker);
            }
            (outputs, workers)
        })
    });
    assert_eq!(outputs, (0..100).map(|i| i * i).collect::<Vec<u64>>());
    assert!(workers.iter().all(|&worker| worker < 2), "{workers:?}");
}

#[test]
fn an_idle_worker_steals_the_tasks_queued_behind_a_busy_one() {
    // A task queues four tasks on its own worker's queue (a spawn on a
    // worker goes there), then keeps that worker busy until all four have
    // run: only the other worker can run them meanwhile, and only by
    // stealing them.
    let (ran, spawner, runners) = within_patience(|| {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            spawn(async {
                let ran = Arc::new(AtomicUsize::new(0));
                let (on, runners) = mpsc::channel();
                for _ in 0..4 {
                    let (ran, on) = (Arc::clone(&ran), on.clone());
                    drop(spawn(async move {
                        let _ = on.send(current_worker()); // late, if the spinner gave up
                        ran.fetch_add(1, Ordering::SeqCst);
                    }));
                }
                let start = Instant::now();
                while ran.load(Ordering::SeqCst) < 4 && start.elapsed() < PATIENCE / 2 {
                    std::hint::spin_loop();
                }
                let runners: Vec<Option<usize>> = runners.try_iter().collect();
                (ran.load(Ordering::SeqCst), current_worker(), runners)
            })
            .await
        })
    });
    assert_eq!(
        ran, 4,
        "tasks queued behind a busy worker did not run while it was busy: \
         does an idle worker steal from the others' queues?"
    );
    assert!(
        runners
            .iter()
            .all(|runner| runner.is_some() && *runner != spawner),
        "the four ran on {runners:?}, their spawner on {spawner:?}"
    );
}

#[test]
fn a_million_yields_over_a_thousand_tasks_all_finish() {
    let done = within_patience(|| {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            let handles: Vec<_> = (0..1000)
                .map(|_| {
                    spawn(async {
                        for _ in 0..1000 {
                            yield_now().await;
                        }
                    })
                })
                .collect();
            let count = handles.len();
            for handle in handles {
                handle.await;
            }
            count
        })
    });
    assert_eq!(done, 1000);
}

#[test]
fn a_wake_from_another_thread_reaches_a_parked_worker() {
    let value = within_patience(|| {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            let (sender, receiver) = mpsc::channel();
            let sent = Arc::new(AtomicBool::new(false));
            spawn(std::future::poll_fn(move |cx| {
                if let Ok(value) = receiver.try_recv() {
                    return std::task::Poll::Ready(value);
                }
                if !sent.swap(true, Ordering::Relaxed) {
                    let (waker, sender) = (cx.waker().clone(), sender.clone());
                    thread::spawn(move || {
                        thread::sleep(Duration::from_millis(20));
                        sender.send(7).unwrap();
                        waker.wake();
                    });
                }
                std::task::Poll::Pending
            }))
            .await
        })
    });
    assert_eq!(value, 7);
}

#[test]
fn a_task_that_panics_resumes_its_panic_where_its_handle_is_awaited() {
    let message = within_patience(|| {
        let runtime = Runtime::new(1);
        panic::catch_unwind(panic::AssertUnwindSafe(|| {
            runtime.block_on(async { spawn(async { panic!("task gave up") }).await })
        }))
        .map_err(panic_message)
        .unwrap_err()
    });
    assert_eq!(message, "task gave up");
}

#[test]
fn a_yield_loop_does_not_keep_a_timer_or_another_task_waiting_even_with_one_worker() {
    let (slept, other) = within_patience(|| {
        let runtime = Runtime::new(1);
        runtime.block_on(async {
            let stop = Arc::new(AtomicBool::new(false));
            let give_up = Instant::now() + PATIENCE;
            let busy = spawn({
                let stop = Arc::clone(&stop);
                async move {
                    while !stop.load(Ordering::Relaxed) {
                        assert!(
                            Instant::now() < give_up,
                            "the busy task was never stopped: starved"
                        );
                        yield_now().await;
                    }
                }
            });
            let napper = spawn(async {
                let start = Instant::now();
                sleep(Duration::from_millis(20)).await;
                start.elapsed()
            });
            let other = spawn(async { 5 });
            let (slept, other) = (napper.await, other.await);
            stop.store(true, Ordering::Relaxed);
            busy.await;
            (slept, other)
        })
    });
    assert!(slept >= Duration::from_millis(20));
    assert_eq!(other, 5);
}

#[test]
fn dropping_the_runtime_drops_every_pending_task_and_joins_its_threads() {
    struct Flag(Arc<AtomicUsize>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&dropped);
    within_patience(move || {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            for _ in 0..10 {
                let flag = Flag(Arc::clone(&counted));
                drop(spawn(async move {
                    let _flag = flag;
                    sleep(Duration::from_secs(3600)).await;
                }));
            }
            yield_now().await;
        });
        drop(runtime);
    });
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        10,
        "pending tasks outlived their runtime"
    );
}

#[test]
fn zero_workers_is_refused() {
    let message = panic_message(panic::catch_unwind(|| drop(Runtime::new(0))).unwrap_err());
    assert_eq!(message, "a work-stealing runtime needs at least one worker");
}

#[test]
fn spawn_outside_a_runtime_says_so() {
    let message = panic_message(panic::catch_unwind(|| drop(spawn(async {}))).unwrap_err());
    assert_eq!(message, "work_stealing::spawn called outside a runtime");
}
