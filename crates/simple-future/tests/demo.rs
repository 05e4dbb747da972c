//! The stage 2 demo's transcript, with the times and busy counts that vary filtered out.

use std::time::Duration;

use lab::measure::{clearly_busier, sleeping_for};

#[test]
fn demo_transcript() {
    let (_, summary) = lab::demo::assert_transcript!(
        simple_future::demo::run,
        &[(r"Pending [\d,]+ times", "Pending [many] times")]
    );

    // One SocketFuture polled by hand: a Pending answer per turn of the loop.
    assert_eq!(summary.futures, Some(1));
    assert!(summary.polls.unwrap() > 1_000, "{:?} polls", summary.polls);
    let sleeping = sleeping_for(Duration::from_millis(100));
    assert!(
        clearly_busier(summary.took, sleeping),
        "a busy loop: {}, against {sleeping} asleep",
        summary.took
    );
}
