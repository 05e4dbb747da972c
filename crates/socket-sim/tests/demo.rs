//! The stage 1 demo: its transcript, with the times that vary filtered out,
//! and what its main run measured.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use lab::measure::{clearly_busier, sleeping_for};
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let (transcript, summary) = transcript(socket_sim::demo::run, Duration::from_millis(100));
    insta::with_settings!({ filters => TIME_FILTERS.to_vec() }, {
        insta::assert_snapshot!(transcript);
    });

    // The hardcoded pair: one delay, a core busy all along.
    assert_eq!((summary.futures, summary.polls), (None, None));
    assert!(
        summary.took.wall >= Duration::from_millis(100),
        "{}",
        summary.took
    );
    let sleeping = sleeping_for(Duration::from_millis(100));
    assert!(
        clearly_busier(summary.took, sleeping),
        "a busy wait: {}, against {sleeping} asleep",
        summary.took
    );
}
