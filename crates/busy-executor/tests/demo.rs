//! The stage 3 demo's transcript, with the times and poll counts that vary filtered out.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use lab::measure::{clearly_busier, sleeping_for};
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let (transcript, summary) = transcript(busy_executor::demo::run, Duration::from_millis(100));
    let mut filters = TIME_FILTERS.to_vec();
    filters.push((r"[\d,]+ polls", "[many] polls"));
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(transcript);
    });

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
