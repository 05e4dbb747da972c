//! The stage 3 demo's transcript, with the times and poll counts that vary filtered out.

use std::time::Duration;

use lab::measure::{clearly_busier, sleeping_for};

#[test]
fn demo_transcript() {
    let (_, summary) = lab::demo::assert_transcript!(
        busy_executor::demo::run,
        &[(r"[\d,]+ polls", "[many] polls")]
    );

    // Two sockets on the busy executor, traced: polls in their thousands.
    assert_eq!(summary.futures, Some(2));
    assert!(summary.polls.unwrap() > 1_000, "{:?} polls", summary.polls);
    let sleeping = sleeping_for(Duration::from_millis(100));
    assert!(
        clearly_busier(summary.took, sleeping),
        "a busy loop: {}, against {sleeping} asleep",
        summary.took
    );
    assert!(!summary.trace.unwrap().is_empty());
}
