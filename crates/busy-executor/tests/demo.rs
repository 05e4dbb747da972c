//! The stage 3 demo's transcript, with the times and poll counts that vary
//! filtered out. Its sockets wait on a paused clock that moves on whenever
//! the demo is idle (`socket_sim::demo::transcript`), so which poll finds
//! which socket ready is the same on any machine.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let (transcript, summary) = transcript(busy_executor::demo::run, Duration::from_millis(100));
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(transcript);
    });

    // Two sockets on the busy executor, traced: each Pending at least once
    // (the clock stood still until both were polled), then Ready. How many
    // busy polls a real wait takes is tests/cpu.rs's to say.
    assert_eq!(summary.futures, Some(2));
    assert!(summary.polls.unwrap() >= 4, "{:?} polls", summary.polls);
    assert!(!summary.trace.unwrap().is_empty());
}

/// What varies from run to run, hidden from the snapshot.
fn filters() -> Vec<(&'static str, &'static str)> {
    let mut filters = TIME_FILTERS.to_vec();
    filters.push((r"[\d,]+ polls", "[many] polls"));
    filters
}

/// The run the book shows (`tests/demo_run.txt`, one real run on one
/// machine) is this demo's, but for what the filters hide. After a change
/// to the demo, run it again into that file:
/// `SOCKET_SIM_DELAY_MS=100 cargo run -q -p busy-executor > crates/busy-executor/tests/demo_run.txt`.
#[test]
fn the_books_run_is_what_this_demo_prints() {
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("demo_transcript", include_str!("demo_run.txt"));
    });
}
