//! The stage 8 demo's transcript, with the times that vary filtered out,
//! and what its main run (the `select` of two reads) recorded.

use lab::trace::EventKind::{Dropped, Pending, Ready, Wake};

#[test]
fn demo_transcript() {
    let (_, summary) = lab::demo::assert_transcript!(cancellation::demo::run, &[]);
    // The first read wins after one delay; the second, which could only
    // be answered after the first was read, is dropped in the same poll.
    assert_eq!(summary.futures, Some(2));
    assert!(
        summary.took.wall >= lab::demo::TEST_DELAY,
        "{}",
        summary.took
    );
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
