//! The stage 2 demo's transcript, with the times and busy counts that vary filtered out.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use lab::measure::{clearly_busier, sleeping_for};
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let (transcript, summary) = transcript(simple_future::demo::run, Duration::from_millis(100));
    let mut filters = TIME_FILTERS.to_vec();
    filters.push((r"Pending [\d,]+ times", "Pending [many] times"));
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(transcript);
    });

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
