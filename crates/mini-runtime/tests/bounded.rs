//! Bounded: a finished task's slot is reused, so a server that spawns a
//! task per connection does not grow with every connection it ever served.
//! A test binary of its own, with one test: the resident set size it reads
//! is the whole process's, and other tests would allocate beside it.
#![cfg(target_os = "linux")]

use std::fs;

use lab::patience::within_patience;
use mini_runtime::{block_on, spawn, yield_now};

/// The process's resident set size, in KiB, from `/proc/self/status`.
fn rss_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("Linux has /proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("a VmRSS line");
    line.split_whitespace()
        .nth(1)
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS in kB")
}

/// Spawns and finishes `tasks` tasks, one after another: half awaited
/// through their handles, half with their handles dropped.
async fn one_after_another(tasks: u32) {
    for i in 0..tasks {
        if i % 2 == 0 {
            assert_eq!(spawn(async move { i }).await, i);
        } else {
            drop(spawn(async {}));
            yield_now().await; // the detached task runs, and finishes
        }
    }
}

#[test]
fn a_million_tasks_spawned_and_finished_one_after_another_leave_rss_flat() {
    let (before, after) = within_patience(|| {
        block_on(async {
            // What a first round allocates for good (the inbox's and the
            // slab's buffers) is not counted.
            one_after_another(10_000).await;
            let before = rss_kib();
            one_after_another(1_000_000).await;
            (before, rss_kib())
        })
    });
    assert!(
        after <= before + 1024,
        "RSS grew from {before} KiB to {after} KiB over a million finished tasks"
    );
}
