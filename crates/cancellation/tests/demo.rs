//! The stage 8 demo's transcript, with the times that vary filtered out,
//! and what its main run (the `select` of two reads) recorded.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use lab::trace::EventKind::{Dropped, Pending, Ready, Wake};
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let delay = Duration::from_millis(50);
    let (transcript, summary) = transcript(cancellation::demo::run, delay);
    insta::with_settings!({ filters => TIME_FILTERS.to_vec() }, {
        insta::assert_snapshot!(transcript);
    });
    // The first read wins after one delay; the second, which could only
    // be answered after the first was read, is dropped in the same poll.
    assert_eq!(summary.futures, Some(2));
    assert!(summary.took.wall >= delay, "{}", summary.took);
    let trace = summary.trace.unwrap();
    let kinds: Vec<_> = trace.iter().map(|event| (event.task, event.kind)).collect();
    assert_eq!(
        kinds,
        [
            (0, Pending),
            (1, Pending),
            (0, Wake),
            (0, Ready),
            (1, Dropped)
        ],
        "the winner: Pending, woken, Ready; the loser: Pending, then dropped"
    );
}
