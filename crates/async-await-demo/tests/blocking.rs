//! The blocking pool: jobs run side by side, a job that panics fails its
//! own future only, and a waker that panics costs the pool nothing.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Wake, Waker};

use async_await_demo::blocking::{WORKERS, spawn_blocking};
use lab::patience::{STALL, panic_message, within_patience};

/// The tests here take turns: all use the one pool, and a worker busy with
/// another test's job (printing a panic's backtrace can take a while on a
/// loaded machine) would leave fewer workers for the one that needs all.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn as_many_jobs_as_workers_run_side_by_side() {
    const { assert!(WORKERS >= 4, "the design asks for at least 4 jobs at once") };
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Each job waits until every one has started: they can all finish only
    // if they run at the same time. Shown by causality, not by a clock.
    let started = Arc::new((Mutex::new(0), Condvar::new()));
    let jobs = (0..WORKERS)
        .map(|_| {
            let started = Arc::clone(&started);
            spawn_blocking("meet", move || {
                let (count, changed) = &*started;
                let mut count = count.lock().unwrap();
                *count += 1;
                changed.notify_all();
                let (_count, waited) = changed
                    .wait_timeout_while(count, STALL, |count| *count < WORKERS)
                    .unwrap();
                !waited.timed_out()
            })
        })
        .collect();
    let met = within_patience(move || waker_executor::run(jobs));
    assert!(
        met.iter().all(|&met| met),
        "{} of {WORKERS} jobs waited {STALL:?} in vain for the others to start: \
         the pool did not run them side by side",
        met.iter().filter(|&&met| !met).count()
    );
}

#[test]
fn a_panicking_job_fails_its_own_future_with_its_own_panic_and_the_pool_goes_on() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // More panics than workers: a pool that lost a thread to each would be
    // empty by the end, and the last jobs would never run.
    for round in 0..2 * WORKERS {
        let outcome = within_patience(move || {
            panic::catch_unwind(|| {
                waker_executor::block_on(spawn_blocking("boom", move || -> u32 {
                    panic!("job {round} gave up")
                }))
            })
            .map_err(panic_message)
        });
        let message = outcome.expect_err("the job's panic reaches the task that awaits it");
        assert_eq!(message, format!("job {round} gave up"));
    }
    // The others, beside a failing one, still finish.
    let ok = spawn_blocking("ok", || 7);
    let failing = spawn_blocking("boom", || -> i32 { panic!("only me") });
    let outcome = within_patience(|| {
        panic::catch_unwind(AssertUnwindSafe(|| waker_executor::run(vec![failing])))
    });
    assert!(outcome.is_err());
    assert_eq!(within_patience(|| waker_executor::block_on(ok)), 7);
    let text =
        within_patience(|| waker_executor::block_on(async_await_demo::read_file("Cargo.toml")))
            .unwrap();
    assert!(
        text.contains("async-await-demo"),
        "read_file works after panicking jobs"
    );
}

/// A waker that counts its wakes, then panics: the bug of some executor.
struct PanickingWaker(AtomicUsize);

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        // SeqCst: the test reads this count from another thread, and nothing else.
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("this waker is broken on purpose");
    }
}

#[test]
fn a_waker_that_panics_stops_neither_the_helper_thread_nor_the_pool() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // More broken wakers than workers: a pool that lost a thread to each
    // would have none left for the job after them.
    let broken = Arc::new(PanickingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&broken));
    for round in 1..=2 * WORKERS {
        let mut job = pin!(spawn_blocking("done", || 1));
        assert!(
            job.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        // The job runs on a helper thread, which then wakes the broken waker.
        lab::patience::wait_until("the job to wake its (broken) waker", || {
            broken.0.load(Ordering::SeqCst) == round
        });
    }
    let after = within_patience(|| waker_executor::block_on(spawn_blocking("after", || 7)));
    assert_eq!(after, 7, "a job after the broken wakers");
}
