//! The blocking pool: jobs run side by side, and a job that panics fails
//! its own future only.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use async_await_demo::blocking::{WORKERS, spawn_blocking};
use lab::patience::{panic_message, within_patience};

/// The tests here take turns: both use the one pool, and a worker busy
/// with another test's job (printing a panic's backtrace can take a while
/// on a loaded machine) would leave fewer workers for the timed test.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn as_many_jobs_as_workers_run_side_by_side() {
    const { assert!(WORKERS >= 4, "the design asks for at least 4 jobs at once") };
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let job = Duration::from_millis(400);
    let start = Instant::now();
    let jobs = (0..WORKERS)
        .map(|_| spawn_blocking("sleep", move || thread::sleep(job)))
        .collect();
    waker_executor::run(jobs);
    let took = start.elapsed();
    // One after another would take WORKERS x 400 ms; sleeping needs no CPU,
    // so even a busy machine finishes well within two jobs' time.
    assert!(took >= job, "{took:?}: the jobs did not run");
    assert!(
        took < 2 * job,
        "{WORKERS} jobs of {job:?} took {took:?}: they did not run side by side"
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
