//! The stage 1 demo: its transcript, with the times that vary filtered out,
//! and what its main run measured.
//!
//! On the real clock: the demo waits by asking "ready yet?" and never hands
//! a socket a waker, so a paused clock would have nothing to tell it was
//! idle. Nothing in its transcript depends on when a socket becomes ready
//! but the times, which the filters hide.

use std::time::Duration;

use lab::demo::TIME_FILTERS;

#[test]
fn demo_transcript() {
    let (transcript, summary) =
        lab::demo::transcript(socket_sim::demo::run, Duration::from_millis(100));
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(transcript);
    });

    // The hardcoded pair: no futures yet, and at least one delay. That its
    // core is busy all along is tests/cpu.rs's to show: CPU time is the
    // whole process's, and this binary's other test runs beside this one.
    assert_eq!((summary.futures, summary.polls), (None, None));
    assert!(
        summary.took.wall >= Duration::from_millis(100),
        "{}",
        summary.took
    );
}

/// What varies from run to run, hidden from the snapshot.
fn filters() -> Vec<(&'static str, &'static str)> {
    TIME_FILTERS.to_vec()
}

/// The run the book shows (`tests/demo_run.txt`, one real run on one
/// machine) is this demo's, but for what the filters hide. After a change
/// to the demo, run it again into that file:
/// `SOCKET_SIM_DELAY_MS=100 cargo run -q -p socket-sim > crates/socket-sim/tests/demo_run.txt`.
#[test]
fn the_books_run_is_what_this_demo_prints() {
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("demo_transcript", include_str!("demo_run.txt"));
    });
}
