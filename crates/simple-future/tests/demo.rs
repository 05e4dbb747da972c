//! The stage 2 demo's transcript, with the times and busy counts that vary
//! filtered out. Its sockets wait on a paused clock that moves on whenever
//! the demo is idle (`socket_sim::demo::transcript`), so which poll finds
//! which socket ready is the same on any machine.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let (transcript, summary) = transcript(simple_future::demo::run, Duration::from_millis(100));
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(transcript);
    });

    // One SocketFuture polled by hand: Pending at least once (the clock
    // stood still at its first poll), then Ready.
    assert_eq!(summary.futures, Some(1));
    assert!(summary.polls.unwrap() >= 2, "{:?} polls", summary.polls);
}

/// What varies from run to run, hidden from the snapshot.
fn filters() -> Vec<(&'static str, &'static str)> {
    let mut filters = TIME_FILTERS.to_vec();
    filters.push((r"Pending [\d,]+ times", "Pending [many] times"));
    filters
}

/// The run the book shows (`tests/demo_run.txt`, one real run on one
/// machine) is this demo's, but for what the filters hide. After a change
/// to the demo, run it again into that file:
/// `SOCKET_SIM_DELAY_MS=100 cargo run -q -p simple-future > crates/simple-future/tests/demo_run.txt`.
#[test]
fn the_books_run_is_what_this_demo_prints() {
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("demo_transcript", include_str!("demo_run.txt"));
    });
}
