//! The stage 1 demo: its transcript, with the times that vary filtered out,
//! and what its main run measured.

use std::time::Duration;

use lab::measure::{clearly_busier, sleeping_for};

#[test]
fn demo_transcript() {
    let (_, summary) = lab::demo::assert_transcript!(socket_sim::demo::run, &[]);

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
