//! The stage 1 demo: its transcript, with the times that vary filtered out,
//! and what its main run measured.
//!
//! On the real clock: the demo waits by asking "ready yet?" and never hands
//! a socket a waker, so a paused clock would have nothing to tell it was
//! idle. Nothing in its transcript depends on when a socket becomes ready
//! but the times, which the filters hide.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use lab::measure::{clearly_busier, sleeping_for};
use socket_sim::timer_is_running;

#[test]
fn demo_transcript() {
    let (transcript, summary) = lab::demo::transcript(
        socket_sim::demo::run,
        Duration::from_millis(100),
        timer_is_running,
    );
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
