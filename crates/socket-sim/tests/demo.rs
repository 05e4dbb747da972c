//! The stage 1 demo: its transcript, with the times that vary filtered out,
//! and what its main run measured.

use std::time::Duration;

use socket_sim::demo::TIME_FILTERS;
use support::within_patience;

mod support;

#[test]
fn demo_transcript() {
    // A timer thread that never fires would leave the demo spinning forever.
    let (transcript, summary) = within_patience(|| {
        let mut out = Vec::new();
        let summary = socket_sim::demo::run(&mut out, Duration::from_millis(100)).unwrap();
        (String::from_utf8(out).unwrap(), summary)
    });
    insta::with_settings!({ filters => TIME_FILTERS.to_vec() }, {
        insta::assert_snapshot!(transcript);
    });

    // The hardcoded pair: one delay, a core busy all along.
    assert_eq!((summary.futures, summary.polls), (None, None));
    assert!(summary.took.wall >= Duration::from_millis(100), "{}", summary.took);
    assert!(summary.took.cpu_share() > 0.5, "a busy wait: {}", summary.took);
}
